// Output losses and classification counts: softmax cross-entropy ("ce") and squared error ("mse",
// ½‖ŷ − y‖² per sample).

import type { Bytes, Matrix } from "../tensor.js";

export const OUTPUT_LOSSES = ["ce", "mse"] as const;
export type OutputLoss = (typeof OUTPUT_LOSSES)[number];

/**
 * Mean loss over the rows of `logits` against `targets` (both B × classes), and its gradient with
 * respect to the logits written to `grad` (which may alias the logits): of the mean loss by
 * default, of the summed loss with gradScale 1.
 */
export function lossAndGradient(loss: OutputLoss, logits: Matrix, targets: Matrix, grad: Matrix, gradScale = 1 / logits.rows): number {
  const B = logits.rows;
  if (B === 0) return 0;
  const k = logits.runtime.kernels;
  const total = loss === "ce"
    ? k.softmaxCrossEntropy(B, logits.cols, logits.ptr, targets.ptr, grad.ptr, gradScale)
    : k.squaredError(B * logits.cols, logits.ptr, targets.ptr, grad.ptr, gradScale);
  return total / B;
}

/** Row-wise softmax (out may alias z). */
export function softmaxRows(z: Matrix, out: Matrix): void {
  z.runtime.kernels.softmaxRows(z.rows, z.cols, z.ptr, out.ptr);
}

/** The index of each row's largest value, as int32 in `out`. */
export function argmaxRows(x: Matrix, out: Bytes): void {
  x.runtime.kernels.argmaxRows(x.rows, x.cols, x.ptr, out.ptr);
}

/** Rows whose largest value is at their label (uint8 labels). */
export function countCorrect(x: Matrix, labels: Bytes): number {
  return x.runtime.kernels.countCorrect(x.rows, x.cols, x.ptr, labels.ptr);
}
