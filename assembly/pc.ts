// Predictive-coding relaxation: one call runs the phases of one inference step for rows of a batch
// and every layer — predictions, errors, energy, value-node moves.
//
// Value layers v_0 (the clamped input) … v_L; weight layer i maps v_i to v_{i+1}:
//   u_{i+1} = σ_i(x_i) W_iᵀ + b_i   (σ_0 is the identity: the input is not passed through σ)
//   e_{i+1} = x_{i+1} − u_{i+1},     F = Σ ½‖e‖² (or cross-entropy at a clamped softmax output)
//   x_i    += γ (−e_i + σ_i'(x_i) ⊙ e_{i+1} M_i)   for hidden layers; the output moves only when free.
// M_i is the PC_FEEDBACK word: W_i itself (the gradient of F), or, for feedback alignment (Lillicrap et
// al. 2016), a fixed random matrix B_i of W_i's shape, so that no W_iᵀ is needed. For direct feedback
// alignment (Nøkland 2016) the PC_FEEDBACK_FROM word names the output layer instead of i: every hidden
// layer moves by e_L D_i, the output error through its own fixed random n_L × n_i matrix.
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
import { scale } from "./elementwise";
import { gemm } from "./gemm";
import { softmaxCrossEntropy } from "./loss";
import {
  ACTIVATION_IDENTITY, PC_ACTIVATED, PC_BIAS, PC_ENERGY, PC_ERRORS, PC_FEEDBACK, PC_INPUTS, PC_KIND, PC_MOVE, PC_NEURON,
  PC_OUTPUT_CE, PC_OUTPUT_FREE, PC_OUTPUT_MSE, PC_OUTPUTS, PC_PREDICT, PC_PREDICTION, PC_REFRESH_FIRST, PC_SCRATCH,
  PC_FEEDBACK_FROM, PC_SOURCE, PC_TABLE_WORDS, PC_TARGET, PC_WEIGHT,
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

// Row r of a B × width matrix at p.
@inline
function rowOf(p: usize, row0: i32, width: i32): usize {
  return p + ((<usize>row0 * <usize>width) << 2);
}

/**
 * Phases of one inference step over L weight layers, for `rows` samples from row `row0` of the
 * batch; `mode` is an output mode plus PC_REFRESH_FIRST (recompute u_1) and the phases to run, in
 * this order: PC_PREDICT (values x_i = u_i + e_i, σ(x_i), new predictions), PC_ENERGY (the clamped
 * output's error and the energy, summed over the rows, of the state the step starts from: returned)
 * and PC_MOVE (the value nodes' move by γ). Predictions and moves touch each sample's rows alone, so
 * a batch may be divided between threads by rows; the energy is a sum over the batch and is not
 * divided. The weight gradients of a state (between PC_ENERGY and PC_MOVE) are the caller's: one
 * product per layer. `work` is a gemm workspace for every product at `rows` rows, of `workBytes`
 * bytes (which the kernel does not need, but a thread scheduler does: each part gets its own).
 */
export function pcStep(L: i32, row0: i32, rows: i32, table: usize, gamma: f32, mode: i32, work: usize, workBytes: i32): f64 {
  const outputMode = mode & 3;
  const B = rows;
  let energy: f64 = 0;
  if (mode & PC_PREDICT) {
    // The value nodes and their activities: x_i = u_i + e_i, σ(x_i).
    for (let i = 1; i < L; i++) {
      const w = <i32>word(table, i, PC_INPUTS);
      const x = rowOf(word(table, i, PC_SOURCE), row0, w);
      pcValues(B * w, rowOf(word(table, i - 1, PC_PREDICTION), row0, w), rowOf(word(table, i - 1, PC_ERRORS), row0, w), x);
      const kind = <i32>word(table, i, PC_KIND);
      if (kind != ACTIVATION_IDENTITY) activationForward(kind, B * w, x, rowOf(word(table, i, PC_ACTIVATED), row0, w), word(table, i, PC_NEURON));
    }
    // New predictions; the errors of free layers follow them (a clamped output's: PC_ENERGY).
    for (let i = (mode & PC_REFRESH_FIRST) ? 0 : 1; i < L; i++) {
      const nIn = <i32>word(table, i, PC_INPUTS);
      const n = <i32>word(table, i, PC_OUTPUTS);
      const u = rowOf(word(table, i, PC_PREDICTION), row0, n);
      const e = rowOf(word(table, i, PC_ERRORS), row0, n);
      const clamped = i == L - 1 && outputMode != PC_OUTPUT_FREE;
      const p = clamped ? u : rowOf(word(table, i, PC_SCRATCH), row0, n);
      gemm(0, 1, B, n, nIn, rowOf(word(table, i, PC_ACTIVATED), row0, nIn), nIn, word(table, i, PC_WEIGHT), nIn, p, n, 0, word(table, i, PC_BIAS), work);
      if (!clamped) pcRepredict(B * n, p, u, e);
    }
  }
  if (mode & PC_ENERGY) {
    // Energy (and the clamped output's error).
    for (let i = 0; i < L; i++) {
      const w = <i32>word(table, i, PC_OUTPUTS);
      const n = B * w;
      const e = rowOf(word(table, i, PC_ERRORS), row0, w);
      if (i == L - 1 && outputMode == PC_OUTPUT_CE) {
        // softmaxCrossEntropy's gradient with scale −1 is y − softmax(u): the output error.
        energy += softmaxCrossEntropy(B, w, rowOf(word(table, i, PC_PREDICTION), row0, w), rowOf(word(table, i, PC_TARGET), row0, w), e, -1);
      } else if (i == L - 1 && outputMode == PC_OUTPUT_MSE) {
        energy += pcResidual(n, rowOf(word(table, i, PC_TARGET), row0, w), rowOf(word(table, i, PC_PREDICTION), row0, w), e);
      } else {
        energy += pcHalfSquares(n, e);
      }
    }
  }
  if (mode & PC_MOVE) {
    // Hidden value nodes descend F: x_i += γ (σ'(x_i) ⊙ e_{i+1} W_i − e_i), as a change of e_i
    // (with M_i, the PC_FEEDBACK word, in place of W_i, and e_{j+1} for the PC_FEEDBACK_FROM word j).
    // Layer i reads e_{j+1} before any layer above moves it: every move comes from the same state.
    for (let i = 1; i < L; i++) {
      const nIn = <i32>word(table, i, PC_INPUTS);
      const from = <i32>word(table, i, PC_FEEDBACK_FROM);
      const n = <i32>word(table, from, PC_OUTPUTS);
      const g = rowOf(word(table, i - 1, PC_SCRATCH), row0, nIn);
      gemm(0, 0, B, nIn, n, rowOf(word(table, from, PC_ERRORS), row0, n), n, word(table, i, PC_FEEDBACK), nIn, g, nIn, 0, 0, work);
      activationBackward(<i32>word(table, i, PC_KIND), B * nIn, rowOf(word(table, i, PC_SOURCE), row0, nIn), rowOf(word(table, i, PC_ACTIVATED), row0, nIn), g, g, word(table, i, PC_NEURON));
      pcMove(B * nIn, gamma, g, rowOf(word(table, i - 1, PC_ERRORS), row0, nIn));
    }
    if (outputMode == PC_OUTPUT_FREE) {
      // A free output only follows its prediction: x_L += γ (0 − e_L), i.e. e_L ·= (1 − γ).
      const w = <i32>word(table, L - 1, PC_OUTPUTS);
      scale(B * w, 1 - gamma, rowOf(word(table, L - 1, PC_ERRORS), row0, w));
    }
  }
  return energy;
}
