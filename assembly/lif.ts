// Leaky integrate-and-fire neurons (SCIENCE.md §2): one exact simulation step. Threshold 1, reset 0,
// times in seconds. (The LIF rate curve is in rates.ts.)
//
// The step is SIMD over four neurons, in passes that avoid unpredictable branches (see below); the
// last n mod 4 neurons go through the same vector code in a padded vector, so a neuron's trajectory
// has the same bits whichever lane it sits in. Its exponential and logarithm are elementary.ts's
// float32x4 polynomials (plain SIMD arithmetic, no relaxed ops, no host Math): the same bits in every
// runtime.

import { EXPM1_NO_REDUCTION, LOG1P_SPLIT, expm1Neg4, expm1Reduced4, log1pNear4, log1pNeg4 } from "./elementary";
import { packLanes4 } from "./simd";
import { threadScratch } from "./thread";

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
  o: usize, current: usize, voltage: usize, refractory: usize, spikes: usize, dt: v128, fullStep: v128, floor: v128, restart: bool,
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
  let v = f32x4.sub(v0, f32x4.mul(f32x4.sub(j, v0), e));
  if (restart) {
    // A crossing carried from the last step (v0 > 1 after its restart) fires now, whatever the
    // current does: its voltage is kept above 1 for pass 4, which takes the crossing at the start.
    v = v128.bitselect(f32x4.pmax(v, v0), v, f32x4.gt(v0, f32x4.splat(1)));
  }
  const flagged = v128.or(f32x4.gt(v, f32x4.splat(1)), partial);
  // A lane that fired keeps v > 1: the floor (≤ 0) does not touch it; pmax(v, −Inf) is v.
  v128.store(voltage + o, v128.bitselect(v0, f32x4.pmax(v, floor), partial));
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
  dt: v128, negInvTau: v128, reduce: bool, floor: v128,
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
  scatter4(voltage, offsets, f32x4.pmax(v, floor));
  scatter4(spikes, offsets, v128.and(delta, fired));
  return packLanes4(FIRED() + (<usize>k << 2), offsets, i32x4.bitmask(fired) & ((1 << min(valid, 4)) - 1));
}

/**
 * Pass 4 for the four lanes listed at p, which fired (copies among them change nothing): reset,
 * spike, and the refractory time left. With v(t) = j + (1 − j)e^{−t/τ} counted from the crossing, a
 * neuron at v > 1 after integrating for Δt toward current j crossed s = −τ·log1p(−(v − 1)/(j − 1))
 * before the end of the step, so t_ref − s of the refractory period remains. When j ≤ v the voltage
 * was above threshold already when integration began (a caller-set voltage, or v rounded to j): the
 * crossing is taken at that start, s = Δt. s never exceeds Δt, and a refractory period shorter than
 * s (only possible with dt > t_ref) leaves 0.
 *
 * Without a refractory period (`restart`, t_ref = 0) the neuron integrates again from 0 for those
 * s seconds: v = j·(1 − e^{−s/τ}) = −j·expm1(−s/τ), floored; a second crossing within them fires at
 * the start of the next step. Otherwise the voltage is 0.
 */
// @ts-ignore: decorator
@inline
function fire4(
  p: usize, current: usize, voltage: usize, refractory: usize, spikes: usize,
  negTau: v128, tRef: v128, spikeValue: v128, restart: bool, negInvTau: v128, reduce: bool, floor: v128,
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
  const l = v128.any_true(f32x4.lt(x, f32x4.splat(LOG1P_SPLIT))) ? log1pNeg4(x) : log1pNear4(x);
  // (−τ)·log1p(x) ≥ +0 and Δt ≥ +0 are never NaN here, so pmin is min.
  const s = v128.bitselect(f32x4.pmin(f32x4.mul(negTau, l), delta), delta, f32x4.gt(j, v));
  scatter4(refractory, offsets, f32x4.pmax(f32x4.sub(tRef, s), f32x4.splat(0)));
  if (restart) {
    const x = f32x4.mul(s, negInvTau);
    const e = reduce ? expm1Neg4(x) : f32x4.add(expm1Reduced4(x), f32x4.splat(0));
    scatter4(voltage, offsets, f32x4.pmax(f32x4.neg(f32x4.mul(j, e)), floor));
  } else {
    scatter4(voltage, offsets, f32x4.splat(0));
  }
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
  dt: v128, fullStep: v128, negInvTau: v128, reduce: bool, negTau: v128, tRef: v128, spikeValue: v128, floor: v128, restart: bool,
): i32 {
  // A flag byte per vector, read back 64 at a time as bit sets: cheaper in the loop than a test.
  const words = (end - begin + 1023) >> 10;
  for (let p = FLAGS(); p < FLAGS() + (words << 6); p += 16) v128.store(p, i8x16.splat(0));
  let flag = FLAGS();
  for (let o = begin; o < end; o += 16) {
    store<u8>(flag++, integrate4(o, current, voltage, refractory, spikes, dt, fullStep, floor, restart));
  }
  let np = 0, nf = 0;
  for (let w: usize = 0; w < words; w++) {
    let flagged = flagBits(FLAGS() + (w << 6));
    while (flagged != 0) {
      const o = begin + (w << 10) + (<usize>ctz(flagged) << 4);
      flagged &= flagged - 1;
      const delta = v128.load(spikes + o);
      const partial = v128.and(f32x4.ne(delta, dt), f32x4.ne(delta, f32x4.splat(0)));
      // A partial lane's voltage is still its starting one, which may exceed 1 (set by the caller).
      const fired = v128.andnot(f32x4.gt(v128.load(voltage + o), f32x4.splat(1)), partial);
      const offsets = i32x4.add(i32x4.splat(<i32>o), i32x4(0, 4, 8, 12));
      np += packLanes4(PARTIAL() + (<usize>np << 2), offsets, i32x4.bitmask(partial));
      nf += packLanes4(FIRED() + (<usize>nf << 2), offsets, i32x4.bitmask(fired));
    }
  }
  if (np != 0) {
    pad(PARTIAL(), np);
    for (let q = 0; q < np; q += 4) {
      const p = PARTIAL() + (<usize>q << 2);
      nf += integratePartial4(p, np - q, nf, current, voltage, spikes, dt, negInvTau, reduce, floor);
    }
  }
  if (nf != 0) {
    pad(FIRED(), nf);
    for (let q = 0; q < nf; q += 4) {
      fire4(FIRED() + (<usize>q << 2), current, voltage, refractory, spikes, negTau, tRef, spikeValue, restart, negInvTau, reduce, floor);
    }
  }
  return nf;
}

// Scratch, fixed size (the step's signature has no workspace): a flag byte per vector of a chunk,
// the two lists of byte offsets (at most one entry per lane, plus room for a whole vector written
// at the end), and one padded vector of each of lifStep's four arrays for the last n mod 4 neurons.
// In this thread's scratch (thread.ts), in that order.
// @ts-ignore: decorator
@inline const LIST: usize = (CHUNK + 2) << 4;
/** Bytes of thread scratch the LIF step uses. */
export const LIF_SCRATCH_BYTES: i32 = <i32>(CHUNK + LIST * 2 + 64);
// @ts-ignore: decorator
@inline function FLAGS(): usize { return threadScratch(); }
// @ts-ignore: decorator
@inline function PARTIAL(): usize { return threadScratch() + CHUNK; }
// @ts-ignore: decorator
@inline function FIRED(): usize { return threadScratch() + CHUNK + LIST; }
// @ts-ignore: decorator
@inline function TAIL(): usize { return threadScratch() + CHUNK + 2 * LIST; }


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
 * Voltages are floored at `floor`, 0 for converted networks (nengo's default min_voltage): with
 * negative current the membrane would otherwise charge negative, and a neuron driven below rest for
 * a while would then need longer than 1/r(j) to fire once the current turns positive, unlike the
 * rate model the network was trained with. With current ≥ 0 the floor never acts (v stays between
 * its start and j). −Infinity is no floor, as NIR's neurons have none; a floor must be ≤ 0.
 *
 * t_ref = 0 (NIR's neurons, which have no refractory period) is allowed: a neuron then fires at
 * most once per step, and integrates again from 0 for the rest of the step after its crossing.
 */
export function lifStep(
  n: i32, dt: f32, tauRc: f32, tRef: f32,
  current: usize, voltage: usize, refractory: usize, spikes: usize, amplitude: f32, floor: f32,
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
  const floorV = f32x4.splat(floor);
  const restart = tRef == 0;
  let count = 0;
  const full = <usize>(n & ~3) << 2;
  for (let begin: usize = 0; begin < full; begin += CHUNK << 4) {
    const end = min<usize>(begin + (CHUNK << 4), full);
    count += stepChunk(
      begin, end, current, voltage, refractory, spikes, dtV, fullStep, negInvTauV, reduce, negTau, tRefV, spikeV, floorV, restart,
    );
  }
  const tail = (<usize>n << 2) - full;
  if (tail != 0) {
    // The padding lanes are idle neurons (j = v = 0, not refractory: they never fire).
    const zero = f32x4.splat(0);
    v128.store(TAIL(), zero);
    v128.store(TAIL() + 16, zero);
    v128.store(TAIL() + 32, zero);
    for (let o: usize = 0; o < tail; o += 4) {
      store<f32>(TAIL() + o, load<f32>(current + full + o));
      store<f32>(TAIL() + 16 + o, load<f32>(voltage + full + o));
      store<f32>(TAIL() + 32 + o, load<f32>(refractory + full + o));
    }
    count += stepChunk(
      0, 16, TAIL(), TAIL() + 16, TAIL() + 32, TAIL() + 48, dtV, fullStep, negInvTauV, reduce, negTau, tRefV, spikeV, floorV, restart,
    );
    for (let o: usize = 0; o < tail; o += 4) {
      store<f32>(voltage + full + o, load<f32>(TAIL() + 16 + o));
      store<f32>(refractory + full + o, load<f32>(TAIL() + 32 + o));
      store<f32>(spikes + full + o, load<f32>(TAIL() + 48 + o));
    }
  }
  return count;
}
