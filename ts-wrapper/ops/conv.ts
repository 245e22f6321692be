// Convolution and pooling over NCHW batches stored as B × (C·H·W) matrices (assembly/conv.ts,
// assembly/pool.ts). Weights are [out, in, K, K] as PyTorch stores them, seen as an out × in·K·K
// matrix. Shapes are checked by the layers that call these; the ops trust them.

import type { Bytes, Matrix } from "../tensor.js";
import type { Runtime } from "../wasm/load.js";

/** One image's geometry through a square-kernel convolution. */
export interface ConvShape {
  channels: number;
  height: number;
  width: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/** PyTorch's output size: ⌊(size + 2·padding − kernel) / stride⌋ + 1. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Scratch bytes every convolution kernel of this shape needs (independent of the batch). */
export function convWorkBytes(rt: Runtime, s: ConvShape): number {
  return rt.kernels.conv2dWorkBytes(s.channels, s.height, s.width, s.outChannels, s.kernel, s.stride, s.padding);
}

function geometry(s: ConvShape): [number, number, number, number, number, number, number] {
  return [s.channels, s.height, s.width, s.outChannels, s.kernel, s.stride, s.padding];
}

/** out = conv(x, w) + b (b optional). */
export function conv2d(x: Matrix, s: ConvShape, w: Matrix, b: Matrix | undefined, out: Matrix, work: Bytes): void {
  x.runtime.kernels.conv2dForward(x.rows, ...geometry(s), x.ptr, w.ptr, b ? b.ptr : 0, out.ptr, work.ptr);
}

/** dx: the gradient at the input from dy through m (the weights, or feedback alignment's fixed kernels). */
export function conv2dInputGrad(dy: Matrix, s: ConvShape, m: Matrix, dx: Matrix, work: Bytes): void {
  dy.runtime.kernels.conv2dInputGrad(dy.rows, ...geometry(s), dy.ptr, m.ptr, dx.ptr, work.ptr);
}

/** dw and (when given) db, summed over the batch. */
export function conv2dWeightGrad(x: Matrix, s: ConvShape, dy: Matrix, dw: Matrix, db: Matrix | undefined, work: Bytes): void {
  x.runtime.kernels.conv2dWeightGrad(x.rows, ...geometry(s), x.ptr, dy.ptr, dw.ptr, db ? db.ptr : 0, work.ptr, 0, s.outChannels);
}

/** One image's planes entering a K×K pooling of stride K. */
export interface PoolShape {
  channels: number;
  height: number;
  width: number;
  kernel: number;
}

export function avgPool(x: Matrix, s: PoolShape, y: Matrix): void {
  x.runtime.kernels.avgPoolForward(x.rows * s.channels, s.height, s.width, s.kernel, x.ptr, y.ptr);
}

export function avgPoolBackward(dy: Matrix, s: PoolShape, dx: Matrix): void {
  dy.runtime.kernels.avgPoolBackward(dy.rows * s.channels, s.height, s.width, s.kernel, dy.ptr, dx.ptr);
}

/** y = each window's maximum; `index` (4 bytes per output) keeps where it was for the backward pass. */
export function maxPool(x: Matrix, s: PoolShape, y: Matrix, index: Bytes): void {
  x.runtime.kernels.maxPoolForward(x.rows * s.channels, s.height, s.width, s.kernel, x.ptr, y.ptr, index.ptr);
}

export function maxPoolBackward(dy: Matrix, s: PoolShape, index: Bytes, dx: Matrix): void {
  dy.runtime.kernels.maxPoolBackward(dy.rows * s.channels, s.height, s.width, s.kernel, dy.ptr, index.ptr, dx.ptr);
}
