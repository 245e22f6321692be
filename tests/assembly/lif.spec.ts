// lifStep against the mathematics of SCIENCE.md §2, and the float32x4 log1p under it (elementary.ts).
//
// Oracles (all float64, written here, independent of the kernel's code paths):
// - one step: v = j + (v0 − j)·exp(−Δt/τ), Δt = clamp(dt − refractory, 0, dt).
// - simulation: nengo's criteria for a constant-current neuron started at v = 0 — the simulated rate
//   equals r(j) = 1/(t_ref − τ·log(1 − 1/j)) (eq. 33, in the thesis's own form, not the kernel's
//   log1p form) within 1 Hz + 2 %, and the cumulative spike count stays within 1 of t·r(j) at every
//   step. (Exactly: with interpolated crossings the k-th spike happens at k/r − t_ref, so the count
//   at t is ⌊r(t + t_ref)⌋, within (r·t_ref − 1, r·t_ref] of t·r; every case here has r·t_ref < 0.7.)
//
// Tolerances (u = 2^-24):
// - one step: the polynomial expm1 is within a few ulp (≤ 4u·|e|), −Δt/τ rounds once (its error
//   moves e by ≤ u·|x·e^x| ≤ 0.37u), then one product and one difference round: |error| ≤
//   8u·(|v0| + |j − v0|), a factor ~2 of headroom. Refractory: one subtraction, ≤ u·(r + dt).

import { log1pNear4, log1pNeg4 } from "../../assembly/elementary";
import { lifStep } from "../../assembly/lif";
import {
  U, MIN_NORMAL, SUBNORMAL_STEP, GUARD, allocF32, copyF32, expectAllBits, expectClose, expectGuard, expectSameBits,
  free, getD, getF, getBits, setF, seedData, dataF32, dataIndex, fillValue, lifRateRef,
} from "./helpers";

// Thesis defaults and Hunsberger's MNIST setting.
const TAU_THESIS: f32 = 0.02, TREF_THESIS: f32 = 0.004;
const TAU_MNIST: f32 = 0.022, TREF_MNIST: f32 = 0.002;

// ---- lifStep: one step ---------------------------------------------------------------------------

function checkOneStep(n: i32, dt: f32, tau: f32, floor: f32): void {
  const name = "lifStep one step n=" + n.toString() + " dt=" + dt.toString() + " tau=" + tau.toString() + " floor=" + floor.toString();
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
  const count = lifStep(n, dt, tau, 0.004, J, V, R, S, 0.05, floor);
  expect<i32>(count).toBe(0, name + ": spike count");
  for (let i = 0; i < n; i++) {
    const j = getD(J, i);
    const delta = Math.min(Math.max(<f64>dt - r0[i], 0), <f64>dt);
    let v = j + (v0[i] - j) * Math.exp(-delta / <f64>tau);
    if (v < <f64>floor) v = <f64>floor; // the documented floor (negative current): 0, or none at −Inf
    if (!expectClose(getD(V, i), v, 8 * U * (Math.abs(v0[i]) + Math.abs(j - v0[i])) + MIN_NORMAL, name + " voltage", i)) return;
    expect<bool>(getF(V, i) >= floor).toBe(true, name + ": voltage below the floor");
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
      for (let b = 0; b < sizes.length; b++) checkOneStep(sizes[b], dts[a], 0.02, 0);
    }
  });

  it("without a floor (−Inf, NIR's neurons) a negative current charges the membrane negative, exactly", () => {
    const dts: f32[] = [1e-3, 0.01, 0.2];
    const sizes: i32[] = [1, 5, 67];
    for (let a = 0; a < dts.length; a++) {
      for (let b = 0; b < sizes.length; b++) checkOneStep(sizes[b], dts[a], 0.02, -Infinity);
    }
  });

  it("t_ref = 0: a neuron fires at most once a step and integrates from 0 for the rest of it", () => {
    // j = 100 from v = 0 at τ = 0.02 crosses 1 after t* = τ·ln(100/99) ≈ 0.2 ms; with no refractory
    // period it integrates again from 0 for s = dt − t*: v = 100·(1 − e^{−s/τ}) ≈ 3.9, above
    // threshold, so the next step fires at its start (s = dt) and ends at 100·(1 − e^{−dt/τ}).
    const n = 5;
    const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
    fillValue(J, n, 100); fillValue(V, n, 0); fillValue(R, n, 0);
    setF(J, 1, 0.5);
    const s1 = 0.001 - 0.02 * Math.log(100 / 99);
    for (let k = 0; k < 3; k++) {
      expect<i32>(lifStep(n, 0.001, 0.02, 0, J, V, R, S, 1, -Infinity)).toBe(4, "one spike per firing neuron, step " + k.toString());
      const v = 100 * (1 - Math.exp(-(k == 0 ? s1 : 0.001) / 0.02));
      for (let i = 0; i < n; i++) {
        expect<f32>(getF(R, i)).toBe(0, "no refractory time");
        if (i == 1) continue;
        expect<f32>(getF(S, i)).toBe(<f32>1 / <f32>0.001, "spike value");
        // s is ill-conditioned in v at the crossing (ds/dv = τ/(j − 1)): a few ulp of 100 in v.
        expectClose(getD(V, i), v, 1e-4, "integrated from 0 after the crossing", i);
      }
    }
    // The non-firing one followed the exponential for the three whole steps.
    expectClose(getD(V, 1), 0.5 - 0.5 * Math.exp(-0.15), 16 * U, "non-firing voltage", 1);
    // A crossing carried into a step fires in it even if the current turns negative: j = −1000 now,
    // the neuron fires at the step's start and integrates from 0 toward −1000 for the whole step.
    fillValue(J, n, -1000);
    setF(J, 1, 0.5);
    expect<i32>(lifStep(n, 0.001, 0.02, 0, J, V, R, S, 1, -Infinity)).toBe(4, "the carried crossings fire");
    for (let i = 0; i < n; i++) {
      if (i == 1) continue;
      expectClose(getD(V, i), -1000 * (1 - Math.exp(-0.05)), 1e-3, "from 0 toward −1000 for dt", i);
    }
    expect<i32>(lifStep(n, 0.001, 0.02, 0, J, V, R, S, 1, -Infinity)).toBe(0, "and then none");
    free(J); free(V); free(R); free(S);
  });

  it("n = 0 returns 0 and touches nothing", () => {
    const J = allocF32(4), V = allocF32(4), R = allocF32(4), S = allocF32(4);
    expect<i32>(lifStep(0, 0.001, 0.02, 0.004, J, V, R, S, 1, 0)).toBe(0);
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
    const count = lifStep(n, 0.001, 0.02, 0.004, J, V, R, S, 0.063, 0);
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
    rate[i] = lifRateRef(getD(J, i), <f64>tau, <f64>tRef);
    count[i] = 0;
    if (rate[i] * <f64>tRef >= 0.7) expect<bool>(false).toBe(true, "oracle: r·t_ref must stay < 0.7");
  }
  fillValue(V, n, 0); fillValue(R, n, 0);
  const amplitude: f32 = 0.05;
  const spikeValue = amplitude / dt;
  const steps = <i32>Math.round(seconds / <f64>dt);
  for (let k = 1; k <= steps; k++) {
    const fired = lifStep(n, dt, tau, tRef, J, V, R, S, amplitude, 0);
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
      lifStep(n, 0.001, 0.02, 0.004, J, V, R, S, 1, 0);
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

// ---- lifStep: the passes against a one-pass scalar reference ------------------------------------

// The step as one scalar pass per neuron, operation for operation the kernel's former scalar tail
// (which its specs held to the SIMD lanes bit for bit): the float32 expm1 polynomial below and
// Mathf.log1p. The kernel splits the work into passes over lists of lanes; it must give the same
// bits, spike counts included.
const R_LN2_HI: f32 = 6.9314575195e-01, R_LN2_LO: f32 = 1.4286067653e-06, R_INV_LN2: f32 = 1.4426950216e+00;

function refExpm1Neg(x: f32): f32 {
  x = max<f32>(x, -87.0);
  const k = Mathf.floor(x * R_INV_LN2 + 0.5);
  const r = (x - k * R_LN2_HI) - k * R_LN2_LO;
  let q: f32 = <f32>1.9841269841e-04 * r + <f32>1.3888888889e-03;
  q = q * r + <f32>8.3333333333e-03;
  q = q * r + <f32>4.1666666667e-02;
  q = q * r + <f32>1.6666666667e-01;
  q = q * r + <f32>0.5;
  const p = r + (r * r) * q;
  const twoK = reinterpret<f32>((<i32>k + 127) << 23);
  return twoK * p + (twoK - 1);
}

function refStep(n: i32, dt: f32, tau: f32, tRef: f32, J: usize, V: usize, R: usize, S: usize, amplitude: f32): i32 {
  const invTau: f32 = 1 / tau;
  const fullStep = refExpm1Neg(-(dt * invTau));
  let count = 0;
  for (let i = 0; i < n; i++) {
    const j = getF(J, i), ref = getF(R, i);
    let v = getF(V, i);
    const delta = min<f32>(max<f32>(dt - ref, 0), dt);
    const e = delta == dt ? fullStep : refExpm1Neg(-(delta * invTau));
    v = v - (j - v) * e;
    setF(V, i, max<f32>(v, 0));
    setF(R, i, max<f32>(ref - dt, 0));
    setF(S, i, 0);
    if (v > 1) {
      let s = delta;
      if (j > v) s = min<f32>(-tau * Mathf.log1p(-(v - 1) / (j - 1)), delta);
      setF(V, i, 0);
      setF(R, i, max<f32>(tRef - s, 0));
      setF(S, i, amplitude / dt);
      count++;
    }
  }
  return count;
}

/** Same bits, or both NaN (NaN payloads are not deterministic in wasm). */
function sameF32(a: f32, b: f32): bool {
  return reinterpret<u32>(a) == reinterpret<u32>(b) || (isNaN(a) && isNaN(b));
}

/**
 * A state with every case the passes sort: whole, partial and idle steps, spikes, odd inputs. No −0
 * voltage: the kernel's floor (pmax) keeps a caller-set −0 where the reference's max gives +0.
 */
function fillState(n: i32, dt: f32, J: usize, V: usize, R: usize): void {
  for (let i = 0; i < n; i++) {
    const c = dataIndex(40);
    setF(J, i, c == 0 ? 1 : c == 1 ? 1e6 : c == 2 ? Infinity : c == 3 ? -Infinity : c == 4 ? NaN
      : c < 10 ? dataF32(-2, 1) : c < 15 ? dataF32(1, 1.01) : dataF32(1, 12));
    const d = dataIndex(20);
    // Voltages above 1 are caller-set: they fire at once (crossing at the start of integration).
    setF(V, i, d == 0 ? dataF32(1, 3) : d == 1 ? <f32>1.0000001 : d == 2 ? <f32>0 : dataF32(0, 1));
    const r = dataIndex(10);
    setF(R, i, r < 4 ? <f32>0 : r < 6 ? dataF32(0, <f64>dt) : r == 6 ? dt : r == 7 ? dataF32(<f64>dt, 0.01)
      : r == 8 ? dataF32(-0.001, 0) : dataF32(0, 0.006));
  }
}

function checkAgainstReference(n: i32, dt: f32, tau: f32, tRef: f32, steps: i32): void {
  const name = "lifStep vs reference n=" + n.toString() + " dt=" + dt.toString() + " tau=" + tau.toString();
  seedData(<u64>n * 31 + <u64>(dt * 1e7));
  const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n);
  const V2 = allocF32(n), R2 = allocF32(n), S2 = allocF32(n);
  fillState(n, dt, J, V, R);
  copyF32(V, V2, n); copyF32(R, R2, n);
  for (let k = 0; k < steps; k++) {
    const count = lifStep(n, dt, tau, tRef, J, V, R, S, 0.05, 0);
    const expected = refStep(n, dt, tau, tRef, J, V2, R2, S2, 0.05);
    if (count != expected) { expect<i32>(count).toBe(expected, name + ": count at step " + k.toString()); return; }
    for (let i = 0; i < n; i++) {
      if (!sameF32(getF(V, i), getF(V2, i)) || !sameF32(getF(R, i), getF(R2, i)) || !sameF32(getF(S, i), getF(S2, i))) {
        const what = name + " step " + k.toString() + " neuron " + i.toString() + " (v, refractory, spike)";
        if (!expectSameBits(getF(V, i), getF(V2, i), what)) return;
        if (!expectSameBits(getF(R, i), getF(R2, i), what)) return;
        expectSameBits(getF(S, i), getF(S2, i), what);
        return;
      }
    }
  }
  expectGuard(V, n << 2, name + " V"); expectGuard(R, n << 2, name + " R"); expectGuard(S, n << 2, name + " S");
  free(J); free(V); free(R); free(S); free(V2); free(R2); free(S2);
}

// Sizes around a vector and around the kernel's chunk of 256 vectors (1024 neurons), with tails;
// dt/τ on both sides of 0.34, where the partial-step exponential switches to the reduced form.
const REF_SIZES: i32[] = [1, 2, 3, 4, 5, 13, 255, 1023, 1024, 1025, 1027, 2051];

describe("lifStep: the same bits as a one-pass scalar reference", () => {
  it("at dt 1 ms, τ 0.02, t_ref 0.004 (dt/τ = 0.05)", () => {
    for (let a = 0; a < REF_SIZES.length; a++) checkAgainstReference(REF_SIZES[a], 0.001, 0.02, 0.004, 40);
  });
  it("at dt 0.1 ms and 2 ms, and at dt/τ = 0.34 and 0.35", () => {
    const dts: f32[] = [0.0001, 0.002, 0.0068, 0.007];
    for (let b = 0; b < dts.length; b++) {
      for (let a = 0; a < REF_SIZES.length; a += 2) checkAgainstReference(REF_SIZES[a], dts[b], 0.02, 0.004, 20);
    }
  });
  it("with long steps (dt/τ = 2.5 and 100), t_ref 0.004 and 0.1", () => {
    // With t_ref > 0.35·τ a crossing before e^{−Δt/τ} < 0.71 (musl's far branch) still leaves
    // part of the refractory period, so its time shows in the result.
    const dts: f32[] = [0.05, 2.0];
    const tRefs: f32[] = [0.004, 0.1];
    for (let b = 0; b < dts.length; b++) {
      for (let c = 0; c < tRefs.length; c++) {
        for (let a = 0; a < REF_SIZES.length; a += 2) checkAgainstReference(REF_SIZES[a], dts[b], 0.02, tRefs[c], 10);
      }
    }
  });
});

// ---- the step's log1p ------------------------------------------------------------------------

// The refractory time after a spike needs log1p(x) for x = −(v − 1)/(j − 1) in [−1, 0]. The kernel
// evaluates musl's log1pf in four lanes: log1pNear4 for musl's branch x ≥ −0.29289 (the only one
// reached from a voltage at or below threshold when dt/τ ≤ 0.34), log1pNeg4 for all of [−1, 0].
// Tolerance: musl's log1pf is accurate to < 1 ulp, so the float32 result may be either neighbour of
// the true value: |y − log1p(x)| ≤ 1 ulp(y), against float64 log1p (its own error, ~1e-16 relative,
// is far below a float32 ulp). They must also give exactly Mathf.log1p's bits, the scalar function
// the step used before (the same algorithm, one lane at a time).

/** Spacing of float32 values at |y| (y finite): 2^(e − 150) for a biased exponent e ≥ 1, else 2^-149. */
function ulpF32(y: f32): f64 {
  const e = <i32>((reinterpret<u32>(y) >> 23) & 0xFF);
  return e == 0 ? SUBNORMAL_STEP : Math.pow(2, <f64>(e - 150));
}

/** Checks y = log1p(x) lane by lane; x and y are four float32 each. */
function checkLog1pLanes(x: usize, y: usize, what: string): bool {
  for (let q = 0; q < 4; q++) {
    const xq = getF(x, q), yq = getF(y, q);
    const expected: f64 = xq == -1 ? -Infinity : Math.log1p(<f64>xq);
    const ok = reinterpret<u32>(yq) == reinterpret<u32>(Mathf.log1p(xq))
      && (xq == -1 ? yq == -Infinity : Math.abs(<f64>yq - expected) <= ulpF32(yq));
    if (ok) continue;
    const where = what + " at x=" + xq.toString() + " (bits " + reinterpret<u32>(xq).toString() + ")";
    if (!expectSameBits(yq, Mathf.log1p(xq), where + " vs Mathf.log1p")) return false;
    expectClose(<f64>yq, expected, ulpF32(yq), where + " vs float64 log1p");
    return false;
  }
  return true;
}

/** Four x at a time: every `stride`-th float32 bit pattern from −0 down to `lowest`, then `extra`. */
function sweepLog1p(near: bool, lowest: f32, stride: u32, extra: f32[]): void {
  const what = near ? "log1pNear4" : "log1pNeg4";
  const last = reinterpret<u32>(lowest);
  let xs = new Array<f32>(0);
  for (let b: u32 = 0x80000000; b <= last && b >= 0x80000000; b += stride) xs.push(reinterpret<f32>(b));
  xs.push(lowest);
  for (let i = 0; i < extra.length; i++) xs.push(extra[i]);
  while (xs.length % 4 != 0) xs.push(lowest);
  const X = allocF32(4), Y = allocF32(4);
  for (let i = 0; i < xs.length; i += 4) {
    const x = f32x4(xs[i], xs[i + 1], xs[i + 2], xs[i + 3]);
    v128.store(X, x);
    v128.store(Y, near ? log1pNear4(x) : log1pNeg4(x));
    if (!checkLog1pLanes(X, Y, what)) break;
  }
  free(X); free(Y);
}

/** The float32 neighbours of x, a few ulp either way (x not 0). */
function around(x: f32, out: f32[]): void {
  for (let d = -3; d <= 3; d++) out.push(reinterpret<f32>(<u32>(<i32>reinterpret<u32>(x) + d)));
}

describe("the step's log1p: musl's log1pf in four lanes", () => {
  it("log1pNear4 on [−0.29289, 0]: every 509th float32, the branch points, a uniform grid", () => {
    const split = reinterpret<f32>(0xBE95F619), tiny = reinterpret<f32>(0xB3800000);
    const extra = new Array<f32>(0);
    around(tiny, extra);
    for (let d = 0; d <= 3; d++) extra.push(reinterpret<f32>(0xBE95F619 - <u32>d));
    for (let k = 0; k <= 65536; k++) extra.push(<f32>(<f64>split * <f64>k / 65536));
    sweepLog1p(true, split, 509, extra);
  });

  it("log1pNeg4 on [−1, 0]: every 509th float32, the branch points, near −1, a uniform grid", () => {
    const extra = new Array<f32>(0);
    around(reinterpret<f32>(0xB3800000), extra);
    around(reinterpret<f32>(0xBE95F619), extra);
    for (let k = 1; k <= 1000; k++) extra.push(<f32>(-1 + <f64>k * 5.9604644775390625e-8));
    for (let k = 0; k <= 65536; k++) extra.push(<f32>(-<f64>k / 65536));
    sweepLog1p(false, -1, 509, extra);
  });
});
