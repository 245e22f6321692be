// gemm / gemmWorkspaceBytes against a naive triple loop in float64.
//
// Tolerance: for C = Σ_k a_ik·b_kj (+ bias_j) (+ C0_ij) computed in float32 in ANY summation
// order, the classical bound (Higham, Accuracy and Stability of Numerical Algorithms, §3.1) is
// |fl(C) − C| ≤ γ_n·S with S = Σ_k |a_ik·b_kj| + |bias_j| + |C0_ij|, n the longest chain of
// roundings (1 product + at most K+1 additions + 1 for the C load, so n ≤ K + 3) and
// γ_n = n·u/(1 − n·u), u = 2^-24. We use tol = 1.01·(K + 3)·u·S (n·u ≤ 520·2^-24 < 10^-4, so
// 1.01 covers the 1/(1 − n·u) factor). The float64 reference itself is exact per product (24+24
// bits < 53) and off by ≤ K·2^-53·S in the sum, nine orders of magnitude below tol. A single
// lost, duplicated or misplaced term of size ~|a||b| is far above tol (e.g. K = 513: tol ≈
// 3·10^-5·S while one term is ≈ S/K ≈ 2·10^-3·S).
//
// Inputs that must NOT be read are NaN (padding of A and B beyond their rows, C when
// accumulate = 0), so a wrong leading dimension or a stray read shows as NaN. Padding columns of
// C and a guard zone after every buffer, including the workspace of exactly
// gemmWorkspaceBytes(M, N, K) bytes, must come back bit-identical.

import { gemm, gemmWorkspaceBytes } from "../../assembly/gemm";
import {
  U, GUARD, allocF32, allocBytes, expectGuard, expectAllBits, expectClose, free, getD, getBits,
  setF, seedData, dataF32, fillData,
} from "./helpers";

const C_PAD_BITS: u32 = 0xc2f6a000; // -123.3125: C padding columns must keep it.
const NAN_BITS: u32 = 0x7fc00000;

function caseName(tA: i32, tB: i32, M: i32, N: i32, K: i32, acc: i32, bias: bool, pad: i32): string {
  return "gemm(tA=" + tA.toString() + ",tB=" + tB.toString() + "," + M.toString() + "x" + N.toString() +
    "x" + K.toString() + ",acc=" + acc.toString() + ",bias=" + (bias ? "1" : "0") + ",pad=" + pad.toString() + ")";
}

function fillNaN(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(p + (<usize>i << 2), NAN_BITS);
}

/**
 * One gemm call with op(A) M×K and op(B) K×N stored with leading dimensions `pad` larger than the
 * row length, checked element by element against the float64 triple loop.
 */
function runCase(tA: i32, tB: i32, M: i32, N: i32, K: i32, acc: i32, withBias: bool, pad: i32): void {
  const name = caseName(tA, tB, M, N, K, acc, withBias, pad);
  // Storage shapes: A is M×K (lda ≥ K) or, transposed, K×M (lda ≥ M); B is K×N or N×K.
  const aRows = tA ? K : M, aCols = tA ? M : K;
  const bRows = tB ? N : K, bCols = tB ? K : N;
  const lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
  const aLen = max(aRows * lda, 1), bLen = max(bRows * ldb, 1), cLen = max(M * ldc, 1);
  const a = allocF32(aLen), b = allocF32(bLen), c = allocF32(cLen), c0 = allocF32(cLen), bias = allocF32(max(N, 1));
  fillNaN(a, aLen);
  fillNaN(b, bLen);
  for (let r = 0; r < aRows; r++) for (let q = 0; q < aCols; q++) setF(a, r * lda + q, dataF32(-1, 1));
  for (let r = 0; r < bRows; r++) for (let q = 0; q < bCols; q++) setF(b, r * ldb + q, dataF32(-1, 1));
  fillData(bias, N, -2, 2);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      const o = (i * ldc + j) << 2;
      if (j >= N) store<u32>(c + o, C_PAD_BITS);
      else if (acc) store<f32>(c + o, dataF32(-4, 4));
      else store<u32>(c + o, NAN_BITS);
    }
  }
  memory.copy(c0, c, <usize>cLen << 2);
  const wsBytes = gemmWorkspaceBytes(M, N, K);
  expect<i32>(wsBytes).toBeGreaterThanOrEqual(0, name + ": workspace size");
  const work = allocBytes(wsBytes);

  gemm(tA, tB, M, N, K, a, lda, b, ldb, c, ldc, acc, withBias ? bias : 0, work);

  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let ref: f64 = 0, mag: f64 = 0;
      for (let k = 0; k < K; k++) {
        const av = tA ? getD(a, k * lda + i) : getD(a, i * lda + k);
        const bv = tB ? getD(b, j * ldb + k) : getD(b, k * ldb + j);
        ref += av * bv;
        mag += Math.abs(av * bv);
      }
      if (withBias) { ref += getD(bias, j); mag += Math.abs(getD(bias, j)); }
      if (acc) { ref += getD(c0, i * ldc + j); mag += Math.abs(getD(c0, i * ldc + j)); }
      const tol = 1.01 * <f64>(K + 3) * U * mag;
      if (!expectClose(getD(c, i * ldc + j), ref, tol, name + " C", i * ldc + j)) return;
    }
    for (let j = N; j < ldc; j++) {
      if (getBits(c, i * ldc + j) != C_PAD_BITS) {
        expect<u32>(getBits(c, i * ldc + j)).toBe(C_PAD_BITS, name + ": C padding column written at " + (i * ldc + j).toString());
        return;
      }
    }
  }
  // Inputs are read-only.
  for (let i = 0; i < aLen; i++) {
    const r = i / lda, q = i % lda;
    if (r < aRows && q >= aCols && getBits(a, i) != NAN_BITS) expect<bool>(false).toBe(true, name + ": A padding modified");
  }
  expectGuard(a, aLen << 2, name + " A");
  expectGuard(b, bLen << 2, name + " B");
  expectGuard(c, cLen << 2, name + " C");
  expectGuard(work, wsBytes, name + " workspace (gemmWorkspaceBytes too small?)");
  free(a); free(b); free(c); free(c0); free(bias); free(work);
}

/** Every transpose / accumulate / bias combination, tight and padded leading dimensions. */
function allCombos(M: i32, N: i32, K: i32): void {
  seedData(<u64>(M * 1000003 + N * 1009 + K));
  for (let tA = 0; tA < 2; tA++) {
    for (let tB = 0; tB < 2; tB++) {
      for (let acc = 0; acc < 2; acc++) {
        for (let bias = 0; bias < 2; bias++) {
          runCase(tA, tB, M, N, K, acc, bias != 0, 0);
          runCase(tA, tB, M, N, K, acc, bias != 0, 5);
        }
      }
    }
  }
}

describe("gemm: all four transA/transB, accumulate on/off, bias on/off, lda/ldb/ldc tight and +5", () => {
  it("1x1x1", () => { allCombos(1, 1, 1); });
  it("2x3x1", () => { allCombos(2, 3, 1); });
  it("3x5x7", () => { allCombos(3, 5, 7); });
  it("4x8x16 (exact 4x8 micro-tiles)", () => { allCombos(4, 8, 16); });
  it("5x9x4 (one row and one column past a tile)", () => { allCombos(5, 9, 4); });
  it("8x16x256 (exactly one k block)", () => { allCombos(8, 16, 256); });
  it("13x17x300 (two k blocks of 150)", () => { allCombos(13, 17, 300); });
  it("65x9x513 (M past the 64-row A block, three k blocks)", () => { allCombos(65, 9, 513); });
  it("70x20x257 (two k blocks of 129, M > 64)", () => { allCombos(70, 20, 257); });
  it("1x33x40 and 33x1x40 (single row / single column)", () => { allCombos(1, 33, 40); allCombos(33, 1, 40); });
});

// Results exactly representable: small integers, so every order of summation is exact and the
// expected matrix is known in closed form. A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]:
// A·B = [[4,5],[10,11]].
describe("gemm: closed-form small case", () => {
  it("A·B, Aᵀ stored, Bᵀ stored give the same exact result", () => {
    const a = allocF32(6), at = allocF32(6), b = allocF32(6), bt = allocF32(6), c = allocF32(4);
    const av: f32[] = [1, 2, 3, 4, 5, 6];
    const bv: f32[] = [1, 0, 0, 1, 1, 1];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 3; k++) { setF(a, i * 3 + k, av[i * 3 + k]); setF(at, k * 2 + i, av[i * 3 + k]); }
    for (let k = 0; k < 3; k++) for (let j = 0; j < 2; j++) { setF(b, k * 2 + j, bv[k * 2 + j]); setF(bt, j * 3 + k, bv[k * 2 + j]); }
    const expected: f64[] = [4, 5, 10, 11];
    const work = allocBytes(gemmWorkspaceBytes(2, 2, 3));
    for (let tA = 0; tA < 2; tA++) {
      for (let tB = 0; tB < 2; tB++) {
        gemm(tA, tB, 2, 2, 3, tA ? at : a, tA ? 2 : 3, tB ? bt : b, tB ? 3 : 2, c, 2, 0, 0, work);
        for (let i = 0; i < 4; i++) expect<f64>(getD(c, i)).toBe(expected[i], "tA=" + tA.toString() + " tB=" + tB.toString());
      }
    }
    free(a); free(at); free(b); free(bt); free(c); free(work);
  });
});

describe("gemm: degenerate sizes", () => {
  it("M = 0 and N = 0 are no-ops (C, workspace untouched)", () => {
    const a = allocF32(16), b = allocF32(16), c = allocF32(16), bias = allocF32(4);
    fillData(a, 16, -1, 1);
    fillData(b, 16, -1, 1);
    fillData(bias, 4, -1, 1);
    const work = allocBytes(4096);
    for (let acc = 0; acc < 2; acc++) {
      gemm(0, 0, 0, 4, 4, a, 4, b, 4, c, 4, acc, bias, work);
      gemm(1, 1, 4, 0, 4, a, 4, b, 4, c, 4, acc, bias, work);
      gemm(0, 1, 0, 0, 0, a, 4, b, 4, c, 4, acc, bias, work);
    }
    expectAllBits(c, 16, GUARD, "C");
    expectAllBits(work, 1024, GUARD, "workspace");
    expect<i32>(gemmWorkspaceBytes(0, 4, 4)).toBeGreaterThanOrEqual(0);
    free(a); free(b); free(c); free(bias); free(work);
  });

  it("K = 0: C = bias, C = 0, C unchanged (accumulate), C += bias (accumulate); padding kept", () => {
    const M = 3, N = 5, ldc = 7;
    const c = allocF32(M * ldc), bias = allocF32(N), c0 = allocF32(M * ldc);
    seedData(77);
    fillData(bias, N, -3, 3);
    const ws = gemmWorkspaceBytes(M, N, 0);
    const work = allocBytes(ws);
    for (let acc = 0; acc < 2; acc++) {
      for (let withBias = 0; withBias < 2; withBias++) {
        for (let i = 0; i < M * ldc; i++) store<u32>(c + (<usize>i << 2), i % ldc >= N ? C_PAD_BITS : NAN_BITS);
        if (acc) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) setF(c, i * ldc + j, dataF32(-4, 4));
        memory.copy(c0, c, <usize>(M * ldc) << 2);
        // A and B pointers are 0: with K = 0 nothing may be read from them.
        gemm(withBias, acc, M, N, 0, 0, 1, 0, 1, c, ldc, acc, withBias ? bias : 0, work);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            const o = i * ldc + j;
            const expected: f32 = (acc ? load<f32>(c0 + (<usize>o << 2)) : 0) + (withBias ? load<f32>(bias + (<usize>j << 2)) : 0);
            // One float32 addition at most: exactly the correctly rounded sum.
            expect<f32>(load<f32>(c + (<usize>o << 2))).toBe(expected, "K=0 acc=" + acc.toString() + " bias=" + withBias.toString() + " at " + o.toString());
          }
          for (let j = N; j < ldc; j++) expect<u32>(getBits(c, i * ldc + j)).toBe(C_PAD_BITS, "K=0 padding");
        }
      }
    }
    expectGuard(work, ws, "K=0 workspace");
    free(c); free(bias); free(c0); free(work);
  });

  it("K < 0 behaves like K = 0 (documented as the empty sum)", () => {
    const c = allocF32(4), bias = allocF32(2);
    setF(bias, 0, 1.5); setF(bias, 1, -2.5);
    const work = allocBytes(64);
    gemm(0, 0, 2, 2, -1, 0, 1, 0, 1, c, 2, 0, bias, work);
    expect<f32>(load<f32>(c)).toBe(1.5);
    expect<f32>(load<f32>(c, 4)).toBe(-2.5);
    expect<f32>(load<f32>(c, 8)).toBe(1.5);
    expect<f32>(load<f32>(c, 12)).toBe(-2.5);
    free(c); free(bias); free(work);
  });
});

describe("gemmWorkspaceBytes", () => {
  it("is non-negative for many sizes, including M, N or K = 0", () => {
    for (let M = 0; M < 140; M += 7) {
      for (let N = 0; N < 90; N += 9) {
        for (let K = 0; K < 1100; K += 37) {
          const ws = gemmWorkspaceBytes(M, N, K);
          if (ws < 0) {
            expect<i32>(ws).toBeGreaterThanOrEqual(0, "gemmWorkspaceBytes(" + M.toString() + "," + N.toString() + "," + K.toString() + ")");
            return;
          }
        }
      }
    }
  });

  // The facade (ts-wrapper/models/mlp.ts, workspace()) sizes ONE workspace with
  // gemmWorkspaceBytes(...) for the largest batch `cap` and reuses it for every smaller batch B,
  // including the weight-gradient gemm(1, 0, OUT, IN, B, ...) whose K is the batch. That is only
  // safe if gemmWorkspaceBytes is monotone in M, N and K.
  it("a workspace sized for larger M, N, K suffices for smaller ones (facade reuse)", () => {
    for (let K = 1; K <= 800; K++) {
      for (let k2 = 1; k2 < K; k2 += 1) {
        const big = gemmWorkspaceBytes(100, 784, K), small = gemmWorkspaceBytes(100, 784, k2);
        if (small > big) {
          expect<i32>(small).toBeLessThanOrEqual(big, "gemmWorkspaceBytes(100, 784, " + k2.toString() + ") = " +
            small.toString() + " > gemmWorkspaceBytes(100, 784, " + K.toString() + ") = " + big.toString());
          return;
        }
      }
    }
    for (let M = 1; M <= 140; M++) {
      if (gemmWorkspaceBytes(M - 1, 8, 100) > gemmWorkspaceBytes(M, 8, 100)) expect<i32>(M).toBe(-1, "not monotone in M");
    }
    for (let N = 1; N <= 140; N++) {
      if (gemmWorkspaceBytes(8, N - 1, 100) > gemmWorkspaceBytes(8, N, 100)) expect<i32>(N).toBe(-1, "not monotone in N");
    }
  });

  it("facade reuse, concretely: workspace for batch 300 used by the weight-gradient gemm of batch 256", () => {
    // dW[OUT×IN] = dZᵀ·X with dZ B×OUT, X B×IN: gemm(1, 0, OUT, IN, B, dZ, OUT, X, IN, dW, IN, ...).
    const OUT = 4, IN = 8, cap = 300, B = 256;
    seedData(300);
    const dZ = allocF32(B * OUT), X = allocF32(B * IN), dW = allocF32(OUT * IN);
    fillData(dZ, B * OUT, -1, 1);
    fillData(X, B * IN, -1, 1);
    const ws = max(gemmWorkspaceBytes(cap, OUT, IN), max(gemmWorkspaceBytes(OUT, IN, cap), gemmWorkspaceBytes(cap, IN, OUT)));
    // 16 KiB of sentinel after the workspace, so an overrun lands in it and not in heap metadata.
    const slack = 16384;
    const work = allocBytes(ws + slack);
    const what = "workspace sized for batch " + cap.toString() + " (" + ws.toString() + " bytes) used with batch " +
      B.toString() + " (gemmWorkspaceBytes(OUT, IN, B) = " + gemmWorkspaceBytes(OUT, IN, B).toString() + ")";
    gemm(1, 0, OUT, IN, B, dZ, OUT, X, IN, dW, IN, 0, 0, work);
    let overrun = 0;
    for (let o = ws; o < ws + slack; o += 4) if (load<u32>(work + <usize>o) != GUARD) overrun = o + 4 - ws;
    expect<i32>(overrun).toBe(0, what + ": bytes written past the end");
    free(dZ); free(X); free(dW); free(work);
  });
});
