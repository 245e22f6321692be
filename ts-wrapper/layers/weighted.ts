// What Linear and Conv2d share: a weight and a bias named as PyTorch names them, He
// initialisation over the fan-in, the error sent back through W or feedback alignment's fixed B
// (Lillicrap et al. 2016; SCIENCE.md §4: not a parameter, not saved, redrawn from the model's
// seed), and forward and backward built from the three products each layer defines.

import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { Bytes, Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer } from "./layer.js";

export abstract class WeightModule implements Layer {
  abstract readonly kind: "linear" | "conv";
  /** Tensor names of the weight and the bias. */
  readonly weight: string;
  readonly bias: string;
  /** The batch-norm layer that follows, by tensor prefix (fusion folds it in), if any. */
  norm?: string;
  /** Feedback alignment's fixed matrix of W's shape, when set. */
  feedback?: Matrix;
  /**
   * Direct feedback alignment's fixed matrix, outputs of the network × this layer's inputs, when
   * set: the error at this layer's input is the network's output error through it (MLP.backward).
   */
  directFeedback?: Matrix;
  protected params!: ParameterSet;
  protected work!: Bytes;
  private input?: Matrix;
  private out!: Matrix;

  constructor(readonly index: number, readonly inputs: number, readonly outputs: number) {
    this.weight = `layers.${index}.weight`;
    this.bias = `layers.${index}.bias`;
  }

  /** Inputs each output sums over: the He initialisation's (and the feedback matrix's) fan-in. */
  abstract readonly fanIn: number;
  abstract tensors(): TensorSpec[];
  /** The products' scratch for batches of up to `capacity` rows. */
  protected abstract workBytes(capacity: number): number;
  /** out = W·x + b, without keeping x (forward is this, keeping x for backward). */
  abstract predict(x: Matrix, out: Matrix): void;
  /** The gradients of W and b (summed over the rows) into the ParameterSet's gradient block. */
  abstract weightGradient(x: Matrix, dy: Matrix): void;
  /** dx: dy sent back through backwardMatrix(). */
  abstract inputGradient(dy: Matrix, dx: Matrix): void;

  bind(params: ParameterSet): void {
    this.params = params;
  }

  /** W ~ N(0, 2/fan_in) (He), b = 0. */
  initialize(rng: Rng): void {
    rng.normal(this.weights(), 0, Math.sqrt(2 / this.fanIn));
    this.params.view(this.bias).fill(0);
  }

  /** W as a matrix: out × in for Linear, out × C·K² for Conv2d. */
  weights(): Matrix {
    return this.params.matrix(this.weight);
  }

  biases(): Matrix {
    return this.params.matrix(this.bias);
  }

  /** The matrix the error goes back through: the fixed B with feedback alignment, else W. */
  backwardMatrix(): Matrix {
    return this.feedback ?? this.weights();
  }

  allocate(arena: Arena, capacity: number): void {
    this.out = Matrix.scratch(this.params.runtime, arena, capacity, this.outputs);
    this.work = new Bytes(this.params.runtime, this.workBytes(capacity), arena);
  }

  /** The last forward's output. */
  get output(): Matrix {
    return this.out.head(this.input?.rows ?? 0);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    this.input = x;
    const y = this.out.head(x.rows);
    this.predict(x, y);
    return y;
  }

  /** dW and db summed over the batch, and dx through W (or B) when asked for. */
  backward(dy: Matrix, dx?: Matrix): void {
    this.weightGradient(this.input!, dy);
    if (dx) this.inputGradient(dy, dx);
  }
}
