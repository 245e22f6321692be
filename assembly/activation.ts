// Activation functions and their derivatives. The kind codes are the facade's Activation enum:
// 0 identity, 1 ReLU, 2 sigmoid, 3 tanh, 4 soft-LIF. Soft-LIF takes its parameters from a neuron
// block (five float32 at `neuron`, laid out as below); the other kinds ignore the pointer.

import { lifRateAt, lifRateSlopeAt, softLifRateAt, softLifRateSlopeAt } from "./lif";

export const IDENTITY = 0;
export const RELU = 1;
export const SIGMOID = 2;
export const TANH = 3;
export const SOFT_LIF = 4;

// The neuron block: byte offsets of its float32 fields.
const TAU_RC = 0;
const T_REF = 4;
const AMPLITUDE = 8;
const GAIN = 12;
const SMOOTHING = 16; // γ_s; 0 gives the LIF rate itself

/**
 * The scaled soft-LIF rate (SCIENCE.md §2) a = amplitude·r(gain·z), or its derivative
 * dz = da·amplitude·gain·r'(gain·z), over n values, in float64 and rounded once.
 */
function softLif(derivative: bool, n: i32, z: usize, da: usize, out: usize, neuron: usize): void {
  const tau = <f64>load<f32>(neuron + TAU_RC);
  const tRef = <f64>load<f32>(neuron + T_REF);
  const amplitude = <f64>load<f32>(neuron + AMPLITUDE);
  const gain = <f64>load<f32>(neuron + GAIN);
  const smoothing = <f64>load<f32>(neuron + SMOOTHING);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = gain * <f64>load<f32>(z + o) - 1;
    let value: f64;
    if (derivative) {
      const slope = smoothing > 0 ? softLifRateSlopeAt(x, tau, tRef, smoothing) : lifRateSlopeAt(x, tau, tRef);
      value = <f64>load<f32>(da + o) * (amplitude * gain * slope);
    } else {
      value = amplitude * (smoothing > 0 ? softLifRateAt(x, tau, tRef, smoothing) : lifRateAt(x, tau, tRef));
    }
    store<f32>(out + o, <f32>value);
  }
}

@inline
function sigmoid(z: f32): f32 {
  // exp of a large positive argument overflows to +Inf and the quotient goes to 0: no NaN.
  return 1 / (1 + Mathf.exp(-z));
}

/** a = σ(z) elementwise over n values (a may alias z). */
export function activationForward(kind: i32, n: i32, z: usize, a: usize, neuron: usize): void {
  let i = 0;
  if (kind == RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, f32x4.max(v128.load(z + o), zero));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, max<f32>(load<f32>(z + o), 0));
    }
  } else if (kind == SIGMOID) {
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, sigmoid(load<f32>(z + o)));
    }
  } else if (kind == TANH) {
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(a + o, Mathf.tanh(load<f32>(z + o)));
    }
  } else if (kind == SOFT_LIF) {
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
  if (kind == RELU) {
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
  } else if (kind == SIGMOID) {
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
  } else if (kind == TANH) {
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
  } else if (kind == SOFT_LIF) {
    softLif(true, n, z, da, dz, neuron);
  } else {
    if (dz != da) memory.copy(dz, da, <usize>n << 2);
  }
}
