// poissonSpikesRows (assembly/encode.ts) for one row (B = 1) against independent oracles; several
// rows are snn.spec.ts's.
//
// Poisson rate coding (SCIENCE.md §2, thesis eq. 35): input i fires in a step with probability
// p = x·dt/period. Oracles:
//   - exact spike trains from an independent PCG32 (pcg-c-basic, as in rng.spec.ts) with the
//     rng.ts uniform (next >> 8)·2^-24 and p computed in float64; draws within 1e-6 of p (where
//     float32 rounding of p could decide) are skipped and must be rare;
//   - statistics, every check within 5 standard errors (two-sided normal tail 5.7·10^-7; the
//     draws are deterministic, so a pass is reproducible):
//       frequency per step over N Bernoulli(p) trials: SE sqrt(p(1 − p)/N);
//       counts in windows of W steps are Binomial(W, p) with variance σ² = Wp(1 − p) and central
//       fourth moment μ4 = Wp(1 − p)(1 + 3(W − 2)p(1 − p)); the unbiased sample variance of M
//       windows has Var s² = μ4/M − σ⁴(M − 3)/(M(M − 1)) (exact for i.i.d. windows);
//       the correlation of two inputs' window counts is 0 with SE 1/sqrt(M).

import { poissonSpikesRows } from "../../assembly/encode";
import { rngSeed } from "../../assembly/rng";
import {
  U, GUARD, Pcg32Ref, allocBytes, allocF32, expectAllBits, expectClose, expectGuard, free, getF, setF, seedData,
  fillData,
} from "./helpers";

const LEVELS: f32[] = [0, 0.1, 0.5, 1];

function newGen(seed: u32, stream: u32): usize {
  const g = allocBytes(16);
  rngSeed(g, seed, stream);
  return g;
}

describe("poissonSpikesRows, B = 1: exact draws", () => {
  it("matches an independent PCG32 draw by draw (one uniform per input that can fire, per step, index order), n = 0, 1, 3, 5, 7, 13", () => {
    const sizes: i32[] = [0, 1, 3, 5, 7, 13];
    const dt: f32 = 0.001;
    const period: f32 = 0.004;
    const amplitude: f32 = 0.05;
    const value = amplitude / dt;
    const ref = new Pcg32Ref();
    let skipped = 0;
    let total = 0;
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const x = allocF32(n);
      const out = allocF32(n);
      seedData(<u64>(100 + n));
      fillData(x, n, 0, 1);
      if (n > 3) setF(x, 0, 0);
      if (n > 3) setF(x, 3, 1);
      const g = newGen(7, <u32>n);
      let badValue = 0;
      let badDraw = 0;
      let badCount = 0;
      let badState = 0;
      ref.seed(7, <u64>n);
      for (let step = 0; step < 500; step++) {
        const count = poissonSpikesRows(g, 1, n, x, dt, period, amplitude, out);
        let expectedCount = 0;
        for (let i = 0; i < n; i++) {
          const o = getF(out, i);
          if (!(o == 0 || o == value)) badValue++;
          if (o != 0) expectedCount++;
          // An input at 0 cannot fire and draws nothing.
          if (!(getF(x, i) > 0)) {
            if (o != 0) badDraw++;
            continue;
          }
          const u = <f64>(ref.next() >> 8) * (1.0 / 16777216.0);
          const p = <f64>getF(x, i) * <f64>dt / <f64>period;
          total++;
          if (Math.abs(u - p) <= 1e-6) {
            skipped++;
            continue;
          }
          if ((o != 0) != (u < p)) badDraw++;
        }
        if (count != expectedCount) badCount++;
        // The generator advanced one output per input above 0.
        if (load<u64>(g) != ref.state) badState++;
      }
      expect<i32>(badValue).toBe(0, "n " + n.toString() + ": outputs other than 0 and amplitude/dt");
      expect<i32>(badDraw).toBe(0, "n " + n.toString() + ": spikes disagreeing with the reference draw u < p");
      expect<i32>(badCount).toBe(0, "n " + n.toString() + ": returned count ≠ number of nonzero outputs");
      expect<i32>(badState).toBe(0, "n " + n.toString() + ": generator state ≠ reference after a draw per input above 0, per step");
      expectGuard(out, n << 2, "out");
      free(x);
      free(out);
      free(g);
    }
    // Each draw lands in the 2e-6-wide ambiguous band with probability ≤ 2e-6 + 2^-24 per draw.
    expect<bool>(skipped <= 5).toBe(true, "ambiguous draws skipped: " + skipped.toString() + " of " + total.toString());
  });

  it("is deterministic: the same seed gives identical spike trains, a different seed or stream differs", () => {
    const n = 13;
    const steps = 300;
    const x = allocF32(n);
    for (let i = 0; i < n; i++) setF(x, i, LEVELS[i % 4]);
    const outA = allocF32(n);
    const outB = allocF32(n);
    const outC = allocF32(n);
    const outD = allocF32(n);
    const gA = newGen(2024, 3);
    const gB = newGen(2024, 3);
    const gC = newGen(2025, 3);
    const gD = newGen(2024, 4);
    let mismatch = 0;
    let differC = 0;
    let differD = 0;
    for (let step = 0; step < steps; step++) {
      const cA = poissonSpikesRows(gA, 1, n, x, 0.001, 0.004, 1, outA);
      const cB = poissonSpikesRows(gB, 1, n, x, 0.001, 0.004, 1, outB);
      poissonSpikesRows(gC, 1, n, x, 0.001, 0.004, 1, outC);
      poissonSpikesRows(gD, 1, n, x, 0.001, 0.004, 1, outD);
      if (cB != cA) mismatch++;
      for (let i = 0; i < n; i++) {
        if (load<u32>(outB + (<usize>i << 2)) != load<u32>(outA + (<usize>i << 2))) mismatch++;
        if (getF(outC, i) != getF(outA, i)) differC++;
        if (getF(outD, i) != getF(outA, i)) differD++;
      }
    }
    expect<i32>(mismatch).toBe(0, "same seed: counts or outputs differ");
    // Independent trains differ at a position with probability 2p(1 − p): expected
    // 300·3·(2·0.025·0.975 + 2·0.125·0.875 + 2·0.25·0.75) ≈ 578 positions; far from 0.
    expect<bool>(differC > 100).toBe(true, "different seed differs at " + differC.toString() + " positions");
    expect<bool>(differD > 100).toBe(true, "different stream differs at " + differD.toString() + " positions");
    free(x); free(outA); free(outB); free(outC); free(outD);
    free(gA); free(gB); free(gC); free(gD);
  });
});

describe("poissonSpikesRows, B = 1: edge cases", () => {
  it("x = 0 never fires; x = 1 with dt = period fires every step; n = 7", () => {
    const n = 7;
    const x0 = allocF32(n);
    const x1 = allocF32(n);
    const out = allocF32(n);
    for (let i = 0; i < n; i++) {
      setF(x0, i, 0);
      setF(x1, i, 1);
    }
    const g = newGen(1, 1);
    let bad0 = 0;
    for (let step = 0; step < 20000; step++) {
      if (poissonSpikesRows(g, 1, n, x0, 0.001, 0.004, 0.05, out) != 0) bad0++;
      for (let i = 0; i < n; i++) if (getF(out, i) != 0) bad0++;
    }
    expect<i32>(bad0).toBe(0, "x = 0: nonzero counts or outputs in 20 000 steps");
    let bad1 = 0;
    const value: f32 = <f32>0.05 / <f32>0.004;
    for (let step = 0; step < 20000; step++) {
      if (poissonSpikesRows(g, 1, n, x1, 0.004, 0.004, 0.05, out) != n) bad1++;
      for (let i = 0; i < n; i++) if (getF(out, i) != value) bad1++;
    }
    expect<i32>(bad1).toBe(0, "x = 1, dt = period: missed spikes or outputs ≠ amplitude/dt in 20 000 steps");
    expectGuard(out, n << 2, "out");
    free(x0); free(x1); free(out); free(g);
  });

  it("clamps p to [0, 1]: x > 1 with x·dt ≥ period always fires, x < 0, −Inf and NaN never fire", () => {
    const n = 5;
    const x = allocF32(n);
    setF(x, 0, 2);
    setF(x, 1, Infinity);
    setF(x, 2, -1);
    setF(x, 3, -Infinity);
    setF(x, 4, NaN);
    const out = allocF32(n);
    const g = newGen(9, 0);
    const value: f32 = <f32>1 / <f32>0.002;
    let bad = 0;
    for (let step = 0; step < 5000; step++) {
      if (poissonSpikesRows(g, 1, n, x, 0.002, 0.004, 1, out) != 2) bad++;
      if (getF(out, 0) != value) bad++; // x = 2: p = 1
      if (getF(out, 1) != value) bad++; // x = +Inf: p = 1
      if (getF(out, 2) != 0) bad++; // x = −1
      if (getF(out, 3) != 0) bad++; // x = −Inf
      if (getF(out, 4) != 0) bad++; // x = NaN
    }
    expect<i32>(bad).toBe(0, "wrong counts or outputs in 5000 steps");
    free(x); free(out); free(g);
  });

  it("n = 0 writes nothing, draws nothing and returns 0", () => {
    const x = allocF32(4);
    const out = allocF32(4);
    const g = newGen(5, 5);
    const s0 = load<u64>(g);
    expect<i32>(poissonSpikesRows(g, 1, 0, x, 0.001, 0.004, 1, out)).toBe(0);
    expect<u64>(load<u64>(g)).toBe(s0, "generator unchanged");
    expectAllBits(out, 4, GUARD, "out");
    free(x); free(out); free(g);
  });
});

describe("poissonSpikesRows, B = 1: statistics", () => {
  it("x ∈ {0, 0.1, 0.5, 1}, dt 1 ms, period 4 ms, 20 000 steps × 13 inputs: mean, window-count variance, independence within 5 SE", () => {
    const n = 13; // inputs i carry LEVELS[i % 4]: level 0 has 4 inputs, the others 3
    const steps = 20000;
    const W = 100;
    const M = steps / W; // windows per input
    const dt: f32 = 0.001;
    const period: f32 = 0.004;
    const x = allocF32(n);
    for (let i = 0; i < n; i++) setF(x, i, LEVELS[i % 4]);
    const out = allocF32(n);
    // windowCounts[i·M + w]
    const windowCounts = new Array<i32>(n * M).fill(0);
    const g = newGen(12345, 67);
    for (let step = 0; step < steps; step++) {
      poissonSpikesRows(g, 1, n, x, dt, period, 1, out);
      const w = step / W;
      for (let i = 0; i < n; i++) {
        if (getF(out, i) != 0) windowCounts[i * M + w]++;
      }
    }
    for (let level = 0; level < 4; level++) {
      const p = <f64>LEVELS[level] * <f64>dt / <f64>period;
      const q = 1 - p;
      let total: f64 = 0;
      let trials: f64 = 0;
      let windows = 0;
      for (let i = level; i < n; i += 4) {
        for (let w = 0; w < M; w++) total += <f64>windowCounts[i * M + w];
        trials += <f64>steps;
        windows += M;
      }
      const what = "x = " + LEVELS[level].toString();
      if (p == 0) {
        expect<f64>(total).toBe(0, what + " never fires");
        continue;
      }
      // Mean frequency per step.
      const freq = total / trials;
      expectClose(freq, p, 5 * Math.sqrt(p * q / trials), what + ": spikes per step");
      // Variance of window counts about their sample mean.
      const mean = total / <f64>windows;
      let ss: f64 = 0;
      for (let i = level; i < n; i += 4) {
        for (let w = 0; w < M; w++) {
          const d = <f64>windowCounts[i * M + w] - mean;
          ss += d * d;
        }
      }
      const Mf = <f64>windows;
      const s2 = ss / (Mf - 1);
      const sigma2 = <f64>W * p * q;
      const mu4 = <f64>W * p * q * (1 + 3 * (<f64>W - 2) * p * q);
      const varS2 = mu4 / Mf - sigma2 * sigma2 * (Mf - 3) / (Mf * (Mf - 1));
      expectClose(s2, sigma2, 5 * Math.sqrt(varS2), what + ": variance of counts in " + W.toString() + "-step windows");
      // Two inputs with the same level are uncorrelated.
      const i0 = level;
      const i1 = level + 4;
      let m0: f64 = 0;
      let m1: f64 = 0;
      for (let w = 0; w < M; w++) {
        m0 += <f64>windowCounts[i0 * M + w];
        m1 += <f64>windowCounts[i1 * M + w];
      }
      m0 /= <f64>M;
      m1 /= <f64>M;
      let c01: f64 = 0;
      let v0: f64 = 0;
      let v1: f64 = 0;
      for (let w = 0; w < M; w++) {
        const d0 = <f64>windowCounts[i0 * M + w] - m0;
        const d1 = <f64>windowCounts[i1 * M + w] - m1;
        c01 += d0 * d1;
        v0 += d0 * d0;
        v1 += d1 * d1;
      }
      if (v0 > 0 && v1 > 0) {
        expectClose(c01 / Math.sqrt(v0 * v1), 0, 5 / Math.sqrt(<f64>M), what + ": correlation of inputs " + i0.toString() + " and " + i1.toString());
      }
    }
    free(x); free(out); free(g);
  });

  it("dt 0.1 ms: x = 0.5 fires with p = 0.0125 per step (rate x/period = 125 Hz), 40 000 steps × 5 inputs", () => {
    const n = 5;
    const steps = 40000;
    const dt: f32 = 0.0001;
    const period: f32 = 0.004;
    const x = allocF32(n);
    for (let i = 0; i < n; i++) setF(x, i, 0.5);
    const out = allocF32(n);
    const g = newGen(31337, 1);
    let total: f64 = 0;
    let area: f64 = 0;
    for (let step = 0; step < steps; step++) {
      total += <f64>poissonSpikesRows(g, 1, n, x, dt, period, 0.05, out);
      for (let i = 0; i < n; i++) area += <f64>getF(out, i) * <f64>dt;
    }
    const p = 0.5 * <f64>dt / <f64>period;
    const trials = <f64>(steps * n);
    expectClose(total / trials, p, 5 * Math.sqrt(p * (1 - p) / trials), "spikes per step");
    // Each spike carries area amplitude (amplitude/dt · dt, up to float32 rounding of amplitude/dt).
    expectClose(area, total * 0.05, total * 0.05 * 4 * U, "total impulse area = amplitude × spikes");
    free(x); free(out); free(g);
  });
});
