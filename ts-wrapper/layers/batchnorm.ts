// Batch norm as PyTorch: batch statistics in training (which update the running ones), running
// statistics at inference; γ = 1, β = 0, μ = 0, σ² = 1 at init. BatchNorm1d normalises each feature
// of a B × F batch; BatchNorm2d each channel of an NCHW batch, over the batch and its H·W positions.

import { batchNormBackward, batchNormInfer, batchNormTrain, type BatchNormCache, type BatchNormTensors } from "../ops/norm.js";
import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer } from "./layer.js";

export class BatchNorm1d implements Layer {
  readonly kind = "batchnorm";
  readonly prefix: string;
  /** Values per channel and image: 1, or H·W for BatchNorm2d. */
  readonly spatial: number = 1;
  private params!: ParameterSet;
  private out!: Matrix;
  private cache!: { xHat: Matrix; mean: Matrix; invStd: Matrix };
  private rows = 0;

  /** `channels` features (BatchNorm1d), or channels of `spatial` positions each (BatchNorm2d). */
  constructor(readonly index: number, readonly channels: number) {
    this.prefix = `layers.${index}`;
  }

  get inputs(): number {
    return this.channels * this.spatial;
  }

  get outputs(): number {
    return this.inputs;
  }

  tensors(): TensorSpec[] {
    const n = [this.channels];
    return [
      { name: `${this.prefix}.weight`, shape: n, trainable: true },
      { name: `${this.prefix}.bias`, shape: n, trainable: true },
      { name: `${this.prefix}.running_mean`, shape: n, trainable: false },
      { name: `${this.prefix}.running_var`, shape: n, trainable: false },
    ];
  }

  bind(params: ParameterSet): void {
    this.params = params;
  }

  initialize(_rng: Rng): void {
    const p = this.params;
    p.view(`${this.prefix}.weight`).fill(1);
    p.view(`${this.prefix}.bias`).fill(0);
    p.view(`${this.prefix}.running_mean`).fill(0);
    p.view(`${this.prefix}.running_var`).fill(1);
  }

  /** Its tensors: weight γ, bias β, running mean and variance. */
  tensorsOf(): BatchNormTensors {
    const p = this.params;
    return {
      weight: p.matrix(`${this.prefix}.weight`), bias: p.matrix(`${this.prefix}.bias`),
      runningMean: p.matrix(`${this.prefix}.running_mean`), runningVar: p.matrix(`${this.prefix}.running_var`),
    };
  }

  allocate(arena: Arena, capacity: number): void {
    const rt = this.params.runtime;
    this.out = Matrix.scratch(rt, arena, capacity, this.inputs);
    this.cache = { xHat: Matrix.scratch(rt, arena, capacity, this.inputs), mean: Matrix.scratch(rt, arena, 1, this.channels), invStd: Matrix.scratch(rt, arena, 1, this.channels) };
  }

  forward(x: Matrix, training: boolean): Matrix {
    this.rows = x.rows;
    const y = this.out.head(x.rows);
    // Inference uses invStd's storage as the kernel's scratch.
    if (training) batchNormTrain(x, this.tensorsOf(), y, this.cached(), this.spatial);
    else batchNormInfer(x, this.tensorsOf(), y, this.cache.invStd, this.spatial);
    return y;
  }

  backward(dy: Matrix, dx?: Matrix): void {
    const p = this.params;
    batchNormBackward(dy, this.cached(), p.matrix(`${this.prefix}.weight`), dx ?? dy, p.gradMatrix(`${this.prefix}.weight`), p.gradMatrix(`${this.prefix}.bias`), this.spatial);
  }

  private cached(): BatchNormCache {
    return { xHat: this.cache.xHat.head(this.rows), mean: this.cache.mean, invStd: this.cache.invStd };
  }
}

export class BatchNorm2d extends BatchNorm1d {
  override readonly spatial: number;

  /** Over `channels` planes of `spatial` = H·W values. */
  constructor(index: number, channels: number, spatial: number) {
    super(index, channels);
    this.spatial = spatial;
  }
}
