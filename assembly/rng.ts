// The project's one PRNG: PCG32 (O'Neill 2014, XSH-RR output of a 64-bit LCG). Every random draw
// — weight init, shuffling, Poisson spikes, dropout — comes from here, so a seed gives the same
// bits in every runtime. A generator is RNG_BYTES (16, layout.ts) bytes of linear memory: the u64
// state, then the u64 increment.

const MULTIPLIER: u64 = 6364136223846793005;

/** The LCG's next state. */
// @ts-ignore: decorator
@inline
export function pcgAdvance(state: u64, increment: u64): u64 {
  return state * MULTIPLIER + increment;
}

/** The output for a state (XSH-RR), computed from the state before it advances. */
// @ts-ignore: decorator
@inline
export function pcgOutput(state: u64): u32 {
  const xorShifted = <u32>(((state >> 18) ^ state) >> 27);
  return rotr<u32>(xorShifted, <u32>(state >> 59));
}

@inline
function next(g: usize): u32 {
  const old = load<u64>(g);
  store<u64>(g, pcgAdvance(old, load<u64>(g, 8)));
  return pcgOutput(old);
}

/** Seed generator g from (seed, stream); different streams give independent sequences. */
export function rngSeed(g: usize, seed: u32, stream: u32): void {
  store<u64>(g, 0);
  store<u64>(g, (<u64>stream << 1) | 1, 8);
  next(g);
  store<u64>(g, load<u64>(g) + <u64>seed);
  next(g);
}

/** The next raw 32-bit output. */
export function rngNextU32(g: usize): u32 {
  return next(g);
}

// Uniform in [0, 1) with 24 random bits: every value is an exact float32.
@inline
function uniform01(g: usize): f32 {
  return <f32><i32>(next(g) >> 8) * (1.0 / 16777216.0);
}

/** out[0..n) uniform in [low, high). */
export function rngUniform(g: usize, n: i32, low: f32, high: f32, out: usize): void {
  const span = high - low;
  for (let i = 0; i < n; i++) {
    let x = low + span * uniform01(g);
    // low + span·u can round up to high; drawing again keeps the distribution uniform. When
    // high ≤ low there is no interval: every value is low.
    while (x >= high && span > 0) x = low + span * uniform01(g);
    store<f32>(out + (<usize>i << 2), span > 0 ? x : low);
  }
}

/** out[0..n) normal with the given mean and standard deviation (Box–Muller in float64). */
export function rngNormal(g: usize, n: i32, mean: f32, std: f32, out: usize): void {
  for (let i = 0; i < n; i += 2) {
    // u1 in (0, 1]: log never sees 0.
    const u1 = (<f64>next(g) + 1.0) * (1.0 / 4294967296.0);
    const u2 = <f64>next(g) * (1.0 / 4294967296.0);
    const r = Math.sqrt(-2.0 * Math.log(u1));
    const theta = 2.0 * Math.PI * u2;
    store<f32>(out + (<usize>i << 2), mean + std * <f32>(r * Math.cos(theta)));
    if (i + 1 < n) store<f32>(out + (<usize>(i + 1) << 2), mean + std * <f32>(r * Math.sin(theta)));
  }
}

/** Uniform integer in [0, bound) without modulo bias (rejection below 2^32 mod bound). */
@inline
function below(g: usize, bound: u32): u32 {
  const threshold: u32 = (<u32>0 - bound) % bound;
  while (true) {
    const r = next(g);
    if (r >= threshold) return r % bound;
  }
  return 0;
}

/** out[0..n) (uint32) = a uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function rngPermutation(g: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), <u32>i);
  for (let i = n - 1; i > 0; i--) {
    const j = below(g, <u32>(i + 1));
    const a = out + (<usize>i << 2);
    const b = out + (<usize>j << 2);
    const t = load<u32>(a);
    store<u32>(a, load<u32>(b));
    store<u32>(b, t);
  }
}
