// rngSeed / rngNextU32 against an independent PCG32 implementation (O'Neill's reference
// pcg32_srandom_r / pcg32_random_r, written here with u64 arithmetic), the published output of
// the PCG reference demo, and statistical checks of the derived distributions.
//
// Statistical bounds: every estimate is compared with its expectation within 5 standard errors
// (two-sided normal tail 5.7·10^-7 per check). The draws are deterministic (fixed seeds), so a
// pass is reproducible; a wrong distribution (wrong scale, offset, range, bias) misses by far more.
//   uniform [a, b), n draws: mean SE = (b − a)/sqrt(12n); variance (b − a)²/12 with
//     SE = (b − a)²/sqrt(180n) (Var s² ≈ (μ4 − σ⁴)/n, μ4 = (b − a)⁴/80); each of 10 equal bins
//     holds n/10 ± 5·sqrt(n·0.1·0.9).
//   normal (μ, σ): mean SE = σ/sqrt(n); variance SE = σ²·sqrt(2/(n − 1)); kurtosis 3 with
//     SE ≈ sqrt(24/n); P(|x − μ| < σ) = 0.682689492 with SE sqrt(p(1 − p)/n).
//   permutations of 4 elements: each of the 24 orders occurs N/24 ± 5·sqrt(N·(1/24)·(23/24)).

import { rngSeed, rngNextU32, rngUniform, rngNormal, rngPermutation } from "../../assembly/rng";
import { GUARD, Pcg32Ref, allocBytes, allocF32, expectAllBits, free, getF, setF } from "./helpers";

const ref = new Pcg32Ref();

function newGen(): usize {
  return allocBytes(16);
}

function hex(v: u32): string {
  return "0x" + v.toString(16);
}

describe("rngSeed / rngNextU32", () => {
  it("pcg32 initstate 42, initseq 54 gives the published 0xa15c02b7 0x7b47f409 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e", () => {
    // Output of pcg32-demo from the PCG reference implementation (pcg-c-basic), round 1.
    const published: u32[] = [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e];
    const g = newGen();
    rngSeed(g, 42, 54);
    ref.seed(42, 54);
    for (let i = 0; i < published.length; i++) {
      const r = ref.next();
      expect<u32>(r).toBe(published[i], "independent reference vs published, output " + i.toString());
      const k = rngNextU32(g);
      expect<u32>(k).toBe(published[i], "rngNextU32 output " + i.toString() + " = " + hex(k));
    }
    free(g);
  });

  it("matches the reference for many (seed, stream), 1000 outputs each; generator layout is state, increment", () => {
    const seeds: u32[] = [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, 123456789];
    const streams: u32[] = [0, 1, 2, 54, 0xffffffff, 0x80000000];
    const g = newGen();
    for (let a = 0; a < seeds.length; a++) {
      for (let b = 0; b < streams.length; b++) {
        rngSeed(g, seeds[a], streams[b]);
        ref.seed(seeds[a], streams[b]);
        const what = "seed " + hex(seeds[a]) + " stream " + hex(streams[b]);
        expect<u64>(load<u64>(g)).toBe(ref.state, what + ": state word");
        expect<u64>(load<u64>(g, 8)).toBe(ref.inc, what + ": increment word");
        for (let i = 0; i < 1000; i++) {
          const r = ref.next(), k = rngNextU32(g);
          if (r != k) { expect<u32>(k).toBe(r, what + " output " + i.toString()); return; }
        }
      }
    }
    expectAllBits(g + 16, 4, GUARD, "generator is 16 bytes");
    free(g);
  });

  it("same seed and stream → same sequence; other stream or seed → different sequence", () => {
    const g1 = newGen(), g2 = newGen(), g3 = newGen(), g4 = newGen();
    rngSeed(g1, 7, 3); rngSeed(g2, 7, 3); rngSeed(g3, 7, 4); rngSeed(g4, 8, 3);
    let same3 = 0, same4 = 0;
    for (let i = 0; i < 1000; i++) {
      const a = rngNextU32(g1), b = rngNextU32(g2), c = rngNextU32(g3), d = rngNextU32(g4);
      expect<u32>(b).toBe(a, "same seed/stream, output " + i.toString());
      if (c == a) same3++;
      if (d == a) same4++;
    }
    // Independent 32-bit outputs coincide with probability 2^-32 each.
    expect<i32>(same3).toBeLessThanOrEqual(1, "different stream");
    expect<i32>(same4).toBeLessThanOrEqual(1, "different seed");
    free(g1); free(g2); free(g3); free(g4);
  });
});

function mean(p: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>getF(p, i);
  return s / <f64>n;
}

function centralMoment(p: usize, n: i32, m: f64, k: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += Math.pow(<f64>getF(p, i) - m, <f64>k);
  return s / <f64>n;
}

function within(value: f64, expected: f64, se: f64, what: string): void {
  const z = Math.abs(value - expected) / se;
  expect<f64>(z).toBeLessThanOrEqual(5, what + " = " + value.toString() + ", expected " + expected.toString() + " ± 5·" + se.toString());
}

function checkUniform(lo: f32, hi: f32, n: i32, seed: u32): void {
  const what = "rngUniform[" + lo.toString() + ", " + hi.toString() + ")";
  const g = newGen(), out = allocF32(n + 1);
  rngSeed(g, seed, 11);
  rngUniform(g, n, lo, hi, out);
  const bins = new Int32Array(10);
  for (let i = 0; i < n; i++) {
    const v = getF(out, i);
    if (!(v >= lo && v < hi)) { expect<f32>(v).toBe(lo, what + ": value " + i.toString() + " outside [low, high)"); return; }
    bins[min(9, <i32>((<f64>v - <f64>lo) / (<f64>hi - <f64>lo) * 10))]++;
  }
  const span = <f64>hi - <f64>lo, N = <f64>n;
  const m = mean(out, n);
  within(m, (<f64>lo + <f64>hi) / 2, span / Math.sqrt(12 * N), what + " mean");
  within(centralMoment(out, n, m, 2), span * span / 12, span * span / Math.sqrt(180 * N), what + " variance");
  for (let b = 0; b < 10; b++) within(<f64>bins[b], N / 10, Math.sqrt(N * 0.09), what + " bin " + b.toString());
  expectAllBits(out + (<usize>n << 2), 1, GUARD, what + ": past n");
  free(g); free(out);
}

describe("rngUniform", () => {
  it("n = 100000 in [0, 1), [-2, 3), [10, 10.5): range, mean, variance, 10 bins within 5 SE", () => {
    checkUniform(0, 1, 100000, 1);
    checkUniform(-2, 3, 100000, 2);
    checkUniform(10, 10.5, 100000, 3);
  });
  it("[0, 1) values are the top 24 bits of consecutive PCG32 outputs / 2^24 (bit-reproducible)", () => {
    const n = 1001;
    const g = newGen(), out = allocF32(n);
    rngSeed(g, 99, 5);
    ref.seed(99, 5);
    rngUniform(g, n, 0, 1, out);
    for (let i = 0; i < n; i++) {
      const expected = <f32>(ref.next() >> 8) * (1.0 / 16777216.0);
      if (getF(out, i) != expected) { expect<f32>(getF(out, i)).toBe(expected, "value " + i.toString()); return; }
    }
    // The generator advanced by exactly n outputs.
    expect<u32>(rngNextU32(g)).toBe(ref.next(), "state after n draws");
    free(g); free(out);
  });
  it("n = 0 and n = 1", () => {
    const g = newGen(), out = allocF32(2);
    rngSeed(g, 5, 5);
    rngUniform(g, 0, 0, 1, out);
    expectAllBits(out, 2, GUARD, "n = 0");
    rngUniform(g, 1, 0, 1, out);
    expect<bool>(getF(out, 0) >= 0 && getF(out, 0) < 1).toBe(true, "n = 1 in range");
    expectAllBits(out + 4, 1, GUARD, "n = 1");
    free(g); free(out);
  });
  it("never returns high, even for the largest raw output (0xffffffff) when low ≠ 0", () => {
    // A state whose XSH-RR output is 0xffffffff: rot = state >> 59 = 0 and bits 27..58 of
    // state ^ (state >> 18) all ones, i.e. state bits 41..58 set and bits 27..40 clear.
    const g = newGen(), out = allocF32(1);
    const state: u64 = ((<u64>1 << 59) - 1) ^ ((<u64>1 << 41) - 1);
    store<u64>(g, state);
    store<u64>(g, 1, 8);
    expect<u32>(rngNextU32(g)).toBe(0xffffffff, "crafted state");
    const lows: f32[] = [0, 1, -1, 0.5, 3];
    const highs: f32[] = [1, 2, 0, 1.5, 4];
    for (let k = 0; k < lows.length; k++) {
      store<u64>(g, state);
      rngUniform(g, 1, lows[k], highs[k], out);
      expect<f32>(getF(out, 0)).toBeLessThan(highs[k], "rngUniform(low=" + lows[k].toString() + ", high=" + highs[k].toString() +
        ") with uniform01 = 1 − 2^-24");
    }
    free(g); free(out);
  });
});

function checkNormal(mu: f32, sigma: f32, n: i32): void {
  const what = "rngNormal(" + mu.toString() + ", " + sigma.toString() + ", n=" + n.toString() + ")";
  const g = newGen(), out = allocF32(n + 1);
  rngSeed(g, 2024, 7);
  rngNormal(g, n, mu, sigma, out);
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const v = getF(out, i);
    if (!isFinite(v)) { expect<f32>(v).toBe(0, what + ": non-finite at " + i.toString()); return; }
    if (Math.abs(<f64>v - <f64>mu) < <f64>sigma) inside++;
  }
  const N = <f64>n, s = <f64>sigma, s2 = s * s;
  const m = mean(out, n);
  within(m, <f64>mu, s / Math.sqrt(N), what + " mean");
  const variance = centralMoment(out, n, m, 2);
  within(variance, s2, s2 * Math.sqrt(2 / (N - 1)), what + " variance");
  within(centralMoment(out, n, m, 4) / (variance * variance), 3, Math.sqrt(24 / N), what + " kurtosis");
  const p = 0.6826894921370859;
  within(<f64>inside / N, p, Math.sqrt(p * (1 - p) / N), what + " P(|x − μ| < σ)");
  expectAllBits(out + (<usize>n << 2), 1, GUARD, what + ": past n");
  free(g); free(out);
}

describe("rngNormal", () => {
  it("n = 100000 (even) and 100001 (odd): mean, variance, kurtosis, one-sigma mass within 5 SE", () => {
    checkNormal(0, 1, 100000);
    checkNormal(0.5, 2, 100001);
    checkNormal(-3, 0.01, 100000);
  });
  it("n = 0 writes nothing, n = 1 writes one finite value", () => {
    const g = newGen(), out = allocF32(2);
    rngSeed(g, 1, 1);
    rngNormal(g, 0, 0, 1, out);
    expectAllBits(out, 2, GUARD, "n = 0");
    rngNormal(g, 1, 0, 1, out);
    expect<bool>(isFinite(getF(out, 0))).toBe(true, "n = 1 finite");
    expectAllBits(out + 4, 1, GUARD, "n = 1");
    free(g); free(out);
  });
});

function isPermutation(p: usize, n: i32): bool {
  const seen = new Uint8Array(max(n, 1));
  for (let i = 0; i < n; i++) {
    const v = load<u32>(p + (<usize>i << 2));
    if (v >= <u32>n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

describe("rngPermutation", () => {
  it("every index exactly once for n = 1, 2, 3, 7, 10, 1000, 65537", () => {
    const ns: i32[] = [1, 2, 3, 7, 10, 1000, 65537];
    const g = newGen();
    rngSeed(g, 3, 2);
    for (let a = 0; a < ns.length; a++) {
      const n = ns[a];
      const out = allocBytes(n << 2);
      rngPermutation(g, n, out);
      expect<bool>(isPermutation(out, n)).toBe(true, "n = " + n.toString());
      expectAllBits(out + (<usize>n << 2), 1, GUARD, "past n");
      free(out);
    }
    free(g);
  });
  it("n = 0 writes nothing and does not advance the generator; n = 1 gives [0]", () => {
    const g = newGen(), g2 = newGen(), out = allocBytes(8);
    rngSeed(g, 9, 9); rngSeed(g2, 9, 9);
    rngPermutation(g, 0, out);
    expectAllBits(out, 2, GUARD, "n = 0");
    expect<u32>(rngNextU32(g)).toBe(rngNextU32(g2), "n = 0 consumed no draws");
    rngPermutation(g, 1, out);
    expect<u32>(load<u32>(out)).toBe(0, "n = 1");
    expectAllBits(out + 4, 1, GUARD, "n = 1");
    free(g); free(g2); free(out);
  });
  it("all 24 orders of 4 elements are equally likely (24000 draws, 5 SE per order)", () => {
    const draws = 24000;
    const g = newGen(), out = allocBytes(16);
    rngSeed(g, 12345, 6);
    const counts = new Int32Array(256);
    for (let t = 0; t < draws; t++) {
      rngPermutation(g, 4, out);
      const code = (load<u32>(out) << 6) | (load<u32>(out, 4) << 4) | (load<u32>(out, 8) << 2) | load<u32>(out, 12);
      counts[code]++;
    }
    let orders = 0;
    const expected = <f64>draws / 24, se = Math.sqrt(<f64>draws * (1.0 / 24) * (23.0 / 24));
    for (let c = 0; c < 256; c++) {
      if (counts[c] == 0) continue;
      orders++;
      within(<f64>counts[c], expected, se, "order code " + c.toString());
    }
    expect<i32>(orders).toBe(24, "distinct orders seen");
    free(g); free(out);
  });
  it("different seeds give different permutations; the same seed the same one", () => {
    const n = 50;
    const g = newGen(), a = allocBytes(n << 2), b = allocBytes(n << 2), c = allocBytes(n << 2);
    rngSeed(g, 1, 2); rngPermutation(g, n, a);
    rngSeed(g, 1, 2); rngPermutation(g, n, b);
    rngSeed(g, 2, 2); rngPermutation(g, n, c);
    let sameAB = true, sameAC = true;
    for (let i = 0; i < n; i++) {
      if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) sameAB = false;
      if (load<u32>(a + (<usize>i << 2)) != load<u32>(c + (<usize>i << 2))) sameAC = false;
    }
    expect<bool>(sameAB).toBe(true, "same seed");
    expect<bool>(sameAC).toBe(false, "different seed");
    free(g); free(a); free(b); free(c);
  });
});
