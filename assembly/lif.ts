// Leaky integrate-and-fire neurons (SCIENCE.md §2): one exact simulation step, and the LIF and
// soft-LIF rate curves with their derivatives. Threshold 1, reset 0, times in seconds.
//
// The step is SIMD over four neurons with a scalar tail that performs the same float32 operations
// in the same order, so a neuron's trajectory has the same bits whichever lane it sits in. Its
// exponential is a polynomial below (plain SIMD arithmetic, no relaxed ops, no host Math): the same
// bits in every runtime. The rate functions run in float64 (log1p of values spanning hundreds of
// orders of magnitude) with AssemblyScript's own Math, then round once to float32.

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

/**
 * expm1(x) for x ≤ 0, four lanes. x = k·ln2 + r with |r| ≤ ln2/2, expm1(x) = 2^k·expm1(r) + (2^k − 1);
 * 2^k − 1 is exact for k ≥ −24 and rounds to −1 below, where it dominates anyway. A few ulp.
 */
// @ts-ignore: decorator
@inline
function expm1Neg4(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(EXPM1_MIN));
  const k = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(INV_LN2)), f32x4.splat(0.5)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  let q = f32x4.add(f32x4.mul(f32x4.splat(C7), r), f32x4.splat(C6));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C5));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C4));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C2));
  const p = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
  // 2^k from its exponent bits (k is an integer in [−126, 0], so k + 127 is a normal exponent).
  // k + 127 + 2^23 holds the integer k + 127 in its low mantissa bits (0 ≤ k + 127 < 2^23): integer
  // operations only, where a float-to-int conversion costs V8 a long saturating sequence.
  const biased = v128.sub<i32>(f32x4.add(k, f32x4.splat(8388735.0)), i32x4.splat(0x4B000000));
  const twoK = i32x4.shl(biased, 23);
  return f32x4.add(f32x4.mul(twoK, p), f32x4.sub(twoK, f32x4.splat(1)));
}

/** expm1Neg4 for one value: the same operations in the same order, so the same bits. */
// @ts-ignore: decorator
@inline
function expm1Neg(x: f32): f32 {
  x = max<f32>(x, EXPM1_MIN);
  const k = Mathf.floor(x * INV_LN2 + 0.5);
  const r = (x - k * LN2_HI) - k * LN2_LO;
  let q = C7 * r + C6;
  q = q * r + C5;
  q = q * r + C4;
  q = q * r + C3;
  q = q * r + C2;
  const p = r + (r * r) * q;
  const twoK = reinterpret<f32>((<i32>k + 127) << 23);
  return twoK * p + (twoK - 1);
}

/**
 * Refractory time left at the end of the step for a neuron whose voltage ended the step at v > 1
 * after integrating for `delta` seconds toward current j. With v(t) = j + (1 − j)e^{−t/τ} counted
 * from the crossing, the crossing happened s = −τ·log1p(−(v − 1)/(j − 1)) before the end of the
 * step, so t_ref − s of the refractory period remains. When j ≤ v the voltage was above threshold
 * already when integration began (a caller-set voltage, or v rounded to j): the crossing is taken
 * at that start, s = delta. s never exceeds delta, and a refractory period shorter than s (only
 * possible with dt > t_ref) leaves 0.
 */
// @ts-ignore: decorator
@inline
function refractoryAfterSpike(v: f32, j: f32, delta: f32, tauRc: f32, tRef: f32): f32 {
  let s = delta;
  if (j > v) s = min<f32>(-tauRc * Mathf.log1p(-(v - 1) / (j - 1)), delta);
  return max<f32>(tRef - s, 0);
}

// @ts-ignore: decorator
@inline
function fireLane(o: usize, v: f32, j: f32, delta: f32, tauRc: f32, tRef: f32, voltage: usize, refractory: usize): void {
  if (v > 1) {
    store<f32>(voltage + o, 0);
    store<f32>(refractory + o, refractoryAfterSpike(v, j, delta, tauRc, tRef));
  }
}

/**
 * One step of dt seconds for n LIF neurons (τ_RC dv/dt = j − v, threshold 1, reset 0), input
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
  const spikeValue = amplitude / dt;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const dtv = f32x4.splat(dt);
  const invTau: f32 = 1 / tauRc;
  const invTauV = f32x4.splat(invTau);
  const spikeV = f32x4.splat(spikeValue);
  // Most neurons integrate the whole step: their factor expm1(−dt/τ) is the same for all.
  const fullStep = expm1Neg(-(dt * invTau));
  const fullStepV = f32x4.splat(fullStep);
  let count = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const j = v128.load(current + o);
    let v = v128.load(voltage + o);
    const ref = v128.load(refractory + o);
    const delta = f32x4.min(f32x4.max(f32x4.sub(dtv, ref), zero), dtv);
    const e = i32x4.all_true(f32x4.eq(delta, dtv)) ? fullStepV : expm1Neg4(f32x4.neg(f32x4.mul(delta, invTauV)));
    v = f32x4.sub(v, f32x4.mul(f32x4.sub(j, v), e));
    const fired = f32x4.gt(v, one);
    v128.store(voltage + o, f32x4.max(v, zero));
    v128.store(refractory + o, f32x4.max(f32x4.sub(ref, dtv), zero));
    v128.store(spikes + o, v128.and(spikeV, fired));
    if (v128.any_true(fired)) {
      count += <i32>popcnt(i32x4.bitmask(fired));
      // Spikes are rare per step: the crossing time is computed lane by lane, overwriting the
      // stored voltage and refractory time of the lanes that fired.
      fireLane(o, f32x4.extract_lane(v, 0), f32x4.extract_lane(j, 0), f32x4.extract_lane(delta, 0), tauRc, tRef, voltage, refractory);
      fireLane(o + 4, f32x4.extract_lane(v, 1), f32x4.extract_lane(j, 1), f32x4.extract_lane(delta, 1), tauRc, tRef, voltage, refractory);
      fireLane(o + 8, f32x4.extract_lane(v, 2), f32x4.extract_lane(j, 2), f32x4.extract_lane(delta, 2), tauRc, tRef, voltage, refractory);
      fireLane(o + 12, f32x4.extract_lane(v, 3), f32x4.extract_lane(j, 3), f32x4.extract_lane(delta, 3), tauRc, tRef, voltage, refractory);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const j = load<f32>(current + o);
    let v = load<f32>(voltage + o);
    const ref = load<f32>(refractory + o);
    const delta = min<f32>(max<f32>(dt - ref, 0), dt);
    const e = delta == dt ? fullStep : expm1Neg(-(delta * invTau));
    v = v - (j - v) * e;
    store<f32>(voltage + o, max<f32>(v, 0));
    store<f32>(refractory + o, max<f32>(ref - dt, 0));
    if (v > 1) {
      store<f32>(spikes + o, spikeValue);
      count++;
      fireLane(o, v, j, delta, tauRc, tRef, voltage, refractory);
    } else {
      store<f32>(spikes + o, 0);
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
