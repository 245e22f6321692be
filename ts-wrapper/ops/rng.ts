// The one PRNG (PCG32, assembly/rng.ts): generators in the heap, seeded by (seed, stream), so that
// every purpose draws its own independent sequence from the run's seed.

import { Bytes, type Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";

/** Streams by purpose. Poisson spike trains use SPIKES + the sample's index, one stream per sample; a sweep's draws SWEEP + the row's index. */
export const STREAMS = { init: 1, shuffle: 2, feedback: 3, validation: 4, noise: 5, spikes: 0x10000, sweep: 0x20000 } as const;

export class Rng {
  readonly state: Bytes;

  constructor(readonly runtime: Runtime, seed: number, stream: number, arena?: Arena) {
    this.state = new Bytes(runtime, runtime.layout.rngBytes, arena);
    runtime.kernels.rngSeed(this.state.ptr, seed, stream);
  }

  /** The next output, in [0, 2^32): the kernel's i32 read as unsigned. */
  nextU32(): number {
    return this.runtime.kernels.rngNextU32(this.state.ptr) >>> 0;
  }

  uniform(out: Matrix, low: number, high: number): void {
    this.runtime.kernels.rngUniform(this.state.ptr, out.size, low, high, out.ptr);
  }

  normal(out: Matrix, mean: number, std: number): void {
    this.runtime.kernels.rngNormal(this.state.ptr, out.size, mean, std, out.ptr);
  }

  /** A uniformly random permutation of 0 … n−1, as uint32 in `out`. */
  permutation(n: number, out: Bytes): void {
    this.runtime.kernels.rngPermutation(this.state.ptr, n, out.ptr);
  }

  /** The state, as hex (a checkpoint keeps it). */
  save(): string {
    return [...this.state.u8()].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  restore(hex: string): void {
    if (!new RegExp(`^[0-9a-f]{${2 * this.state.bytes}}$`).test(hex)) throw new RangeError(`generator state: expected ${2 * this.state.bytes} hex digits`);
    this.state.u8().set(Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16)));
  }

  free(): void {
    this.state.free();
  }
}

/** One generator per row, contiguous (the layout poissonEncode reads). */
export class RowRngs {
  readonly state: Bytes;

  constructor(readonly runtime: Runtime, readonly rows: number, arena?: Arena) {
    this.state = new Bytes(runtime, rows * runtime.layout.rngBytes, arena);
  }

  /** Row r draws from stream `firstStream + r`. */
  seed(seed: number, firstStream: number, rows = this.rows): void {
    const bytes = this.runtime.layout.rngBytes;
    for (let r = 0; r < rows; r++) this.runtime.kernels.rngSeed(this.state.ptr + r * bytes, seed, (firstStream + r) >>> 0);
  }
}
