// Element-wise operations over whole matrices.

import type { Matrix } from "../tensor.js";

export function fill(m: Matrix, value: number): void {
  m.runtime.kernels.fill(m.size, value, m.ptr);
}

/** y += alpha·x. */
export function axpy(alpha: number, x: Matrix, y: Matrix): void {
  x.runtime.kernels.axpy(x.size, alpha, x.ptr, y.ptr);
}

/** x *= alpha. */
export function scale(alpha: number, x: Matrix): void {
  x.runtime.kernels.scale(x.size, alpha, x.ptr);
}

/** out (1 × cols) = the sums of x's columns (added to out with `accumulate`). */
export function columnSums(x: Matrix, out: Matrix, accumulate = false): void {
  x.runtime.kernels.columnSums(x.rows, x.cols, x.ptr, x.cols, out.ptr, accumulate ? 1 : 0);
}

/** Index of the first non-finite value, or −1. */
export function firstNonFinite(m: Matrix): number {
  return m.runtime.kernels.firstNonFinite(m.size, m.ptr);
}

/** Whether every value of m is ±0. */
export function isZero(m: Matrix): boolean {
  return m.runtime.kernels.firstNonZero(m.size, m.ptr) < 0;
}
