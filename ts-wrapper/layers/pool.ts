// AvgPool2d and MaxPool2d with kernel = stride = K over NCHW images, H and W multiples of K (the
// architecture spec checks). Average pooling is a fixed linear map, so predictive coding and spiking
// conversion pass through it; max pooling keeps each window's argmax for the backward pass.

import { avgPool, avgPoolBackward, maxPool, maxPoolBackward, type PoolShape } from "../ops/conv.js";
import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { Bytes, Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer } from "./layer.js";

export class Pool2d implements Layer {
  readonly inputs: number;
  readonly outputs: number;
  readonly outputShape: [number, number, number];
  private params!: ParameterSet;
  private rows = 0;
  private out!: Matrix;
  private argmax?: Bytes;

  constructor(readonly index: number, readonly kind: "avgpool" | "maxpool", readonly shape: PoolShape) {
    const { channels, height, width, kernel } = shape;
    this.outputShape = [channels, height / kernel, width / kernel];
    this.inputs = channels * height * width;
    this.outputs = this.inputs / kernel ** 2;
  }

  tensors(): TensorSpec[] {
    return [];
  }

  bind(params: ParameterSet): void {
    this.params = params;
  }

  initialize(_rng: Rng): void {}

  allocate(arena: Arena, capacity: number): void {
    this.out = Matrix.scratch(this.params.runtime, arena, capacity, this.outputs);
    if (this.kind === "maxpool") this.argmax = new Bytes(this.params.runtime, 4 * capacity * this.outputs, arena);
  }

  get output(): Matrix {
    return this.out.head(this.rows);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    this.rows = x.rows;
    const y = this.out.head(x.rows);
    if (this.argmax) maxPool(x, this.shape, y, this.argmax);
    else avgPool(x, this.shape, y);
    return y;
  }

  backward(dy: Matrix, dx?: Matrix): void {
    if (!dx) return;
    if (this.argmax) maxPoolBackward(dy, this.shape, this.argmax, dx);
    else avgPoolBackward(dy, this.shape, dx);
  }
}

/** nn.Flatten: NCHW rows are already flat, so it only holds its place (and index) in the Sequential. */
export class Flatten implements Layer {
  readonly kind = "flatten";
  readonly outputs: number;

  constructor(readonly index: number, readonly inputs: number) {
    this.outputs = inputs;
  }

  tensors(): TensorSpec[] {
    return [];
  }

  bind(_params: ParameterSet): void {}
  initialize(_rng: Rng): void {}
  allocate(_arena: Arena, _capacity: number): void {}

  forward(x: Matrix, _training: boolean): Matrix {
    return x;
  }

  backward(dy: Matrix, dx?: Matrix): void {
    if (dx && dx.ptr !== dy.ptr) dx.view().set(dy.view());
  }
}
