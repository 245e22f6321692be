// Output losses: softmax cross-entropy ("ce") and squared error ("mse", ½‖ŷ − y‖² per sample).

import type { Runtime } from "../wasm/load.js";

export const OUTPUT_LOSSES = ["ce", "mse"] as const;
export type OutputLoss = (typeof OUTPUT_LOSSES)[number];

/**
 * Mean loss over B rows of `classes` logits against targets (both B × classes in wasm memory), and
 * its gradient with respect to the logits written to `grad` (which may alias the logits): of the
 * mean loss by default, of the summed loss with gradScale 1.
 */
export function lossAndGradient(rt: Runtime, loss: OutputLoss, logits: number, targets: number, B: number, classes: number, grad: number, gradScale = 1 / B): number {
  if (B === 0) return 0;
  const scale = gradScale;
  const total = loss === "ce"
    ? rt.kernels.softmaxCrossEntropy(B, classes, logits, targets, grad, scale)
    : rt.kernels.squaredError(B * classes, logits, targets, grad, scale);
  return total / B;
}
