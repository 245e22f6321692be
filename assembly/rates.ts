// The LIF rate curve (SCIENCE.md §2, eq. 33) of a neuron with threshold 1, as a function of its input
// current: in float64 (log1p of values spanning hundreds of orders of magnitude) with
// AssemblyScript's own Math, then rounded once to float32.

/** The LIF rate at x = j − 1: 1/(t_ref + τ·log1p(1/x)) for x > 0, else 0 (eq. 33, in Hz for times in s). */
// @ts-ignore: decorator
@inline
export function lifRateAt(x: f64, tau: f64, tRef: f64): f64 {
  return x > 0 ? 1 / (tRef + tau * Math.log1p(1 / x)) : 0;
}

/** out[i] = the LIF rate at current j[i] (Hz), rounded once to float32. */
export function lifRate(n: i32, tauRc: f32, tRef: f32, j: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>lifRateAt(<f64>load<f32>(j + o) - 1, tauRc, tRef));
  }
}
