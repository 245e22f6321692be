// activationForward / activationBackward for 0 identity, 1 ReLU, 2 sigmoid, 3 tanh, against the
// closed forms evaluated in float64; soft-LIF (4) and the float64x2 exp and log1p under it in their
// own section at the end, with their own reference and tolerances.
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
import { expNeg2, log1p2 } from "../../assembly/elementary";
import {
  U, MIN_NORMAL, SUBNORMAL_STEP, GUARD, allocF32, expectAllBits, expectClose, expectGuard, expectSameBits, free, getD, getF,
  getBits, setF, seedData, fillData, copyF32, dataF32,
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

// ---- soft-LIF (kind 4) ---------------------------------------------------------------------------
//
// a(z) = amplitude / (t_ref + τ·L), L = log1p(1/ρ), ρ = γ_s·softplus((gain·z − 1)/γ_s), and
// dz = da·amplitude·gain·τ·σ(y)/(D²·ρ(1 + ρ)) (SCIENCE.md §2); for γ_s = 0 the LIF rate (ρ = x,
// σ = 1 above threshold, 0 at and below it). The neuron block holds τ, t_ref, amplitude, gain, γ_s
// as float32; the reference takes those float32 values exactly.
//
// Reference (refSoftLif, below): float64, written here from the formula, with its own regimes: for
// y = x/γ_s > −700 the plain formula (softplus as max(y, 0) + log1p(e^{−|y|}), σ from the same e^{−|y|}),
// below it L = −(log γ_s + y) and σ/ρ = 1/γ_s (dropped terms < e^-700). Its relative error is
// ≲ |y|·2^-53 ≤ 1e-13 (the rounding of y, amplified by exp's condition number |y| in ρ, comes out of
// log1p(1/ρ) divided by L ≥ |y|), far below a float32 ulp. Its derivative formula is checked against
// central finite differences of its forward formula.
//
// Tolerance: the kernel computes in float64 with exp and log1p polynomials good to ~1e-12 and
// rounds once (activation.ts): it must be the reference correctly rounded up to 1e-9 relative,
// |a − ref| ≤ ulp(ref)/2 + 1e-9·|ref| (ulp of float32 at ref; 2^-149 for subnormals), and likewise
// dz against da·ref'. The 1e-9 is 100× the kernel's ~1e-11 error budget and 60× below a float32
// ulp; the largest error found is logged in ulps (below 0.5: correctly rounded everywhere; measured
// 0.49998–0.499999 for every preset, forward and backward).

// Neuron presets: τ_RC, t_ref, amplitude, gain, γ_s.
const THESIS: f32[] = [0.02, 0.004, 0.05, 1, 0.02];
const CIFAR: f32[] = [0.05, 0.001, 0.063, 0.825, 0.02];
const SMOOTH_01: f32[] = [0.02, 0.004, 0.05, 1, 0.1];
const SMOOTH_1: f32[] = [0.02, 0.004, 0.05, 1, 1];
const CUSTOM: f32[] = [0.03, 0.003, 0.1, 1.7, 0.1];
const LIF_THESIS: f32[] = [0.02, 0.004, 0.05, 1, 0];
const LIF_CIFAR: f32[] = [0.05, 0.001, 0.063, 0.825, 0];
const LIF_CUSTOM: f32[] = [0.03, 0.003, 0.1, 1.7, 0];

let P_TAU: f64 = 0, P_TREF: f64 = 0, P_AMP: f64 = 0, P_GAIN: f64 = 0, P_SMOOTHING: f64 = 0;

/** Writes the preset to a fresh neuron block and makes it the reference's; free() the block. */
function neuronBlock(p: f32[]): usize {
  const block = allocF32(5);
  for (let i = 0; i < 5; i++) setF(block, i, p[i]);
  P_TAU = <f64>p[0]; P_TREF = <f64>p[1]; P_AMP = <f64>p[2]; P_GAIN = <f64>p[3]; P_SMOOTHING = <f64>p[4];
  return block;
}

function presetName(p: f32[]): string {
  return "τ=" + p[0].toString() + " t_ref=" + p[1].toString() + " amplitude=" + p[2].toString()
    + " gain=" + p[3].toString() + " γ_s=" + p[4].toString();
}

/** The float64 reference: a(z) (derivative false) or da/dz (true), for the current preset. */
function refSoftLif(z: f64, derivative: bool): f64 {
  const x = P_GAIN * z - 1; // exact: a product of two float32 has 48 bits
  let l: f64, ratio: f64; // L, and σ/(ρ(1 + ρ)) = −dL/dx
  if (P_SMOOTHING == 0) {
    if (!(x > 0)) return 0;
    l = Math.log1p(1 / x);
    ratio = 1 / (x * (1 + x));
  } else {
    const y = x / P_SMOOTHING;
    if (y > -700) {
      const e = Math.exp(-Math.abs(y));
      const rho = P_SMOOTHING * ((y > 0 ? y : 0) + Math.log1p(e));
      l = Math.log1p(1 / rho);
      const sigma = y > 0 ? 1 / (1 + e) : e / (1 + e);
      ratio = sigma / (rho * (1 + rho));
    } else {
      l = -(Math.log(P_SMOOTHING) + y);
      ratio = 1 / P_SMOOTHING;
    }
  }
  const d = P_TREF + P_TAU * l;
  if (!derivative) return P_AMP / d;
  return P_AMP * P_GAIN * P_TAU * ratio / (d * d);
}

/** Spacing of float32 values at |v| rounded to float32: 2^(e − 150), or 2^-149 for subnormals. */
function ulp32(v: f64): f64 {
  const e = <i32>((reinterpret<u32>(<f32>Math.abs(v)) >> 23) & 0xFF);
  return e == 0 ? SUBNORMAL_STEP : Math.pow(2, <f64>(e - 150));
}

function softLifTol(ref: f64): f64 {
  return 0.5 * ulp32(ref) + 1e-9 * Math.abs(ref);
}

function pushX(zs: f32[], x: f64): void {
  zs.push(<f32>((1 + x) / P_GAIN));
}

/** Neighbours of a float32 v: k = −m..m steps of its bit pattern (v finite, nonzero). */
function pushAround(zs: f32[], v: f32, m: i32): void {
  for (let k = -m; k <= m; k++) zs.push(reinterpret<f32>(<u32>(<i32>reinterpret<u32>(v) + k)));
}

/**
 * The sweep for the current preset, z sorted ascending where marked: x = gain·z − 1 on a grid of
 * [−40, 40] (step 0.004), y = x/γ_s on a grid of [−60, 60] (step 0.01: across the band |y| < 36 and
 * its edges), |x| log-spaced from 1e-12 to 1e38 (40 per decade) both signs, the float32 neighbours of
 * the threshold 1/gain and of y = ±36, and the extremes.
 */
function softLifSweep(): f32[] {
  const zs = new Array<f32>(0);
  for (let i = 0; i <= 20000; i++) pushX(zs, -40 + 0.004 * <f64>i);
  const smoothing = P_SMOOTHING > 0 ? P_SMOOTHING : 0.02;
  for (let i = 0; i <= 12000; i++) pushX(zs, smoothing * (-60 + 0.01 * <f64>i));
  for (let i = 0; i <= 2000; i++) {
    const m = Math.pow(10, -12 + 0.025 * <f64>i);
    pushX(zs, m);
    pushX(zs, -m);
  }
  pushAround(zs, <f32>(1 / P_GAIN), 64);
  pushAround(zs, <f32>((1 + 36 * smoothing) / P_GAIN), 8);
  pushAround(zs, <f32>((1 - 36 * smoothing) / P_GAIN), 8);
  const extremes: f32[] = [3.4028235e38, -3.4028235e38, 1e30, -1e30, 1e10, -1e10, 1e6, -1e6, 0, -0.0, 1.4e-45, -1.4e-45, 1, -1];
  for (let i = 0; i < extremes.length; i++) zs.push(extremes[i]);
  return zs;
}

/** Runs the sweep through forward and backward and checks both against the reference. */
function checkSoftLifSweep(p: f32[]): void {
  const name = presetName(p);
  const block = neuronBlock(p);
  const zs = softLifSweep();
  const n = zs.length;
  const z = allocF32(n), a = allocF32(n), da = allocF32(n), dz = allocF32(n);
  for (let i = 0; i < n; i++) setF(z, i, zs[i]);
  seedData(<u64>n);
  fillData(da, n, -3, 3);
  for (let i = 0; i < n; i += 5) setF(da, i, 1);
  activationForward(4, n, z, a, block);
  activationBackward(4, n, z, a, da, dz, block);
  let worstA: f64 = 0, worstD: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = getD(z, i);
    const ra = refSoftLif(zi, false);
    const rd = getD(da, i) * refSoftLif(zi, true);
    const ai = getF(a, i), di = getF(dz, i);
    if (!(isFinite(ai) && isFinite(di))) {
      expect<bool>(false).toBe(true, name + ": non-finite result at z=" + zi.toString());
      break;
    }
    if (!expectClose(<f64>ai, ra, softLifTol(ra), name + " forward at z=" + zi.toString(), i)) break;
    if (!expectClose(<f64>di, rd, softLifTol(rd), name + " backward at z=" + zi.toString(), i)) break;
    worstA = Math.max(worstA, Math.abs(<f64>ai - ra) / ulp32(ra));
    worstD = Math.max(worstD, Math.abs(<f64>di - rd) / ulp32(rd));
    // Soft-LIF is positive wherever its value is a positive float32; LIF is 0 exactly at and below
    // threshold.
    if (P_SMOOTHING > 0 && ra >= SUBNORMAL_STEP) expect<bool>(ai > 0).toBe(true, name + ": a > 0 at z=" + zi.toString());
    if (P_SMOOTHING == 0 && !(P_GAIN * zi - 1 > 0)) expect<f32>(ai).toBe(0, name + ": LIF below threshold at z=" + zi.toString());
  }
  log<string>("soft-LIF " + name + ": " + n.toString() + " values, max error " + worstA.toString()
    + " ulp forward, " + worstD.toString() + " ulp backward");
  // Monotone: the rate grows with z, and correct rounding keeps that (the x grid is sorted).
  for (let i = 1; i <= 20000; i++) {
    if (getF(a, i) < getF(a, i - 1)) {
      expect<f32>(getF(a, i)).toBeGreaterThanOrEqual(getF(a, i - 1), name + ": a decreases at z=" + getD(z, i).toString());
      break;
    }
  }
  free(z); free(a); free(da); free(dz); free(block);
}

/** Results for z[0..n) with the element at position `at` of a buffer, via forward and backward. */
function softLifAt(block: usize, zs: usize, das: usize, n: i32, shift: i32, a: usize, dz: usize): void {
  const z = allocF32(n + shift), da = allocF32(n + shift), ra = allocF32(n + shift), rd = allocF32(n + shift);
  for (let i = 0; i < shift; i++) { setF(z, i, 0.5); setF(da, i, 1); }
  copyF32(zs, z + (<usize>shift << 2), n);
  copyF32(das, da + (<usize>shift << 2), n);
  activationForward(4, n + shift, z, ra, block);
  activationBackward(4, n + shift, z, ra, da, rd, block);
  copyF32(ra + (<usize>shift << 2), a, n);
  copyF32(rd + (<usize>shift << 2), dz, n);
  free(z); free(da); free(ra); free(rd);
}

/** Values of every class (tail, band, above, threshold, extremes), mixed. */
function mixedZ(z: usize, n: i32, seed: u64): void {
  seedData(seed);
  fillData(z, n, -3, 5);
  const special: f32[] = [1, 0.28, 1.72, 0.999999, 1.000001, -1e30, 3.4e38, 0, 1e-30, 25, -25, 0.9, 1.1];
  for (let i = 0; i < n; i += 3) setF(z, i, special[(i / 3) % special.length]);
}

/** Bits of forward and backward do not depend on a value's position, neighbours or n mod 4. */
function checkPositionFree(p: f32[]): void {
  const name = presetName(p);
  const block = neuronBlock(p);
  const n = 67;
  const z = allocF32(n), da = allocF32(n), a0 = allocF32(n), d0 = allocF32(n), a1 = allocF32(n), d1 = allocF32(n);
  mixedZ(z, n, 17);
  fillData(da, n, -2, 2);
  softLifAt(block, z, da, n, 0, a0, d0);
  for (let shift = 1; shift < 8; shift++) {
    softLifAt(block, z, da, n, shift, a1, d1);
    for (let i = 0; i < n; i++) {
      if (!expectSameBits(getF(a1, i), getF(a0, i), name + " forward, shifted by " + shift.toString(), i)) break;
      if (!expectSameBits(getF(d1, i), getF(d0, i), name + " backward, shifted by " + shift.toString(), i)) break;
    }
  }
  // One value at a time (n = 1: the padded vector alone), and every prefix length n' ≤ 9.
  for (let i = 0; i < n; i++) {
    softLifAt(block, z + (<usize>i << 2), da + (<usize>i << 2), 1, 0, a1, d1);
    if (!expectSameBits(getF(a1, 0), getF(a0, i), name + " forward alone", i)) break;
    if (!expectSameBits(getF(d1, 0), getF(d0, i), name + " backward alone", i)) break;
  }
  for (let m = 0; m <= 9; m++) {
    softLifAt(block, z, da, m, 0, a1, d1);
    for (let i = 0; i < m; i++) {
      expectSameBits(getF(a1, i), getF(a0, i), name + " forward, n=" + m.toString(), i);
      expectSameBits(getF(d1, i), getF(d0, i), name + " backward, n=" + m.toString(), i);
    }
  }
  // Reversed order: each value meets other neighbours in its vector and list.
  const zr = allocF32(n), dr = allocF32(n);
  for (let i = 0; i < n; i++) { setF(zr, i, getF(z, n - 1 - i)); setF(dr, i, getF(da, n - 1 - i)); }
  softLifAt(block, zr, dr, n, 0, a1, d1);
  for (let i = 0; i < n; i++) {
    if (!expectSameBits(getF(a1, n - 1 - i), getF(a0, i), name + " forward, reversed", i)) break;
    if (!expectSameBits(getF(d1, n - 1 - i), getF(d0, i), name + " backward, reversed", i)) break;
  }
  free(z); free(da); free(a0); free(d0); free(a1); free(d1); free(zr); free(dr); free(block);
}

/** In place (a == z, dz == da): the same bits; nothing written past n; sizes 0..9 and 67. */
function checkSoftLifInPlace(p: f32[], n: i32): void {
  const name = presetName(p) + ", n=" + n.toString();
  const block = neuronBlock(p);
  const z = allocF32(n + 2), da = allocF32(n + 2), a = allocF32(n + 2), dz = allocF32(n + 2);
  const w = allocF32(n + 2), g = allocF32(n + 2);
  mixedZ(z, n, <u64>(n + 5));
  fillData(da, n, -2, 2);
  activationForward(4, n, z, a, block);
  activationBackward(4, n, z, a, da, dz, block);
  expectAllBits(a + (<usize>n << 2), 2, GUARD, name + ": forward past n");
  expectAllBits(dz + (<usize>n << 2), 2, GUARD, name + ": backward past n");
  expectGuard(a, (n + 2) << 2, name);
  copyF32(z, w, n);
  activationForward(4, n, w, w, block);
  copyF32(da, g, n);
  activationBackward(4, n, z, a, g, g, block);
  for (let i = 0; i < n; i++) {
    if (!expectSameBits(getF(w, i), getF(a, i), name + " forward in place", i)) break;
    if (!expectSameBits(getF(g, i), getF(dz, i), name + " backward in place", i)) break;
  }
  expectAllBits(w + (<usize>n << 2), 2, GUARD, name + ": in place past n");
  free(z); free(da); free(a); free(dz); free(w); free(g); free(block);
}

const SOFT_PRESETS: f32[][] = [THESIS, CIFAR, SMOOTH_01, SMOOTH_1, CUSTOM];
const LIF_PRESETS: f32[][] = [LIF_THESIS, LIF_CIFAR, LIF_CUSTOM];

describe("soft-LIF activation (kind 4)", () => {
  it("the float64 reference's derivative matches its own central differences", () => {
    // h = 1e-6·max(|z|, 1e-3): truncation ~(h/scale)²·O(1), cancellation ~1e-16·a/(h·a'): 1e-6
    // relative over these points (away from the LIF kink).
    const presets: f32[][] = [THESIS, CIFAR, SMOOTH_1, LIF_THESIS];
    const zs: f64[] = [-3, -0.5, 0.3, 0.7, 0.9, 0.99, 1.01, 1.1, 1.5, 3, 10];
    for (let k = 0; k < presets.length; k++) {
      const block = neuronBlock(presets[k]);
      for (let i = 0; i < zs.length; i++) {
        const z = zs[i];
        if (P_SMOOTHING == 0 && P_GAIN * z - 1 <= 0.005) continue;
        const h = 1e-6 * Math.max(Math.abs(z), 1e-3);
        const fd = (refSoftLif(z + h, false) - refSoftLif(z - h, false)) / (2 * h);
        expectClose(refSoftLif(z, true), fd, 1e-6 * Math.abs(fd) + 1e-300, presetName(presets[k]) + " reference slope at z=" + z.toString());
      }
      free(block);
    }
  });

  it("forward and backward are the reference correctly rounded (≤ 0.5 ulp + 1e-9): 36k values per preset, γ_s = 0.02 (thesis, cifar), 0.1, 1", () => {
    for (let k = 0; k < SOFT_PRESETS.length; k++) checkSoftLifSweep(SOFT_PRESETS[k]);
  });

  it("γ_s = 0 is the LIF rate and its slope (0 at and below threshold): thesis, cifar, gain 1.7", () => {
    for (let k = 0; k < LIF_PRESETS.length; k++) checkSoftLifSweep(LIF_PRESETS[k]);
  });

  it("the same bits wherever a value sits: shifted by 1..7, alone (n = 1), every n ≤ 9, reversed", () => {
    for (let k = 0; k < SOFT_PRESETS.length; k++) checkPositionFree(SOFT_PRESETS[k]);
    for (let k = 0; k < LIF_PRESETS.length; k++) checkPositionFree(LIF_PRESETS[k]);
  });

  it("in place (a == z, dz == da) gives the same bits; nothing written past n (n = 0..9, 67)", () => {
    const sizes: i32[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 67];
    for (let s = 0; s < sizes.length; s++) {
      checkSoftLifInPlace(THESIS, sizes[s]);
      checkSoftLifInPlace(LIF_CIFAR, sizes[s]);
    }
  });

  it("far below threshold the rate decays like γ_s·amplitude/(τ·|x|), positive until float32 underflows", () => {
    const block = neuronBlock(THESIS);
    const xs: f64[] = [-1e3, -1e6, -1e12, -1e20, -1e30];
    const z = allocF32(xs.length + 1), a = allocF32(xs.length + 1);
    for (let i = 0; i < xs.length; i++) setF(z, i, <f32>(1 + xs[i]));
    setF(z, xs.length, -3.4028235e38);
    activationForward(4, xs.length + 1, z, a, block);
    for (let i = 0; i < xs.length; i++) {
      const x = getD(z, i) - 1;
      // L = |x|/γ − log γ, so a·τ·|x|/(γ·amplitude) = 1/(1 + (t_ref − τ·log γ)·γ/(τ·|x|)) → 1.
      const asymptote = P_SMOOTHING * P_AMP / (P_TAU * Math.abs(x));
      const gap = (P_TREF - P_TAU * Math.log(P_SMOOTHING)) * P_SMOOTHING / (P_TAU * Math.abs(x));
      expectClose(getD(a, i) / asymptote, 1 / (1 + gap), 2 * U, "a(x=" + x.toString() + ") against γ_s·amplitude/(τ·|x|)");
    }
    // At z = −3.4e38: 0.02·0.05/(0.02·3.4e38) = 1.5e-40, a float32 subnormal, and not 0.
    expect<bool>(getF(a, xs.length) > 0).toBe(true, "a(−3.4e38) > 0");
    expectClose(getD(a, xs.length), 1.4693679e-40, 2 * SUBNORMAL_STEP, "a(−3.4e38)");
    free(z); free(a); free(block);
  });

  it("NaN gives NaN; ±Infinity gives amplitude/t_ref and 0 (slope 0): soft and LIF", () => {
    const presets: f32[][] = [THESIS, LIF_THESIS];
    for (let k = 0; k < presets.length; k++) {
      const block = neuronBlock(presets[k]);
      const z = allocF32(7), a = allocF32(7), da = allocF32(7), dz = allocF32(7);
      const zs: f32[] = [NaN, Infinity, -Infinity, 1.5, NaN, 0.5, 1];
      for (let i = 0; i < 7; i++) { setF(z, i, zs[i]); setF(da, i, 1); }
      activationForward(4, 7, z, a, block);
      activationBackward(4, 7, z, a, da, dz, block);
      const name = presetName(presets[k]);
      expect<bool>(isNaN(getF(a, 0)) && isNaN(getF(a, 4))).toBe(true, name + ": forward of NaN");
      expect<bool>(isNaN(getF(dz, 0)) && isNaN(getF(dz, 4))).toBe(true, name + ": backward of NaN");
      expect<f32>(getF(a, 1)).toBe(<f32>(P_AMP / P_TREF), name + ": a(+∞)");
      expect<f32>(getF(a, 2)).toBe(0, name + ": a(−∞)");
      expect<f32>(getF(dz, 1)).toBe(0, name + ": slope at +∞");
      expect<f32>(getF(dz, 2)).toBe(0, name + ": slope at −∞");
      // The finite neighbours are unaffected.
      expectClose(getD(a, 3), refSoftLif(1.5, false), softLifTol(refSoftLif(1.5, false)), name + ": a(1.5) beside NaN");
      expectClose(getD(dz, 5), refSoftLif(0.5, true), softLifTol(refSoftLif(0.5, true)), name + ": slope at 0.5 beside NaN");
      free(z); free(a); free(da); free(dz); free(block);
    }
  });
});

// ---- the float64x2 exp and log1p under the soft-LIF kernel (elementary.ts) ----------------------
//
// Against float64 Math.exp / Math.log1p (musl, < 1 ulp of float64 = 1.1e-16 relative). expNeg2's
// bound: Taylor remainder of degree 10 on |r| ≤ ln2/2, 2·(ln2/2)^11/11! < 5e-13, plus the reduction's
// ≤ 2^-53·|x| (≤ 8e-14 at −708) and a few roundings: we allow 1e-12 relative. log1p2's: the atanh
// series' remainder s^14/15 < 1.3e-12 relative to log(1 + f) (|s| ≤ 0.1716), which can be half the
// result when k = 1 (log(1 + f) ≈ −ln2/2 against k·ln2 = ln2), the c/u correction's error ≤ 8% of
// 2^-53, and roundings: we allow 3e-12 relative.

function checkExpNeg2(xs: f64[]): f64 {
  let worst: f64 = 0;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const v = expNeg2(f64x2(xs[i], xs[i + 1]));
    for (let q = 0; q < 2; q++) {
      const x = xs[i + q];
      const got = q == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1);
      const want = Math.exp(x);
      const rel = Math.abs(got - want) / want;
      worst = Math.max(worst, rel);
      if (!(rel <= 1e-12)) {
        expectClose(got, want, 1e-12 * want, "expNeg2(" + x.toString() + ")");
        return worst;
      }
    }
  }
  return worst;
}

function checkLog1p2(xs: f64[]): f64 {
  let worst: f64 = 0;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const v = log1p2(f64x2(xs[i], xs[i + 1]));
    for (let q = 0; q < 2; q++) {
      const x = xs[i + q];
      const got = q == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1);
      const want = Math.log1p(x);
      const rel = want == 0 ? Math.abs(got) : Math.abs(got - want) / want;
      worst = Math.max(worst, rel);
      if (!(rel <= 3e-12)) {
        expectClose(got, want, 3e-12 * want, "log1p2(" + x.toString() + ")");
        return worst;
      }
    }
  }
  return worst;
}

describe("float64x2 exp and log1p (elementary.ts)", () => {
  it("expNeg2 on [−708, 0]: a uniform grid, the reduction's boundaries (±ln2/2 + k·ln2), random values", () => {
    const xs = new Array<f64>(0);
    for (let i = 0; i <= 200000; i++) xs.push(-708 * <f64>i / 200000);
    for (let k = 0; k <= 1000; k++) {
      const b = -(<f64>k + 0.5) * 0.6931471805599453;
      if (b < -708) break;
      xs.push(b); xs.push(b * (1 + 1e-15)); xs.push(b * (1 - 1e-15));
    }
    seedData(3);
    for (let i = 0; i < 20000; i++) xs.push(<f64>dataF32(-40, 0) * <f64>dataF32(0, 1));
    xs.push(0); xs.push(-0.0); xs.push(-1e-300); xs.push(-708);
    if (xs.length % 2 != 0) xs.push(0);
    log<f64>(checkExpNeg2(xs)); // the largest relative error (measured 3.4e-13)
  });

  it("log1p2 on [0, 1e300]: [0, 4] uniformly, log-spaced from 1e-300, the reduction's boundaries (2^k·√2 − 1)", () => {
    const xs = new Array<f64>(0);
    for (let i = 0; i <= 100000; i++) xs.push(4 * <f64>i / 100000);
    for (let i = 0; i <= 60000; i++) xs.push(Math.pow(10, -300 + 0.01 * <f64>i));
    for (let k = 0; k < 60; k++) {
      const b = Math.pow(2, <f64>k) * Math.SQRT2 - 1;
      xs.push(b); xs.push(b * (1 + 1e-15)); xs.push(b * (1 - 1e-15));
    }
    xs.push(0); xs.push(1); xs.push(2.2250738585072014e-308);
    if (xs.length % 2 != 0) xs.push(0);
    log<f64>(checkLog1p2(xs)); // the largest relative error (measured 1.3e-12)
  });
});
