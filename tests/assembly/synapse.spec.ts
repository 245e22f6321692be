// lowpassStep and alphaStep (assembly/synapse.ts) against closed forms and the continuous filters.
//
// Notation: h = dt/τ, a = e^{−h}, b = 1 − a. A unit-area impulse is u = 1/dt in step 0 and 0 after
// (here u = amp/dt per lane, and responses are divided by amp). Exact recurrence solutions:
//   low-pass  y_k = b·a^k/dt,            Σ_k y_k·dt = b/(1 − a) = 1
//   alpha     y_k = b²(k + 1)a^k/dt,      Σ_k y_k·dt = b²/(1 − a)² = 1
// Truncating after K steps leaves a^K (low-pass) and a^K((K + 1)b + a) (alpha); the tests subtract
// these exactly.
//
// Continuous limits, t_k = k·dt, with c = b/h = (1 − e^{−h})/h ∈ [1 − h/2, 1]:
//   low-pass: y_k = c·e^{−t_k/τ}/τ, so |y_k − e^{−t_k/τ}/τ| ≤ (h/2)·e^{−t_k/τ}/τ  (first order);
//     at the step midpoint y_k / (e^{−(t_k + dt/2)/τ}/τ) = sinh(h/2)/(h/2) ≤ 1 + h²/20 for h ≤ 1.
//   alpha, α(t) = (t/τ²)e^{−t/τ}: y_k = c²[α(t_k) + (dt/τ)e^{−t_k/τ}/τ] and c² ∈ [1 − h, 1], so
//     |y_k − α(t_k)| ≤ (dt/τ)(α(t_k) + e^{−t_k/τ}/τ)  (first order; ≤ (1 + e)h times the peak);
//     at the end of the step y_k / α(t_k + dt) = (sinh(h/2)/(h/2))² ≤ 1 + h²/8 for h ≤ 1.
//   Peak of the discrete alpha response: y_{k+1} ≥ y_k ⇔ k ≤ a/(1 − a) − 1, and
//     a/(1 − a) = 1/(e^h − 1) ∈ [1/h − 1/2, 1/h − 1/2 + h/12], so the argmax t* lies in
//     (τ − 1.5dt, τ − 0.5dt + h·dt/12] (t* = 0 when τ < 1.5dt); one more step either side is allowed
//     for float32 near-ties at the top: τ − 2.5dt ≤ t* ≤ τ + 0.5dt.
//
// Float32 rounding (U = 2^-24): a and b = 1 − a are rounded once (relative U and U·a/b ≤ U/h), a^k
// accumulates kU, and each step's multiply-add adds ≤ 2U relative to y (all terms positive for an
// impulse). Bounds used: low-pass relative (4k + 4 + 2/h)U, alpha relative (6k + 8 + 4/h)U; the
// integral, dominated by k ≈ 1/h (low-pass) or 2/h (alpha), within (16/h + 16)U.
// Steady state for a constant u: the fixed point of the rounded recurrence is within
// 2U|u|/(1 − a) = 2U|u|/h of u per stage; tolerance (4/h + 4)U|u| for both filters.

import { lowpassStep, alphaStep } from "../../assembly/synapse";
import {
  U, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getF, setF, fillValue, seedData, dataF32,
} from "./helpers";

const DTS: f32[] = [0.001, 0.0001];
const TAUS: f32[] = [0.00118, 0.005];
const AMPS: f32[] = [1, 0.05, 2, 1, 0.5]; // n = 5: one SIMD group and a one-element tail

/** y_k for k < steps and every lane, in response to u = AMPS[i]/dt in step 0: out[k·n + i]. */
function impulseResponse(alpha: bool, dt: f32, tau: f32, steps: i32): Float64Array {
  const n = AMPS.length;
  const u = allocF32(n);
  const y = allocF32(n);
  const z = allocF32(n);
  fillValue(y, n, 0);
  fillValue(z, n, 0);
  const out = new Float64Array(steps * n);
  for (let k = 0; k < steps; k++) {
    for (let i = 0; i < n; i++) setF(u, i, k == 0 ? AMPS[i] / dt : 0);
    if (alpha) alphaStep(n, dt, tau, u, y, z);
    else lowpassStep(n, dt, tau, u, y);
    for (let i = 0; i < n; i++) out[k * n + i] = <f64>getF(y, i);
  }
  expectGuard(y, n << 2, "y");
  expectGuard(z, n << 2, "z");
  free(u); free(y); free(z);
  return out;
}

function label(alpha: bool, dt: f32, tau: f32): string {
  return (alpha ? "alpha" : "low-pass") + " dt " + dt.toString() + " tau " + tau.toString();
}

/** The sample indices nearest to t = c·τ for c in {0, 0.5, 1, 2, 4}. */
function sampleSteps(h: f64): i32[] {
  const cs: f64[] = [0, 0.5, 1, 2, 4];
  const ks: i32[] = [];
  for (let j = 0; j < cs.length; j++) ks.push(<i32>Math.round(cs[j] / h));
  return ks;
}

describe("impulse responses", () => {
  it("integrate to 1: Σ y·dt over 30τ minus the exact tail, within (16/h + 16)U; dt 1 ms, 0.1 ms; τ 1.18 ms, 5 ms; both filters", () => {
    for (let f = 0; f < 2; f++) {
      const alpha = f == 1;
      for (let d = 0; d < DTS.length; d++) {
        for (let t = 0; t < TAUS.length; t++) {
          const dt = DTS[d];
          const tau = TAUS[t];
          const h = <f64>dt / <f64>tau;
          const a = Math.exp(-h);
          const K = <i32>Math.ceil(30 / h);
          const tail = alpha ? Math.pow(a, K) * ((K + 1) * (1 - a) + a) : Math.pow(a, K);
          const resp = impulseResponse(alpha, dt, tau, K);
          const n = AMPS.length;
          for (let i = 0; i < n; i++) {
            let sum: f64 = 0;
            for (let k = 0; k < K; k++) sum += resp[k * n + i] * <f64>dt;
            expectClose(sum / <f64>AMPS[i], 1 - tail, (16 / h + 16) * U, label(alpha, dt, tau) + ": integral / amplitude", i);
          }
        }
      }
    }
  });

  it("low-pass: y_k = (1 − a)a^k/dt (closed form of the recurrence) within (4k + 4 + 2/h)U relative, k ≤ 10τ/dt", () => {
    for (let d = 0; d < DTS.length; d++) {
      for (let t = 0; t < TAUS.length; t++) {
        const dt = DTS[d];
        const tau = TAUS[t];
        const h = <f64>dt / <f64>tau;
        const a = Math.exp(-h);
        const b = -Math.expm1(-h);
        const K = <i32>Math.ceil(10 / h);
        const resp = impulseResponse(false, dt, tau, K);
        const n = AMPS.length;
        for (let k = 0; k < K; k++) {
          const expected = b * Math.pow(a, k) / <f64>dt;
          const tol = (4 * <f64>k + 4 + 2 / h) * U * expected;
          for (let i = 0; i < n; i++) {
            if (!expectClose(resp[k * n + i] / <f64>AMPS[i], expected, tol, label(false, dt, tau) + " step " + k.toString(), i)) return;
          }
        }
      }
    }
  });

  it("alpha: y_k = (1 − a)²(k + 1)a^k/dt (closed form of the cascade) within (6k + 8 + 4/h)U relative, k ≤ 10τ/dt", () => {
    for (let d = 0; d < DTS.length; d++) {
      for (let t = 0; t < TAUS.length; t++) {
        const dt = DTS[d];
        const tau = TAUS[t];
        const h = <f64>dt / <f64>tau;
        const a = Math.exp(-h);
        const b = -Math.expm1(-h);
        const K = <i32>Math.ceil(10 / h);
        const resp = impulseResponse(true, dt, tau, K);
        const n = AMPS.length;
        for (let k = 0; k < K; k++) {
          const expected = b * b * <f64>(k + 1) * Math.pow(a, k) / <f64>dt;
          const tol = (6 * <f64>k + 8 + 4 / h) * U * expected;
          for (let i = 0; i < n; i++) {
            if (!expectClose(resp[k * n + i] / <f64>AMPS[i], expected, tol, label(true, dt, tau) + " step " + k.toString(), i)) return;
          }
        }
      }
    }
  });

  it("low-pass → e^{−t/τ}/τ: within (h/2)·h(t) at t = kdt and h²/20 relative at the step midpoint, t ∈ {0, τ/2, τ, 2τ, 4τ}", () => {
    for (let d = 0; d < DTS.length; d++) {
      for (let t = 0; t < TAUS.length; t++) {
        const dt = DTS[d];
        const tau = TAUS[t];
        const h = <f64>dt / <f64>tau;
        const ks = sampleSteps(h);
        const resp = impulseResponse(false, dt, tau, ks[ks.length - 1] + 1);
        const n = AMPS.length;
        for (let j = 0; j < ks.length; j++) {
          const k = ks[j];
          const tk = <f64>k * <f64>dt;
          const hk = Math.exp(-tk / <f64>tau) / <f64>tau;
          const hMid = Math.exp(-(tk + 0.5 * <f64>dt) / <f64>tau) / <f64>tau;
          const fp = (4 * <f64>k + 4 + 2 / h) * U * hk * 2;
          for (let i = 0; i < n; i++) {
            const yk = resp[k * n + i] / <f64>AMPS[i];
            const what = label(false, dt, tau) + " t " + tk.toString();
            expectClose(yk, hk, 0.5 * h * hk + fp, what + " (first order)", i);
            expectClose(yk, hMid, h * h / 20 * hMid + fp, what + " vs midpoint (second order)", i);
          }
        }
      }
    }
  });

  it("alpha → (t/τ²)e^{−t/τ}: within (dt/τ)(α(t) + e^{−t/τ}/τ) at t = kdt and h²/8 relative at the step end, t ∈ {0, τ/2, τ, 2τ, 4τ}", () => {
    for (let d = 0; d < DTS.length; d++) {
      for (let t = 0; t < TAUS.length; t++) {
        const dt = DTS[d];
        const tau = TAUS[t];
        const h = <f64>dt / <f64>tau;
        const ks = sampleSteps(h);
        const resp = impulseResponse(true, dt, tau, ks[ks.length - 1] + 1);
        const n = AMPS.length;
        for (let j = 0; j < ks.length; j++) {
          const k = ks[j];
          const tk = <f64>k * <f64>dt;
          const t1 = tk + <f64>dt;
          const tauD = <f64>tau;
          const alphaK = tk / (tauD * tauD) * Math.exp(-tk / tauD);
          const alphaEnd = t1 / (tauD * tauD) * Math.exp(-t1 / tauD);
          const bound = h * (alphaK + Math.exp(-tk / tauD) / tauD);
          const fp = (6 * <f64>k + 8 + 4 / h) * U * 2 * alphaEnd;
          for (let i = 0; i < n; i++) {
            const yk = resp[k * n + i] / <f64>AMPS[i];
            const what = label(true, dt, tau) + " t " + tk.toString();
            expectClose(yk, alphaK, bound + fp, what + " (first order)", i);
            expectClose(yk, alphaEnd, h * h / 8 * alphaEnd + fp, what + " vs end of step (second order)", i);
          }
        }
      }
    }
  });

  it("alpha peaks near t = τ: τ − 2.5dt ≤ t* ≤ τ + 0.5dt, for every lane", () => {
    for (let d = 0; d < DTS.length; d++) {
      for (let t = 0; t < TAUS.length; t++) {
        const dt = DTS[d];
        const tau = TAUS[t];
        const h = <f64>dt / <f64>tau;
        const K = <i32>Math.ceil(5 / h);
        const resp = impulseResponse(true, dt, tau, K);
        const n = AMPS.length;
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let k = 1; k < K; k++) if (resp[k * n + i] > resp[best * n + i]) best = k;
          const tStar = <f64>best * <f64>dt;
          const lo = <f64>tau - 2.5 * <f64>dt;
          const hi = <f64>tau + 0.5 * <f64>dt;
          expect<bool>(tStar >= lo && tStar <= hi).toBe(true, label(true, dt, tau) + ": peak at " + tStar.toString() + " s, lane " + i.toString());
        }
      }
    }
  });
});

describe("steady state and pass-through", () => {
  it("a constant input passes through at steady state: |y − u| ≤ (4/h + 4)U|u| after 40τ (z too), n = 7", () => {
    const n = 7;
    const values: f32[] = [0.7, -3, 0, 1000, 12.5, 50, -0.001];
    const u = allocF32(n);
    const y = allocF32(n);
    const z = allocF32(n);
    for (let i = 0; i < n; i++) setF(u, i, values[i]);
    for (let f = 0; f < 2; f++) {
      const alpha = f == 1;
      for (let d = 0; d < DTS.length; d++) {
        for (let t = 0; t < TAUS.length; t++) {
          const dt = DTS[d];
          const tau = TAUS[t];
          const h = <f64>dt / <f64>tau;
          const K = <i32>Math.ceil(40 / h);
          fillValue(y, n, 0);
          fillValue(z, n, 0);
          for (let k = 0; k < K; k++) {
            if (alpha) alphaStep(n, dt, tau, u, y, z);
            else lowpassStep(n, dt, tau, u, y);
          }
          // Transient left after K steps: a^K|u| (low-pass), a^K(1 + K·b/a)|u| (alpha) < 1e-15|u|.
          for (let i = 0; i < n; i++) {
            const ui = <f64>values[i];
            const tol = (4 / h + 4) * U * Math.abs(ui) + 1e-15 * Math.abs(ui);
            expectClose(<f64>getF(y, i), ui, tol, label(alpha, dt, tau) + ": y", i);
            if (alpha) expectClose(<f64>getF(z, i), ui, tol, label(alpha, dt, tau) + ": z", i);
          }
        }
      }
    }
    free(u); free(y); free(z);
  });

  it("τ_s = 0 (and τ_s < 0, NaN) means no filter: y = u bitwise (and z = u), whatever the state held", () => {
    const n = 7;
    const u = allocF32(n);
    const y = allocF32(n);
    const z = allocF32(n);
    seedData(77);
    const taus: f32[] = [0, -0.005, NaN];
    for (let t = 0; t < taus.length; t++) {
      for (let step = 0; step < 3; step++) {
        for (let i = 0; i < n; i++) setF(u, i, dataF32(-100, 100));
        setF(y, 2, Infinity);
        setF(z, 3, NaN);
        lowpassStep(n, 0.001, taus[t], u, y);
        for (let i = 0; i < n; i++) expect<u32>(load<u32>(y + (<usize>i << 2))).toBe(load<u32>(u + (<usize>i << 2)), "low-pass tau " + taus[t].toString() + " y[" + i.toString() + "]");
        setF(y, 2, Infinity);
        alphaStep(n, 0.001, taus[t], u, y, z);
        for (let i = 0; i < n; i++) {
          expect<u32>(load<u32>(y + (<usize>i << 2))).toBe(load<u32>(u + (<usize>i << 2)), "alpha tau " + taus[t].toString() + " y[" + i.toString() + "]");
          expect<u32>(load<u32>(z + (<usize>i << 2))).toBe(load<u32>(u + (<usize>i << 2)), "alpha tau " + taus[t].toString() + " z[" + i.toString() + "]");
        }
      }
    }
    expectGuard(y, n << 2, "y");
    expectGuard(z, n << 2, "z");
    free(u); free(y); free(z);
  });
});

describe("sizes", () => {
  it("n = 1, 3, 5, 7, 13: every lane and tail position gives the same bits for the same input sequence; guards intact", () => {
    const sizes: i32[] = [1, 3, 5, 7, 13];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const u = allocF32(n);
      const y1 = allocF32(n);
      const y2 = allocF32(n);
      const z2 = allocF32(n);
      fillValue(y1, n, 0);
      fillValue(y2, n, 0);
      fillValue(z2, n, 0);
      seedData(<u64>(900 + n));
      let bad = 0;
      for (let k = 0; k < 200; k++) {
        // A spike-like input shared by every lane: amplitude/dt or 0.
        fillValue(u, n, dataF32(0, 1) < 0.2 ? <f32>50 : 0);
        lowpassStep(n, 0.001, 0.005, u, y1);
        alphaStep(n, 0.001, 0.00118, u, y2, z2);
        for (let i = 1; i < n; i++) {
          if (load<u32>(y1 + (<usize>i << 2)) != load<u32>(y1)) bad++;
          if (load<u32>(y2 + (<usize>i << 2)) != load<u32>(y2)) bad++;
          if (load<u32>(z2 + (<usize>i << 2)) != load<u32>(z2)) bad++;
        }
      }
      expect<i32>(bad).toBe(0, "n " + n.toString() + ": lanes differ");
      expect<bool>(getF(y1, 0) > 0 && getF(y2, 0) > 0).toBe(true, "outputs were driven");
      expectGuard(y1, n << 2, "low-pass y");
      expectGuard(y2, n << 2, "alpha y");
      expectGuard(z2, n << 2, "alpha z");
      free(u); free(y1); free(y2); free(z2);
    }
  });

  it("n = 0 writes nothing (filtering and pass-through)", () => {
    const u = allocF32(4);
    const y = allocF32(4);
    const z = allocF32(4);
    for (let i = 0; i < 4; i++) setF(u, i, 1);
    lowpassStep(0, 0.001, 0.005, u, y);
    alphaStep(0, 0.001, 0.005, u, y, z);
    lowpassStep(0, 0.001, 0, u, y);
    alphaStep(0, 0.001, 0, u, y, z);
    expectAllBits(y, 4, GUARD, "y");
    expectAllBits(z, 4, GUARD, "z");
    free(u); free(y); free(z);
  });
});
