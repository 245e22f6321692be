// A tiny seeded generator for test data, independent of the library's own PRNG (PCG32 in wasm):
// the 32-bit LCG of Numerical Recipes, x ← 1664525·x + 1013904223 (mod 2³²). Good enough for
// drawing test inputs; never used to check the library's randomness.

export class Lcg {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next raw 32-bit value. */
  nextU32(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u1 = (this.nextU32() + 1) / 4294967297; // (0, 1): log never sees 0
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
