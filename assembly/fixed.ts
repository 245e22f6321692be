// Fixed-point spiking layers (post-training quantisation, docs/spiking.md "Fixed point"): int8
// weights, int32 currents and int16 membranes, one simulation step in integer arithmetic only.
// Voltages are in units of 2^-12 of the threshold (the threshold is 4096; int16 holds ±8
// thresholds); a current u drives v as v ← v + ⌊(u − v)·K / 2^16⌋ with K = (1 − e^{−dt/τ})·2^16,
// the exact exponential step of the float model for a current constant over the step, rounded to
// nearest (half up: a floor would stall v up to 2^16/K units below its drive). A spike resets v to 0
// and holds it there for t_ref/dt whole steps. Every product is an i64 and every shift arithmetic,
// so the result depends on nothing but the integers.

// @ts-ignore: decorator
@inline const THRESHOLD: i32 = 4096;
// @ts-ignore: decorator
@inline const INT16_MAX: i64 = 32767;
// @ts-ignore: decorator
@inline const INT16_MIN: i64 = -32768;

/** ⌊x/2^16 + 1/2⌋: a 16-bit fraction's product rounded to nearest. */
@inline
function round16(x: i64): i64 {
  return (x + 32768) >> 16;
}

@inline
function clamp32(x: i64): i32 {
  return <i32>(x > <i64>i32.MAX_VALUE ? <i64>i32.MAX_VALUE : x < <i64>i32.MIN_VALUE ? <i64>i32.MIN_VALUE : x);
}

/**
 * acc[b, o] = Σ_i x[b, i]·q[i, o] for B rows: a layer's input through its int8 weights (q is
 * nIn × nOut, row i input i's outgoing weights). With `events` (spikes in, f32, nonzero where a
 * neuron fired) the sum runs over the inputs that fired, each adding its row once; otherwise x is
 * i32 (8-bit pixels) and every input adds x·row. Returns the events: the inputs that fired (or,
 * for a current, 0).
 */
export function fixedPointInput(B: i32, nIn: i32, nOut: i32, x: usize, events: bool, q: usize, acc: usize): f64 {
  let fired: f64 = 0;
  for (let b = 0; b < B; b++) {
    const a = acc + (<usize>b * <usize>nOut << 2);
    for (let o = 0; o < nOut; o++) store<i32>(a + (<usize>o << 2), 0);
    for (let i = 0; i < nIn; i++) {
      const at = x + ((<usize>b * <usize>nIn + <usize>i) << 2);
      let m: i32 = 1;
      if (events) {
        if (load<f32>(at) == 0) continue;
        fired += 1;
      } else {
        m = load<i32>(at);
        if (m == 0) continue;
      }
      const row = q + <usize>i * <usize>nOut;
      for (let o = 0; o < nOut; o++) {
        const p = a + (<usize>o << 2);
        store<i32>(p, load<i32>(p) + m * <i32>load<i8>(row + <usize>o));
      }
    }
  }
  return fired;
}

/**
 * One step of B rows of a fixed-point layer of nOut neurons from acc (fixedPointInput's sums):
 * the current u = [acc·mult[o] / 2^16] (mult: the current one unit of q brings, in 2^-12
 * thresholds, times 2^16), the synapse y ← y + [(u − y)·synK / 2^16] (synK = 65536: none; [·]
 * rounds to nearest),
 * j = y + bias[o], then the membrane as above (floored at 0 when `floor`), saturated to int16.
 * spikes[b, o] becomes 1 where the neuron fired and 0 elsewhere; drive accumulates j (as f32, for
 * the readout's record). State: y, v, refractory (whole steps left). Returns the spikes fired.
 */
export function fixedPointStep(
  B: i32, nOut: i32, acc: usize, mult: usize, bias: usize, synK: i32, memK: i32, refSteps: i32, floor: bool,
  y: usize, v: usize, refractory: usize, spikes: usize,
): f64 {
  let fired: f64 = 0;
  const n = <usize>B * <usize>nOut;
  for (let k: usize = 0; k < n; k++) {
    const o = <usize>(<i32>(k % <usize>nOut)) << 2;
    const p = k << 2;
    const u = clamp32(round16(<i64>load<i32>(acc + p) * <i64>load<i32>(mult + o)));
    const y0 = load<i32>(y + p);
    const y1 = clamp32(<i64>y0 + round16((<i64>u - <i64>y0) * <i64>synK));
    store<i32>(y + p, y1);
    const j = <i64>y1 + <i64>load<i32>(bias + o);
    const r = load<i32>(refractory + p);
    let spike: f32 = 0;
    if (r > 0) {
      store<i32>(refractory + p, r - 1);
    } else {
      const v0 = <i64>load<i32>(v + p);
      let v1 = v0 + round16((j - v0) * <i64>memK);
      if (floor && v1 < 0) v1 = 0;
      v1 = v1 > INT16_MAX ? INT16_MAX : v1 < INT16_MIN ? INT16_MIN : v1;
      if (v1 >= <i64>THRESHOLD) {
        v1 = 0;
        store<i32>(refractory + p, refSteps);
        spike = 1;
        fired += 1;
      }
      store<i32>(v + p, <i32>v1);
    }
    store<f32>(spikes + p, spike);
  }
  return fired;
}
