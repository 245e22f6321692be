// Predictive-coding relaxation: one call runs one inference step for a whole batch and every layer
// — predictions, errors, energy, optional weight-gradient capture, value-node moves.
//
// Value layers v_0 (the clamped input) … v_L; weight layer i maps v_i to v_{i+1}:
//   u_{i+1} = σ_i(x_i) W_iᵀ + b_i   (σ_0 is the identity: the input is not passed through σ)
//   e_{i+1} = x_{i+1} − u_{i+1},     F = Σ ½‖e‖² (or cross-entropy at a clamped softmax output)
//   x_i    += γ (−e_i + σ_i'(x_i) ⊙ e_{i+1} M_i)   for hidden layers; the output moves only when free.
// M_i is the PC_FEEDBACK word: W_i itself (the gradient of F), or, for feedback alignment (Lillicrap et
// al. 2016), a fixed random matrix B_i of W_i's shape, so that no W_iᵀ is needed.
//
// The state is kept as predictions and errors, x = u + e, not as x: a move changes e, and a new
// prediction u' changes e by −(u' − u). When a layer has not moved, x = u + 0 is u exactly, the
// next prediction is bit-identical and the error above it is untouched — which makes Z-IL equal
// backprop bit for bit, not only to rounding. u_1 depends only on the clamped input: the caller
// computes it once per batch (PC_REFRESH_FIRST recomputes it, for schedules that change W_0 mid-way).
//
// The layer table holds PC_TABLE_WORDS u32 words per weight layer i (pointers are byte addresses),
// whose word indices, output modes and capture codes are in layout.ts with what each field holds.

import { activationBackward, activationForward } from "./activation";
import { columnSums, scale } from "./elementwise";
import { gemm } from "./gemm";
import { softmaxCrossEntropy } from "./loss";
import {
  ACTIVATION_IDENTITY, PC_ACTIVATED, PC_BIAS, PC_CAPTURE_ALL, PC_ERRORS, PC_FEEDBACK, PC_GRAD_B, PC_GRAD_W, PC_INPUTS,
  PC_KIND, PC_NEURON, PC_OUTPUT_CE, PC_OUTPUT_FREE, PC_OUTPUT_MSE, PC_OUTPUTS, PC_PREDICTION, PC_REFRESH_FIRST,
  PC_SCRATCH, PC_SOURCE, PC_TABLE_WORDS, PC_TARGET, PC_WEIGHT,
} from "./layout";

@inline
function word(table: usize, layer: i32, field: i32): usize {
  return <usize>load<u32>(table + ((<usize>(layer * PC_TABLE_WORDS + field)) << 2));
}

// x = u + e
export function pcValues(n: i32, u: usize, e: usize, x: usize): void {
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
export function pcRepredict(n: i32, p: usize, u: usize, e: usize): void {
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
export function pcResidual(n: i32, y: usize, u: usize, e: usize): f64 {
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
export function pcHalfSquares(n: i32, e: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(e + (<usize>i << 2));
    total += d * d;
  }
  return 0.5 * total;
}

// e += γ (g − e): the move x += γ (g − e) of a node whose prediction stays.
export function pcMove(n: i32, gamma: f32, g: usize, e: usize): void {
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
 * batch, of the state the step starts from. `mode` is an output mode, plus PC_REFRESH_FIRST to
 * recompute u_1. `capture` (a layer index, PC_CAPTURE_ALL or PC_CAPTURE_NONE) writes
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
    const n = B * <i32>word(table, i, PC_INPUTS);
    const x = word(table, i, PC_SOURCE);
    pcValues(n, word(table, i - 1, PC_PREDICTION), word(table, i - 1, PC_ERRORS), x);
    const kind = <i32>word(table, i, PC_KIND);
    if (kind != ACTIVATION_IDENTITY) activationForward(kind, n, x, word(table, i, PC_ACTIVATED), word(table, i, PC_NEURON));
  }
  // New predictions; the errors of free layers follow them, a clamped output's are recomputed.
  let energy: f64 = 0;
  for (let i = (mode & PC_REFRESH_FIRST) ? 0 : 1; i < L; i++) {
    const nIn = <i32>word(table, i, PC_INPUTS);
    const n = <i32>word(table, i, PC_OUTPUTS);
    const u = word(table, i, PC_PREDICTION);
    const e = word(table, i, PC_ERRORS);
    const clamped = i == L - 1 && outputMode != PC_OUTPUT_FREE;
    const p = clamped ? u : word(table, i, PC_SCRATCH);
    gemm(0, 1, B, n, nIn, word(table, i, PC_ACTIVATED), nIn, word(table, i, PC_WEIGHT), nIn, p, n, 0, word(table, i, PC_BIAS), work);
    if (!clamped) pcRepredict(B * n, p, u, e);
  }
  // Energy (and the clamped output's error).
  for (let i = 0; i < L; i++) {
    const n = B * <i32>word(table, i, PC_OUTPUTS);
    const e = word(table, i, PC_ERRORS);
    if (i == L - 1 && outputMode == PC_OUTPUT_CE) {
      // softmaxCrossEntropy's gradient with scale −1 is y − softmax(u): the output error.
      energy += softmaxCrossEntropy(B, n / B, word(table, i, PC_PREDICTION), word(table, i, PC_TARGET), e, -1);
    } else if (i == L - 1 && outputMode == PC_OUTPUT_MSE) {
      energy += pcResidual(n, word(table, i, PC_TARGET), word(table, i, PC_PREDICTION), e);
    } else {
      energy += pcHalfSquares(n, e);
    }
  }
  // Weight gradients from this state's errors and activities.
  for (let i = 0; i < L; i++) {
    if (capture != PC_CAPTURE_ALL && capture != i) continue;
    const nIn = <i32>word(table, i, PC_INPUTS);
    const n = <i32>word(table, i, PC_OUTPUTS);
    const e = word(table, i, PC_ERRORS);
    const gW = word(table, i, PC_GRAD_W);
    const gB = word(table, i, PC_GRAD_B);
    gemm(1, 0, n, nIn, B, e, n, word(table, i, PC_ACTIVATED), nIn, gW, nIn, 0, 0, work);
    scale(n * nIn, -gradScale, gW);
    columnSums(B, n, e, n, gB, 0);
    scale(n, -gradScale, gB);
  }
  if (gamma == 0) return energy;
  // Hidden value nodes descend F: x_i += γ (σ'(x_i) ⊙ e_{i+1} W_i − e_i), as a change of e_i
  // (with M_i, the PC_FEEDBACK word, in place of W_i).
  for (let i = 1; i < L; i++) {
    const nIn = <i32>word(table, i, PC_INPUTS);
    const n = <i32>word(table, i, PC_OUTPUTS);
    const g = word(table, i - 1, PC_SCRATCH);
    gemm(0, 0, B, nIn, n, word(table, i, PC_ERRORS), n, word(table, i, PC_FEEDBACK), nIn, g, nIn, 0, 0, work);
    activationBackward(<i32>word(table, i, PC_KIND), B * nIn, word(table, i, PC_SOURCE), word(table, i, PC_ACTIVATED), g, g, word(table, i, PC_NEURON));
    pcMove(B * nIn, gamma, g, word(table, i - 1, PC_ERRORS));
  }
  if (outputMode == PC_OUTPUT_FREE) {
    // A free output only follows its prediction: x_L += γ (0 − e_L), i.e. e_L ·= (1 − γ).
    const last = L - 1;
    scale(B * <i32>word(table, last, PC_OUTPUTS), 1 - gamma, word(table, last, PC_ERRORS));
  }
  return energy;
}
