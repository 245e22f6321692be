// Activation functions and their derivatives. The kind codes (ACTIVATION_*, layout.ts) are the
// facade's Activation enum: 0 identity, 1 ReLU, 2 sigmoid, 3 tanh, 4 soft-LIF. Soft-LIF takes its
// parameters from a neuron block (five float32 at `neuron`, fields NEURON_*, layout.ts); the other
// kinds ignore the pointer.

import { expNeg2, log1p2 } from "./elementary";
import {
  ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_SOFTLIF, ACTIVATION_TANH, NEURON_AMPLITUDE, NEURON_GAIN,
  NEURON_SMOOTHING, NEURON_T_REF, NEURON_TAU_RC,
} from "./layout";
import { packLanes4 } from "./simd";
import { threadScratch } from "./thread";

// ---- Soft-LIF ------------------------------------------------------------------------------------
//
// With x = gain·z − 1 and, for γ_s > 0, y = x/γ_s, ρ = γ_s·softplus(y), σ the logistic function:
//   a  = amplitude / D,  D = t_ref + τ·L,  L = log1p(1/ρ)
//   dz = da · amplitude·gain·τ · σ(y) / (D²·ρ·(1 + ρ))      (r = 1/D, r' = τ·r²·σ/(ρ(1 + ρ)))
// and for γ_s = 0 the LIF rate: ρ = x and σ = 1 for x > 0, a = dz = 0 for x ≤ 0.
//
// Arithmetic: SIMD float64x2, with polynomial exp and log1p good to ~1e-12 (elementary.ts), rounded once to
// float32 at the end. Before that rounding the value is within ~1e-11 relative of the exact one, so
// the result is the exact value correctly rounded except within a hair of a tie: ≤ 0.5 ulp + 1e-11
// relative. (Float32 arithmetic was tried first and measured at up to 4.4u relative error forward
// and 11u backward, u = 2^-24 — every exp and log costs about an ulp and a dozen roundings follow —
// too loose for the facade's ≤ 2u tests. No host Math, no relaxed SIMD: the same bits everywhere.)
//
// Three classes of value, by y, each in stable closed forms (CAP = 36):
// - the tail, y ≤ −CAP: ρ = γ_s·e^y·(1 − e^y/2 + …), so L = log1p(ρ) − log ρ = −y − log γ_s +
//   (γ_s + 1/2)·e^y + …, σ/ρ = σ(y)/(γ_s·softplus(y)) = (1 + O(e^y))/γ_s and 1 + ρ = 1 + O(e^y):
//   L = −y − log γ_s and dz = da·amplitude·gain·τ/(D²·γ_s), dropping terms ≤ (γ_s + 1)·e^-36 =
//   (γ_s + 1)·2.3e-16 relative. No exp or log: ρ, which underflows, is never formed, and the rate
//   decays like γ_s/(τ·|x|), positive until float32 underflows.
// - the band, |y| < CAP: t = e^{−|y|} in (2.3e-16, 1], ρ = max(x, 0) + γ_s·log1p(t) (x itself above
//   threshold, not γ_s·y), σ = {1 or t}/(1 + t) for y ≥ 0 or below, L = log1p(1/ρ).
// - above the band, y ≥ CAP (and NaN): ρ = x and σ = 1, dropping γ_s·log1p(e^{−y}) ≤ γ_s·e^-36
//   (≤ 6.4e-18 of ρ = x ≥ 36γ_s) and e^{−y} from σ; L = log1p(1/x).
// x = gain·z − 1 is exact in float64 but for one rounding (2^-53 relative), even next to threshold.
// Float64's range holds every intermediate for every finite float32 input, so nothing underflows or
// overflows before the final rounding would; and every polynomial argument stays a normal number
// (t ≥ 2.3e-16), so no lane pays for subnormal arithmetic (a microcode assist per instruction on x86).
// @ts-ignore: decorator
@inline const SOFT_CAP: f64 = 36;
// The work runs in passes over chunks of CHUNK values. The first computes every value as if in the
// tail (networks put most pre-activations there: ~80 % of the hidden ones of a predictive-coding
// network after an epoch on 5000 MNIST images, thesis neuron) and writes it out; it also packs the z, da and byte offsets of the band's values and of those above
// it into two lists (selected lanes move to the front of a vector and the list grows by their count:
// no branch per value). The lists are then computed densely, in short passes, and their results
// written over the first pass's. Short loops of independent iterations let the out-of-order window
// overlap what one loop would serialise (each value's exp, log1p and divisions form a chain of
// several hundred cycles). A value's bits depend only on its own inputs: its class is a function of
// its value, and its class's operations are the same in every vector lane and list slot (a list of
// odd length repeats its last entry, which recomputes and rewrites the same value); the last n mod 4
// values go through the same code in a padded vector (TAIL).
// @ts-ignore: decorator
@inline const CHUNK: usize = 256;
// The lists: z, da (float32) and byte offsets of the band's values (B) and of those above it (A),
// with room for a whole vector written past the end; float64 scratch for the list passes: x, t (or
// 1/x), ρ, L.
// @ts-ignore: decorator
@inline const LIST: usize = (CHUNK + 8) << 2;
// @ts-ignore: decorator
@inline const WIDE: usize = (CHUNK + 8) << 3;
// All in this thread's scratch (thread.ts): six lists, four float64 arrays, then TAIL.
/** Bytes of thread scratch the soft-LIF passes use. */
export const ACTIVATION_SCRATCH_BYTES: i32 = <i32>(LIST * 6 + WIDE * 4 + 48);
// @ts-ignore: decorator
@inline function B_Z(): usize { return threadScratch(); }
// @ts-ignore: decorator
@inline function B_DA(): usize { return threadScratch() + LIST; }
// @ts-ignore: decorator
@inline function B_O(): usize { return threadScratch() + 2 * LIST; }
// @ts-ignore: decorator
@inline function A_Z(): usize { return threadScratch() + 3 * LIST; }
// @ts-ignore: decorator
@inline function A_DA(): usize { return threadScratch() + 4 * LIST; }
// @ts-ignore: decorator
@inline function A_O(): usize { return threadScratch() + 5 * LIST; }
// @ts-ignore: decorator
@inline function S_X(): usize { return threadScratch() + 6 * LIST; }
// @ts-ignore: decorator
@inline function S_Y(): usize { return threadScratch() + 6 * LIST + WIDE; }
// @ts-ignore: decorator
@inline function S_RHO(): usize { return threadScratch() + 6 * LIST + 2 * WIDE; }
// @ts-ignore: decorator
@inline function S_L(): usize { return threadScratch() + 6 * LIST + 3 * WIDE; }
// The padded vector for the last n mod 4 values: z, da, out.
// @ts-ignore: decorator
@inline function TAIL(): usize { return threadScratch() + 6 * LIST + 4 * WIDE; }

/** Two float32 at p, widened to float64x2. */
// @ts-ignore: decorator
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Four float32 rounded from two float64x2 (lo: lanes 0, 1; hi: lanes 2, 3). */
// @ts-ignore: decorator
@inline
function demote4(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** Rounds v's two float64 lanes to float32 and stores them at out + the list's offsets q, q + 1. */
// @ts-ignore: decorator
@inline
function scatter2(out: usize, list: usize, v: v128): void {
  const f = f32x4.demote_f64x2_zero(v);
  v128.store32_lane(out + <usize>load<u32>(list), f, 0);
  v128.store32_lane(out + <usize>load<u32>(list, 4), f, 1);
}

/** Pads a list of n 32-bit entries to an even length by repeating the last; returns the length. */
// @ts-ignore: decorator
@inline
function padList(list: usize, n: usize): usize {
  if ((n & 1) == 0) return n;
  store<u32>(list + (n << 2), load<u32>(list + ((n - 1) << 2)));
  return n + 1;
}

/**
 * The soft-LIF activation (derivative false) or dz (true), γ_s > 0, for the values at byte offsets
 * [begin, end) of z, da and out (at most CHUNK of them, a multiple of 4).
 */
// @ts-ignore: decorator
@inline
function softLifChunk(
  derivative: bool, begin: usize, end: usize, z: usize, da: usize, out: usize,
  gain: v128, smoothing: v128, invSmoothing: v128, negLogSmoothing: v128, tau: v128, tRef: v128, scale: v128,
): void {
  const one = f64x2.splat(1);
  const zero = f64x2.splat(0);
  const cap = f64x2.splat(SOFT_CAP);
  const negCap = f64x2.splat(-SOFT_CAP);
  const lanes = i32x4(0, 4, 8, 12);
  // 1. Every value as in the tail: L = −y − log γ_s, D = t_ref + τ·L, a = amplitude/D or
  //    dz = da·amplitude·gain·τ/(D²·γ_s) (σ/ρ = 1/γ_s, 1 + ρ = 1); the band and above it listed.
  let nb: usize = 0, na: usize = 0;
  for (let o = begin; o < end; o += 16) {
    const zv = v128.load(z + o);
    const x0 = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(zv), gain), one);
    const x1 = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(zv, zv, 2, 3, 2, 3)), gain), one);
    const y0 = f64x2.mul(x0, invSmoothing);
    const y1 = f64x2.mul(x1, invSmoothing);
    const d0 = f64x2.add(tRef, f64x2.mul(tau, f64x2.sub(negLogSmoothing, y0)));
    const d1 = f64x2.add(tRef, f64x2.mul(tau, f64x2.sub(negLogSmoothing, y1)));
    const dav = derivative ? v128.load(da + o) : zv;
    if (derivative) {
      const g0 = f64x2.promote_low_f32x4(dav);
      const g1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(dav, dav, 2, 3, 2, 3));
      v128.store(out + o, demote4(
        f64x2.mul(f64x2.div(scale, f64x2.mul(f64x2.mul(d0, d0), smoothing)), g0),
        f64x2.mul(f64x2.div(scale, f64x2.mul(f64x2.mul(d1, d1), smoothing)), g1),
      ));
    } else {
      v128.store(out + o, demote4(f64x2.div(scale, d0), f64x2.div(scale, d1)));
    }
    const tail = i64x2.bitmask(f64x2.le(y0, negCap)) | (i64x2.bitmask(f64x2.le(y1, negCap)) << 2);
    const band = i64x2.bitmask(f64x2.lt(f64x2.abs(y0), cap)) | (i64x2.bitmask(f64x2.lt(f64x2.abs(y1), cap)) << 2);
    const above = ~(tail | band) & 15; // NaN included
    const offsets = i32x4.add(i32x4.splat(<i32>o), lanes);
    packLanes4(B_Z() + (nb << 2), zv, band);
    packLanes4(B_O() + (nb << 2), offsets, band);
    if (derivative) packLanes4(B_DA() + (nb << 2), dav, band);
    nb += <usize>popcnt(band);
    packLanes4(A_Z() + (na << 2), zv, above);
    packLanes4(A_O() + (na << 2), offsets, above);
    if (derivative) packLanes4(A_DA() + (na << 2), dav, above);
    na += <usize>popcnt(above);
  }
  if ((nb & 1) != 0) {
    store<u32>(B_Z() + (nb << 2), load<u32>(B_Z() + ((nb - 1) << 2)));
    if (derivative) store<u32>(B_DA() + (nb << 2), load<u32>(B_DA() + ((nb - 1) << 2)));
  }
  nb = padList(B_O(), nb);
  if ((na & 1) != 0) {
    store<u32>(A_Z() + (na << 2), load<u32>(A_Z() + ((na - 1) << 2)));
    if (derivative) store<u32>(A_DA() + (na << 2), load<u32>(A_DA() + ((na - 1) << 2)));
  }
  na = padList(A_O(), na);
  // 2. The band: x, y and t = e^{−|y|} (−|y| by setting the sign bit).
  for (let q: usize = 0, s: usize = 0; q < nb << 2; q += 8, s += 16) {
    const x = f64x2.sub(f64x2.mul(load2(B_Z() + q), gain), one);
    const y = f64x2.mul(x, invSmoothing);
    v128.store(S_X() + s, x);
    v128.store(S_Y() + s, expNeg2(v128.or(y, f64x2.splat(-0.0))));
  }
  // 3. The band: ρ = max(x, 0) + γ_s·log1p(t).
  for (let s: usize = 0; s < nb << 3; s += 16) {
    v128.store(S_RHO() + s, f64x2.add(f64x2.pmax(v128.load(S_X() + s), zero), f64x2.mul(smoothing, log1p2(v128.load(S_Y() + s)))));
  }
  // 4. The band: L = log1p(1/ρ).
  for (let s: usize = 0; s < nb << 3; s += 16) {
    v128.store(S_L() + s, log1p2(f64x2.div(one, v128.load(S_RHO() + s))));
  }
  // 5. The band: D = t_ref + τ·L, and a = amplitude/D or
  //    dz = da·amplitude·gain·τ·{1 or t}/(D²·(1 + t)·ρ·(1 + ρ)) (σ(y) for y ≥ 0 or below).
  for (let q: usize = 0, s: usize = 0; q < nb << 2; q += 8, s += 16) {
    const rho = v128.load(S_RHO() + s);
    const d = f64x2.add(tRef, f64x2.mul(tau, v128.load(S_L() + s)));
    if (!derivative) {
      scatter2(out, B_O() + q, f64x2.div(scale, d));
      continue;
    }
    const t = v128.load(S_Y() + s);
    const num = f64x2.mul(scale, v128.bitselect(one, t, f64x2.ge(v128.load(S_X() + s), zero)));
    const den = f64x2.mul(f64x2.mul(d, d), f64x2.mul(f64x2.add(one, t), f64x2.mul(rho, f64x2.add(one, rho))));
    scatter2(out, B_O() + q, f64x2.mul(f64x2.div(num, den), load2(B_DA() + q)));
  }
  // 6. Above the band (ρ = x, σ = 1): x and 1/x; L = log1p(1/x); D = t_ref + τ·L, and
  //    a = amplitude/D or dz = da·amplitude·gain·τ/(D²·x·(1 + x)).
  for (let q: usize = 0, s: usize = 0; q < na << 2; q += 8, s += 16) {
    const x = f64x2.sub(f64x2.mul(load2(A_Z() + q), gain), one);
    v128.store(S_X() + s, x);
    v128.store(S_Y() + s, f64x2.div(one, x));
  }
  for (let s: usize = 0; s < na << 3; s += 16) {
    v128.store(S_L() + s, log1p2(v128.load(S_Y() + s)));
  }
  finishListed(derivative, na, out, tau, tRef, scale);
}

/**
 * The results of the values listed in A — above threshold, where ρ = x and σ(y) = 1 — from their
 * staged x (S_X()) and L = log1p(1/x) (S_L()): with D = t_ref + τ·L, a = scale/D, or
 * dz = da·scale/(D²·x(1 + x)).
 */
// @ts-ignore: decorator
@inline
function finishListed(derivative: bool, na: usize, out: usize, tau: v128, tRef: v128, scale: v128): void {
  const one = f64x2.splat(1);
  for (let q: usize = 0, s: usize = 0; q < na << 2; q += 8, s += 16) {
    const x = v128.load(S_X() + s);
    const d = f64x2.add(tRef, f64x2.mul(tau, v128.load(S_L() + s)));
    if (!derivative) {
      scatter2(out, A_O() + q, f64x2.div(scale, d));
      continue;
    }
    const den = f64x2.mul(f64x2.mul(d, d), f64x2.mul(x, f64x2.add(one, x)));
    scatter2(out, A_O() + q, f64x2.mul(f64x2.div(scale, den), load2(A_DA() + q)));
  }
}

/** The LIF activation (derivative false) or dz (true), γ_s = 0, for the values at [begin, end). */
// @ts-ignore: decorator
@inline
function lifChunk(
  derivative: bool, begin: usize, end: usize, z: usize, da: usize, out: usize,
  gain: v128, tau: v128, tRef: v128, scale: v128,
): void {
  const one = f64x2.splat(1);
  const zero = f64x2.splat(0);
  const lanes = i32x4(0, 4, 8, 12);
  // 1. Every value as below threshold: 0; those above (x > 0, and NaN) listed.
  let na: usize = 0;
  for (let o = begin; o < end; o += 16) {
    const zv = v128.load(z + o);
    const x0 = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(zv), gain), one);
    const x1 = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(zv, zv, 2, 3, 2, 3)), gain), one);
    const above = ~(i64x2.bitmask(f64x2.le(x0, zero)) | (i64x2.bitmask(f64x2.le(x1, zero)) << 2)) & 15;
    packLanes4(A_Z() + (na << 2), zv, above);
    packLanes4(A_O() + (na << 2), i32x4.add(i32x4.splat(<i32>o), lanes), above);
    if (derivative) packLanes4(A_DA() + (na << 2), v128.load(da + o), above);
    na += <usize>popcnt(above);
    v128.store(out + o, f32x4.splat(0));
  }
  if ((na & 1) != 0) {
    store<u32>(A_Z() + (na << 2), load<u32>(A_Z() + ((na - 1) << 2)));
    if (derivative) store<u32>(A_DA() + (na << 2), load<u32>(A_DA() + ((na - 1) << 2)));
  }
  na = padList(A_O(), na);
  // 2. Above threshold: L = log1p(1/x) (x ≥ 2^-49 for every x > 0 from float32 z and gain),
  //    D = t_ref + τ·L, and a = amplitude/D or dz = da·amplitude·gain·τ/(D²·x(1 + x)).
  for (let q: usize = 0, s: usize = 0; q < na << 2; q += 8, s += 16) {
    const x = f64x2.sub(f64x2.mul(load2(A_Z() + q), gain), one);
    v128.store(S_X() + s, x);
    v128.store(S_L() + s, log1p2(f64x2.div(one, x)));
  }
  finishListed(derivative, na, out, tau, tRef, scale);
}

/**
 * One kind of pass (both flags constant after inlining) over the values at byte offsets [0, end), a
 * multiple of 16, with the neuron block's parameters.
 */
// @ts-ignore: decorator
@inline
function softLifRange(derivative: bool, soft: bool, end: usize, z: usize, da: usize, out: usize, neuron: usize): void {
  const tau = <f64>load<f32>(neuron + NEURON_TAU_RC);
  const amplitude = <f64>load<f32>(neuron + NEURON_AMPLITUDE);
  const gain = <f64>load<f32>(neuron + NEURON_GAIN);
  const smoothing = <f64>load<f32>(neuron + NEURON_SMOOTHING);
  // a = amplitude/D; dz = da·(amplitude·gain·τ)·…
  const scale = f64x2.splat(derivative ? amplitude * gain * tau : amplitude);
  const gainV = f64x2.splat(gain);
  const tauV = f64x2.splat(tau);
  const tRefV = f64x2.splat(<f64>load<f32>(neuron + NEURON_T_REF));
  const smoothingV = f64x2.splat(smoothing);
  const invSmoothing = f64x2.splat(soft ? 1 / smoothing : 0);
  const negLogSmoothing = f64x2.splat(soft ? -Math.log(smoothing) : 0);
  for (let b: usize = 0; b < end; b += CHUNK << 2) {
    const e = min<usize>(b + (CHUNK << 2), end);
    if (soft) softLifChunk(derivative, b, e, z, da, out, gainV, smoothingV, invSmoothing, negLogSmoothing, tauV, tRefV, scale);
    else lifChunk(derivative, b, e, z, da, out, gainV, tauV, tRefV, scale);
  }
}

// The four kinds of pass, inlined into softLifPass: each compiled once (softLifPass is not inlined).
// @ts-ignore: decorator
@inline
function softLifForward(end: usize, z: usize, out: usize, neuron: usize): void {
  softLifRange(false, true, end, z, 0, out, neuron);
}
// @ts-ignore: decorator
@inline
function softLifBackward(end: usize, z: usize, da: usize, out: usize, neuron: usize): void {
  softLifRange(true, true, end, z, da, out, neuron);
}
// @ts-ignore: decorator
@inline
function lifForward(end: usize, z: usize, out: usize, neuron: usize): void {
  softLifRange(false, false, end, z, 0, out, neuron);
}
// @ts-ignore: decorator
@inline
function lifBackward(end: usize, z: usize, da: usize, out: usize, neuron: usize): void {
  softLifRange(true, false, end, z, da, out, neuron);
}

/** The pass for the vectors at [0, end): soft-LIF for γ_s > 0, else LIF. */
function softLifPass(derivative: bool, end: usize, z: usize, da: usize, out: usize, neuron: usize): void {
  if (load<f32>(neuron + NEURON_SMOOTHING) > 0) {
    if (derivative) softLifBackward(end, z, da, out, neuron);
    else softLifForward(end, z, out, neuron);
  } else {
    if (derivative) lifBackward(end, z, da, out, neuron);
    else lifForward(end, z, out, neuron);
  }
}

/**
 * The scaled soft-LIF rate (SCIENCE.md §2) a = amplitude·r(gain·z), or its derivative
 * dz = da·amplitude·gain·r'(gain·z), over n values (out may alias z, or da): SIMD float64x2 in the
 * stable forms above, rounded once to float32 (≤ 0.5 ulp + 1e-11 relative; activation.spec.ts).
 * The full vectors first, then the last n mod 4 values in a padded vector through the same code.
 */
function softLif(derivative: bool, n: i32, z: usize, da: usize, out: usize, neuron: usize): void {
  const full = <usize>(n & ~3) << 2;
  softLifPass(derivative, full, z, da, out, neuron);
  const tail = (<usize>n << 2) - full;
  if (tail == 0) return;
  // Padding lanes: z = 0, da = 0 (finite; their results are dropped).
  v128.store(TAIL(), f32x4.splat(0));
  v128.store(TAIL() + 16, f32x4.splat(0));
  for (let o: usize = 0; o < tail; o += 4) {
    store<f32>(TAIL() + o, load<f32>(z + full + o));
    if (derivative) store<f32>(TAIL() + 16 + o, load<f32>(da + full + o));
  }
  softLifPass(derivative, 16, TAIL(), TAIL() + 16, TAIL() + 32, neuron);
  for (let o: usize = 0; o < tail; o += 4) store<f32>(out + full + o, load<f32>(TAIL() + 32 + o));
}

@inline
function sigmoid(z: f32): f32 {
  // exp of a large positive argument overflows to +Inf and the quotient goes to 0: no NaN.
  return 1 / (1 + Mathf.exp(-z));
}

/** a = σ(z) elementwise over n values (a may alias z). */
export function activationForward(kind: i32, n: i32, z: usize, a: usize, neuron: usize): void {
  let i = 0;
  if (kind == ACTIVATION_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, f32x4.max(v128.load(z + o), zero));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, max<f32>(load<f32>(z + o), 0));
    }
  } else if (kind == ACTIVATION_SIGMOID) {
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, sigmoid(load<f32>(z + o)));
    }
  } else if (kind == ACTIVATION_TANH) {
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, Mathf.tanh(load<f32>(z + o)));
    }
  } else if (kind == ACTIVATION_SOFTLIF) {
    softLif(false, n, z, 0, a, neuron);
  } else {
    if (a != z) memory.copy(a, z, <usize>n << 2);
  }
}

/**
 * dz = da ⊙ σ'(z), given the pre-activation z and the activation a = σ(z) (sigmoid and tanh
 * derive from a, ReLU and soft-LIF from z). dz may alias da.
 */
export function activationBackward(kind: i32, n: i32, z: usize, a: usize, da: usize, dz: usize, neuron: usize): void {
  let i = 0;
  if (kind == ACTIVATION_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const positive = f32x4.gt(v128.load(z + o), zero);
      v128.store(dz + o, v128.and(v128.load(da + o), positive));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(dz + o, load<f32>(z + o) > 0 ? load<f32>(da + o) : 0);
    }
  } else if (kind == ACTIVATION_SIGMOID) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const s = v128.load(a + o);
      v128.store(dz + o, f32x4.mul(v128.load(da + o), f32x4.mul(s, f32x4.sub(one, s))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const s = load<f32>(a + o);
      store<f32>(dz + o, load<f32>(da + o) * (s * (1 - s)));
    }
  } else if (kind == ACTIVATION_TANH) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const t = v128.load(a + o);
      v128.store(dz + o, f32x4.mul(v128.load(da + o), f32x4.sub(one, f32x4.mul(t, t))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const t = load<f32>(a + o);
      store<f32>(dz + o, load<f32>(da + o) * (1 - t * t));
    }
  } else if (kind == ACTIVATION_SOFTLIF) {
    softLif(true, n, z, da, dz, neuron);
  } else {
    if (dz != da) memory.copy(dz, da, <usize>n << 2);
  }
}
