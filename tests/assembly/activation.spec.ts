// activationForward / activationBackward for 0 identity, 1 ReLU, 2 sigmoid, 3 tanh, against the
// closed forms evaluated in float64.
//
// Tolerances (u = 2^-24):
// - identity and ReLU are exact (copies / max / selects).
// - sigmoid forward, 1/(1 + e^-z): Mathf.exp is within ~1 ulp (2u relative), then one addition
//   and one division round: relative error ≤ 4u; we allow 8u·|σ(z)| + 2^-126 (the absolute floor
//   covers results that underflow to float32 subnormals / zero for z < −87).
// - tanh forward: Mathf.tanh (musl port) is within a few ulp: 8u·|tanh z| + 2^-126.
// - backward from the given a: three float32 operations on exact inputs, ≤ 4u·|da|·(|s(1−s)| +
//   s²) for sigmoid (s² bounds the rounding of 1 − s) and ≤ 4u·|da|·(t² + |1 − t²|) for tanh,
//   plus 4·2^-149 (four float32 subnormal steps) where the product underflows to subnormals.
// - backward chained from forward, against the closed-form derivative of z: the forward error
//   δa ≤ 8u·|a| + 2^-126 propagates with |d(s(1−s))/ds| = |1 − 2s| ≤ 1 and |d(1−t²)/dt| = 2|t|,
//   so we allow |da|·(16u·|a| + 4u·|σ'| + 2^-120) (factor 2 of headroom on δa).

import { activationForward, activationBackward } from "../../assembly/activation";
import {
  U, MIN_NORMAL, SUBNORMAL_STEP, GUARD, allocF32, expectAllBits, expectClose, expectGuard, free, getD, getF, getBits, setF,
  seedData, fillData, copyF32,
} from "./helpers";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 13, 67];

function refForward(kind: i32, z: f64): f64 {
  if (kind == 1) return z > 0 ? z : 0;
  if (kind == 2) return 1 / (1 + Math.exp(-z));
  if (kind == 3) return Math.tanh(z);
  return z;
}

function refDerivative(kind: i32, z: f64): f64 {
  if (kind == 1) return z > 0 ? 1 : 0;
  if (kind == 2) { const s = 1 / (1 + Math.exp(-z)); return s * (1 - s); }
  if (kind == 3) { const t = Math.tanh(z); return 1 - t * t; }
  return 1;
}

function forwardTol(kind: i32, ref: f64): f64 {
  if (kind == 2 || kind == 3) return 8 * U * Math.abs(ref) + MIN_NORMAL;
  return 0;
}

// z values: random in [-8, 8], with exact zeros, ±0, and large magnitudes mixed in.
function makeZ(z: usize, n: i32, seed: u64): void {
  seedData(seed);
  fillData(z, n, -8, 8);
  const special: f32[] = [0, -0.0, 1000, -1000, 88.8, -88.8, 100, -100, 3.4e38, -3.4e38, 20, -20, 1e-30];
  for (let i = 0; i < n; i += 3) setF(z, i, special[(i / 3) % special.length]);
}

function checkForward(kind: i32, n: i32, aliased: bool): void {
  const name = "activationForward(kind=" + kind.toString() + ", n=" + n.toString() + (aliased ? ", a==z)" : ")");
  const z = allocF32(n + 2), z0 = allocF32(n + 2);
  makeZ(z, n, <u64>(kind * 100 + n));
  copyF32(z, z0, n);
  const a = aliased ? z : allocF32(n + 2);
  activationForward(kind, n, z, a, 0);
  for (let i = 0; i < n; i++) {
    const v = getF(a, i);
    expect<bool>(isNaN(v)).toBe(false, name + ": NaN at " + i.toString());
    const ref = refForward(kind, getD(z0, i));
    if (kind == 0 || kind == 1) {
      if (getD(a, i) != ref) { expect<f64>(getD(a, i)).toBe(ref, name + " exact at " + i.toString()); return; }
    } else if (!expectClose(getD(a, i), ref, forwardTol(kind, ref), name, i)) return;
    if (!aliased) expect<u32>(getBits(z, i)).toBe(getBits(z0, i), name + ": z modified");
  }
  expectAllBits(a + (<usize>n << 2), 2, GUARD, name + ": past n");
  expectGuard(a, (n + 2) << 2, name);
  free(z); free(z0);
  if (!aliased) free(a);
}

function checkBackward(kind: i32, n: i32, aliased: bool): void {
  const name = "activationBackward(kind=" + kind.toString() + ", n=" + n.toString() + (aliased ? ", dz==da)" : ")");
  const z = allocF32(n + 2), a = allocF32(n + 2), da = allocF32(n + 2), da0 = allocF32(n + 2);
  makeZ(z, n, <u64>(kind * 1000 + n));
  // Exact activations of z in float32 (from the float64 closed form): backward only trusts a.
  for (let i = 0; i < n; i++) setF(a, i, <f32>refForward(kind, getD(z, i)));
  fillData(da, n, -3, 3);
  copyF32(da, da0, n);
  const dz = aliased ? da : allocF32(n + 2);
  activationBackward(kind, n, z, a, da, dz, 0);
  for (let i = 0; i < n; i++) {
    const g = getD(da0, i), zi = getD(z, i), ai = getD(a, i);
    let ref: f64, tol: f64 = 0;
    if (kind == 1) ref = zi > 0 ? g : 0;
    else if (kind == 2) { ref = g * (ai * (1 - ai)); tol = 4 * U * Math.abs(g) * (Math.abs(ai * (1 - ai)) + ai * ai) + 4 * SUBNORMAL_STEP; }
    else if (kind == 3) { ref = g * (1 - ai * ai); tol = 4 * U * Math.abs(g) * (ai * ai + Math.abs(1 - ai * ai)) + 4 * SUBNORMAL_STEP; }
    else ref = g;
    if (!expectClose(getD(dz, i), ref, tol, name, i)) return;
  }
  expectAllBits(dz + (<usize>n << 2), 2, GUARD, name + ": past n");
  free(z); free(a); free(da); free(da0);
  if (!aliased) free(dz);
}

/** forward then backward, against the derivative of the closed form at z. */
function checkChain(kind: i32, n: i32): void {
  const name = "forward+backward vs closed-form derivative (kind=" + kind.toString() + ", n=" + n.toString() + ")";
  const z = allocF32(n + 1), a = allocF32(n + 1), da = allocF32(n + 1), dz = allocF32(n + 1);
  makeZ(z, n, <u64>(kind * 7 + n));
  fillData(da, n, -2, 2);
  activationForward(kind, n, z, a, 0);
  activationBackward(kind, n, z, a, da, dz, 0);
  for (let i = 0; i < n; i++) {
    const zi = getD(z, i), g = getD(da, i);
    const d = refDerivative(kind, zi);
    const ref = g * d;
    const tol = kind >= 2 ? Math.abs(g) * (16 * U * Math.abs(refForward(kind, zi)) + 4 * U * d + 1e-36) : 0;
    expect<bool>(isNaN(getF(dz, i))).toBe(false, name + ": NaN");
    if (!expectClose(getD(dz, i), ref, tol, name, i)) return;
  }
  free(z); free(a); free(da); free(dz);
}

describe("activationForward", () => {
  it("identity, ReLU (exact), sigmoid, tanh (closed forms) for n = 0, 1, 3, 4, 7, 13, 67", () => {
    for (let kind = 0; kind < 4; kind++) for (let s = 0; s < SIZES.length; s++) checkForward(kind, SIZES[s], false);
  });
  it("in place (a == z)", () => {
    for (let kind = 0; kind < 4; kind++) for (let s = 0; s < SIZES.length; s++) checkForward(kind, SIZES[s], true);
  });
  it("large |z|: sigmoid saturates to exactly 0 and 1, tanh to ±1, no NaN", () => {
    const z = allocF32(8), a = allocF32(8);
    const zs: f32[] = [1000, -1000, 3.4e38, -3.4e38, 200, -200, Infinity, -Infinity];
    for (let i = 0; i < 8; i++) setF(z, i, zs[i]);
    activationForward(2, 8, z, a, 0);
    const s: f32[] = [1, 0, 1, 0, 1, 0, 1, 0];
    for (let i = 0; i < 8; i++) expect<f32>(getF(a, i)).toBe(s[i], "sigmoid(" + zs[i].toString() + ")");
    activationForward(3, 8, z, a, 0);
    const t: f32[] = [1, -1, 1, -1, 1, -1, 1, -1];
    for (let i = 0; i < 8; i++) expect<f32>(getF(a, i)).toBe(t[i], "tanh(" + zs[i].toString() + ")");
    free(z); free(a);
  });
  it("known values: σ(0) = 1/2, tanh(0) = 0, relu(-0.5) = 0, relu(2.5) = 2.5", () => {
    const z = allocF32(4), a = allocF32(4);
    setF(z, 0, 0); setF(z, 1, -0.5); setF(z, 2, 2.5); setF(z, 3, 0);
    activationForward(2, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(0.5);
    activationForward(3, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(0);
    activationForward(1, 4, z, a, 0);
    expect<f32>(getF(a, 1)).toBe(0);
    expect<f32>(getF(a, 2)).toBe(2.5);
    free(z); free(a);
  });
});

describe("activationBackward", () => {
  it("from the given a (sigmoid s(1−s), tanh 1−t²), from z (ReLU step, 0 at z = 0), identity copy", () => {
    for (let kind = 0; kind < 4; kind++) for (let s = 0; s < SIZES.length; s++) checkBackward(kind, SIZES[s], false);
  });
  it("in place (dz == da)", () => {
    for (let kind = 0; kind < 4; kind++) for (let s = 0; s < SIZES.length; s++) checkBackward(kind, SIZES[s], true);
  });
  it("chained with forward matches σ'(z) = e^-z/(1+e^-z)², tanh'(z) = 1 − tanh²z, no NaN at large |z|", () => {
    for (let kind = 0; kind < 4; kind++) for (let s = 0; s < SIZES.length; s++) checkChain(kind, SIZES[s]);
  });
  it("ReLU gradient at exactly z = 0 and z = -0 is 0 (PyTorch convention)", () => {
    const z = allocF32(5), a = allocF32(5), da = allocF32(5), dz = allocF32(5);
    setF(z, 0, 0); setF(z, 1, -0.0); setF(z, 2, 1e-40); setF(z, 3, -1e-40); setF(z, 4, 0);
    fillData(da, 5, 1, 2);
    activationBackward(1, 5, z, a, da, dz, 0);
    expect<f32>(getF(dz, 0)).toBe(0);
    expect<f32>(getF(dz, 1)).toBe(0);
    expect<f32>(getF(dz, 2)).toBe(getF(da, 2)); // subnormal positive z is > 0
    expect<f32>(getF(dz, 3)).toBe(0);
    expect<f32>(getF(dz, 4)).toBe(0);
    free(z); free(a); free(da); free(dz);
  });
});
