// Predictive-coding relaxation: one call runs one inference step for a whole batch and every layer
// — predictions, errors, energy, optional weight-gradient capture, value-node updates.
//
// Value layers v_0 (the clamped input) … v_L; weight layer i maps v_i to v_{i+1}:
//   u_{i+1} = σ_i(x_i) W_iᵀ + b_i   (σ_0 is the identity: the input is not passed through σ)
//   e_{i+1} = x_{i+1} − u_{i+1},     F = Σ ½‖e‖² (or cross-entropy at a clamped softmax output)
//   x_i    += γ (−e_i + σ_i'(x_i) ⊙ e_{i+1} W_i)   for hidden layers; the output moves only when free.
// u_1 depends only on the clamped input, so the caller computes it once per batch and it is read here.
//
// The layer table holds TABLE_WORDS u32 words per weight layer i (pointers are byte addresses):

import { activationBackward, activationForward, IDENTITY } from "./activation";
import { columnSums, scale } from "./elementwise";
import { gemm } from "./gemm";
import { softmaxCrossEntropy } from "./loss";

const INPUTS = 0; //    n_i
const OUTPUTS = 1; //   n_{i+1}
const WEIGHT = 2; //    W_i, n_{i+1} × n_i
const BIAS = 3; //      b_i
const SOURCE = 4; //    x_i (B × n_i): the input itself for i = 0
const ACTIVATED = 5; // σ_i(x_i) (B × n_i): the input itself for i = 0
const KIND = 6; //      σ_i's activation code (identity for i = 0)
const VALUES = 7; //    x_{i+1} (B × n_{i+1}); holds the target when the output is clamped
const ERRORS = 8; //    e_{i+1} (B × n_{i+1})
const SCRATCH = 9; //   B × n_{i+1}: e_{i+2} W_{i+1} on its way back to x_{i+1}
const FIXED = 10; //    u_1 for i = 0 (computed by the caller), unused otherwise
const GRAD_W = 11; //   where a captured weight gradient goes
const GRAD_B = 12;
export const TABLE_WORDS = 13;

/** Output modes. */
export const OUTPUT_FREE = 0; //    prediction: the output relaxes like any value node
export const OUTPUT_MSE = 1; //     clamped to the target, energy ½‖e_L‖²
export const OUTPUT_CE = 2; //      clamped, energy = cross-entropy of softmax(u_L); e_L = y − softmax(u_L)

/** Capture: a weight-layer index, or one of these. */
export const CAPTURE_NONE = -1;
export const CAPTURE_ALL = -2;

@inline
function word(table: usize, layer: i32, field: i32): usize {
  return <usize>load<u32>(table + ((<usize>(layer * TABLE_WORDS + field)) << 2));
}

// e = x − e (e holds the prediction on entry); returns ½ Σ e².
function residual(n: i32, x: usize, e: usize): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(x + o) - load<f32>(e + o);
    store<f32>(e + o, d);
    sum += <f64>d * <f64>d;
  }
  return 0.5 * sum;
}

// x += γ (g − e)
function relax(n: i32, gamma: f32, g: usize, e: usize, x: usize): void {
  const g4 = f32x4.splat(gamma);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(g + o), v128.load(e + o));
    v128.store(x + o, f32x4.add(v128.load(x + o), f32x4.mul(g4, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) + gamma * (load<f32>(g + o) - load<f32>(e + o)));
  }
}

/**
 * One inference step over L weight layers and B samples; returns the energy summed over the batch.
 * `capture` (a layer index, CAPTURE_ALL or CAPTURE_NONE) writes −gradScale · e_{i+1}ᵀ σ(x_i) and
 * −gradScale · Σ e_{i+1} to that layer's gradient slots, from this step's errors and the value
 * nodes before this step moves them: the descent direction of F for W_i and b_i. `work` is a gemm
 * workspace large enough for every product of the network at batch B.
 */
export function pcStep(
  L: i32, B: i32, table: usize, gamma: f32, outputMode: i32, capture: i32, gradScale: f32, work: usize,
): f64 {
  // σ(x_i) of every hidden layer, from the value nodes as they stand.
  for (let i = 1; i < L; i++) {
    const kind = <i32>word(table, i, KIND);
    if (kind != IDENTITY) activationForward(kind, B * <i32>word(table, i, INPUTS), word(table, i, SOURCE), word(table, i, ACTIVATED));
  }
  // Predictions and errors, layer by layer; the energy.
  let energy: f64 = 0;
  for (let i = 0; i < L; i++) {
    const nIn = <i32>word(table, i, INPUTS);
    const n = <i32>word(table, i, OUTPUTS);
    const e = word(table, i, ERRORS);
    const x = word(table, i, VALUES);
    if (i == 0) memory.copy(e, word(table, 0, FIXED), <usize>(B * n) << 2);
    else gemm(0, 1, B, n, nIn, word(table, i, ACTIVATED), nIn, word(table, i, WEIGHT), nIn, e, n, 0, word(table, i, BIAS), work);
    if (i == L - 1 && outputMode == OUTPUT_CE) {
      // softmaxCrossEntropy's gradient with scale −1 is y − softmax(u): the output error.
      energy += softmaxCrossEntropy(B, n, e, x, e, -1);
    } else {
      energy += residual(B * n, x, e);
    }
  }
  // Weight gradients from this step's errors and activations.
  for (let i = 0; i < L; i++) {
    if (capture != CAPTURE_ALL && capture != i) continue;
    const nIn = <i32>word(table, i, INPUTS);
    const n = <i32>word(table, i, OUTPUTS);
    const e = word(table, i, ERRORS);
    const gW = word(table, i, GRAD_W);
    const gB = word(table, i, GRAD_B);
    gemm(1, 0, n, nIn, B, e, n, word(table, i, ACTIVATED), nIn, gW, nIn, 0, 0, work);
    scale(n * nIn, -gradScale, gW);
    columnSums(B, n, e, n, gB, 0);
    scale(n, -gradScale, gB);
  }
  // γ = 0 asks only for errors, energy and gradients at the current state.
  if (gamma == 0) return energy;
  // Hidden value nodes descend F: x_i += γ (σ'(x_i) ⊙ e_{i+1} W_i − e_i).
  for (let i = 1; i < L; i++) {
    const nIn = <i32>word(table, i, INPUTS);
    const n = <i32>word(table, i, OUTPUTS);
    const g = word(table, i - 1, SCRATCH);
    gemm(0, 0, B, nIn, n, word(table, i, ERRORS), n, word(table, i, WEIGHT), nIn, g, nIn, 0, 0, work);
    activationBackward(<i32>word(table, i, KIND), B * nIn, word(table, i, SOURCE), word(table, i, ACTIVATED), g, g);
    relax(B * nIn, gamma, g, word(table, i - 1, ERRORS), word(table, i - 1, VALUES));
  }
  if (outputMode == OUTPUT_FREE) {
    // A free output only follows its prediction: x_L += γ (0 − e_L).
    const last = L - 1;
    const n = B * <i32>word(table, last, OUTPUTS);
    const e = word(table, last, ERRORS);
    const x = word(table, last, VALUES);
    for (let k = 0; k < n; k++) {
      const o = <usize>k << 2;
      store<f32>(x + o, load<f32>(x + o) - gamma * load<f32>(e + o));
    }
  }
  return energy;
}
