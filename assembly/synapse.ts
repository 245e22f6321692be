// Synaptic filters (SCIENCE.md §2), advanced once per simulation step over a vector of n values:
// the input u (e.g. spike trains of value amplitude/dt) is filtered into y; filter state lives in
// caller-provided buffers, which the caller zeroes before the first step.
//
// With a = e^{−dt/τ_s} and b = 1 − a (both float32; b is taken as 1 − a rather than computed
// separately so that the DC gain b/(1 − a) is exactly 1 and a constant input passes through):
//
//   lowpassStep  y ← a·y + b·u            impulse response of a unit-area step input u_0 = 1/dt:
//                                          y_k = b·a^k/dt — the exact zero-order-hold discretisation
//                                          of τ_s dy/dt = u − y, h(t) = e^{−t/τ_s}/τ_s; Σ y_k·dt = 1.
//   alphaStep    z ← a·z + b·u             two cascaded low-passes with the same τ_s (z is the
//                y ← a·y + b·z (new z)     intermediate state): y_k = b²(k+1)a^k/dt, Σ y_k·dt = 1,
//                                          → h(t) = (t/τ_s²)e^{−t/τ_s} as dt → 0 (normalised alpha).
//
// The input of step k reaches y in the same step k. y_k is the continuous response at t = k·dt to
// first order in dt/τ_s (and at the end of the step, t = (k+1)·dt, for the alpha filter to second
// order).
//
// τ_s ≤ 0 (or NaN) means no filtering: y = u exactly (and z = u for the alpha filter).
//
// SIMD over four values with a scalar tail doing the same operations in the same order, so a value
// gets the same bits whichever lane or tail position it is in. u, y and z are distinct buffers.

/** e^{−dt/τ_s} as float32; 0 when there is no filter (τ_s ≤ 0 or NaN). */
@inline
function decay(dt: f32, tauS: f32): f32 {
  return tauS > 0 ? <f32>Math.exp(-<f64>dt / <f64>tauS) : 0;
}

/** One step of the first-order low-pass filter: y ← a·y + (1 − a)·u, a = e^{−dt/τ_s}. */
export function lowpassStep(n: i32, dt: f32, tauS: f32, u: usize, y: usize): void {
  if (!(tauS > 0)) {
    memory.copy(y, u, <usize>max(n, 0) << 2);
    return;
  }
  const a = decay(dt, tauS);
  const b: f32 = 1 - a;
  const va = f32x4.splat(a);
  const vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(va, v128.load(y + o)), f32x4.mul(vb, v128.load(u + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, a * load<f32>(y + o) + b * load<f32>(u + o));
  }
}

/**
 * One step of the normalised alpha filter h(t) = (t/τ_s²)e^{−t/τ_s}, as two cascaded low-passes:
 * z ← a·z + (1 − a)·u, then y ← a·y + (1 − a)·z with the new z.
 */
export function alphaStep(n: i32, dt: f32, tauS: f32, u: usize, y: usize, z: usize): void {
  lowpassStep(n, dt, tauS, u, z);
  lowpassStep(n, dt, tauS, z, y);
}
