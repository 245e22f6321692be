// Matrix products, in the three orientations a linear layer needs. One packed GEMM kernel serves
// them all (assembly/gemm.ts); `work` is its packing scratch, sized by gemmWorkBytes.

import type { Bytes, Matrix } from "../tensor.js";
import type { Runtime } from "../wasm/load.js";

/** Scratch bytes the kernel needs for an M×N product over K. */
export function gemmWorkBytes(rt: Runtime, M: number, N: number, K: number): number {
  return rt.kernels.gemmWorkspaceBytes(M, N, K);
}

/** Scratch for every product of a linear layer inputs → outputs at batch `batch`. */
export function linearWorkBytes(rt: Runtime, batch: number, inputs: number, outputs: number): number {
  return Math.max(gemmWorkBytes(rt, batch, outputs, inputs), gemmWorkBytes(rt, outputs, inputs, batch), gemmWorkBytes(rt, batch, inputs, outputs));
}

/** out = x·Wᵀ + b: x is B × in, W is out × in (torch.nn.Linear's layout), b (1 × out) optional. */
export function linear(x: Matrix, w: Matrix, b: Matrix | undefined, out: Matrix, work: Bytes): void {
  const B = x.rows, inputs = x.cols, outputs = w.rows;
  x.runtime.kernels.gemm(0, 1, B, outputs, inputs, x.ptr, inputs, w.ptr, inputs, out.ptr, outputs, 0, b ? b.ptr : 0, work.ptr);
}

/** dx = dz·M: the error sent back through M (out × in: the weights, or feedback alignment's B). */
export function linearInputGrad(dz: Matrix, m: Matrix, dx: Matrix, work: Bytes): void {
  const B = dz.rows, outputs = m.rows, inputs = m.cols;
  dz.runtime.kernels.gemm(0, 0, B, inputs, outputs, dz.ptr, outputs, m.ptr, inputs, dx.ptr, inputs, 0, 0, work.ptr);
}

/** dW = dzᵀ·x (out × in). */
export function linearWeightGrad(dz: Matrix, x: Matrix, dw: Matrix, work: Bytes): void {
  const B = dz.rows, outputs = dz.cols, inputs = x.cols;
  dz.runtime.kernels.gemm(1, 0, outputs, inputs, B, dz.ptr, outputs, x.ptr, inputs, dw.ptr, inputs, 0, 0, work.ptr);
}

/** out = a·b (a: M × K, b: K × N). */
export function matmul(a: Matrix, b: Matrix, out: Matrix, work: Bytes): void {
  a.runtime.kernels.gemm(0, 0, a.rows, b.cols, a.cols, a.ptr, a.cols, b.ptr, b.cols, out.ptr, b.cols, 0, 0, work.ptr);
}
