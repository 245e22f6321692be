// Evaluation of a trained model on a dataset: accuracy, mean loss and the confusion matrix.

import { BatchBuffer, checkShapes, inOrder } from "../batch.js";
import type { Dataset } from "../datasets/dataset.js";
import { OptionError } from "../errors.js";
import { argmaxRows, lossAndGradient, type OutputLoss } from "../ops/loss.js";
import { Bytes, type Matrix } from "../tensor.js";
import type { Runtime } from "../wasm/load.js";

/** What evaluation needs of a model: its widths and a forward pass over a batch in wasm memory. */
export interface InferenceModel {
  readonly runtime: Runtime;
  readonly inputs: number;
  readonly outputs: number;
  /** The B × outputs logits of the rows of x. */
  forward(x: Matrix, training: boolean): Matrix;
}

export interface Evaluation {
  count: number;
  /** Fraction of samples whose largest output is the label. */
  accuracy: number;
  loss: number;
  /** confusion[label][predicted] counts. */
  confusion: number[][];
}

export function evaluate(model: InferenceModel, data: Dataset, options: { batchSize?: number; outputLoss?: OutputLoss } = {}): Evaluation {
  checkShapes(data, model.inputs, model.outputs);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError("batchSize", `must be an integer ≥ 1, got ${batchSize}`);
  const rt = model.runtime;
  const classes = model.outputs;
  const batch = new BatchBuffer(rt, Math.min(batchSize, Math.max(data.count, 1)), data.features, classes);
  const predicted = new Bytes(rt, batch.capacity * 4);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const order = inOrder(data.count);
  let lossSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < data.count; start += batch.capacity) {
      const n = batch.load(data, order, start);
      const staged = batch.rows(n);
      const logits = model.forward(staged.x, false);
      argmaxRows(logits, predicted);
      const labels = staged.labels.u8(n);
      const guesses = predicted.i32(n);
      for (let i = 0; i < n; i++) {
        confusion[labels[i]][guesses[i]]++;
        if (labels[i] === guesses[i]) correct++;
      }
      lossSum += lossAndGradient(options.outputLoss ?? "ce", logits, staged.targets, staged.grad) * n;
    }
  } finally {
    predicted.free();
    batch.free();
  }
  const count = data.count;
  return { count, accuracy: count ? correct / count : 0, loss: count ? lossSum / count : 0, confusion };
}
