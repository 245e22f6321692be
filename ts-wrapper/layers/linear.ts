// Linear: y = x·Wᵀ + b, W [out, in] as torch.nn.Linear, He-initialised. With feedback alignment
// (Lillicrap et al. 2016; SCIENCE.md §4) the error goes back through a fixed random B of W's shape
// instead of W: it is not a parameter (not trained, not saved) and is redrawn from the model's seed.

import { linear, linearInputGrad, linearWeightGrad, linearWorkBytes } from "../ops/linear.js";
import { columnSums } from "../ops/elementwise.js";
import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { Bytes, Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer, WeightModule } from "./layer.js";

export class Linear implements Layer, WeightModule {
  readonly kind = "linear";
  readonly weight: string;
  readonly bias: string;
  /** The batch-norm layer that follows, by tensor prefix (fusion folds it in), if any. */
  norm?: string;
  /** The matrix backward sends errors through: W, or feedback alignment's fixed B. */
  feedback?: Matrix;
  private params!: ParameterSet;
  private input?: Matrix;
  private out!: Matrix;
  private work!: Bytes;

  constructor(readonly index: number, readonly inputs: number, readonly outputs: number) {
    this.weight = `layers.${index}.weight`;
    this.bias = `layers.${index}.bias`;
  }

  get fanIn(): number {
    return this.inputs;
  }

  tensors(): TensorSpec[] {
    return [
      { name: this.weight, shape: [this.outputs, this.inputs], trainable: true },
      { name: this.bias, shape: [this.outputs], trainable: true },
    ];
  }

  bind(params: ParameterSet): void {
    this.params = params;
  }

  /** W ~ N(0, 2/fan_in) (He), b = 0. */
  initialize(rng: Rng): void {
    rng.normal(this.weights(), 0, Math.sqrt(2 / this.inputs));
    this.params.view(this.bias).fill(0);
  }

  weights(): Matrix {
    return this.params.matrix(this.weight);
  }

  biases(): Matrix {
    return this.params.matrix(this.bias);
  }

  /** The matrix of the backward product δ·M: the fixed B with feedback alignment, else W. */
  backwardMatrix(): Matrix {
    return this.feedback ?? this.weights();
  }

  allocate(arena: Arena, capacity: number): void {
    this.out = Matrix.scratch(this.params.runtime, arena, capacity, this.outputs);
    this.work = new Bytes(this.params.runtime, linearWorkBytes(this.params.runtime, capacity, this.inputs, this.outputs), arena);
  }

  /** The last forward's output z = x·Wᵀ + b. */
  get output(): Matrix {
    return this.out.head(this.input?.rows ?? 0);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    this.input = x;
    const z = this.out.head(x.rows);
    this.predict(x, z);
    return z;
  }

  /** dW = δᵀ·x, db = Σ_rows δ, and dx = δ·M. */
  backward(dy: Matrix, dx?: Matrix): void {
    this.weightGradient(this.input!, dy);
    if (dx) this.inputGradient(dy, dx);
  }

  predict(x: Matrix, out: Matrix): void {
    linear(x, this.weights(), this.biases(), out, this.work);
  }

  weightGradient(x: Matrix, dy: Matrix): void {
    linearWeightGrad(dy, x, this.params.gradMatrix(this.weight), this.work);
    columnSums(dy, this.params.gradMatrix(this.bias));
  }

  inputGradient(dy: Matrix, dx: Matrix): void {
    linearInputGrad(dy, this.backwardMatrix(), dx, this.work);
  }
}
