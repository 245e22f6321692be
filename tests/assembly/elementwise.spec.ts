// fill, axpy, scale, columnSums, firstNonFinite against scalar float64 references.
//
// Tolerances: axpy is one product and one sum in float32, so |error| ≤ 2u·(|y| + |α·x|)
// (u = 2^-24); scale is one product, |error| ≤ u·|α·x|; a column sum of M rows (+ the previous
// value when accumulating) is a chain of at most M + 1 float32 additions, |error| ≤ (M + 1)·u·Σ|x|
// (Higham §3.1, first order; n·u < 10^-5 here). fill and firstNonFinite are exact.
// Sizes cover n = 0, 1, 3 (scalar tail only), 4, 7, 8, 13, 1001 (SIMD body + tail); the guard zone
// after each buffer and the elements past n must be untouched.

import { fill, axpy, scale, columnSums, firstNonFinite } from "../../assembly/elementwise";
import {
  U, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getD, getF, getBits, setF, seedData,
  fillData, copyF32,
} from "./helpers";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 13, 16, 1001];

function checkFill(n: i32): void {
  const p = allocF32(n + 3);
  fill(n, -2.75, p);
  for (let i = 0; i < n; i++) expect<f32>(getF(p, i)).toBe(-2.75, "fill n=" + n.toString() + " at " + i.toString());
  expectAllBits(p + (<usize>n << 2), 3, GUARD, "fill n=" + n.toString() + ": past n");
  expectGuard(p, (n + 3) << 2, "fill");
  // Special values are stored bit-exactly.
  fill(n, -0.0, p);
  for (let i = 0; i < n; i++) expect<u32>(getBits(p, i)).toBe(0x80000000, "fill -0");
  fill(n, Infinity, p);
  for (let i = 0; i < n; i++) expect<f32>(getF(p, i)).toBe(Infinity, "fill +Inf");
  free(p);
}

function checkAxpy(n: i32, alpha: f32): void {
  seedData(<u64>(n * 31 + 7));
  const x = allocF32(n + 2), y = allocF32(n + 2), y0 = allocF32(n + 2);
  fillData(x, n, -10, 10);
  fillData(y, n, -10, 10);
  copyF32(y, y0, n);
  const x0 = allocF32(n + 2);
  copyF32(x, x0, n);
  axpy(n, alpha, x, y);
  for (let i = 0; i < n; i++) {
    const ax = <f64>alpha * getD(x0, i);
    const ref = getD(y0, i) + ax;
    if (!expectClose(getD(y, i), ref, 2 * U * (Math.abs(getD(y0, i)) + Math.abs(ax)), "axpy n=" + n.toString() + " y", i)) return;
    expect<u32>(getBits(x, i)).toBe(getBits(x0, i), "axpy must not modify x");
  }
  expectAllBits(y + (<usize>n << 2), 2, GUARD, "axpy: past n");
  expectGuard(y, (n + 2) << 2, "axpy y");
  free(x); free(y); free(y0); free(x0);
}

function checkScale(n: i32, alpha: f32): void {
  seedData(<u64>(n * 17 + 3));
  const x = allocF32(n + 2), x0 = allocF32(n + 2);
  fillData(x, n, -100, 100);
  copyF32(x, x0, n);
  scale(n, alpha, x);
  for (let i = 0; i < n; i++) {
    const ref = <f64>alpha * getD(x0, i);
    if (!expectClose(getD(x, i), ref, U * Math.abs(ref), "scale n=" + n.toString(), i)) return;
  }
  expectAllBits(x + (<usize>n << 2), 2, GUARD, "scale: past n");
  free(x); free(x0);
}

function checkColumnSums(M: i32, N: i32, ldx: i32, accumulate: i32): void {
  const name = "columnSums(" + M.toString() + "x" + N.toString() + ", ldx=" + ldx.toString() + ", acc=" + accumulate.toString() + ")";
  seedData(<u64>(M * 1000 + N * 10 + accumulate));
  const x = allocF32(max(M * ldx, 1)), out = allocF32(N + 2), out0 = allocF32(N + 2);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldx; j++) setF(x, i * ldx + j, j < N ? <f32>0 : NaN); // padding must not be read
    fillData(x + (<usize>(i * ldx) << 2), N, -5, 5);
  }
  if (accumulate) fillData(out, N, -50, 50);
  copyF32(out, out0, N);
  columnSums(M, N, x, ldx, out, accumulate);
  for (let j = 0; j < N; j++) {
    let ref: f64 = accumulate ? getD(out0, j) : 0;
    let mag: f64 = Math.abs(ref);
    for (let i = 0; i < M; i++) { ref += getD(x, i * ldx + j); mag += Math.abs(getD(x, i * ldx + j)); }
    if (!expectClose(getD(out, j), ref, <f64>(M + 1) * U * mag, name, j)) return;
  }
  expectAllBits(out + (<usize>N << 2), 2, GUARD, name + ": past N");
  expectGuard(out, (N + 2) << 2, name);
  free(x); free(out); free(out0);
}

describe("fill", () => {
  it("writes exactly n values, n = 0, 1, 3, 4, 7, ... 1001", () => {
    for (let s = 0; s < SIZES.length; s++) checkFill(SIZES[s]);
  });
});

describe("axpy", () => {
  it("y += αx within 2u(|y| + |αx|), several α, all sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      checkAxpy(SIZES[s], 0.37);
      checkAxpy(SIZES[s], -3);
      checkAxpy(SIZES[s], 0);
    }
  });
  it("exact on small integers: [1,2,3,4,5] += 2·[1,1,1,1,1]", () => {
    const x = allocF32(5), y = allocF32(5);
    for (let i = 0; i < 5; i++) { setF(x, i, 1); setF(y, i, <f32>(i + 1)); }
    axpy(5, 2, x, y);
    for (let i = 0; i < 5; i++) expect<f32>(getF(y, i)).toBe(<f32>(i + 3));
    free(x); free(y);
  });
});

describe("scale", () => {
  it("x *= α within u|αx|, several α, all sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      checkScale(SIZES[s], 0.1);
      checkScale(SIZES[s], -2);
      checkScale(SIZES[s], 0);
    }
  });
});

describe("columnSums", () => {
  it("accumulate off and on, N not divisible by 4, ldx > N, M = 0, 1, many rows", () => {
    const Ms: i32[] = [0, 1, 2, 5, 64, 300];
    const Ns: i32[] = [1, 3, 4, 7, 9, 33];
    for (let a = 0; a < Ms.length; a++) {
      for (let b = 0; b < Ns.length; b++) {
        for (let acc = 0; acc < 2; acc++) {
          checkColumnSums(Ms[a], Ns[b], Ns[b], acc);
          checkColumnSums(Ms[a], Ns[b], Ns[b] + 3, acc);
        }
      }
    }
  });
  it("exact small case: [[1,2,3],[10,20,30]] → [11,22,33], then accumulate → [22,44,66]", () => {
    const x = allocF32(6), out = allocF32(3);
    const v: f32[] = [1, 2, 3, 10, 20, 30];
    for (let i = 0; i < 6; i++) setF(x, i, v[i]);
    columnSums(2, 3, x, 3, out, 0);
    expect<f32>(getF(out, 0)).toBe(11); expect<f32>(getF(out, 1)).toBe(22); expect<f32>(getF(out, 2)).toBe(33);
    columnSums(2, 3, x, 3, out, 1);
    expect<f32>(getF(out, 0)).toBe(22); expect<f32>(getF(out, 1)).toBe(44); expect<f32>(getF(out, 2)).toBe(66);
    free(x); free(out);
  });
});

function nonFiniteCase(n: i32, at: i32, v: f32): i32 {
  const p = allocF32(max(n, 1) + 1);
  for (let i = 0; i < n; i++) setF(p, i, <f32>i * 0.5 - 3);
  if (at >= 0) setF(p, at, v);
  const r = firstNonFinite(n, p);
  free(p);
  return r;
}

describe("firstNonFinite", () => {
  it("finds NaN, +Inf, -Inf at the first, a middle and the last position", () => {
    const ns: i32[] = [1, 3, 4, 9, 100];
    const specials: f32[] = [NaN, Infinity, -Infinity];
    for (let a = 0; a < ns.length; a++) {
      const n = ns[a];
      for (let s = 0; s < 3; s++) {
        expect<i32>(nonFiniteCase(n, 0, specials[s])).toBe(0);
        expect<i32>(nonFiniteCase(n, n / 2, specials[s])).toBe(n / 2);
        expect<i32>(nonFiniteCase(n, n - 1, specials[s])).toBe(n - 1);
      }
    }
  });
  it("returns the first of several", () => {
    const p = allocF32(10);
    fillData(p, 10, -1, 1);
    setF(p, 7, NaN); setF(p, 3, -Infinity); setF(p, 5, Infinity);
    expect<i32>(firstNonFinite(10, p)).toBe(3);
    free(p);
  });
  it("-1 when all finite (incl. ±max float, subnormals, -0), and for n = 0", () => {
    const p = allocF32(6);
    setF(p, 0, 3.4028234663852886e38); setF(p, 1, -3.4028234663852886e38); setF(p, 2, 1.4e-45);
    setF(p, 3, -0.0); setF(p, 4, 0); setF(p, 5, 1);
    expect<i32>(firstNonFinite(6, p)).toBe(-1);
    expect<i32>(nonFiniteCase(7, -1, 0)).toBe(-1);
    // n = 0 looks at nothing, even when the first element is NaN.
    setF(p, 0, NaN);
    expect<i32>(firstNonFinite(0, p)).toBe(-1);
    // Values past n are ignored.
    expect<i32>(firstNonFinite(0, p)).toBe(-1);
    setF(p, 0, 1); setF(p, 4, Infinity);
    expect<i32>(firstNonFinite(4, p)).toBe(-1);
    expect<i32>(firstNonFinite(5, p)).toBe(4);
    free(p);
  });
});
