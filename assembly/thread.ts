// Per-thread scratch. Every thread runs its own instance of the module over one shared memory:
// linear memory is shared, wasm globals are not. The few kernels whose signatures carry no
// workspace (the soft-LIF passes, the LIF step) keep their lists here, at an address each instance
// holds in a global of its own: the main instance's is static data, a worker's a heap block the
// facade hands it once at start (setThreadScratch).

/** Bytes of per-thread scratch: at least the largest any kernel uses (activation.ts, lif.ts). */
export const THREAD_SCRATCH_BYTES: i32 = 16384;

let base: usize = memory.data(THREAD_SCRATCH_BYTES, 16);

/** This instance's scratch block (16-aligned, THREAD_SCRATCH_BYTES long). */
// @ts-ignore: decorator
@inline
export function threadScratch(): usize {
  return base;
}

/** Points this instance's scratch at `p`, THREAD_SCRATCH_BYTES bytes, 16-aligned. */
export function setThreadScratch(p: usize): void {
  base = p;
}
