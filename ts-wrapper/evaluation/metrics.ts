// Evaluation of a trained model on a dataset: accuracy, mean loss and the confusion matrix.

import type { Dataset } from "../datasets/dataset.js";
import { BatchBuffer, checkShapes, inOrder } from "../training/batches.js";
import { lossAndGradient, type OutputLoss } from "../training/losses.js";
import type { TrainableModel } from "../training/model.js";

export interface Evaluation {
  count: number;
  /** Fraction of samples whose largest output is the label. */
  accuracy: number;
  loss: number;
  /** confusion[label][predicted] counts. */
  confusion: number[][];
}

export function evaluate(model: TrainableModel, data: Dataset, options: { batchSize?: number; outputLoss?: OutputLoss } = {}): Evaluation {
  checkShapes(data, model.inputs, model.outputs);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: must be an integer ≥ 1, got ${batchSize}`);
  const rt = model.runtime;
  const classes = model.outputs;
  const batch = new BatchBuffer(rt, Math.min(batchSize, Math.max(data.count, 1)), data.features, classes);
  const predicted = rt.heap.alloc(batch.capacity * 4);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const order = inOrder(data.count);
  let lossSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < data.count; start += batch.capacity) {
      const n = batch.load(data, order, start);
      const logits = model.forward(batch.x, n, false);
      rt.kernels.argmaxRows(n, classes, logits, predicted);
      const labels = rt.heap.u8(batch.labels, n);
      const guesses = rt.heap.i32(predicted, n);
      for (let i = 0; i < n; i++) {
        confusion[labels[i]][guesses[i]]++;
        if (labels[i] === guesses[i]) correct++;
      }
      lossSum += lossAndGradient(rt, options.outputLoss ?? "ce", logits, batch.targets, n, classes, batch.grad) * n;
    }
  } finally {
    rt.heap.free(predicted);
    batch.free();
  }
  const count = data.count;
  return { count, accuracy: count ? correct / count : 0, loss: count ? lossSum / count : 0, confusion };
}
