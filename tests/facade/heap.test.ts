// The heap over wasm linear memory (DESIGN.md "Memory"): 16-byte alignment, first-fit reuse with
// coalescing, double-free detection, growth that keeps data (views made afresh see it), a clear
// RangeError on exhaustion that leaves the heap usable; and kernel traps named by kernel.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { init, Matrix, type Runtime } from "../../ts-wrapper/index.js";

let rt: Runtime;
/** What the runtime itself holds before a test allocates: the worker threads' scratch. */
let held = 0;

const MiB = 1024 * 1024;

describe.each([1, 2])("Heap, %i thread(s)", (threads) => {
  beforeEach(async () => {
    rt = await init({ threads }); // a fresh runtime per test: the free list starts as one block
    held = rt.heap.bytesInUse;
  });
  afterEach(() => rt.close());

  it("aligns every allocation to 16 bytes and never overlaps live blocks", () => {
    const heap = rt.heap;
    const sizes = [1, 3, 4, 15, 16, 17, 100, 0, 33, 4096 + 4, 7];
    const blocks = sizes.map((size) => ({ ptr: heap.alloc(size), size }));
    for (const { ptr } of blocks) expect(ptr % 16).toBe(0);
    // Blocks, each rounded up to 16 bytes (at least 16), are pairwise disjoint.
    const spans = blocks.map(({ ptr, size }) => [ptr, ptr + Math.max(16, Math.ceil(size / 16) * 16)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    // Above the module's static data.
    expect(spans[0][0]).toBeGreaterThanOrEqual(rt.kernels.heapBase());
    // bytesInUse counts the rounded sizes.
    expect(heap.bytesInUse).toBe(held + spans.reduce((s, [a, b]) => s + b - a, 0));
    for (const { ptr } of blocks) heap.free(ptr);
    expect(heap.bytesInUse).toBe(held);
  });

  it("allocF32 gives zeroed memory even where a freed block held data", () => {
    const heap = rt.heap;
    const p = heap.alloc(40);
    heap.f32(p, 10).fill(7);
    heap.free(p);
    const q = heap.allocF32(10);
    expect(q).toBe(p); // first fit reuses the block
    expect(Array.from(heap.f32(q, 10))).toEqual(new Array(10).fill(0));
  });

  it("coalesces freed neighbours: after freeing B then A, a block of size A + B fits at A", () => {
    const heap = rt.heap;
    const a = heap.alloc(48);
    const b = heap.alloc(80);
    const c = heap.alloc(32);
    expect(b).toBe(a + 48);
    expect(c).toBe(b + 80);
    heap.free(b);
    heap.free(a);
    const ab = heap.alloc(48 + 80);
    expect(ab).toBe(a);
    // C is still live and untouched: the merged block ended where C begins.
    const next = heap.alloc(16);
    expect(next).not.toBe(c);
    expect(next).toBeGreaterThanOrEqual(c + 32);
  });

  it("coalesces with the following block too (free A then B, and A, B, C into one)", () => {
    const heap = rt.heap;
    const a = heap.alloc(32);
    const b = heap.alloc(32);
    const c = heap.alloc(32);
    const guard = heap.alloc(16); // keeps the merged run apart from the free tail
    heap.free(a);
    heap.free(c);
    heap.free(b); // merges with both neighbours
    expect(heap.alloc(96)).toBe(a);
    heap.free(guard);
  });

  it("a double free, or freeing what was never allocated, throws", () => {
    const heap = rt.heap;
    const p = heap.alloc(64);
    heap.free(p);
    expect(() => heap.free(p)).toThrow(/not an allocated block \(double free\?\)/);
    expect(() => heap.free(p + 16)).toThrow(Error);
    // A failed free changed nothing: the next allocation still gets the block back.
    expect(heap.alloc(64)).toBe(p);
  });

  it("rejects negative and fractional sizes", () => {
    expect(() => rt.heap.alloc(-1)).toThrow(RangeError);
    expect(() => rt.heap.alloc(1.5)).toThrow(RangeError);
    expect(() => rt.heap.alloc(Number.NaN)).toThrow(RangeError);
  });

  it("grows memory for a large allocation; data written before stays intact through fresh views", () => {
    const values = Array.from({ length: 7 * 5 }, (_, i) => i * 0.25 - 3);
    const m = Matrix.from(rt, 7, 5, values);
    const stale = m.view();
    const before = rt.memory.buffer.byteLength;
    const big = 3 * before + 5 * MiB; // more than the whole current memory
    const ptr = rt.heap.alloc(big);
    expect(rt.memory.buffer.byteLength).toBeGreaterThanOrEqual(ptr + big);
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    // memory.grow detached the old view (it now has length 0), unless the memory is shared, which
    // never detaches; either way a fresh view sees the data.
    expect(stale.length).toBe(threads > 1 ? values.length : 0);
    expect(Array.from(m.view())).toEqual(values);
    expect(Array.from(m.toArray())).toEqual(values);
    // The new block is usable to its last byte.
    rt.heap.u8(ptr + big - 1, 1)[0] = 0xab;
    expect(rt.heap.u8(ptr + big - 1, 1)[0]).toBe(0xab);
    rt.heap.free(ptr);
    m.free();
  });

  it("an impossible allocation (5 GiB) throws a RangeError naming the size, and corrupts nothing", () => {
    const m = Matrix.from(rt, 3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const inUse = rt.heap.bytesInUse;
    const memBytes = rt.memory.buffer.byteLength;
    const size = 5 * 1024 * MiB;
    let error: unknown;
    try {
      rt.heap.alloc(size);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain(String(size));
    expect(rt.heap.bytesInUse).toBe(inUse);
    expect(rt.memory.buffer.byteLength).toBe(memBytes);
    expect(Array.from(m.view())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Later allocations (small, and one needing growth) still work.
    const p = rt.heap.allocF32(100);
    expect(p % 16).toBe(0);
    const q = rt.heap.alloc(memBytes + MiB);
    expect(rt.heap.bytesInUse).toBe(inUse + 400 + memBytes + MiB);
    expect(Array.from(m.view())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    rt.heap.free(q);
    rt.heap.free(p);
    m.free();
    expect(rt.heap.bytesInUse).toBe(held);
  });

  it("a Matrix rejects bad shapes and wrong-length values", () => {
    expect(() => new Matrix(rt, -1, 2)).toThrow(/shape/);
    expect(() => new Matrix(rt, 2, 1.5)).toThrow(/shape/);
    const m = new Matrix(rt, 2, 3);
    expect(() => m.set([1, 2, 3])).toThrow(/expected 6 values for 2×3, got 3/);
    m.free();
  });
});

describe("kernel errors", () => {
  beforeEach(async () => {
    rt = await init({ threads: 1 });
  });

  it("an out-of-bounds pointer traps, and the Error names the kernel", () => {
    let error: unknown;
    try {
      rt.kernels.fill(16, 1, 0xfffffff0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message.startsWith("wasm kernel fill:")).toBe(true);
    expect((error as Error).message).toMatch(/out of bounds/);
    // The runtime still works afterwards.
    const p = rt.heap.allocF32(5);
    rt.kernels.fill(5, 2.5, p);
    expect(Array.from(rt.heap.f32(p, 5))).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
  });

  it("the debug build loads and runs kernels, and also names a trapping kernel", async () => {
    const debug = await init({ debug: true });
    const p = debug.heap.allocF32(7);
    debug.kernels.fill(7, -1.5, p);
    expect(Array.from(debug.heap.f32(p, 7))).toEqual(new Array(7).fill(-1.5));
    expect(() => debug.kernels.axpy(8, 1, 0xfffffff0, p)).toThrow(/^wasm kernel axpy:/);
  });
});
