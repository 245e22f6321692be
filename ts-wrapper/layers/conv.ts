// Conv2d: y = conv(x, W) + b over NCHW images (rows of C·H·W values), W [out, in, K, K] as
// torch.nn.Conv2d, He-initialised over its fan-in C·K². With feedback alignment the error goes
// back through a fixed random kernel B of W's shape (layers/linear.ts says why).

import { conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, convWorkBytes, type ConvShape } from "../ops/conv.js";
import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { Bytes, Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer, WeightModule } from "./layer.js";

export class Conv2d implements Layer, WeightModule {
  readonly kind = "conv";
  readonly weight: string;
  readonly bias: string;
  readonly inputs: number;
  readonly outputs: number;
  /** The output's [channels, height, width]. */
  readonly outputShape: [number, number, number];
  norm?: string;
  feedback?: Matrix;
  private params!: ParameterSet;
  private input?: Matrix;
  private out!: Matrix;
  private work!: Bytes;

  constructor(readonly index: number, readonly shape: ConvShape) {
    this.weight = `layers.${index}.weight`;
    this.bias = `layers.${index}.bias`;
    const { channels, height, width, outChannels, kernel, stride, padding } = shape;
    this.outputShape = [outChannels, convOutputSize(height, kernel, stride, padding), convOutputSize(width, kernel, stride, padding)];
    this.inputs = channels * height * width;
    this.outputs = this.outputShape[0] * this.outputShape[1] * this.outputShape[2];
  }

  /** Inputs each output sums over: C·K². */
  get fanIn(): number {
    return this.shape.channels * this.shape.kernel ** 2;
  }

  tensors(): TensorSpec[] {
    const { channels, outChannels, kernel } = this.shape;
    return [
      { name: this.weight, shape: [outChannels, channels, kernel, kernel], trainable: true },
      { name: this.bias, shape: [outChannels], trainable: true },
    ];
  }

  bind(params: ParameterSet): void {
    this.params = params;
  }

  /** W ~ N(0, 2/fan_in) (He), b = 0. */
  initialize(rng: Rng): void {
    rng.normal(this.weights(), 0, Math.sqrt(2 / this.fanIn));
    this.params.view(this.bias).fill(0);
  }

  /** W as an out × C·K² matrix. */
  weights(): Matrix {
    return this.params.matrix(this.weight);
  }

  biases(): Matrix {
    return this.params.matrix(this.bias);
  }

  backwardMatrix(): Matrix {
    return this.feedback ?? this.weights();
  }

  allocate(arena: Arena, capacity: number): void {
    this.out = Matrix.scratch(this.params.runtime, arena, capacity, this.outputs);
    this.work = new Bytes(this.params.runtime, convWorkBytes(this.params.runtime, this.shape), arena);
  }

  get output(): Matrix {
    return this.out.head(this.input?.rows ?? 0);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    this.input = x;
    const y = this.out.head(x.rows);
    this.predict(x, y);
    return y;
  }

  /** dW and db summed over the batch, and dx through W (or B). */
  backward(dy: Matrix, dx?: Matrix): void {
    this.weightGradient(this.input!, dy);
    if (dx) this.inputGradient(dy, dx);
  }

  predict(x: Matrix, out: Matrix): void {
    conv2d(x, this.shape, this.weights(), this.biases(), out, this.work);
  }

  weightGradient(x: Matrix, dy: Matrix): void {
    conv2dWeightGrad(x, this.shape, dy, this.params.gradMatrix(this.weight), this.params.gradMatrix(this.bias), this.work);
  }

  inputGradient(dy: Matrix, dx: Matrix): void {
    conv2dInputGrad(dy, this.shape, this.backwardMatrix(), dx, this.work);
  }
}
