// Row-major float32 matrices living in the wasm heap.

import type { Runtime } from "./wasm/load.js";

export class Matrix {
  readonly ptr: number;

  constructor(readonly runtime: Runtime, readonly rows: number, readonly cols: number) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(`Matrix: shape must be non-negative integers, got ${rows}×${cols}`);
    }
    this.ptr = runtime.heap.allocF32(rows * cols);
  }

  static from(runtime: Runtime, rows: number, cols: number, values: ArrayLike<number>): Matrix {
    const m = new Matrix(runtime, rows, cols);
    m.set(values);
    return m;
  }

  get size(): number {
    return this.rows * this.cols;
  }

  /** A view of the values: valid until the next allocation (which may grow memory). */
  view(): Float32Array {
    return this.runtime.heap.f32(this.ptr, this.size);
  }

  set(values: ArrayLike<number>): void {
    if (values.length !== this.size) {
      throw new RangeError(`Matrix.set: expected ${this.size} values for ${this.rows}×${this.cols}, got ${values.length}`);
    }
    this.view().set(values);
  }

  /** A copy of the values, independent of wasm memory. */
  toArray(): Float32Array {
    return this.view().slice();
  }

  free(): void {
    this.runtime.heap.free(this.ptr);
  }
}
