// batchNormTrain, batchNormInfer, batchNormBackward against a float64 scalar re-implementation of
// PyTorch's BatchNorm1d and, for the backward pass, float64 central finite differences of
// L = Σ_ij w_ij·y_ij through that re-implementation.
//
// PyTorch semantics (torch.nn.BatchNorm1d docs): training normalises with the batch mean and the
// BIASED batch variance; running_mean ← (1 − momentum)·running_mean + momentum·mean and
// running_var ← (1 − momentum)·running_var + momentum·var_unbiased (Σ(x − mean)²/(B − 1)).
//
// Tolerances (u = 2^-24, first-order float32 error bounds, B the batch):
// - mean: a sum of B values, then ·(1/B) rounded: (B + 3)·u·mean|x|.
// - invStd: two-pass Σ(x − mean)² is within (B + 4)·u relative (the mean's error enters only at
//   second order since Σ(x − mean) = 0), ·(1/B), + eps, sqrt and reciprocal add 4u, and the
//   square root halves the variance's error; we allow (B + 12)·u·invStd.
// - xHat = (x − mean)·invStd: invStd·(tol_mean + u|x − mean|) + |x − mean|·tol_invStd + u|xHat|.
// - y = γ·xHat + β: |γ|·tol_xHat + 2u·(|γ·xHat| + |β|).
// - running stats: three roundings of each term plus the batch statistic's tolerance.
// - backward: dBias is a sum of B terms, dWeight of B products of a float32-rounded xHat:
//   2(B + 2)·u·Σ|dy·(1, xHat)|; dx = γ·invStd/B·(B·dy − dBias − xHat·dWeight) is within
//   2(B + 8)·u·|γ|·invStd/B·(B|dy| + Σ|dy| + |xHat|·Σ|dy·xHat|) (the bracket cancels, so the
//   bound is relative to the magnitudes of its terms, not to dx). The finite differences use
//   h = 2^-17 (exact in float64): truncation h²/6·|L'''| < 10^-9 and rounding
//   ~2^-52·|L|/h < 10^-9 for these data, so we add 10^-7 absolute.

import { batchNormTrain, batchNormInfer, batchNormBackward } from "../../assembly/norm";
import {
  U, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getD, getF, getBits, setF, seedData, fillData,
  dataF32,
} from "./helpers";

/** float64 batch-norm forward (training mode). x: B×F; writes y, xHat, mean, biased var. */
function refForward(B: i32, F: i32, x: Float64Array, weight: Float64Array, bias: Float64Array, eps: f64,
  y: Float64Array, xHat: Float64Array, mean: Float64Array, variance: Float64Array): void {
  for (let j = 0; j < F; j++) {
    let s: f64 = 0;
    for (let i = 0; i < B; i++) s += x[i * F + j];
    const m = s / <f64>B;
    let q: f64 = 0;
    for (let i = 0; i < B; i++) { const d = x[i * F + j] - m; q += d * d; }
    const v = q / <f64>B;
    const inv = 1 / Math.sqrt(v + eps);
    mean[j] = m;
    variance[j] = v;
    for (let i = 0; i < B; i++) {
      const xh = (x[i * F + j] - m) * inv;
      xHat[i * F + j] = xh;
      y[i * F + j] = weight[j] * xh + bias[j];
    }
  }
}

function toF64(p: usize, n: i32): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = getD(p, i);
  return r;
}

function checkTrain(B: i32, F: i32, momentum: f32, eps: f32, aliased: bool): void {
  const name = "batchNormTrain(B=" + B.toString() + ", F=" + F.toString() + ", momentum=" + momentum.toString() + (aliased ? ", y==x)" : ")");
  seedData(<u64>(B * 100 + F));
  const n = B * F;
  const x = allocF32(n), weight = allocF32(F), bias = allocF32(F), xHat = allocF32(n + 1);
  const mean = allocF32(F + 1), invStd = allocF32(F + 1), rm = allocF32(F), rv = allocF32(F);
  // Features with different offsets and spreads; the mean is not small compared with the spread.
  for (let i = 0; i < B; i++) for (let j = 0; j < F; j++) setF(x, i * F + j, dataF(<f64>j - 3, 0.5 + 0.3 * <f64>j));
  fillData(weight, F, -2, 2);
  fillData(bias, F, -1, 1);
  fillData(rm, F, -1, 1);
  fillData(rv, F, 0.5, 2);
  const xs = toF64(x, n), g = toF64(weight, F), bt = toF64(bias, F), rm0 = toF64(rm, F), rv0 = toF64(rv, F);
  const y = aliased ? x : allocF32(n + 1);

  batchNormTrain(B, F, x, weight, bias, y, xHat, mean, invStd, rm, rv, momentum, eps);

  const ry = new Float64Array(n), rxh = new Float64Array(n), rmean = new Float64Array(F), rvar = new Float64Array(F);
  refForward(B, F, xs, g, bt, <f64>eps, ry, rxh, rmean, rvar);
  const mom = <f64>momentum;
  for (let j = 0; j < F; j++) {
    let absMean: f64 = 0;
    for (let i = 0; i < B; i++) absMean += Math.abs(xs[i * F + j]) / <f64>B;
    const tolMean = <f64>(B + 3) * U * absMean;
    if (!expectClose(getD(mean, j), rmean[j], tolMean, name + " mean", j)) return;
    const inv = 1 / Math.sqrt(rvar[j] + <f64>eps);
    const tolInv = <f64>(B + 12) * U * inv;
    if (!expectClose(getD(invStd, j), inv, tolInv, name + " invStd", j)) return;
    for (let i = 0; i < B; i++) {
      const o = i * F + j;
      const dx = Math.abs(xs[o] - rmean[j]);
      const tolXh = inv * (tolMean + U * dx) + dx * tolInv + U * Math.abs(rxh[o]);
      if (!expectClose(getD(xHat, o), rxh[o], tolXh, name + " xHat", o)) return;
      const tolY = Math.abs(g[j]) * tolXh + 2 * U * (Math.abs(g[j] * rxh[o]) + Math.abs(bt[j]));
      if (!expectClose(getD(y, o), ry[o], tolY, name + " y", o)) return;
    }
    const rmRef = (1 - mom) * rm0[j] + mom * rmean[j];
    expectClose(getD(rm, j), rmRef, 3 * U * (Math.abs(rm0[j]) + mom * absMean) + mom * tolMean, name + " runningMean", j);
    const unbiased = rvar[j] * <f64>B / <f64>(B - 1);
    const rvRef = (1 - mom) * rv0[j] + mom * unbiased;
    expectClose(getD(rv, j), rvRef, 3 * U * (rv0[j] + mom * unbiased) + mom * <f64>(B + 6) * U * unbiased, name + " runningVar", j);
  }
  expectAllBits(xHat + (<usize>n << 2), 1, GUARD, name + ": xHat past B·F");
  expectAllBits(mean + (<usize>F << 2), 1, GUARD, name + ": mean past F");
  expectAllBits(invStd + (<usize>F << 2), 1, GUARD, name + ": invStd past F");
  expectGuard(rv, F << 2, name + " runningVar");
  free(x); free(weight); free(bias); free(xHat); free(mean); free(invStd); free(rm); free(rv);
  if (!aliased) free(y);
}

/** Test value centre ± spread (a sum of two uniforms, triangular on [centre − 2·spread, centre + 2·spread)). */
function dataF(centre: f64, spread: f64): f32 {
  return <f32>(centre + spread * (<f64>dataF32(-1, 1) + <f64>dataF32(-1, 1)));
}

describe("batchNormTrain", () => {
  it("mean, invStd (biased var), xHat, y, running mean/var (unbiased, momentum = new-batch weight)", () => {
    const Bs: i32[] = [2, 3, 7, 33];
    const Fs: i32[] = [1, 3, 4, 5, 7, 9, 17];
    for (let a = 0; a < Bs.length; a++) {
      for (let b = 0; b < Fs.length; b++) {
        checkTrain(Bs[a], Fs[b], 0.1, 1e-5, false);
        checkTrain(Bs[a], Fs[b], 0.3, 1e-3, false);
      }
    }
  });
  it("y may alias x", () => {
    checkTrain(5, 7, 0.1, 1e-5, true);
    checkTrain(2, 9, 0.1, 1e-5, true);
  });
  it("closed form: B = 2, x = [1, 3], eps = 0, momentum = 0.5 → xHat = [−1, 1], running var uses 2", () => {
    const x = allocF32(2), weight = allocF32(1), bias = allocF32(1), y = allocF32(2), xHat = allocF32(2);
    const mean = allocF32(1), invStd = allocF32(1), rm = allocF32(1), rv = allocF32(1);
    setF(x, 0, 1); setF(x, 1, 3); setF(weight, 0, 2); setF(bias, 0, 0.5); setF(rm, 0, 0); setF(rv, 0, 1);
    batchNormTrain(2, 1, x, weight, bias, y, xHat, mean, invStd, rm, rv, 0.5, 0);
    expect<f32>(getF(mean, 0)).toBe(2, "mean");
    expect<f32>(getF(invStd, 0)).toBe(1, "invStd = 1/sqrt(biased var 1)");
    expect<f32>(getF(xHat, 0)).toBe(-1, "xHat0");
    expect<f32>(getF(xHat, 1)).toBe(1, "xHat1");
    expect<f32>(getF(y, 0)).toBe(-1.5, "y0 = 2·(−1) + 0.5");
    expect<f32>(getF(y, 1)).toBe(2.5, "y1 = 2·1 + 0.5");
    expect<f32>(getF(rm, 0)).toBe(1, "running mean 0.5·0 + 0.5·2");
    expect<f32>(getF(rv, 0)).toBe(1.5, "running var 0.5·1 + 0.5·(unbiased 2)");
    free(x); free(weight); free(bias); free(y); free(xHat); free(mean); free(invStd); free(rm); free(rv);
  });
});

function checkInfer(B: i32, F: i32): void {
  const name = "batchNormInfer(B=" + B.toString() + ", F=" + F.toString() + ")";
  seedData(<u64>(B * 17 + F));
  const n = B * F;
  const x = allocF32(max(n, 1)), weight = allocF32(F), bias = allocF32(F), rm = allocF32(F), rv = allocF32(F);
  const y = allocF32(n + 1), scratch = allocF32(F + 1);
  fillData(x, n, -3, 5);
  fillData(weight, F, -2, 2);
  fillData(bias, F, -1, 1);
  fillData(rm, F, -1, 2);
  fillData(rv, F, 0.1, 3);
  const rm0 = toF64(rm, F), rv0 = toF64(rv, F);
  const eps: f32 = 1e-5;
  batchNormInfer(B, F, x, weight, bias, rm, rv, eps, y, scratch);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < F; j++) {
      const o = i * F + j;
      const s = 1 / Math.sqrt(getD(rv, j) + <f64>eps);
      const d = getD(x, o) - getD(rm, j);
      const ref = getD(weight, j) * d * s + getD(bias, j);
      const tol = 6 * U * Math.abs(getD(weight, j) * d * s) + 2 * U * (Math.abs(ref) + Math.abs(getD(bias, j)));
      if (!expectClose(getD(y, o), ref, tol, name + " y", o)) return;
    }
  }
  // Running statistics are inputs only.
  for (let j = 0; j < F; j++) {
    expect<f64>(getD(rm, j)).toBe(rm0[j], name + ": running mean modified");
    expect<f64>(getD(rv, j)).toBe(rv0[j], name + ": running var modified");
  }
  expectAllBits(y + (<usize>n << 2), 1, GUARD, name + ": y past B·F");
  expectAllBits(scratch + (<usize>F << 2), 1, GUARD, name + ": scratch past F");
  free(x); free(weight); free(bias); free(rm); free(rv); free(y); free(scratch);
}

describe("batchNormInfer", () => {
  it("y = γ(x − μ)/sqrt(σ² + eps) + β with the running statistics; B = 0, 1, 3, 8; F not divisible by 4", () => {
    const Bs: i32[] = [0, 1, 3, 8];
    const Fs: i32[] = [1, 3, 4, 6, 9, 17];
    for (let a = 0; a < Bs.length; a++) for (let b = 0; b < Fs.length; b++) checkInfer(Bs[a], Fs[b]);
  });
  it("closed form: μ = 1, σ² = 4 − eps → y = γ(x − 1)/2 + β", () => {
    const x = allocF32(3), weight = allocF32(1), bias = allocF32(1), rm = allocF32(1), rv = allocF32(1), y = allocF32(3), s = allocF32(1);
    setF(x, 0, 1); setF(x, 1, 3); setF(x, 2, -5);
    setF(weight, 0, 3); setF(bias, 0, 0.25); setF(rm, 0, 1); setF(rv, 0, 4);
    batchNormInfer(3, 1, x, weight, bias, rm, rv, 0, y, s);
    expect<f32>(getF(y, 0)).toBe(0.25);
    expect<f32>(getF(y, 1)).toBe(3.25);
    expect<f32>(getF(y, 2)).toBe(-8.75);
    free(x); free(weight); free(bias); free(rm); free(rv); free(y); free(s);
  });
});

/** L = Σ w·y through the float64 forward. */
function lossOf(B: i32, F: i32, x: Float64Array, g: Float64Array, bt: Float64Array, w: Float64Array, eps: f64): f64 {
  const n = B * F;
  const y = new Float64Array(n), xh = new Float64Array(n), m = new Float64Array(F), v = new Float64Array(F);
  refForward(B, F, x, g, bt, eps, y, xh, m, v);
  let L: f64 = 0;
  for (let i = 0; i < n; i++) L += w[i] * y[i];
  return L;
}

const H: f64 = 7.62939453125e-6; // 2^-17
const FD_TOL: f64 = 1e-7;

function checkBackward(B: i32, F: i32, aliased: bool): void {
  const name = "batchNormBackward(B=" + B.toString() + ", F=" + F.toString() + (aliased ? ", dx==dy)" : ")");
  seedData(<u64>(B * 1000 + F * 3 + 1));
  const n = B * F;
  const eps: f64 = 1e-5;
  const xs = new Float64Array(n), g = new Float64Array(F), bt = new Float64Array(F), w = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = <f64>dataF32(-2, 2) + <f64>(i % F);
  for (let j = 0; j < F; j++) { g[j] = <f64>dataF32(-2, 2); bt[j] = <f64>dataF32(-1, 1); }
  for (let i = 0; i < n; i++) w[i] = <f64>dataF32(-1, 1);

  // Kernel inputs: dy = w, and xHat, invStd from the float64 forward rounded to float32.
  const ry = new Float64Array(n), rxh = new Float64Array(n), rmean = new Float64Array(F), rvar = new Float64Array(F);
  refForward(B, F, xs, g, bt, eps, ry, rxh, rmean, rvar);
  const dy = allocF32(n + 1), xHat = allocF32(n), weight = allocF32(F), invStd = allocF32(F);
  const dWeight = allocF32(F + 1), dBias = allocF32(F + 1);
  for (let i = 0; i < n; i++) { setF(dy, i, <f32>w[i]); setF(xHat, i, <f32>rxh[i]); }
  for (let j = 0; j < F; j++) { setF(weight, j, <f32>g[j]); setF(invStd, j, <f32>(1 / Math.sqrt(rvar[j] + eps))); }
  const dx = aliased ? dy : allocF32(n + 1);

  batchNormBackward(B, F, dy, xHat, weight, invStd, dx, dWeight, dBias);

  for (let j = 0; j < F; j++) {
    let s1: f64 = 0, s2: f64 = 0;
    for (let i = 0; i < B; i++) { s1 += Math.abs(w[i * F + j]); s2 += Math.abs(w[i * F + j] * rxh[i * F + j]); }
    // dL/dγ_j and dL/dβ_j by central differences.
    const gp = new Float64Array(F), gm = new Float64Array(F);
    gp.set(g); gm.set(g);
    gp[j] += H; gm[j] -= H;
    const fdWeight = (lossOf(B, F, xs, gp, bt, w, eps) - lossOf(B, F, xs, gm, bt, w, eps)) / (2 * H);
    const bp = new Float64Array(F), bm = new Float64Array(F);
    bp.set(bt); bm.set(bt);
    bp[j] += H; bm[j] -= H;
    const fdBias = (lossOf(B, F, xs, g, bp, w, eps) - lossOf(B, F, xs, g, bm, w, eps)) / (2 * H);
    if (!expectClose(getD(dWeight, j), fdWeight, 2 * <f64>(B + 2) * U * s2 + FD_TOL, name + " dWeight", j)) return;
    if (!expectClose(getD(dBias, j), fdBias, 2 * <f64>(B + 2) * U * s1 + FD_TOL, name + " dBias", j)) return;
    const k = Math.abs(g[j]) / Math.sqrt(rvar[j] + eps) / <f64>B;
    for (let i = 0; i < B; i++) {
      const o = i * F + j;
      const xp = new Float64Array(n), xm = new Float64Array(n);
      xp.set(xs); xm.set(xs);
      xp[o] += H; xm[o] -= H;
      const fd = (lossOf(B, F, xp, g, bt, w, eps) - lossOf(B, F, xm, g, bt, w, eps)) / (2 * H);
      const tol = 2 * <f64>(B + 8) * U * k * (<f64>B * Math.abs(w[o]) + s1 + Math.abs(rxh[o]) * s2) + FD_TOL;
      if (!expectClose(getD(dx, o), fd, tol, name + " dx", o)) return;
    }
  }
  expectAllBits(dWeight + (<usize>F << 2), 1, GUARD, name + ": dWeight past F");
  expectAllBits(dBias + (<usize>F << 2), 1, GUARD, name + ": dBias past F");
  expectAllBits(dx + (<usize>n << 2), 1, GUARD, name + ": dx past B·F");
  free(dy); free(xHat); free(weight); free(invStd); free(dWeight); free(dBias);
  if (!aliased) free(dx);
}

describe("batchNormBackward", () => {
  it("dx, dWeight, dBias match float64 finite differences of L = Σ w·y; F = 1, 3, 5, 6, 9; B = 2, 3, 5, 8", () => {
    const Bs: i32[] = [2, 3, 5, 8];
    const Fs: i32[] = [1, 3, 5, 6, 9];
    for (let a = 0; a < Bs.length; a++) for (let b = 0; b < Fs.length; b++) checkBackward(Bs[a], Fs[b], false);
  });
  it("dx may alias dy", () => {
    checkBackward(4, 7, true);
    checkBackward(2, 3, true);
  });
  it("end to end: batchNormTrain's xHat/invStd feed batchNormBackward (the facade's sequence)", () => {
    const B = 6, F = 5, n = B * F;
    seedData(99);
    const x = allocF32(n), weight = allocF32(F), bias = allocF32(F), y = allocF32(n), xHat = allocF32(n);
    const mean = allocF32(F), invStd = allocF32(F), rm = allocF32(F), rv = allocF32(F);
    const dy = allocF32(n), dx = allocF32(n), dWeight = allocF32(F), dBias = allocF32(F);
    fillData(x, n, -2, 3); fillData(weight, F, -2, 2); fillData(bias, F, -1, 1); fillData(dy, n, -1, 1);
    fillData(rm, F, 0, 0); fillData(rv, F, 1, 1);
    batchNormTrain(B, F, x, weight, bias, y, xHat, mean, invStd, rm, rv, 0.1, 1e-5);
    batchNormBackward(B, F, dy, xHat, weight, invStd, dx, dWeight, dBias);
    const xs = toF64(x, n), g = toF64(weight, F), bt = toF64(bias, F), w = toF64(dy, n);
    for (let o = 0; o < n; o++) {
      const xp = new Float64Array(n), xm = new Float64Array(n);
      xp.set(xs); xm.set(xs);
      xp[o] += H; xm[o] -= H;
      const fd = (lossOf(B, F, xp, g, bt, w, 1e-5) - lossOf(B, F, xm, g, bt, w, 1e-5)) / (2 * H);
      // Here xHat and invStd carry the forward's rounding (≤ (B + 12)·u·(1 + |xHat|) ≈ 10^-6
      // relative) on top of the backward bound above (≈ 10^-6 relative for B = 6): 10^-5 relative.
      if (!expectClose(getD(dx, o), fd, 1e-5 * (1 + Math.abs(fd)), "end-to-end dx", o)) return;
    }
    free(x); free(weight); free(bias); free(y); free(xHat); free(mean); free(invStd); free(rm); free(rv);
    free(dy); free(dx); free(dWeight); free(dBias);
  });
});
