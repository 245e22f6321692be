// Input encodings for spiking networks (SCIENCE.md §2): Poisson rate coding (thesis eq. 35). Every
// random draw comes from the project's PCG32 (rng.ts).

import { RNG_BYTES } from "./layout";
import { pcgAdvance, pcgOutput } from "./rng";

/**
 * One simulation step of Poisson rate coding for one row of n inputs, drawing from generator g.
 * Input i fires in this step with probability p = x[i]·dt/period (inputs in [0, 1], so the maximum
 * rate is 1/period); out[i] = amplitude/dt when it fires (an impulse of area `amplitude`), else 0.
 * Returns the number of inputs that fired.
 *
 * Draws one uniform per input that can fire (p > 0), in index order, so a generator state gives the
 * same spike trains everywhere; the generator advances by that many outputs per call. The uniform
 * is rng.ts's: (next >> 8)·2^-24 in [0, 1) with 24 random bits; the input fires when it is < p.
 * p is computed in float32 as x[i]·(dt/period) and clamped to [0, 1]: x ≤ 0 never fires,
 * x·dt ≥ period fires every step, and a NaN p never fires. (Rejecting inputs outside [0, 1] is the
 * facade's job.)
 */
function poissonSpikes(g: usize, n: i32, x: usize, dt: f32, period: f32, amplitude: f32, out: usize): i32 {
  const ratio = dt / period;
  const value = amplitude / dt;
  let count = 0;
  // The generator state lives in a local for the loop: through memory, every draw would wait for
  // the previous one's store.
  let state = load<u64>(g);
  const increment = load<u64>(g, 8);
  const zero = f32x4.splat(0);
  const ratioV = f32x4.splat(ratio);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    // Most of an image is 0 in long runs: four silent inputs at a time, without a draw. (The same
    // float32 product as below, so a group is skipped exactly when none of its inputs would draw.)
    if (!v128.any_true(f32x4.gt(f32x4.mul(v128.load(x + o), ratioV), zero))) {
      v128.store(out + o, zero);
      continue;
    }
    for (let k: usize = 0; k < 16; k += 4) {
      state = poissonInput(state, increment, x + o + k, ratio, value, out + o + k);
      count += <i32>(load<f32>(out + o + k) != 0);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    state = poissonInput(state, increment, x + o, ratio, value, out + o);
    count += <i32>(load<f32>(out + o) != 0);
  }
  store<u64>(g, state);
  return count;
}

/**
 * One step of Poisson rate coding for B rows of n inputs (x and out B × n): input i of row b fires
 * with probability x[b, i]·dt/period (maximum rate 1/period; `period` is the encoding's own
 * parameter, not a neuron's refractory period), and out[b, i] = amplitude/dt when it fires, else 0.
 * Returns the number of inputs that fired. Row b draws from its own generator at g + RNG_BYTES·b,
 * one uniform per input in index order (see poissonSpikes above): each sample's spike trains depend
 * on its own generator only, not on which batch it is simulated in.
 */
export function poissonSpikesRows(g: usize, B: i32, n: i32, x: usize, dt: f32, period: f32, amplitude: f32, out: usize): i32 {
  let count = 0;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * <usize>n << 2;
    count += poissonSpikes(g + <usize>b * <usize>RNG_BYTES, n, x + o, dt, period, amplitude, out + o);
  }
  return count;
}

// One input's step, without a branch (a digit's stroke edges would mispredict one): the draw is
// made, and kept — the returned generator state advanced — only when the input can fire.
@inline
function poissonInput(state: u64, increment: u64, x: usize, ratio: f32, value: f32, out: usize): u64 {
  const raw = load<f32>(x) * ratio;
  // NaN > 0 is false: a NaN probability is 0. An input that cannot fire draws nothing.
  const live = raw > 0;
  const p = min<f32>(raw, 1);
  // 24 bits fit an i32: a signed conversion, which x86 has, where an unsigned one is a sequence.
  const u = <f32><i32>(pcgOutput(state) >> 8) * (1.0 / 16777216.0);
  store<f32>(out, select<f32>(value, 0, live & (u < p)));
  return select<u64>(pcgAdvance(state, increment), state, live);
}
