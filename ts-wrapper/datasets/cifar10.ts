// CIFAR-10, binary version: records of 1 label byte + 3072 pixel bytes (3 × 32 × 32, channel-major).
// The batches are files on Node, URLs in browsers and edge workers. Pixels are scaled to [0, 1],
// then normalised per channel with the training set's fixed statistics (CIFAR10_MEAN, CIFAR10_STD).
import { platform, type FileBytes } from "../platform/index.js";
import { normalizeBytes, normalizeChannels, type Dataset } from "./dataset.js";

const LABEL_BYTES = 1;
const PIXELS = 3 * 32 * 32;
const RECORD = LABEL_BYTES + PIXELS;
const CLASSES = 10;
const SHAPE = [3, 32, 32];

/**
 * Per-channel (red, green, blue) mean and standard deviation of the pixels, scaled to [0, 1], of
 * the 50 000 images of the CIFAR-10 training set: the published constants (as in PyTorch's and
 * Keras's CIFAR-10 examples), to four places. Fixed rather than computed from the data loaded, so
 * that training, evaluation, a subset (--limit) and a saved model all see the same inputs without
 * storing statistics anywhere.
 */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILES = ["test_batch.bin"];

/** Loads the train (five batches) or test split of CIFAR-10 from a directory of `.bin` batches. */
export async function loadCifar10(dir: string, split: "train" | "test"): Promise<Dataset> {
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
  const names = split === "train" ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES;
  const batches: FileBytes[] = [];
  for (const name of names) {
    const batch = await readBatch(dir, name);
    checkBatchSize(batch.bytes, batch.file);
    batches.push(batch);
  }
  const count = batches.reduce((n, b) => n + b.bytes.length / RECORD, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (const { file, bytes } of batches) row = decodeBatch(bytes, file, images, labels, row);
  return { name: "cifar10", images, labels, count, features: PIXELS, classes: CLASSES, shape: [...SHAPE] };
}

/**
 * Decodes the bytes of one CIFAR-10 binary batch (platform-neutral: bytes read from disk or fetched),
 * normalised as loadCifar10's.
 * Every malformed batch is rejected with an Error naming `file`: a size that is not a positive whole
 * number of records, or a label outside 0..9.
 */
export function decodeCifar10Batch(
  bytes: Uint8Array,
  file: string,
): { images: Float32Array; labels: Uint8Array; count: number } {
  checkBatchSize(bytes, file);
  const count = bytes.length / RECORD;
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  decodeBatch(bytes, file, images, labels, 0);
  return { images, labels, count };
}

/** Checks a batch is a positive whole number of records. */
function checkBatchSize(bytes: Uint8Array, file: string): void {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(`${file}: size ${bytes.length} bytes is not a positive multiple of the ${RECORD}-byte CIFAR-10 record`);
  }
}

/** Reads one batch file. */
async function readBatch(dir: string, name: string): Promise<FileBytes> {
  const { file, bytes } = await platform.read(dir, name, "CIFAR-10 batch file");
  if (!bytes) throw new Error(`${file}: CIFAR-10 batch file not found (expected the binary version's ${name} in ${dir})`);
  return { file, bytes };
}

/** Decodes the records of one batch into normalised rows starting at `row`; returns the next free row. */
function decodeBatch(bytes: Uint8Array, file: string, images: Float32Array, labels: Uint8Array, row: number): number {
  const records = bytes.length / RECORD;
  for (let r = 0; r < records; r++, row++) {
    const at = r * RECORD;
    const label = bytes[at];
    if (label >= CLASSES) {
      throw new Error(`${file}: record ${r} has label ${label}, out of range (expected 0..${CLASSES - 1})`);
    }
    labels[row] = label;
    const image = images.subarray(row * PIXELS, (row + 1) * PIXELS);
    normalizeChannels(normalizeBytes(bytes.subarray(at + LABEL_BYTES, at + RECORD), image), SHAPE, CIFAR10_MEAN, CIFAR10_STD);
  }
  return row;
}

/**
 * Why a data set's inputs cannot drive Poisson input spikes (rates need inputs in [0, 1]), or
 * undefined when they can: CIFAR-10's are normalised per channel, about half of them negative.
 */
export function poissonInputsUnfit(dataset: string): string | undefined {
  if (dataset !== "cifar10") return undefined;
  return "cifar10 inputs are normalised per channel (mean 0, standard deviation 1: many are negative), but Poisson input spikes need inputs in [0, 1] (a pixel fires at a rate proportional to its value)";
}
