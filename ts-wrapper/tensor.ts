// Tensors living in the wasm heap: row-major float32 matrices and raw byte blocks. Both are views
// (a pointer and a shape); the ops layer hands their pointers to the kernels, so nothing above it
// computes a pointer.

import type { Arena } from "./wasm/heap.js";
import type { Runtime } from "./wasm/load.js";

export class Matrix {
  readonly ptr: number;
  private readonly owned: boolean;

  /** A new zero-filled matrix, or — given `ptr` — a view of memory someone else owns. */
  constructor(readonly runtime: Runtime, readonly rows: number, readonly cols: number, ptr?: number) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(`Matrix: shape must be non-negative integers, got ${rows}×${cols}`);
    }
    this.owned = ptr === undefined;
    this.ptr = ptr ?? runtime.heap.allocF32(rows * cols);
  }

  static from(runtime: Runtime, rows: number, cols: number, values: ArrayLike<number>): Matrix {
    const m = new Matrix(runtime, rows, cols);
    m.set(values);
    return m;
  }

  /** A zero-filled matrix released with the arena. */
  static scratch(runtime: Runtime, arena: Arena, rows: number, cols: number): Matrix {
    return new Matrix(runtime, rows, cols, arena.allocF32(rows * cols));
  }

  get size(): number {
    return this.rows * this.cols;
  }

  /** The first `rows` rows, as a view (a batch smaller than the buffer's capacity). */
  head(rows: number): Matrix {
    if (!Number.isInteger(rows) || rows < 0 || rows > this.rows) throw new RangeError(`Matrix.head: ${rows} rows of a ${this.rows}×${this.cols} matrix`);
    return rows === this.rows ? this : new Matrix(this.runtime, rows, this.cols, this.ptr);
  }

  /** The first rows·cols values seen as a rows × cols matrix (a smaller batch in a larger buffer). */
  prefix(rows: number, cols: number): Matrix {
    if (!(rows * cols <= this.size)) throw new RangeError(`Matrix.prefix: ${rows}×${cols} values do not fit in ${this.rows}×${this.cols}`);
    return new Matrix(this.runtime, rows, cols, this.ptr);
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
    if (!this.owned) throw new Error("Matrix.free: this matrix is a view of memory it does not own");
    this.runtime.heap.free(this.ptr);
  }
}

/** Raw bytes in the wasm heap: labels, class indices, generator states, kernel scratch. */
export class Bytes {
  private readonly owned: boolean;
  readonly ptr: number;

  /** A block of its own, or one released with `arena`. */
  constructor(readonly runtime: Runtime, readonly bytes: number, arena?: Arena) {
    this.owned = arena === undefined;
    this.ptr = arena ? arena.alloc(bytes) : runtime.heap.alloc(bytes);
  }

  u8(count = this.bytes): Uint8Array {
    return this.runtime.heap.u8(this.ptr, count);
  }

  i32(count = this.bytes >> 2): Int32Array {
    return this.runtime.heap.i32(this.ptr, count);
  }

  u32(count = this.bytes >> 2): Uint32Array {
    return this.runtime.heap.u32(this.ptr, count);
  }

  f64(count = this.bytes >> 3): Float64Array {
    return this.runtime.heap.f64(this.ptr, count);
  }

  free(): void {
    if (!this.owned) throw new Error("Bytes.free: this block belongs to an arena");
    this.runtime.heap.free(this.ptr);
  }
}
