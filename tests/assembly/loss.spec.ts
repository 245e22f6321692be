// softmaxRows, softmaxCrossEntropy, squaredError against float64 closed forms.
//
// Tolerances (u = 2^-24):
// - softmax: each e_j = exp(z_j − peak) has Mathf.exp's ~2u relative error plus the rounding of
//   z_j − peak (absolute ≤ u·|z_j − peak|, which moves e_j by ≤ u·|x|e^-x ≤ u/e absolutely); the
//   float32 sum of N terms adds ≤ N·u relative, the reciprocal and product 2u. So
//   |p_j − p̂_j| ≤ (N + 6)·u·p̂_j + u, and a row sums to 1 within (N + 6)·u + N·u.
// - cross-entropy loss: the kernel sums exp in float64, so the only float32 rounding is
//   z_j − peak; |loss − losŝ| ≤ Σ_j |y_j|·(u·|z_j − peak| + 2^-40·(1 + |log p̂_j|)) per row, where
//   the 2^-40 term is a generous bound on float64 rounding in exp/log/sums.
// - cross-entropy gradient: p_j is rounded to float32 (u·p), then p − y and ·scale each round
//   once: |g − ĝ| ≤ 4u·(p̂ + |p̂ − y|)·|scale| + u·|scale|.
// - squared error: d = ŷ − y rounds once (u·|d|), so ½d² is within 2u·½d² + float64 noise and
//   the gradient d·scale within 2u·|d·scale|.

import { softmaxRows, softmaxCrossEntropy, squaredError } from "../../assembly/loss";
import {
  U, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getD, getF, setF, seedData, fillData,
  copyF32, dataIndex,
} from "./helpers";

/** float64 softmax of row i of an M×N matrix at z into ref (float64 array). */
function refSoftmaxRow(z: usize, N: i32, i: i32, ref: Float64Array): void {
  let peak = -Infinity;
  for (let j = 0; j < N; j++) peak = Math.max(peak, getD(z, i * N + j));
  let sum: f64 = 0;
  for (let j = 0; j < N; j++) sum += Math.exp(getD(z, i * N + j) - peak);
  for (let j = 0; j < N; j++) ref[j] = Math.exp(getD(z, i * N + j) - peak) / sum;
}

function refLogSumExp(z: usize, N: i32, i: i32): f64 {
  let peak = -Infinity;
  for (let j = 0; j < N; j++) peak = Math.max(peak, getD(z, i * N + j));
  let sum: f64 = 0;
  for (let j = 0; j < N; j++) sum += Math.exp(getD(z, i * N + j) - peak);
  return peak + Math.log(sum);
}

function checkSoftmax(M: i32, N: i32, lo: f64, hi: f64, aliased: bool): void {
  const name = "softmaxRows(" + M.toString() + "x" + N.toString() + ", z in [" + lo.toString() + "," + hi.toString() + ")" + (aliased ? ", out==z)" : ")");
  seedData(<u64>(M * 100 + N));
  const len = M * N;
  const z = allocF32(len + 1), z0 = allocF32(len + 1);
  fillData(z, len, lo, hi);
  copyF32(z, z0, len);
  const out = aliased ? z : allocF32(len + 1);
  softmaxRows(M, N, z, out);
  const ref = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    refSoftmaxRow(z0, N, i, ref);
    let rowSum: f64 = 0;
    for (let j = 0; j < N; j++) {
      const p = getD(out, i * N + j);
      rowSum += p;
      if (!expectClose(p, ref[j], <f64>(N + 6) * U * ref[j] + U, name, i * N + j)) return;
    }
    expectClose(rowSum, 1, <f64>(2 * N + 6) * U, name + " row sum", i);
  }
  expectAllBits(out + (<usize>len << 2), 1, GUARD, name + ": past M·N");
  expectGuard(out, (len + 1) << 2, name);
  free(z); free(z0);
  if (!aliased) free(out);
}

describe("softmaxRows", () => {
  it("matches float64 softmax, rows sum to 1; N = 1, 3, 4, 7, 10, 33; M = 1, 5", () => {
    const Ns: i32[] = [1, 2, 3, 4, 7, 10, 33];
    for (let a = 0; a < Ns.length; a++) {
      checkSoftmax(1, Ns[a], -5, 5, false);
      checkSoftmax(5, Ns[a], -20, 20, false);
    }
  });
  it("in place (out == z)", () => {
    checkSoftmax(4, 7, -5, 5, true);
    checkSoftmax(3, 10, -30, 30, true);
  });
  it("large logits (around 1000, and ±1e30) do not overflow", () => {
    checkSoftmax(3, 9, 990, 1010, false);
    checkSoftmax(2, 5, -1e30, 1e30, false);
    // Closed form: softmax([1000, 999, 998]) = [1, e^-1, e^-2] / (1 + e^-1 + e^-2).
    const z = allocF32(3), out = allocF32(3);
    setF(z, 0, 1000); setF(z, 1, 999); setF(z, 2, 998);
    softmaxRows(1, 3, z, out);
    const s = 1 + Math.exp(-1) + Math.exp(-2);
    expectClose(getD(out, 0), 1 / s, 9 * U, "softmax 1000");
    expectClose(getD(out, 1), Math.exp(-1) / s, 9 * U, "softmax 999");
    expectClose(getD(out, 2), Math.exp(-2) / s, 9 * U, "softmax 998");
    free(z); free(out);
  });
  it("invariant to adding a constant to a row (bit-identical when z + c is exact)", () => {
    // z = k/64 for |k| < 640: z + c stays exact in float32 for c = 1000 (16 significant bits), so
    // z − peak is the same float32 number and the outputs must be bit-identical.
    const M = 3, N = 11, len = M * N;
    const z = allocF32(len), zc = allocF32(len), p = allocF32(len), pc = allocF32(len);
    seedData(5);
    const shifts: f32[] = [1000, -1000, 64];
    for (let s = 0; s < shifts.length; s++) {
      for (let i = 0; i < len; i++) {
        const v = <f32>(dataIndex(1280) - 640) / 64;
        setF(z, i, v);
        setF(zc, i, v + shifts[s]);
      }
      softmaxRows(M, N, z, p);
      softmaxRows(M, N, zc, pc);
      for (let i = 0; i < len; i++) expect<f32>(getF(pc, i)).toBe(getF(p, i), "shift " + shifts[s].toString() + " at " + i.toString());
    }
    free(z); free(zc); free(p); free(pc);
  });
  it("uniform row gives 1/N; M = 0 is a no-op", () => {
    const z = allocF32(7), out = allocF32(7);
    fillData(z, 7, 0, 0);
    for (let j = 0; j < 7; j++) setF(z, j, 3.5);
    softmaxRows(1, 7, z, out);
    for (let j = 0; j < 7; j++) expectClose(getD(out, j), 1.0 / 7.0, 2 * U, "1/7", j);
    const untouched = allocF32(4);
    softmaxRows(0, 4, z, untouched);
    expectAllBits(untouched, 4, GUARD, "M = 0");
    free(z); free(out); free(untouched);
  });
});

/** Targets: one-hot rows when `soft` is false, else random positive rows normalised to sum 1. */
function makeTargets(y: usize, M: i32, N: i32, soft: bool): void {
  for (let i = 0; i < M; i++) {
    if (!soft) {
      for (let j = 0; j < N; j++) setF(y, i * N + j, 0);
      setF(y, i * N + dataIndex(N), 1);
    } else {
      let s: f64 = 0;
      for (let j = 0; j < N; j++) { const v = 0.05 + <f64>dataIndex(1000) / 1000; setF(y, i * N + j, <f32>v); s += <f64>getF(y, i * N + j); }
      for (let j = 0; j < N; j++) setF(y, i * N + j, <f32>(getD(y, i * N + j) / s));
    }
  }
}

function checkCrossEntropy(M: i32, N: i32, lo: f64, hi: f64, soft: bool, gradScale: f32, aliased: bool): void {
  const name = "softmaxCrossEntropy(" + M.toString() + "x" + N.toString() + (soft ? ", soft" : ", one-hot") +
    ", z in [" + lo.toString() + "," + hi.toString() + "), scale " + gradScale.toString() + (aliased ? ", grad==z)" : ")");
  seedData(<u64>(M * 31 + N * 7 + (soft ? 1 : 0)));
  const len = M * N;
  const z = allocF32(len + 1), z0 = allocF32(len + 1), y = allocF32(len + 1);
  fillData(z, len, lo, hi);
  copyF32(z, z0, len);
  makeTargets(y, M, N, soft);
  const grad = aliased ? z : allocF32(len + 1);
  const loss = softmaxCrossEntropy(M, N, z, y, grad, gradScale);
  const ref = new Float64Array(N);
  let refLoss: f64 = 0, lossTol: f64 = 0;
  for (let i = 0; i < M; i++) {
    const lse = refLogSumExp(z0, N, i);
    let peak = -Infinity;
    for (let j = 0; j < N; j++) peak = Math.max(peak, getD(z0, i * N + j));
    refSoftmaxRow(z0, N, i, ref);
    // Rounding of z_k − peak in float32 also moves log Σ exp by ≤ Σ_k p_k·u·|z_k − peak|.
    let lseErr: f64 = 0;
    for (let k = 0; k < N; k++) lseErr += ref[k] * U * Math.abs(getD(z0, i * N + k) - peak);
    for (let j = 0; j < N; j++) {
      const t = getD(y, i * N + j), zj = getD(z0, i * N + j);
      const logP = zj - lse;
      refLoss -= t * logP;
      lossTol += Math.abs(t) * (U * Math.abs(zj - peak) + lseErr + 9.094947017729282e-13 * (1 + Math.abs(logP)));
      const g = (ref[j] - t) * <f64>gradScale;
      const gTol = (4 * U * (ref[j] + Math.abs(ref[j] - t)) + U) * Math.abs(<f64>gradScale);
      if (!expectClose(getD(grad, i * N + j), g, gTol, name + " grad", i * N + j)) return;
    }
  }
  expectClose(loss, refLoss, lossTol, name + " loss");
  expectAllBits(grad + (<usize>len << 2), 1, GUARD, name + ": past M·N");
  free(z); free(z0); free(y);
  if (!aliased) free(grad);
}

describe("softmaxCrossEntropy", () => {
  it("loss = −Σ y·log softmax(z) (float64 reference), grad = (p − y)·scale; one-hot and soft targets", () => {
    const Ns: i32[] = [1, 2, 3, 4, 7, 10, 13];
    for (let a = 0; a < Ns.length; a++) {
      checkCrossEntropy(1, Ns[a], -4, 4, false, 1, false);
      checkCrossEntropy(6, Ns[a], -10, 10, false, 1.0 / 6.0, false);
      checkCrossEntropy(5, Ns[a], -3, 3, true, 0.2, false);
    }
  });
  it("grad may alias z", () => {
    checkCrossEntropy(4, 10, -5, 5, false, 0.25, true);
    checkCrossEntropy(3, 7, -5, 5, true, 1, true);
  });
  it("extreme logits: ±1000 and ±1e30, finite loss and gradient", () => {
    checkCrossEntropy(4, 5, 990, 1010, false, 0.25, false);
    checkCrossEntropy(3, 6, -1e30, 1e30, false, 1, false);
    // Closed form: z = [1000, −1000, 0]: log p = [0, −2000, −1000] to float64 precision.
    const z = allocF32(3), y = allocF32(3), g = allocF32(3);
    setF(z, 0, 1000); setF(z, 1, -1000); setF(z, 2, 0);
    const expectedLoss: f64[] = [0, 2000, 1000];
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 3; j++) setF(y, j, j == k ? 1 : 0);
      const loss = softmaxCrossEntropy(1, 3, z, y, g, 1);
      expectClose(loss, expectedLoss[k], 1e-9, "loss with target " + k.toString());
      for (let j = 0; j < 3; j++) {
        const p: f64 = j == 0 ? 1 : 0;
        expect<f64>(getD(g, j)).toBe(p - (j == k ? 1 : 0), "grad target " + k.toString() + " at " + j.toString());
      }
    }
    free(z); free(y); free(g);
  });
  it("N = 1: p = 1, loss 0, grad (1 − y)·scale; uniform logits: loss log N", () => {
    const z = allocF32(10), y = allocF32(10), g = allocF32(10);
    setF(z, 0, 123.5); setF(y, 0, 1);
    expect<f64>(softmaxCrossEntropy(1, 1, z, y, g, 0.5)).toBe(0);
    expect<f32>(getF(g, 0)).toBe(0);
    for (let j = 0; j < 10; j++) { setF(z, j, -2); setF(y, j, j == 3 ? 1 : 0); }
    expectClose(softmaxCrossEntropy(1, 10, z, y, g, 1), Math.log(10), 1e-12, "log 10");
    for (let j = 0; j < 10; j++) expectClose(getD(g, j), 0.1 - (j == 3 ? 1 : 0), 4 * U, "uniform grad", j);
    free(z); free(y); free(g);
  });
  it("M = 0: loss 0, nothing written", () => {
    const g = allocF32(4);
    expect<f64>(softmaxCrossEntropy(0, 4, g, g, g, 1)).toBe(0);
    expectAllBits(g, 4, GUARD, "M = 0");
    free(g);
  });
});

function checkSquaredError(n: i32, gradScale: f32, aliased: bool): void {
  const name = "squaredError(n=" + n.toString() + ", scale " + gradScale.toString() + (aliased ? ", grad==yHat)" : ")");
  seedData(<u64>(n * 13 + 1));
  const yHat = allocF32(n + 1), y0 = allocF32(n + 1), y = allocF32(n + 1);
  fillData(yHat, n, -4, 4);
  fillData(y, n, -4, 4);
  copyF32(yHat, y0, n);
  const grad = aliased ? yHat : allocF32(n + 1);
  const loss = squaredError(n, yHat, y, grad, gradScale);
  let ref: f64 = 0, tol: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = getD(y0, i) - getD(y, i);
    ref += 0.5 * d * d;
    tol += 2 * U * 0.5 * d * d + 1e-15 * (1 + 0.5 * d * d);
    if (!expectClose(getD(grad, i), d * <f64>gradScale, 2 * U * Math.abs(d * <f64>gradScale), name + " grad", i)) return;
  }
  expectClose(loss, ref, tol, name + " loss");
  expectAllBits(grad + (<usize>n << 2), 1, GUARD, name + ": past n");
  free(yHat); free(y0); free(y);
  if (!aliased) free(grad);
}

describe("squaredError", () => {
  it("loss = ½Σ(ŷ − y)², grad = (ŷ − y)·scale; n = 0, 1, 3, 4, 7, 1001", () => {
    const ns: i32[] = [0, 1, 3, 4, 7, 1001];
    for (let a = 0; a < ns.length; a++) {
      checkSquaredError(ns[a], 1, false);
      checkSquaredError(ns[a], 0.125, false);
      checkSquaredError(ns[a], 1.0 / 3.0, false);
    }
  });
  it("grad may alias yHat", () => {
    checkSquaredError(7, 0.5, true);
    checkSquaredError(1001, 1, true);
  });
  it("closed form: ŷ = [3, -1, 0.5], y = [1, 1, 0.5] → loss 4, grad [2, −2, 0]·scale", () => {
    const yh = allocF32(3), y = allocF32(3), g = allocF32(3);
    setF(yh, 0, 3); setF(yh, 1, -1); setF(yh, 2, 0.5);
    setF(y, 0, 1); setF(y, 1, 1); setF(y, 2, 0.5);
    expect<f64>(squaredError(3, yh, y, g, 0.25)).toBe(4);
    expect<f32>(getF(g, 0)).toBe(0.5); expect<f32>(getF(g, 1)).toBe(-0.5); expect<f32>(getF(g, 2)).toBe(0);
    free(yh); free(y); free(g);
  });
});
