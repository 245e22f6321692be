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
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const raw = load<f32>(x + o) * ratio;
    // NaN > 0 is false: a NaN probability is 0. An input that cannot fire draws nothing: most of
    // an image's pixels are 0, and the draws were most of a simulation's time.
    if (!(raw > 0)) {
      store<f32>(out + o, 0);
      continue;
    }
    const p = min<f32>(raw, 1);
    // 24 bits fit an i32: a signed conversion, which x86 has, where an unsigned one is a sequence.
    const u = <f32><i32>(pcgOutput(state) >> 8) * (1.0 / 16777216.0);
    state = pcgAdvance(state, increment);
    const fire = u < p;
    store<f32>(out + o, fire ? value : 0);
    count += <i32>fire;
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
