// Leaky integrate-and-fire neurons (SCIENCE.md §2): one exact simulation step, and the LIF and
// soft-LIF rate curves with their derivatives. Threshold 1, reset 0, times in seconds.
//
// The step is SIMD over four neurons, in passes that avoid unpredictable branches (see below); the
// last n mod 4 neurons go through the same vector code in a padded vector, so a neuron's trajectory
// has the same bits whichever lane it sits in. Its exponential and logarithm are polynomials below
// (plain SIMD arithmetic, no relaxed ops, no host Math): the same bits in every runtime. The rate
// functions run in float64 (log1p of values spanning hundreds of orders of magnitude) with
// AssemblyScript's own Math, then round once to float32.

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
@inline const EXPM1_NO_REDUCTION: f32 = 0.34;

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
function expm1Reduced4(r: v128): v128 {
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
function expm1Neg4(x: v128): v128 {
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
@inline const LOG1P_SPLIT: f32 = -0.29289321601; // 0xBE95F619
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
 * same operations in the same order, so the same bits as Mathf.log1p. Out of line: the step needs
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

/** log1pFar4, for the specs. */
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

// The step runs in passes over chunks of up to CHUNK vectors (4 KiB of each array), so that the
// common case needs neither polynomial nor an unpredictable branch. At the rates the networks use
// (up to ~80 Hz at dt = 1 ms, 4 ms refractory) about one vector in seven has a lane that integrates
// only part of the step (a "partial" lane: its refractory period ends inside it) and one in seven a
// lane that spikes, mostly a single lane: a test per vector mispredicts often, and polynomials on
// every lane keep long dependency chains in the loop.
// 1. integrate4, every vector: lanes that integrate the whole step (Δt = dt: the shared factor
//    expm1(−dt/τ)) or none of it (Δt = 0: factor 0) are finished unless they fired; a flag byte
//    marks the vector's partial and fired lanes.
// 2. For the flagged vectors, the byte offsets of the partial lanes are listed in PARTIAL and those
//    of the lanes that fired in FIRED.
// 3. integratePartial4, four PARTIAL lanes at a time (gathered, so that every lane does useful
//    work): each integrates with its own expm1(−Δt/τ); those that fire join FIRED.
// 4. fire4, four FIRED lanes at a time: reset, spike, and the refractory time left from the
//    interpolated crossing.
// Meanwhile a listed lane's Δt waits in its spikes slot, and its voltage slot holds a partial lane's
// starting voltage or a fired lane's voltage above 1. Every lane goes through the same operations as
// in a one-pass step, so the bits do not depend on the passes.

/**
 * Pass 1 for the four neurons at byte offset o; returns its partial and fired lanes as a bit mask.
 * `fullStep` is expm1(−dt/τ), as expm1Neg4 gives it; dt > 0.
 */
// @ts-ignore: decorator
@inline
function integrate4(
  o: usize, current: usize, voltage: usize, refractory: usize, spikes: usize, dt: v128, fullStep: v128,
): i32 {
  const zero = f32x4.splat(0);
  const j = v128.load(current + o);
  const v0 = v128.load(voltage + o);
  const ref = v128.load(refractory + o);
  // pmax is max here: NaN stays in the first operand's place, and no difference below is −0 for
  // dt > 0 (only a caller-set −0 voltage stays −0 where max would give +0). Δt > dt (a negative
  // refractory time) counts as partial here and is clamped to dt in pass 3.
  const delta = f32x4.pmax(f32x4.sub(dt, ref), zero);
  // expm1Neg4(−Δt/τ) is fullStep at Δt = dt and +0 at Δt = 0; the other lanes (NaN included) are
  // partial and get 0 here, to be redone in pass 3.
  const notFull = f32x4.ne(delta, dt);
  const partial = v128.and(notFull, f32x4.ne(delta, zero));
  const e = v128.andnot(fullStep, notFull);
  const v = f32x4.sub(v0, f32x4.mul(f32x4.sub(j, v0), e));
  const flagged = v128.or(f32x4.gt(v, f32x4.splat(1)), partial);
  // A lane that fired keeps v > 1: the floor does not touch it.
  v128.store(voltage + o, v128.bitselect(v0, f32x4.pmax(v, zero), partial));
  v128.store(refractory + o, f32x4.pmax(f32x4.sub(ref, dt), zero));
  v128.store(spikes + o, v128.and(delta, flagged));
  return i32x4.bitmask(flagged);
}

/** Bit k of the result: whether flag byte k of the 64 at p is nonzero. */
// @ts-ignore: decorator
@inline
function flagBits(p: usize): u64 {
  const zero = i8x16.splat(0);
  let r: u64 = 0;
  for (let q: usize = 0; q < 4; q++) {
    r |= <u64>(~i8x16.bitmask(i8x16.eq(v128.load(p + (q << 4)), zero)) & 0xFFFF) << (q << 4);
  }
  return r;
}

/** Appends the lanes of `offsets` selected by the 4-bit mask m to the list at p; returns how many. */
// @ts-ignore: decorator
@inline
function append(p: usize, offsets: v128, m: i32): i32 {
  v128.store(p, i8x16.swizzle(offsets, v128.load(PACK + (<usize>m << 4))));
  return <i32>popcnt(m);
}

/**
 * Stores the 32-bit lanes of v selected by the 4-bit mask m, packed to the front, at p (16 bytes
 * written); returns how many: append for any 32-bit lanes, for the soft-LIF activation's lists.
 */
// @ts-ignore: decorator
@inline
export function packLanes4(p: usize, v: v128, m: i32): i32 {
  return append(p, v, m);
}

/** Copies entry n − 1 of the list at p into entries n to n + 3, so that its last vector is whole. */
// @ts-ignore: decorator
@inline
function pad(p: usize, n: i32): void {
  v128.store(p + (<usize>n << 2), v128.load32_splat(p + (<usize>(n - 1) << 2)));
}

/** Lane q of the result: the f32 at base + lane q of offsets. */
// @ts-ignore: decorator
@inline
function gather4(base: usize, offsets: v128): v128 {
  let x = v128.load32_zero(base + <usize>i32x4.extract_lane(offsets, 0));
  x = v128.load32_lane(base + <usize>i32x4.extract_lane(offsets, 1), x, 1);
  x = v128.load32_lane(base + <usize>i32x4.extract_lane(offsets, 2), x, 2);
  return v128.load32_lane(base + <usize>i32x4.extract_lane(offsets, 3), x, 3);
}

/** Stores lane q of x at base + lane q of offsets, for the four lanes. */
// @ts-ignore: decorator
@inline
function scatter4(base: usize, offsets: v128, x: v128): void {
  v128.store32_lane(base + <usize>i32x4.extract_lane(offsets, 0), x, 0);
  v128.store32_lane(base + <usize>i32x4.extract_lane(offsets, 1), x, 1);
  v128.store32_lane(base + <usize>i32x4.extract_lane(offsets, 2), x, 2);
  v128.store32_lane(base + <usize>i32x4.extract_lane(offsets, 3), x, 3);
}

/**
 * Pass 3 for the four partial lanes listed at p, the first `valid` (≥ 1) of them distinct and the
 * others copies (computed and stored alike, they change nothing): integrate for Δt, and append the
 * valid lanes that fired to FIRED at index k; returns how many. `reduce` is false when dt/τ is
 * within EXPM1_NO_REDUCTION, where expm1Neg4 comes down to expm1Reduced4(x) + 0.
 */
// @ts-ignore: decorator
@inline
function integratePartial4(
  p: usize, valid: i32, k: i32, current: usize, voltage: usize, spikes: usize,
  dt: v128, negInvTau: v128, reduce: bool,
): i32 {
  const offsets = v128.load(p);
  const j = gather4(current, offsets);
  const v0 = gather4(voltage, offsets);
  const delta = f32x4.pmin(gather4(spikes, offsets), dt);
  // −(Δt/τ) as Δt·(−1/τ): the same bits, rounding being symmetric.
  const x = f32x4.mul(delta, negInvTau);
  const e = reduce ? expm1Neg4(x) : f32x4.add(expm1Reduced4(x), f32x4.splat(0));
  const v = f32x4.sub(v0, f32x4.mul(f32x4.sub(j, v0), e));
  const fired = f32x4.gt(v, f32x4.splat(1));
  scatter4(voltage, offsets, f32x4.pmax(v, f32x4.splat(0)));
  scatter4(spikes, offsets, v128.and(delta, fired));
  return append(FIRED + (<usize>k << 2), offsets, i32x4.bitmask(fired) & ((1 << min(valid, 4)) - 1));
}

/**
 * Pass 4 for the four lanes listed at p, which fired (copies among them change nothing): reset,
 * spike, and the refractory time left. With v(t) = j + (1 − j)e^{−t/τ} counted from the crossing, a
 * neuron at v > 1 after integrating for Δt toward current j crossed s = −τ·log1p(−(v − 1)/(j − 1))
 * before the end of the step, so t_ref − s of the refractory period remains. When j ≤ v the voltage
 * was above threshold already when integration began (a caller-set voltage, or v rounded to j): the
 * crossing is taken at that start, s = Δt. s never exceeds Δt, and a refractory period shorter than
 * s (only possible with dt > t_ref) leaves 0.
 */
// @ts-ignore: decorator
@inline
function fire4(
  p: usize, current: usize, voltage: usize, refractory: usize, spikes: usize,
  negTau: v128, tRef: v128, spikeValue: v128,
): void {
  const one = f32x4.splat(1);
  const offsets = v128.load(p);
  const j = gather4(current, offsets);
  const v = gather4(voltage, offsets);
  const delta = gather4(spikes, offsets);
  const x = f32x4.div(f32x4.neg(f32x4.sub(v, one)), f32x4.sub(j, one));
  // A neuron that started the step at v ≤ 1 crossed within it, so (v − 1)/(j − 1) ≤ 1 − e^{−Δt/τ}
  // and x ≥ LOG1P_SPLIT when dt/τ ≤ 0.34: musl's far branch only serves caller-set voltages above
  // threshold and long steps.
  const l = v128.any_true(f32x4.lt(x, f32x4.splat(LOG1P_SPLIT))) ? log1pFar4(x) : log1pNear4(x);
  // (−τ)·log1p(x) ≥ +0 and Δt ≥ +0 are never NaN here, so pmin is min.
  const s = v128.bitselect(f32x4.pmin(f32x4.mul(negTau, l), delta), delta, f32x4.gt(j, v));
  scatter4(refractory, offsets, f32x4.pmax(f32x4.sub(tRef, s), f32x4.splat(0)));
  scatter4(voltage, offsets, f32x4.splat(0));
  scatter4(spikes, offsets, spikeValue);
}

// Vectors per chunk: 4 KiB of each array stays in L1 between the passes, and the fixed cost of a
// chunk (the flag scan, the loop exits that mispredict) is spread over many vectors.
// @ts-ignore: decorator
@inline const CHUNK: usize = 256;

/** The passes over the neurons at byte offsets [begin, end), at most CHUNK vectors. */
// @ts-ignore: decorator
@inline
function stepChunk(
  begin: usize, end: usize, current: usize, voltage: usize, refractory: usize, spikes: usize,
  dt: v128, fullStep: v128, negInvTau: v128, reduce: bool, negTau: v128, tRef: v128, spikeValue: v128,
): i32 {
  // A flag byte per vector, read back 64 at a time as bit sets: cheaper in the loop than a test.
  const words = (end - begin + 1023) >> 10;
  for (let p = FLAGS; p < FLAGS + (words << 6); p += 16) v128.store(p, i8x16.splat(0));
  let flag = FLAGS;
  for (let o = begin; o < end; o += 16) {
    store<u8>(flag++, integrate4(o, current, voltage, refractory, spikes, dt, fullStep));
  }
  let np = 0, nf = 0;
  for (let w: usize = 0; w < words; w++) {
    let flagged = flagBits(FLAGS + (w << 6));
    while (flagged != 0) {
      const o = begin + (w << 10) + (<usize>ctz(flagged) << 4);
      flagged &= flagged - 1;
      const delta = v128.load(spikes + o);
      const partial = v128.and(f32x4.ne(delta, dt), f32x4.ne(delta, f32x4.splat(0)));
      // A partial lane's voltage is still its starting one, which may exceed 1 (set by the caller).
      const fired = v128.andnot(f32x4.gt(v128.load(voltage + o), f32x4.splat(1)), partial);
      const offsets = i32x4.add(i32x4.splat(<i32>o), i32x4(0, 4, 8, 12));
      np += append(PARTIAL + (<usize>np << 2), offsets, i32x4.bitmask(partial));
      nf += append(FIRED + (<usize>nf << 2), offsets, i32x4.bitmask(fired));
    }
  }
  if (np != 0) {
    pad(PARTIAL, np);
    for (let q = 0; q < np; q += 4) {
      const p = PARTIAL + (<usize>q << 2);
      nf += integratePartial4(p, np - q, nf, current, voltage, spikes, dt, negInvTau, reduce);
    }
  }
  if (nf != 0) {
    pad(FIRED, nf);
    for (let q = 0; q < nf; q += 4) {
      fire4(FIRED + (<usize>q << 2), current, voltage, refractory, spikes, negTau, tRef, spikeValue);
    }
  }
  return nf;
}

// Scratch, fixed size (the step's signature has no workspace): a flag byte per vector of a chunk,
// the two lists of byte offsets (at most one entry per lane, plus room for a whole vector written
// at the end), and one padded vector of each of lifStep's four arrays for the last n mod 4 neurons.
const FLAGS: usize = memory.data(<i32>CHUNK, 16);
const PARTIAL: usize = memory.data((<i32>CHUNK + 2) << 4, 16);
const FIRED: usize = memory.data((<i32>CHUNK + 2) << 4, 16);
const TAIL: usize = memory.data(64, 16);
// i8x16.swizzle patterns that move the 32-bit lanes selected by a 4-bit mask to the front.
const PACK: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/**
 * One step of dt > 0 seconds for n LIF neurons (τ_RC dv/dt = j − v, threshold 1, reset 0), input
 * current[i] constant over the step. voltage and refractory (seconds of refractory period left)
 * are state, updated in place; spikes[i] becomes amplitude/dt for a neuron that fired (an impulse
 * of area `amplitude`) and 0 otherwise. Returns the number of neurons that fired.
 *
 * Integration is exact for constant current: only the part of the step after the refractory period
 * ends, Δt = clamp(dt − refractory, 0, dt), integrates, as v ← v − (j − v)·expm1(−Δt/τ) (expm1
 * keeps the small increment accurate at dt ≪ τ). A neuron that crosses 1 resets to 0, and its
 * refractory period starts at the crossing time interpolated inside the step, so the next step may
 * integrate for part of its length: without this, rates at dt = 1 ms fall tens of Hz short.
 *
 * Voltages are floored at 0 (nengo's default min_voltage): with negative current the membrane
 * would otherwise charge negative, and a neuron driven below rest for a while would then need
 * longer than 1/r(j) to fire once the current turns positive, unlike the rate model the network
 * was trained with. With current ≥ 0 the floor never acts (v stays between its start and j).
 */
export function lifStep(
  n: i32, dt: f32, tauRc: f32, tRef: f32,
  current: usize, voltage: usize, refractory: usize, spikes: usize, amplitude: f32,
): i32 {
  const negInvTau: f32 = -(1 / tauRc);
  const dtV = f32x4.splat(dt);
  const negInvTauV = f32x4.splat(negInvTau);
  const fullStep = expm1Neg4(f32x4.mul(dtV, negInvTauV));
  // Every Δt in the step is within [0, dt], so |Δt/τ| ≤ |dt/τ| (rounding is monotonic).
  const reduce = !(Mathf.abs(dt * negInvTau) <= EXPM1_NO_REDUCTION);
  const negTau = f32x4.splat(-tauRc);
  const tRefV = f32x4.splat(tRef);
  const spikeV = f32x4.splat(amplitude / dt);
  let count = 0;
  const full = <usize>(n & ~3) << 2;
  for (let begin: usize = 0; begin < full; begin += CHUNK << 4) {
    const end = min<usize>(begin + (CHUNK << 4), full);
    count += stepChunk(
      begin, end, current, voltage, refractory, spikes, dtV, fullStep, negInvTauV, reduce, negTau, tRefV, spikeV,
    );
  }
  const tail = (<usize>n << 2) - full;
  if (tail != 0) {
    // The padding lanes are idle neurons (j = v = 0, not refractory: they never fire).
    const zero = f32x4.splat(0);
    v128.store(TAIL, zero);
    v128.store(TAIL + 16, zero);
    v128.store(TAIL + 32, zero);
    for (let o: usize = 0; o < tail; o += 4) {
      store<f32>(TAIL + o, load<f32>(current + full + o));
      store<f32>(TAIL + 16 + o, load<f32>(voltage + full + o));
      store<f32>(TAIL + 32 + o, load<f32>(refractory + full + o));
    }
    count += stepChunk(
      0, 16, TAIL, TAIL + 16, TAIL + 32, TAIL + 48, dtV, fullStep, negInvTauV, reduce, negTau, tRefV, spikeV,
    );
    for (let o: usize = 0; o < tail; o += 4) {
      store<f32>(voltage + full + o, load<f32>(TAIL + 16 + o));
      store<f32>(refractory + full + o, load<f32>(TAIL + 32 + o));
      store<f32>(spikes + full + o, load<f32>(TAIL + 48 + o));
    }
  }
  return count;
}

// ---- Rates ---------------------------------------------------------------------------------------

/** softplus(y) = log(1 + e^y) without overflow: y + log1p(e^−y) for y > 0. */
// @ts-ignore: decorator
@inline
function softplus(y: f64): f64 {
  return y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y));
}

// Below this y = x/γ, softplus(y) = e^y·(1 − e^y/2 + …) equals e^y to 1e-13 relative, so
// log ρ = log γ + y; used where e^y would underflow and ρ = 0 would give an infinite log term.
// @ts-ignore: decorator
@inline const SOFT_TAIL: f64 = -30;

/** L(x) = log1p(1/ρ(x)), ρ(x) = γ·softplus(x/γ) > 0: finite for every finite x and γ > 0. */
// @ts-ignore: decorator
@inline
function softLogTerm(x: f64, gamma: f64): f64 {
  const y = x / gamma;
  if (y > SOFT_TAIL) return Math.log1p(1 / (gamma * softplus(y)));
  // log1p(1/ρ) = log1p(ρ) − log ρ; ρ ≤ γ·e^−30 here so nothing cancels.
  return Math.log1p(gamma * Math.exp(y)) - (Math.log(gamma) + y);
}

// The rates as functions of x = j − 1 in float64, shared by the array kernels below and by the
// soft-LIF activation (activation.ts).

/** 1/(t_ref + τ·log1p(1/x)) for x > 0, else 0 (eq. 33, in Hz for times in s). */
// @ts-ignore: decorator
@inline
export function lifRateAt(x: f64, tau: f64, tRef: f64): f64 {
  return x > 0 ? 1 / (tRef + tau * Math.log1p(1 / x)) : 0;
}

/**
 * dr/dj of the LIF rate: with dL/dx = −1/(x(x + 1)), dr/dj = τ·r²/(x(x + 1)) for x > 0, else 0
 * (the right derivative at j = 1 is +∞ — r rises like 1/(τ·log(1/x)) — and is not taken).
 * Finite for every float32 j > 1: x ≥ 2^-23 and x(x + 1) ≤ 1e77 stay inside float64.
 */
// @ts-ignore: decorator
@inline
export function lifRateSlopeAt(x: f64, tau: f64, tRef: f64): f64 {
  if (!(x > 0)) return 0;
  const r = 1 / (tRef + tau * Math.log1p(1 / x));
  return tau * r * r / (x * (x + 1));
}

/**
 * Soft-LIF rate (SCIENCE.md §2, eq. 34 with its sign corrected): 1/(t_ref + τ·log1p(1/ρ)),
 * ρ = γ_s·log(1 + e^{x/γ_s}), γ_s > 0. Positive for every finite x in float64: far below threshold ρ
 * underflows, so log1p(1/ρ) is taken as log1p(ρ) − log ρ with log ρ = log γ_s + x/γ_s, and the rate
 * decays like γ_s/(τ·|x|) instead of reaching 0.
 */
// @ts-ignore: decorator
@inline
export function softLifRateAt(x: f64, tau: f64, tRef: f64, gamma: f64): f64 {
  return 1 / (tRef + tau * softLogTerm(x, gamma));
}

/**
 * dr/dj of the soft-LIF rate: dρ/dj = σ(y) (logistic, y = x/γ_s) and dL/dρ = −1/(ρ(1 + ρ)), so
 * dr/dj = τ·r²·σ(y)/(ρ(1 + ρ)). Far below threshold (y ≤ −30) σ(y)/softplus(y) = 1 − e^y/2 + … = 1
 * to 1e-13, so σ/ρ = 1/γ_s without forming the underflowing ρ; elsewhere ρ ≥ γ_s·e^-30 > 0.
 */
// @ts-ignore: decorator
@inline
export function softLifRateSlopeAt(x: f64, tau: f64, tRef: f64, gamma: f64): f64 {
  const y = x / gamma;
  const r = 1 / (tRef + tau * softLogTerm(x, gamma));
  if (y > SOFT_TAIL) {
    const rho = gamma * softplus(y);
    const sigma = y > 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
    return tau * r * r * sigma / (rho * (1 + rho));
  }
  const rho = gamma * Math.exp(y);
  return tau * r * r / (gamma * (1 + rho));
}

/** out[i] = the LIF rate at current j[i] (Hz), rounded once to float32. */
export function lifRate(n: i32, tauRc: f32, tRef: f32, j: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>lifRateAt(<f64>load<f32>(j + o) - 1, tauRc, tRef));
  }
}

/** out[i] = dr/dj of the LIF rate at j[i]. */
export function lifRateDerivative(n: i32, tauRc: f32, tRef: f32, j: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>lifRateSlopeAt(<f64>load<f32>(j + o) - 1, tauRc, tRef));
  }
}

/**
 * out[i] = the soft-LIF rate at j[i] with smoothing = γ_s > 0 (the float32 result underflows to 0
 * only when the rate is below 1.4e-45).
 */
export function softLifRate(n: i32, tauRc: f32, tRef: f32, smoothing: f32, j: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>softLifRateAt(<f64>load<f32>(j + o) - 1, tauRc, tRef, smoothing));
  }
}

/** out[i] = dr/dj of the soft-LIF rate at j[i]. */
export function softLifRateDerivative(n: i32, tauRc: f32, tRef: f32, smoothing: f32, j: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>softLifRateSlopeAt(<f64>load<f32>(j + o) - 1, tauRc, tRef, smoothing));
  }
}
