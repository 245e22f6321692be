// Predictive-coding relaxation: one call runs one inference step for a whole batch and every layer
// — predictions, errors, energy, optional weight-gradient capture, value-node moves.
//
// Value layers v_0 (the clamped input) … v_L; weight layer i maps v_i to v_{i+1}:
//   u_{i+1} = σ_i(x_i) W_iᵀ + b_i   (σ_0 is the identity: the input is not passed through σ)
//   e_{i+1} = x_{i+1} − u_{i+1},     F = Σ ½‖e‖² (or cross-entropy at a clamped softmax output)
//   x_i    += γ (−e_i + σ_i'(x_i) ⊙ e_{i+1} M_i)   for hidden layers; the output moves only when free.
// M_i is the FEEDBACK word: W_i itself (the gradient of F), or, for feedback alignment (Lillicrap et
// al. 2016), a fixed random matrix B_i of W_i's shape, so that no W_iᵀ is needed.
//
// The state is kept as predictions and errors, x = u + e, not as x: a move changes e, and a new
// prediction u' changes e by −(u' − u). When a layer has not moved, x = u + 0 is u exactly, the
// next prediction is bit-identical and the error above it is untouched — which makes Z-IL equal
// backprop bit for bit, not only to rounding. u_1 depends only on the clamped input: the caller
// computes it once per batch (REFRESH_FIRST recomputes it, for schedules that change W_0 mid-way).
//
// The layer table holds TABLE_WORDS u32 words per weight layer i (pointers are byte addresses):

import { activationBackward, activationForward, IDENTITY } from "./activation";
import { columnSums, scale } from "./elementwise";
import { gemm } from "./gemm";
import { softmaxCrossEntropy } from "./loss";

const INPUTS = 0; //     n_i
const OUTPUTS = 1; //    n_{i+1}
const WEIGHT = 2; //     W_i, n_{i+1} × n_i
const BIAS = 3; //       b_i
const SOURCE = 4; //     x_i (B × n_i), written here as u_i + e_i; the input itself for i = 0
const ACTIVATED = 5; //  σ_i(x_i) (B × n_i); the input itself for i = 0 (and whenever σ_i is the identity)
const KIND = 6; //       σ_i's activation code (identity for i = 0)
const PREDICTION = 7; // u_{i+1} (B × n_{i+1})
const ERRORS = 8; //     e_{i+1} (B × n_{i+1})
const SCRATCH = 9; //    B × n_{i+1}: a new prediction, then e_{i+2} W_{i+1} on its way back to x_{i+1}
const TARGET = 10; //    the last layer's clamped target (B × n_L); unused elsewhere and when free
const GRAD_W = 11; //    where a captured weight gradient goes
const GRAD_B = 12;
const NEURON = 13; //     σ_i's parameter block (activation.ts), for activations that take one
const FEEDBACK = 14; //   M_i, n_{i+1} × n_i, in place of W_i in e_{i+1} W_i (= WEIGHT without feedback
//                       alignment); unused for i = 0
export const TABLE_WORDS = 15;

/** Output modes. */
export const OUTPUT_FREE = 0; //    prediction: the output relaxes like any value node
export const OUTPUT_MSE = 1; //     clamped to the target, energy ½‖e_L‖²
export const OUTPUT_CE = 2; //      clamped, energy = cross-entropy of softmax(u_L); e_L = y − softmax(u_L)
/** Flag added to the output mode: recompute u_1 from the input (W_0 has changed). */
export const REFRESH_FIRST = 4;

/** Capture: a weight-layer index, or one of these. */
export const CAPTURE_NONE = -1;
export const CAPTURE_ALL = -2;

@inline
function word(table: usize, layer: i32, field: i32): usize {
  return <usize>load<u32>(table + ((<usize>(layer * TABLE_WORDS + field)) << 2));
}

// x = u + e
function sum(n: i32, u: usize, e: usize, x: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(u + o), v128.load(e + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(u + o) + load<f32>(e + o));
  }
}

// A new prediction p for a free layer: e −= (p − u), u = p (x = u + e stays where it is).
function repredict(n: i32, p: usize, u: usize, e: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    v128.store(e + o, f32x4.sub(v128.load(e + o), f32x4.sub(pv, v128.load(u + o))));
    v128.store(u + o, pv);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    store<f32>(e + o, load<f32>(e + o) - (pv - load<f32>(u + o)));
    store<f32>(u + o, pv);
  }
}

// e = y − u; returns ½ Σ e².
function residual(n: i32, y: usize, u: usize, e: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(y + o) - load<f32>(u + o);
    store<f32>(e + o, d);
    total += <f64>d * <f64>d;
  }
  return 0.5 * total;
}

// ½ Σ e²
function halfSquares(n: i32, e: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(e + (<usize>i << 2));
    total += d * d;
  }
  return 0.5 * total;
}

// e += γ (g − e): the move x += γ (g − e) of a node whose prediction stays.
function move(n: i32, gamma: f32, g: usize, e: usize): void {
  const g4 = f32x4.splat(gamma);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const ev = v128.load(e + o);
    v128.store(e + o, f32x4.add(ev, f32x4.mul(g4, f32x4.sub(v128.load(g + o), ev))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const ev = load<f32>(e + o);
    store<f32>(e + o, ev + gamma * (load<f32>(g + o) - ev));
  }
}

/**
 * One inference step over L weight layers and B samples; returns the energy, summed over the
 * batch, of the state the step starts from. `mode` is an output mode, plus REFRESH_FIRST to
 * recompute u_1. `capture` (a layer index, CAPTURE_ALL or CAPTURE_NONE) writes
 * −gradScale · e_{i+1}ᵀ σ(x_i) and −gradScale · Σ e_{i+1} to that layer's gradient slots, from the
 * errors and activities before this step moves anything: the descent direction of F for W_i, b_i.
 * γ = 0 evaluates without moving. `work` is a gemm workspace for every product at batch B.
 */
export function pcStep(
  L: i32, B: i32, table: usize, gamma: f32, mode: i32, capture: i32, gradScale: f32, work: usize,
): f64 {
  const outputMode = mode & 3;
  // The value nodes and their activities: x_i = u_i + e_i, σ(x_i).
  for (let i = 1; i < L; i++) {
    const n = B * <i32>word(table, i, INPUTS);
    const x = word(table, i, SOURCE);
    sum(n, word(table, i - 1, PREDICTION), word(table, i - 1, ERRORS), x);
    const kind = <i32>word(table, i, KIND);
    if (kind != IDENTITY) activationForward(kind, n, x, word(table, i, ACTIVATED), word(table, i, NEURON));
  }
  // New predictions; the errors of free layers follow them, a clamped output's are recomputed.
  let energy: f64 = 0;
  for (let i = (mode & REFRESH_FIRST) ? 0 : 1; i < L; i++) {
    const nIn = <i32>word(table, i, INPUTS);
    const n = <i32>word(table, i, OUTPUTS);
    const u = word(table, i, PREDICTION);
    const e = word(table, i, ERRORS);
    const clamped = i == L - 1 && outputMode != OUTPUT_FREE;
    const p = clamped ? u : word(table, i, SCRATCH);
    gemm(0, 1, B, n, nIn, word(table, i, ACTIVATED), nIn, word(table, i, WEIGHT), nIn, p, n, 0, word(table, i, BIAS), work);
    if (!clamped) repredict(B * n, p, u, e);
  }
  // Energy (and the clamped output's error).
  for (let i = 0; i < L; i++) {
    const n = B * <i32>word(table, i, OUTPUTS);
    const e = word(table, i, ERRORS);
    if (i == L - 1 && outputMode == OUTPUT_CE) {
      // softmaxCrossEntropy's gradient with scale −1 is y − softmax(u): the output error.
      energy += softmaxCrossEntropy(B, n / B, word(table, i, PREDICTION), word(table, i, TARGET), e, -1);
    } else if (i == L - 1 && outputMode == OUTPUT_MSE) {
      energy += residual(n, word(table, i, TARGET), word(table, i, PREDICTION), e);
    } else {
      energy += halfSquares(n, e);
    }
  }
  // Weight gradients from this state's errors and activities.
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
  if (gamma == 0) return energy;
  // Hidden value nodes descend F: x_i += γ (σ'(x_i) ⊙ e_{i+1} W_i − e_i), as a change of e_i
  // (with M_i, the FEEDBACK word, in place of W_i).
  for (let i = 1; i < L; i++) {
    const nIn = <i32>word(table, i, INPUTS);
    const n = <i32>word(table, i, OUTPUTS);
    const g = word(table, i - 1, SCRATCH);
    gemm(0, 0, B, nIn, n, word(table, i, ERRORS), n, word(table, i, FEEDBACK), nIn, g, nIn, 0, 0, work);
    activationBackward(<i32>word(table, i, KIND), B * nIn, word(table, i, SOURCE), word(table, i, ACTIVATED), g, g, word(table, i, NEURON));
    move(B * nIn, gamma, g, word(table, i - 1, ERRORS));
  }
  if (outputMode == OUTPUT_FREE) {
    // A free output only follows its prediction: x_L += γ (0 − e_L), i.e. e_L ·= (1 − γ).
    const last = L - 1;
    scale(B * <i32>word(table, last, OUTPUTS), 1 - gamma, word(table, last, ERRORS));
  }
  return energy;
}
