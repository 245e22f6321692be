// Deterministic elementary functions: exp, expm1 and log1p as polynomials in plain SIMD arithmetic
// — float32x4 for the LIF step (lif.ts), float64x2 for the soft-LIF activation (activation.ts). No
// host Math, no relaxed SIMD, no table lookups: the same operations in the same order give the same
// bits in every runtime and on every CPU.

// ---- float32x4 expm1 and log1p (for the LIF step) ------------------------------------------------

// Cody–Waite split of ln 2 (musl's expf constants): LN2_HI has 9 trailing zero bits, so k·LN2_HI is
// exact for |k| ≤ 126 and the reduced argument keeps full precision.
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 6.9314575195e-01;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = 1.4286067653e-06;
// @ts-ignore: decorator
@inline const INV_LN2: f32 = 1.4426950216e+00;
// Below this expm1 is −1 in float32 and 2^k would leave the normal range (k ≥ −126 needed).
// @ts-ignore: decorator
@inline const EXPM1_MIN: f32 = -87.0;
// For |x| up to this, x·INV_LN2 + 0.5 stays in (0, 1): the reduction has k = 0 and is the identity.
// @ts-ignore: decorator
@inline export const EXPM1_NO_REDUCTION: f32 = 0.34;

// Taylor coefficients 1/n! of expm1 on the reduced range |r| ≤ ln2/2: the first omitted term,
// r^8/8!, is ≤ 5.2e-9 there, below a third of an ulp of expm1(r).
// @ts-ignore: decorator
@inline const C2: f32 = 0.5;
// @ts-ignore: decorator
@inline const C3: f32 = 1.6666666667e-01;
// @ts-ignore: decorator
@inline const C4: f32 = 4.1666666667e-02;
// @ts-ignore: decorator
@inline const C5: f32 = 8.3333333333e-03;
// @ts-ignore: decorator
@inline const C6: f32 = 1.3888888889e-03;
// @ts-ignore: decorator
@inline const C7: f32 = 1.9841269841e-04;

/** expm1(r) for |r| ≤ ln2/2, four lanes. */
// @ts-ignore: decorator
@inline
export function expm1Reduced4(r: v128): v128 {
  let q = f32x4.add(f32x4.mul(f32x4.splat(C7), r), f32x4.splat(C6));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C5));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C4));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C2));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
}

/**
 * expm1(x) for x ≤ 0, four lanes. x = k·ln2 + r with |r| ≤ ln2/2, expm1(x) = 2^k·expm1(r) + (2^k − 1);
 * 2^k − 1 is exact for k ≥ −24 and rounds to −1 below, where it dominates anyway. A few ulp.
 */
// @ts-ignore: decorator
@inline
export function expm1Neg4(x: v128): v128 {
  // pmax is one instruction where max costs V8 eight (NaN and ±0 fix-ups); a NaN x stays NaN.
  x = f32x4.pmax(x, f32x4.splat(EXPM1_MIN));
  const k = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(INV_LN2)), f32x4.splat(0.5)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  const p = expm1Reduced4(r);
  // 2^k from its exponent bits (k is an integer in [−126, 0], so k + 127 is a normal exponent).
  // k + 127 + 2^23 holds the integer k + 127 in its low mantissa bits (0 ≤ k + 127 < 2^23): integer
  // operations only, where a float-to-int conversion costs V8 a long saturating sequence.
  const biased = v128.sub<i32>(f32x4.add(k, f32x4.splat(8388735.0)), i32x4.splat(0x4B000000));
  const twoK = i32x4.shl(biased, 23);
  return f32x4.add(f32x4.mul(twoK, p), f32x4.sub(twoK, f32x4.splat(1)));
}

// musl's log1pf, as AssemblyScript's Mathf.log1p has it: ln 2 split for k·ln2, and the
// coefficients of log(1 + f) = 2·atanh(s), s = f/(2 + f), as a polynomial in s².
// @ts-ignore: decorator
@inline const LOG_LN2_HI: f32 = 6.9313812256e-01; // 0x3F317180
// @ts-ignore: decorator
@inline const LOG_LN2_LO: f32 = 9.0580006145e-06; // 0x3717F7D1
// @ts-ignore: decorator
@inline const LG1: f32 = 0.66666662693; // 0x3F2AAAAA
// @ts-ignore: decorator
@inline const LG2: f32 = 0.40000972152; // 0x3ECCCE13
// @ts-ignore: decorator
@inline const LG3: f32 = 0.28498786688; // 0x3E91E9EE
// @ts-ignore: decorator
@inline const LG4: f32 = 0.24279078841; // 0x3E789E26
// musl's branch points for x < 0: below −0.29289 (bits 0xBE95F619) 1 + x is split into 2^k·(1 + f);
// above −2^-24 log1p(x) rounds to x.
// @ts-ignore: decorator
@inline export const LOG1P_SPLIT: f32 = -0.29289321601; // 0xBE95F619
// @ts-ignore: decorator
@inline const LOG1P_TINY: f32 = -5.9604644775390625e-8; // −2^-24

/** musl's s·(hfsq + R) for log(1 + f): s = f/(2 + f), R its polynomial in s², hfsq = f²/2. */
// @ts-ignore: decorator
@inline
function log1pCore4(f: v128, hfsq: v128): v128 {
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(f32x4.splat(LG2), f32x4.mul(w, f32x4.splat(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(f32x4.splat(LG1), f32x4.mul(w, f32x4.splat(LG3))));
  return f32x4.mul(s, f32x4.add(hfsq, f32x4.add(t2, t1)));
}

/**
 * log1p(x) for LOG1P_SPLIT ≤ x ≤ 0, four lanes: musl's branch for that range, the same operations in
 * the same order, so the same bits as Mathf.log1p (< 1 ulp). musl also adds k·ln2_lo + c and
 * k·ln2_hi there, both +0 (k = c = 0): they cannot change the nonzero sum, and where it could be 0
 * (|x| < 2^-24) the result is x itself.
 */
// @ts-ignore: decorator
@inline
export function log1pNear4(x: v128): v128 {
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), x);
  const y = f32x4.add(f32x4.sub(log1pCore4(x, hfsq), hfsq), x);
  return v128.bitselect(x, y, f32x4.gt(x, f32x4.splat(LOG1P_TINY)));
}

/**
 * log1p(x) for −1 ≤ x ≤ 0, four lanes: all of musl's log1pf with its branches as lane selects, the
 * same operations in the same order, so the same bits as Mathf.log1p. Out of line: the LIF step needs
 * it only for caller-set voltages above threshold and long steps (see fire4).
 */
// @ts-ignore: decorator
@noinline
function log1pFar4(x: v128): v128 {
  const one = f32x4.splat(1);
  // Below LOG1P_SPLIT: k from the exponent of u = 1 + x (integer to float, a cheap conversion), f
  // from its mantissa, and c = (x − (u − 1))/u, the rounding error of u relative to u. Above it,
  // f = x and k = c = 0. (x = −1 makes c NaN in its lane; that lane's result is replaced below.)
  const far = f32x4.lt(x, f32x4.splat(LOG1P_SPLIT));
  const u = f32x4.add(one, x);
  const iu = i32x4.add(u, i32x4.splat(0x3F800000 - 0x3F3504F3));
  const k = v128.and(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(iu, 23), i32x4.splat(0x7F))), far);
  const c = v128.and(f32x4.div(f32x4.sub(x, f32x4.sub(u, one)), u), far);
  const fFar = f32x4.sub(i32x4.add(v128.and(iu, i32x4.splat(0x007FFFFF)), i32x4.splat(0x3F3504F3)), one);
  const f = v128.bitselect(fFar, x, far);
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f), f);
  // s·(hfsq + R) + (k·ln2_lo + c) − hfsq + f + k·ln2_hi, left to right.
  let y = f32x4.add(log1pCore4(f, hfsq), f32x4.add(f32x4.mul(k, f32x4.splat(LOG_LN2_LO)), c));
  y = f32x4.add(f32x4.add(f32x4.sub(y, hfsq), f), f32x4.mul(k, f32x4.splat(LOG_LN2_HI)));
  y = v128.bitselect(x, y, f32x4.gt(x, f32x4.splat(LOG1P_TINY)));
  return v128.bitselect(f32x4.splat(-Infinity), y, f32x4.eq(x, f32x4.splat(-1)));
}

/** log1pFar4, out of line (the LIF step's far branch, and the specs). */
// @ts-ignore: decorator
@inline
export function log1pNeg4(x: v128): v128 {
  return log1pFar4(x);
}

// ---- float64x2 exp and log1p (for the soft-LIF activation) ----------------------------------------
// Polynomials good to ~1e-12 relative: far below a float32 ulp (6e-8), so a float32 result computed
// through them in float64 rounds like the exact value, except within ~1e-11 relative of a tie.

// @ts-ignore: decorator
@inline const LN2_F64: f64 = 0.6931471805599453;
// @ts-ignore: decorator
@inline const INV_LN2_F64: f64 = 1.4426950408889634;
// 1.5·2^52: adding it rounds to an integer, held in the low mantissa bits (bits 0x4338000000000000).
// @ts-ignore: decorator
@inline const ROUND_F64: f64 = 6755399441055744.0;

/**
 * e^x for −708 ≤ x ≤ 0, two float64 lanes. x = k·ln2 + r with k = round(x/ln2) (the rounding of
 * adding 1.5·2^52, whose low mantissa bits then hold k), |r| ≤ ln2/2, e^x = 2^k·e^r, e^r by its
 * Taylor polynomial of degree 10 (Estrin's scheme): remainder ≤ 2·(ln2/2)^11/11! < 5e-13 relative;
 * r = x − k·ln2 rounds with error ≤ 2^-53·|x| < 1e-13 for |x| ≤ 708. NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
export function expNeg2(x: v128): v128 {
  const shifted = f64x2.add(f64x2.mul(x, f64x2.splat(INV_LN2_F64)), f64x2.splat(ROUND_F64));
  const k = f64x2.sub(shifted, f64x2.splat(ROUND_F64));
  const r = f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_F64)));
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  const a01 = f64x2.add(f64x2.splat(1), r);
  const a23 = f64x2.add(f64x2.splat(1.0 / 2), f64x2.mul(r, f64x2.splat(1.0 / 6)));
  const a45 = f64x2.add(f64x2.splat(1.0 / 24), f64x2.mul(r, f64x2.splat(1.0 / 120)));
  const a67 = f64x2.add(f64x2.splat(1.0 / 720), f64x2.mul(r, f64x2.splat(1.0 / 5040)));
  const a89 = f64x2.add(f64x2.splat(1.0 / 40320), f64x2.mul(r, f64x2.splat(1.0 / 362880)));
  const b0 = f64x2.add(a01, f64x2.mul(r2, a23));
  const b1 = f64x2.add(a45, f64x2.mul(r2, a67));
  const b2 = f64x2.add(a89, f64x2.mul(r2, f64x2.splat(1.0 / 3628800)));
  const p = f64x2.add(f64x2.add(b0, f64x2.mul(r4, b1)), f64x2.mul(r8, b2));
  // 2^k: shifted's bits are 0x4338000000000000 + k; k + 1023 moved into the exponent field.
  const twoK = i64x2.shl(i64x2.add(shifted, i64x2.splat(1023 - 0x4338000000000000)), 52);
  return f64x2.mul(twoK, p);
}

/**
 * log1p(x) for 0 ≤ x < +∞, two float64 lanes. u = 1 + x = 2^k·(1 + f) with 1 + f in [√2/2, √2),
 * log(1 + f) = 2s·(1 + s²/3 + … + s¹²/13), s = f/(2 + f), |s| ≤ 0.1716 (remainder < 1.3e-12
 * relative), and c/u, c = x − (u − 1) the rounding error of u (exact below 2^53), restores what
 * rounding 1 + x lost: log1p(x) = k·ln2 + log(1 + f) + c/u to ~1e-12 relative for every x ≥ 0,
 * tiny ones included. 1/u is taken as 2^-k·(1 − f + f²): off by ≤ |f|³ < 8% of a term ≤ 2^-53.
 */
// @ts-ignore: decorator
@inline
export function log1p2(x: v128): v128 {
  const one = f64x2.splat(1);
  const u = f64x2.add(one, x);
  const iu = i64x2.add(u, i64x2.splat(0x3FF0000000000000 - 0x3FE6A09E667F3BCD));
  const biased = i64x2.shr_u(iu, 52); // k + 1023
  // k as float64: 2^52 + (k + 1023) from its bits, minus 2^52 + 1023.
  const k = f64x2.sub(v128.or(biased, i64x2.splat(0x4330000000000000)), f64x2.splat(4503599627371519.0));
  const f = f64x2.sub(i64x2.add(v128.and(iu, i64x2.splat(0x000FFFFFFFFFFFFF)), i64x2.splat(0x3FE6A09E667F3BCD)), one);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const q01 = f64x2.add(one, f64x2.mul(z, f64x2.splat(1.0 / 3)));
  const q23 = f64x2.add(f64x2.splat(1.0 / 5), f64x2.mul(z, f64x2.splat(1.0 / 7)));
  const q45 = f64x2.add(f64x2.splat(1.0 / 9), f64x2.mul(z, f64x2.splat(1.0 / 11)));
  const q = f64x2.add(
    f64x2.add(q01, f64x2.mul(z2, q23)),
    f64x2.mul(z4, f64x2.add(q45, f64x2.mul(z2, f64x2.splat(1.0 / 13)))),
  );
  const logF = f64x2.mul(f64x2.add(s, s), q);
  // c·2^-k·(1 − f·(1 − f)); 2^-k has exponent field 1023 − k = 2046 − (k + 1023).
  const c = f64x2.sub(x, f64x2.sub(u, one));
  const twoNegK = i64x2.shl(i64x2.sub(i64x2.splat(2046), biased), 52);
  const cOverU = f64x2.mul(f64x2.mul(c, twoNegK), f64x2.sub(one, f64x2.mul(f, f64x2.sub(one, f))));
  return f64x2.add(f64x2.mul(k, f64x2.splat(LN2_F64)), f64x2.add(logF, cOverU));
}
