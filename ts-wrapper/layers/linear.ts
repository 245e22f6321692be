// Linear: y = x·Wᵀ + b, W [out, in] as torch.nn.Linear (layers/weighted.ts: initialisation,
// feedback alignment, forward and backward).

import { columnSums } from "../ops/elementwise.js";
import { linear, linearInputGrad, linearWeightGrad, linearWorkBytes } from "../ops/linear.js";
import type { TensorSpec } from "../params.js";
import type { Matrix } from "../tensor.js";
import { WeightModule } from "./weighted.js";

export class Linear extends WeightModule {
  readonly kind = "linear";

  get fanIn(): number {
    return this.inputs;
  }

  tensors(): TensorSpec[] {
    return [
      { name: this.weight, shape: [this.outputs, this.inputs], trainable: true },
      { name: this.bias, shape: [this.outputs], trainable: true },
    ];
  }

  protected workBytes(capacity: number): number {
    return linearWorkBytes(this.params.runtime, capacity, this.inputs, this.outputs);
  }

  /** z = x·Wᵀ + b. */
  predict(x: Matrix, out: Matrix): void {
    linear(x, this.weights(), this.biases(), out, this.work);
  }

  /** dW = δᵀ·x, db = Σ_rows δ. */
  weightGradient(x: Matrix, dy: Matrix): void {
    linearWeightGrad(dy, x, this.params.gradMatrix(this.weight), this.work);
    columnSums(dy, this.params.gradMatrix(this.bias));
  }

  /** dx = δ·M, M = W or B. */
  inputGradient(dy: Matrix, dx: Matrix): void {
    linearInputGrad(dy, this.backwardMatrix(), dx, this.work);
  }
}
