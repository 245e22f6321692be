// Shared helpers for the kernel specs: aligned buffers with guard zones, an independent
// test-data generator, and tolerance checks that report the first failing element.
//
// Not a spec itself (the as-pect entries are tests/assembly/**/*.spec.ts); each spec imports it.

/** Unit roundoff of float32 round-to-nearest: 2^-24. */
export const U: f64 = 5.9604644775390625e-8;
/** Smallest positive normal float32, 2^-126: the absolute floor for values that underflow. */
export const MIN_NORMAL: f64 = 1.1754943508222875e-38;

/** Spacing of float32 subnormals, 2^-149: the absolute resolution below 2^-126. */
export const SUBNORMAL_STEP: f64 = 1.401298464324817e-45;

/** Bytes of guard zone after every buffer, filled with GUARD and checked by guardIntact. */
export const GUARD_BYTES: i32 = 64;
/** A float32 bit pattern that no kernel produces by accident (a signalling-looking NaN). */
export const GUARD: u32 = 0x7fa5a5a5;

/**
 * A 16-byte-aligned block of `bytes` bytes plus a GUARD_BYTES guard zone, every byte of the block
 * set to `fillBits` (as u32 words) and the guard to GUARD. heap.alloc in AssemblyScript 0.27 returns
 * 16-aligned payloads; this is asserted, not assumed.
 */
export function allocBytes(bytes: i32, fillBits: u32 = GUARD): usize {
  const size = ((max(bytes, 0) + 15) & ~15) + GUARD_BYTES;
  const p = heap.alloc(<usize>size);
  assert((p & 15) == 0, "heap.alloc returned a block that is not 16-byte aligned");
  for (let o = 0; o < size; o += 4) store<u32>(p + <usize>o, fillBits);
  return p;
}

/** n float32 values (NaN-pattern filled, so unwritten outputs are caught) plus a guard zone. */
export function allocF32(n: i32): usize {
  return allocBytes(n << 2, GUARD);
}

/** True when the guard zone after a `bytes`-byte block from allocBytes is untouched. */
export function guardIntact(p: usize, bytes: i32): bool {
  const start = (max(bytes, 0) + 15) & ~15;
  for (let o = start; o < start + GUARD_BYTES; o += 4) {
    if (load<u32>(p + <usize>o) != GUARD) return false;
  }
  return true;
}

export function expectGuard(p: usize, bytes: i32, what: string): void {
  expect<bool>(guardIntact(p, bytes)).toBe(true, what + ": guard zone after the buffer was overwritten");
}

export function free(p: usize): void {
  heap.free(p);
}

@inline
export function getF(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

@inline
export function setF(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

@inline
export function getD(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

@inline
export function getBits(p: usize, i: i32): u32 {
  return load<u32>(p + (<usize>i << 2));
}

export function copyF32(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

// Test data: SplitMix64, independent of the kernel PRNG under test.
let dataState: u64 = 0;

export function seedData(seed: u64): void {
  dataState = seed;
}

export function nextData64(): u64 {
  dataState += 0x9e3779b97f4a7c15;
  let z = dataState;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Uniform in [lo, hi), rounded to float32 (so the f64 reference sees exactly the stored value). */
export function dataF32(lo: f64, hi: f64): f32 {
  const u = <f64>(nextData64() >> 11) * (1.0 / 9007199254740992.0);
  return <f32>(lo + (hi - lo) * u);
}

export function fillData(p: usize, n: i32, lo: f64, hi: f64): void {
  for (let i = 0; i < n; i++) setF(p, i, dataF32(lo, hi));
}

export function fillValue(p: usize, n: i32, v: f32): void {
  for (let i = 0; i < n; i++) setF(p, i, v);
}

/** Uniform integer in [0, n). */
export function dataIndex(n: i32): i32 {
  return <i32>((nextData64() >> 33) % <u64>n);
}

/**
 * |actual − expected| ≤ tol, else a failing expectation naming the element. NaN never passes.
 * Returns whether it passed (a failing expect aborts the test anyway).
 */
export function expectClose(actual: f64, expected: f64, tol: f64, what: string, i: i32 = -1): bool {
  const err = Math.abs(actual - expected);
  if (err <= tol) return true;
  const where = i >= 0 ? what + "[" + i.toString() + "]" : what;
  expect<f64>(actual).toBe(expected, where + ": |error| " + err.toString() + " exceeds tolerance " + tol.toString());
  return false;
}

/** Bitwise equality of two float32 values (distinguishes −0 and NaN payloads). */
export function expectSameBits(actual: f32, expected: f32, what: string, i: i32 = -1): bool {
  if (reinterpret<u32>(actual) == reinterpret<u32>(expected)) return true;
  const where = i >= 0 ? what + "[" + i.toString() + "]" : what;
  expect<f32>(actual).toBe(expected, where + ": bit pattern differs");
  return false;
}

/** Every float32 in p[0..n) has exactly the given bit pattern (untouched sentinel storage). */
export function expectAllBits(p: usize, n: i32, bits: u32, what: string): void {
  for (let i = 0; i < n; i++) {
    if (getBits(p, i) != bits) {
      expect<u32>(getBits(p, i)).toBe(bits, what + "[" + i.toString() + "] was modified");
      return;
    }
  }
}

/** Independent PCG32 (pcg-c-basic): state and increment, XSH-RR output. */
export class Pcg32Ref {
  state: u64 = 0;
  inc: u64 = 0;

  // pcg32_srandom_r(rng, initstate, initseq)
  seed(initstate: u64, initseq: u64): void {
    this.state = 0;
    this.inc = (initseq << 1) | 1;
    this.next();
    this.state += initstate;
    this.next();
  }

  // pcg32_random_r(rng)
  next(): u32 {
    const oldstate = this.state;
    this.state = oldstate * 6364136223846793005 + this.inc;
    const xorshifted = <u32>(((oldstate >> 18) ^ oldstate) >> 27);
    const rot = <u32>(oldstate >> 59);
    return (xorshifted >> rot) | (xorshifted << ((<u32>0 - rot) & 31));
  }
}

/** LIF rate, eq. 33 as the thesis writes it: 1/(t_ref − τ·log(1 − 1/j)) for j > 1, else 0 (float64). */
export function lifRateRef(j: f64, tau: f64, tRef: f64): f64 {
  return j > 1 ? 1 / (tRef - tau * Math.log(1 - 1 / j)) : 0;
}
