// Batch normalisation as PyTorch's BatchNorm1d over the features of a B × F matrix, and as
// BatchNorm2d over the C channels of a B × (C·S) NCHW batch (S = H·W positions) (assembly/norm.ts).
// `spatial` is S; 1 is BatchNorm1d.

import type { Matrix } from "../tensor.js";

/** PyTorch BatchNorm1d defaults. */
export const BATCH_NORM_MOMENTUM = 0.1;
export const BATCH_NORM_EPS = 1e-5;

export interface BatchNormTensors {
  weight: Matrix;
  bias: Matrix;
  runningMean: Matrix;
  runningVar: Matrix;
}

/** What training mode keeps for the backward pass. */
export interface BatchNormCache {
  xHat: Matrix;
  mean: Matrix;
  invStd: Matrix;
}

export function batchNormTrain(x: Matrix, p: BatchNormTensors, y: Matrix, cache: BatchNormCache, spatial = 1): void {
  if (spatial > 1) {
    x.runtime.kernels.batchNorm2dTrain(x.rows, x.cols / spatial, spatial, x.ptr, p.weight.ptr, p.bias.ptr, y.ptr, cache.xHat.ptr, cache.mean.ptr, cache.invStd.ptr,
      p.runningMean.ptr, p.runningVar.ptr, BATCH_NORM_MOMENTUM, BATCH_NORM_EPS);
    return;
  }
  x.runtime.kernels.batchNormTrain(x.rows, x.cols, x.ptr, p.weight.ptr, p.bias.ptr, y.ptr, cache.xHat.ptr, cache.mean.ptr, cache.invStd.ptr,
    p.runningMean.ptr, p.runningVar.ptr, BATCH_NORM_MOMENTUM, BATCH_NORM_EPS);
}

/** Inference mode; `scratch` holds F values (BatchNorm1d only). */
export function batchNormInfer(x: Matrix, p: BatchNormTensors, y: Matrix, scratch: Matrix, spatial = 1): void {
  if (spatial > 1) {
    x.runtime.kernels.batchNorm2dInfer(x.rows, x.cols / spatial, spatial, x.ptr, p.weight.ptr, p.bias.ptr, p.runningMean.ptr, p.runningVar.ptr, BATCH_NORM_EPS, y.ptr);
    return;
  }
  x.runtime.kernels.batchNormInfer(x.rows, x.cols, x.ptr, p.weight.ptr, p.bias.ptr, p.runningMean.ptr, p.runningVar.ptr, BATCH_NORM_EPS, y.ptr, scratch.ptr);
}

/** dx (may alias dy) and the gradients of weight and bias. */
export function batchNormBackward(dy: Matrix, cache: BatchNormCache, weight: Matrix, dx: Matrix, dWeight: Matrix, dBias: Matrix, spatial = 1): void {
  if (spatial > 1) {
    dy.runtime.kernels.batchNorm2dBackward(dy.rows, dy.cols / spatial, spatial, dy.ptr, cache.xHat.ptr, weight.ptr, cache.invStd.ptr, dx.ptr, dWeight.ptr, dBias.ptr);
    return;
  }
  dy.runtime.kernels.batchNormBackward(dy.rows, dy.cols, dy.ptr, cache.xHat.ptr, weight.ptr, cache.invStd.ptr, dx.ptr, dWeight.ptr, dBias.ptr);
}
