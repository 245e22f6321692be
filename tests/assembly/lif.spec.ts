// lifStep, lifRate, softLifRate and their derivatives against the mathematics of SCIENCE.md §2.
//
// Oracles (all float64, written here, independent of the kernel's code paths):
// - one step: v = j + (v0 − j)·exp(−Δt/τ), Δt = clamp(dt − refractory, 0, dt).
// - simulation: nengo's criteria for a constant-current neuron started at v = 0 — the simulated rate
//   equals r(j) = 1/(t_ref − τ·log(1 − 1/j)) (eq. 33, in the thesis's own form, not the kernel's
//   log1p form) within 1 Hz + 2 %, and the cumulative spike count stays within 1 of t·r(j) at every
//   step. (Exactly: with interpolated crossings the k-th spike happens at k/r − t_ref, so the count
//   at t is ⌊r(t + t_ref)⌋, within (r·t_ref − 1, r·t_ref] of t·r; every case here has r·t_ref < 0.7.)
// - soft-LIF: the plain formula with ρ = γ·log1p(exp(x/γ)) where exp does not underflow, and far
//   below threshold its asymptote 1/(t_ref + τ(|x|/γ − ln γ)) (the dropped terms are < e^-30
//   relative). Derivatives: float64 central differences of those formulas.
//
// Tolerances (u = 2^-24):
// - one step: the polynomial expm1 is within a few ulp (≤ 4u·|e|), −Δt/τ rounds once (its error
//   moves e by ≤ u·|x·e^x| ≤ 0.37u), then one product and one difference round: |error| ≤
//   8u·(|v0| + |j − v0|), a factor ~2 of headroom. Refractory: one subtraction, ≤ u·(r + dt).
// - rates: float64 evaluation (relative error ~1e-15; the eq. 33 form loses ≤ 1e-10 to cancellation
//   in 1 − 1/j for j ≤ 1e6) then one rounding to float32 (≤ u): we allow 2u·|r| + 2^-126.
// - derivatives: central differences with h = 1e-4·(scale of x) have truncation error
//   ~(h/scale)²·O(1) ≈ 1e-8 relative and cancellation error ~1e-16·r/(h·r') ≤ 1e-6 relative over
//   these grids; with the float32 rounding (u) we allow 1e-5 relative (+ 2^-126).

import { lifStep, lifRate, lifRateDerivative, softLifRate, softLifRateDerivative } from "../../assembly/lif";
import {
  U, MIN_NORMAL, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getD, getF, getBits, setF,
  seedData, dataF32, fillValue,
} from "./helpers";

// Thesis defaults and Hunsberger's MNIST setting.
const TAU_THESIS: f32 = 0.02, TREF_THESIS: f32 = 0.004;
const TAU_MNIST: f32 = 0.022, TREF_MNIST: f32 = 0.002;

/** LIF rate, eq. 33 as the thesis writes it. */
function refLif(j: f64, tau: f64, tRef: f64): f64 {
  return j > 1 ? 1 / (tRef - tau * Math.log(1 - 1 / j)) : 0;
}

/** Soft-LIF rate, the plain corrected formula; NaN where exp(x/γ) leaves float64 (not used there). */
function refSoft(j: f64, tau: f64, tRef: f64, g: f64): f64 {
  const y = (j - 1) / g;
  if (y < -700) return NaN;
  const rho = y > 700 ? j - 1 : g * Math.log1p(Math.exp(y));
  return 1 / (tRef + tau * Math.log1p(1 / rho));
}

/** Far below threshold: ρ = γ·e^{x/γ}(1 + O(e^{x/γ})), so log1p(1/ρ) = |x|/γ − ln γ + O(e^{x/γ}). */
function softAsymptote(j: f64, tau: f64, tRef: f64, g: f64): f64 {
  return 1 / (tRef + tau * ((1 - j) / g - Math.log(g)));
}

function rateTol(r: f64): f64 {
  return 2 * U * Math.abs(r) + MIN_NORMAL;
}

// ---- lifStep: one step ---------------------------------------------------------------------------

function checkOneStep(n: i32, dt: f32, tau: f32): void {
  const name = "lifStep one step n=" + n.toString() + " dt=" + dt.toString() + " tau=" + tau.toString();
  seedData(<u64>(n * 7919) + <u64>(dt * 1e6));
  const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
  const v0 = new Array<f64>(n), r0 = new Array<f64>(n);
  const refr: f32[] = [0, dt / 3, dt, 2 * dt, dt * 0.999, 0.25 * dt];
  for (let i = 0; i < n; i++) {
    // j ≤ 1 and v0 < 1: the voltage stays below threshold, no spike can happen.
    setF(J, i, i % 5 == 4 ? <f32>-3 : dataF32(0, 1));
    setF(V, i, dataF32(0, 0.99));
    setF(R, i, refr[i % refr.length]);
    v0[i] = getD(V, i); r0[i] = getD(R, i);
  }
  const count = lifStep(n, dt, tau, 0.004, J, V, R, S, 0.05);
  expect<i32>(count).toBe(0, name + ": spike count");
  for (let i = 0; i < n; i++) {
    const j = getD(J, i);
    const delta = Math.min(Math.max(<f64>dt - r0[i], 0), <f64>dt);
    let v = j + (v0[i] - j) * Math.exp(-delta / <f64>tau);
    if (v < 0) v = 0; // the documented floor at 0 (negative current)
    if (!expectClose(getD(V, i), v, 8 * U * (Math.abs(v0[i]) + Math.abs(j - v0[i])) + MIN_NORMAL, name + " voltage", i)) return;
    expect<bool>(getF(V, i) >= 0).toBe(true, name + ": negative voltage");
    const rNew = Math.max(r0[i] - <f64>dt, 0);
    if (!expectClose(getD(R, i), rNew, U * (r0[i] + <f64>dt), name + " refractory", i)) return;
    expect<u32>(getBits(S, i)).toBe(0, name + ": spike output not +0");
  }
  expectGuard(V, n << 2, name + " V"); expectGuard(R, n << 2, name + " R"); expectGuard(S, n << 2, name + " S");
  expectGuard(J, n << 2, name + " J");
  free(J); free(V); free(R); free(S);
}

describe("lifStep: one step is the exact exponential", () => {
  it("matches j + (v0 − j)·e^{−Δt/τ} over dt/τ from 0.005 to 100, with partial refractory steps", () => {
    const dts: f32[] = [1e-4, 1e-3, 2e-3, 0.01, 0.05, 0.2, 2.0];
    const sizes: i32[] = [1, 3, 4, 5, 13, 67];
    for (let a = 0; a < dts.length; a++) {
      for (let b = 0; b < sizes.length; b++) checkOneStep(sizes[b], dts[a], 0.02);
    }
  });

  it("n = 0 returns 0 and touches nothing", () => {
    const J = allocF32(4), V = allocF32(4), R = allocF32(4), S = allocF32(4);
    expect<i32>(lifStep(0, 0.001, 0.02, 0.004, J, V, R, S, 1)).toBe(0);
    expectAllBits(V, 4, GUARD, "V"); expectAllBits(R, 4, GUARD, "R"); expectAllBits(S, 4, GUARD, "S");
    free(J); free(V); free(R); free(S);
  });

  it("a neuron above threshold fires once: output amplitude/dt, reset to 0, refractory from the crossing", () => {
    // 5 neurons (SIMD body + tail), from v0 = 0.9 with j = 3 over dt = 1 ms at τ = 0.02:
    // v1 = 3 − 2.1·e^{−0.05} = 1.00243…, so the crossing is s = −τ·ln((3 − v1)/2) before the step ends
    // and t_ref − s of the refractory period remains.
    const n = 5;
    const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
    fillValue(J, n, 3); fillValue(V, n, 0.9); fillValue(R, n, 0);
    setF(J, 2, 0.5); // this one does not fire
    const count = lifStep(n, 0.001, 0.02, 0.004, J, V, R, S, 0.063);
    expect<i32>(count).toBe(4);
    const v1 = 3 - 2.1 * Math.exp(-0.05);
    const s = -0.02 * Math.log((3 - v1) / 2);
    expect<bool>(s > 0 && s < 0.001).toBe(true, "oracle: crossing inside the step");
    for (let i = 0; i < n; i++) {
      if (i == 2) {
        expect<u32>(getBits(S, i)).toBe(0);
        expectClose(getD(V, i), 0.5 + 0.4 * Math.exp(-0.05), 8 * U, "non-firing voltage", i);
        continue;
      }
      expect<f32>(getF(S, i)).toBe(<f32>0.063 / <f32>0.001, "spike value");
      expect<f32>(getF(V, i)).toBe(0, "reset");
      // s is ill-conditioned in v1 (ds/dv1 = τ/(j − v1) ≈ 0.01): a few-ulp error in v1 moves it by
      // ≤ 0.01·8u·3; log1p and the products add ~4u·s. Allow 1e-8 s.
      expectClose(getD(R, i), 0.004 - s, 1e-8, "refractory from crossing", i);
    }
    free(J); free(V); free(R); free(S);
  });
});

// ---- lifStep: simulation against the rate -------------------------------------------------------

// 15 neurons: 12 currents from 1.05 to 10 and three at or below threshold, mixed into the SIMD
// lanes and the 3-neuron tail.
const CURRENTS: f32[] = [1.05, 1.1, 1.25, 1.0, 1.5, 2.0, 2.5, 3.0, 0.5, 4.0, 5.0, 6.5, 8.0, 10.0, -2.0];

function simulate(tau: f32, tRef: f32, dt: f32, seconds: f64): void {
  const name = "lifStep tau=" + tau.toString() + " tRef=" + tRef.toString() + " dt=" + dt.toString();
  const n = CURRENTS.length;
  const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
  const rate = new Array<f64>(n), count = new Array<i32>(n);
  for (let i = 0; i < n; i++) {
    setF(J, i, CURRENTS[i]);
    rate[i] = refLif(getD(J, i), <f64>tau, <f64>tRef);
    count[i] = 0;
    if (rate[i] * <f64>tRef >= 0.7) expect<bool>(false).toBe(true, "oracle: r·t_ref must stay < 0.7");
  }
  fillValue(V, n, 0); fillValue(R, n, 0);
  const amplitude: f32 = 0.05;
  const spikeValue = amplitude / dt;
  const steps = <i32>Math.round(seconds / <f64>dt);
  for (let k = 1; k <= steps; k++) {
    const fired = lifStep(n, dt, tau, tRef, J, V, R, S, amplitude);
    let seen = 0;
    const t = <f64>k * <f64>dt;
    for (let i = 0; i < n; i++) {
      const s = getF(S, i);
      if (s != 0) {
        if (s != spikeValue) { expect<f32>(s).toBe(spikeValue, name + ": spike value at " + i.toString()); return; }
        seen++;
        count[i]++;
      }
      if (getF(V, i) < 0 || getF(V, i) > 1) { expect<f32>(getF(V, i)).toBe(0, name + ": voltage outside [0, 1] at " + i.toString()); return; }
      if (Math.abs(<f64>count[i] - t * rate[i]) > 1) {
        expect<f64>(<f64>count[i]).toBe(t * rate[i], name + ": cumulative count off by more than 1, neuron " +
          i.toString() + " (j=" + CURRENTS[i].toString() + ") at step " + k.toString());
        return;
      }
    }
    if (fired != seen) { expect<i32>(fired).toBe(seen, name + ": returned count at step " + k.toString()); return; }
  }
  const T = <f64>steps * <f64>dt;
  for (let i = 0; i < n; i++) {
    const simulated = <f64>count[i] / T;
    if (CURRENTS[i] <= 1) expect<i32>(count[i]).toBe(0, name + ": j ≤ 1 fired, neuron " + i.toString());
    expectClose(simulated, rate[i], 1 + 0.02 * rate[i], name + " rate (Hz)", i);
  }
  free(J); free(V); free(R); free(S);
}

describe("lifStep: nengo's rate criteria (1 Hz + 2 %, cumulative count within 1)", () => {
  it("thesis τ_RC 0.02, t_ref 0.004 at dt 1 ms", () => { simulate(TAU_THESIS, TREF_THESIS, 0.001, 1.5); });
  it("thesis τ_RC 0.02, t_ref 0.004 at dt 0.1 ms", () => { simulate(TAU_THESIS, TREF_THESIS, 0.0001, 1.5); });
  it("thesis τ_RC 0.02, t_ref 0.004 at dt 2 ms", () => { simulate(TAU_THESIS, TREF_THESIS, 0.002, 1.5); });
  it("MNIST τ_RC 0.022, t_ref 0.002 at dt 1 ms", () => { simulate(TAU_MNIST, TREF_MNIST, 0.001, 1.5); });
  it("MNIST τ_RC 0.022, t_ref 0.002 at dt 0.1 ms", () => { simulate(TAU_MNIST, TREF_MNIST, 0.0001, 1.5); });
});

describe("lifStep: determinism across lanes", () => {
  it("a neuron's trajectory has the same bits in a SIMD lane and in the scalar tail", () => {
    // n = 13: lanes 0..11 run in the SIMD body, 12 in the tail. Neurons 1, 6 and 12 share a current
    // (as do 3 and 11); they must agree bit for bit at every step, spikes included.
    const n = 13;
    const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
    seedData(99);
    for (let i = 0; i < n; i++) setF(J, i, dataF32(0.5, 12));
    setF(J, 6, getF(J, 1)); setF(J, 12, getF(J, 1)); setF(J, 11, getF(J, 3));
    fillValue(V, n, 0); fillValue(R, n, 0);
    for (let k = 0; k < 3000; k++) {
      lifStep(n, 0.001, 0.02, 0.004, J, V, R, S, 1);
      const pairs: i32[] = [1, 6, 1, 12, 3, 11];
      for (let p = 0; p < pairs.length; p += 2) {
        const a = pairs[p], b = pairs[p + 1];
        if (getBits(V, a) != getBits(V, b) || getBits(R, a) != getBits(R, b) || getBits(S, a) != getBits(S, b)) {
          expect<u32>(getBits(V, b)).toBe(getBits(V, a), "lanes " + a.toString() + "/" + b.toString() + " differ at step " + k.toString());
          return;
        }
      }
    }
    free(J); free(V); free(R); free(S);
  });
});

// ---- rates ---------------------------------------------------------------------------------------

const SPOT_J: f32[] = [-100, -1, 0, 0.5, 1, 1.0000001, 1.001, 1.05, 1.5, 2, 3, 5, 10, 20, 100, 1e3, 1e6];

describe("lifRate", () => {
  it("equals eq. 33 at spot values, 0 at and below threshold (13 and 17 elements, guard intact)", () => {
    const sizes: i32[] = [13, 17];
    for (let q = 0; q < sizes.length; q++) {
      const n = sizes[q];
      const J = allocF32(n), O = allocF32(n);
      for (let i = 0; i < n; i++) setF(J, i, SPOT_J[i]);
      const cases: f32[] = [TAU_THESIS, TREF_THESIS, TAU_MNIST, TREF_MNIST];
      for (let c = 0; c < 4; c += 2) {
        lifRate(n, cases[c], cases[c + 1], J, O);
        for (let i = 0; i < n; i++) {
          const r = refLif(getD(J, i), <f64>cases[c], <f64>cases[c + 1]);
          if (getD(J, i) <= 1) expect<u32>(getBits(O, i)).toBe(0, "j ≤ 1 gives +0");
          else expectClose(getD(O, i), r, rateTol(r), "lifRate", i);
        }
      }
      expectGuard(O, n << 2, "lifRate");
      free(J); free(O);
    }
  });

  it("j = 2 at the thesis defaults is 1/(0.004 + 0.02·ln 2) ≈ 55.98 Hz", () => {
    const J = allocF32(1), O = allocF32(1);
    setF(J, 0, 2);
    lifRate(1, 0.02, 0.004, J, O);
    const r = 1 / (0.004 + 0.02 * Math.LN2);
    expect<bool>(r > 55.98 && r < 55.99).toBe(true, "oracle");
    expectClose(getD(O, 0), r, rateTol(r), "lifRate(2)");
    free(J); free(O);
  });
});

describe("softLifRate", () => {
  it("equals the corrected formula where it is plainly computable (γ_s = 1, 0.02, 1e-3)", () => {
    const gammas: f32[] = [1, 0.02, 1e-3];
    const n = 67;
    const J = allocF32(n), O = allocF32(n);
    for (let g = 0; g < gammas.length; g++) {
      const gamma = <f64>gammas[g];
      for (let i = 0; i < n; i++) setF(J, i, <f32>(1 + gamma * (-60 + 120 * <f64>i / <f64>(n - 1)) + (i % 7 == 0 ? 0.3 : 0)));
      softLifRate(n, TAU_THESIS, TREF_THESIS, gammas[g], J, O);
      for (let i = 0; i < n; i++) {
        const r = refSoft(getD(J, i), <f64>TAU_THESIS, <f64>TREF_THESIS, gamma);
        if (!expectClose(getD(O, i), r, rateTol(r), "softLifRate γ=" + gamma.toString(), i)) return;
      }
      expectGuard(O, n << 2, "softLifRate");
    }
    free(J); free(O);
  });

  it("is positive and finite everywhere, and follows its asymptote far below threshold", () => {
    const js: f32[] = [-3.0e38, -1e6, -100, -1, 0, 0.99, 1, 1.0000001, 1.001, 2, 1e6, 3.0e38];
    const gammas: f32[] = [1, 0.02, 1e-3];
    const n = js.length;
    const J = allocF32(n), O = allocF32(n), D = allocF32(n);
    for (let i = 0; i < n; i++) setF(J, i, js[i]);
    for (let g = 0; g < gammas.length; g++) {
      const gamma = <f64>gammas[g];
      softLifRate(n, TAU_THESIS, TREF_THESIS, gammas[g], J, O);
      softLifRateDerivative(n, TAU_THESIS, TREF_THESIS, gammas[g], J, D);
      for (let i = 0; i < n; i++) {
        const what = "γ=" + gamma.toString() + " j=" + js[i].toString();
        expect<bool>(isFinite(getF(O, i)) && getF(O, i) >= 0).toBe(true, what + ": rate not finite / negative");
        expect<bool>(isFinite(getF(D, i)) && getF(D, i) >= 0).toBe(true, what + ": derivative not finite / negative");
        // Positive wherever the true value is above float32's smallest subnormal (all but ±3e38-ish).
        if (Math.abs(getD(J, i)) <= 1e6) expect<bool>(getF(O, i) > 0).toBe(true, what + ": rate not positive");
        const y = (getD(J, i) - 1) / gamma;
        if (y < -40) {
          const r = softAsymptote(getD(J, i), <f64>TAU_THESIS, <f64>TREF_THESIS, gamma);
          expectClose(getD(O, i), r, rateTol(r) + 2e-45, what + " asymptote");
          // dr/dj = τ·r²·σ(y)/(ρ(1 + ρ)) → τ·r²/γ as y → −∞.
          const d = <f64>TAU_THESIS * r * r / gamma;
          expectClose(getD(D, i), d, 4 * U * d + 2e-45, what + " derivative asymptote");
        }
      }
    }
    free(J); free(O); free(D);
  });

  it("tends to the LIF rate as γ_s → 0", () => {
    // Grid j ∈ [−2, 10] in steps of 0.01 (j = 1 included): the largest gap is near threshold, where
    // soft-LIF at j = 1 is 1/(t_ref + τ·log1p(1/(γ ln 2))) > 0 = r(1); it must shrink with γ_s.
    const n = 1201;
    const J = allocF32(n), S = allocF32(n), L = allocF32(n);
    for (let i = 0; i < n; i++) setF(J, i, <f32>(-2 + 0.01 * <f64>i));
    setF(J, 300, 1);
    lifRate(n, TAU_THESIS, TREF_THESIS, J, L);
    const gammas: f32[] = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001];
    let previous: f64 = Infinity;
    for (let g = 0; g < gammas.length; g++) {
      softLifRate(n, TAU_THESIS, TREF_THESIS, gammas[g], J, S);
      let worst: f64 = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(getD(S, i) - getD(L, i)));
      expect<bool>(worst < previous).toBe(true, "max |softLif − lif| did not shrink at γ=" + gammas[g].toString());
      previous = worst;
    }
    // γ_s = 1e-3 away from threshold, |j − 1| ≥ 0.05 (τ 0.02, t_ref 0.004):
    // above, ρ − x ≤ γ·e^{−x/γ} ≤ 2e-25, so the rates agree to float32 rounding (4u·r, both rounded);
    // below, 0 < softLif ≤ 1/(t_ref + τ(|x|/γ − ln γ)) ≤ 1/(0.004 + 0.02·(50 + 6.9)) = 0.874 Hz.
    softLifRate(n, TAU_THESIS, TREF_THESIS, 1e-3, J, S);
    for (let i = 0; i < n; i++) {
      const x = getD(J, i) - 1;
      if (x >= 0.05) expectClose(getD(S, i), getD(L, i), 4 * U * getD(L, i), "γ=1e-3 above threshold", i);
      else if (x <= -0.05) {
        const bound = 1 / (0.004 + 0.02 * (-x / 1e-3 - Math.log(1e-3)));
        expect<bool>(getD(S, i) > 0 && getD(S, i) <= bound * (1 + 4 * U) && getD(S, i) < 1).toBe(true,
          "γ=1e-3 below threshold at j=" + getD(J, i).toString());
      }
    }
    free(J); free(S); free(L);
  });
});

// ---- derivatives ---------------------------------------------------------------------------------

function fdLif(j: f64, h: f64, tau: f64, tRef: f64): f64 {
  return (refLif(j + h, tau, tRef) - refLif(j - h, tau, tRef)) / (2 * h);
}

function fdSoft(j: f64, h: f64, tau: f64, tRef: f64, g: f64): f64 {
  return (refSoft(j + h, tau, tRef, g) - refSoft(j - h, tau, tRef, g)) / (2 * h);
}

describe("rate derivatives against float64 central differences", () => {
  it("lifRateDerivative for j − 1 from 1.2e-7 to 1e6, and 0 at and below threshold", () => {
    const n = 41;
    const J = allocF32(n), D = allocF32(n);
    for (let i = 0; i < n; i++) setF(J, i, <f32>(1 + Math.pow(10, -7 + 13 * <f64>i / <f64>(n - 1))));
    setF(J, 0, 1.0000001); setF(J, 5, 1); setF(J, 17, -3); setF(J, 29, 0.999);
    const cases: f32[] = [TAU_THESIS, TREF_THESIS, TAU_MNIST, TREF_MNIST];
    for (let c = 0; c < 4; c += 2) {
      lifRateDerivative(n, cases[c], cases[c + 1], J, D);
      for (let i = 0; i < n; i++) {
        const j = getD(J, i), x = j - 1;
        if (x <= 0) { expect<u32>(getBits(D, i)).toBe(0, "j ≤ 1 gives +0"); continue; }
        const fd = fdLif(j, 1e-4 * x, <f64>cases[c], <f64>cases[c + 1]);
        if (!expectClose(getD(D, i), fd, 1e-5 * Math.abs(fd) + MIN_NORMAL, "lifRateDerivative", i)) return;
      }
      expectGuard(D, n << 2, "lifRateDerivative");
    }
    free(J); free(D);
  });

  it("softLifRateDerivative across threshold and far from it (γ_s = 1, 0.02, 1e-3)", () => {
    const gammas: f32[] = [1, 0.02, 1e-3];
    const n = 61;
    const J = allocF32(n), D = allocF32(n);
    for (let g = 0; g < gammas.length; g++) {
      const gamma = <f64>gammas[g];
      // x/γ from −600 to 600 (cubic spacing, dense near threshold), plus large currents.
      for (let i = 0; i < n; i++) {
        const t = -1 + 2 * <f64>i / <f64>(n - 1);
        setF(J, i, <f32>(1 + gamma * 600 * t * t * t));
      }
      setF(J, 30, 1); setF(J, 59, 1e3); setF(J, 60, 1e6);
      softLifRateDerivative(n, TAU_THESIS, TREF_THESIS, gammas[g], J, D);
      for (let i = 0; i < n; i++) {
        const j = getD(J, i);
        const h = 1e-4 * Math.max(Math.abs(j - 1), gamma);
        const fd = fdSoft(j, h, <f64>TAU_THESIS, <f64>TREF_THESIS, gamma);
        if (!expectClose(getD(D, i), fd, 1e-5 * Math.abs(fd) + MIN_NORMAL, "softLifRateDerivative γ=" + gamma.toString(), i)) return;
      }
      expectGuard(D, n << 2, "softLifRateDerivative");
    }
    free(J); free(D);
  });

  it("lifRateDerivative is finite and non-negative at extreme currents", () => {
    const js: f32[] = [-3.0e38, -1, 1, 1.0000001, 1e6, 3.0e38];
    const n = js.length;
    const J = allocF32(n), D = allocF32(n), O = allocF32(n);
    for (let i = 0; i < n; i++) setF(J, i, js[i]);
    lifRateDerivative(n, TAU_THESIS, TREF_THESIS, J, D);
    lifRate(n, TAU_THESIS, TREF_THESIS, J, O);
    for (let i = 0; i < n; i++) {
      expect<bool>(isFinite(getF(D, i)) && getF(D, i) >= 0).toBe(true, "derivative at j=" + js[i].toString());
      expect<bool>(isFinite(getF(O, i)) && getF(O, i) >= 0).toBe(true, "rate at j=" + js[i].toString());
    }
    // At j = 3e38 the rate saturates at 1/t_ref = 250 Hz.
    expectClose(getD(O, 5), 250, rateTol(250), "saturation");
    free(J); free(D); free(O);
  });
});
