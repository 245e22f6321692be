// Predictive-coding relaxation (assembly/pc.ts): a table of pointers per weight layer, built here
// from matrices with the module's own layout, and one inference step for a whole batch per call.

import { Bytes, type Matrix } from "../tensor.js";
import { columnSums, scale } from "./elementwise.js";
import { linearWeightGrad } from "./linear.js";
import type { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";

/** What the relaxation of weight layer i reads and writes (B is the batch's rows). */
export interface PcLayer {
  /** W_i (n_{i+1} × n_i) and b_i, and where a captured gradient of each goes. */
  weight: Matrix;
  bias: Matrix;
  gradW: Matrix;
  gradB: Matrix;
  /** x_i and σ_i(x_i) (B × n_i); for i = 0 the clamped input, set per batch by setInput. */
  source?: Matrix;
  activated?: Matrix;
  /** σ_i's activation code and neuron block (identity and none for i = 0). */
  kind: number;
  neuron?: Bytes;
  /** u_{i+1}, e_{i+1} and scratch (B × n_{i+1}). */
  prediction: Matrix;
  errors: Matrix;
  scratch: Matrix;
  /** M_i in the value-node move e_{j+1}·M_i: W_i itself, or feedback alignment's B_i (unused for i = 0). */
  feedback?: Matrix;
  /** j, the layer whose errors M_i sends down: i (the default), or the output layer's with direct feedback alignment. */
  feedbackFrom?: number;
}

export type PcOutput = "free" | "mse" | "ce";

export class PcTable {
  private readonly block: Bytes;
  private readonly layers: PcLayer[] = [];
  private input?: Matrix;

  constructor(readonly runtime: Runtime, readonly depth: number, arena?: Arena) {
    this.block = new Bytes(runtime, runtime.layout.pc.tableWords * 4 * depth, arena);
    this.words().fill(0);
  }

  setLayer(i: number, layer: PcLayer): void {
    this.layers[i] = layer;
    const { field: f, tableWords } = this.runtime.layout.pc;
    const words = this.words();
    const set = (field: number, value: number) => (words[i * tableWords + field] = value);
    set(f.inputs, layer.weight.cols);
    set(f.outputs, layer.weight.rows);
    set(f.weight, layer.weight.ptr);
    set(f.bias, layer.bias.ptr);
    set(f.source, layer.source?.ptr ?? 0);
    set(f.activated, layer.activated?.ptr ?? 0);
    set(f.kind, layer.kind);
    set(f.neuron, layer.neuron?.ptr ?? 0);
    set(f.prediction, layer.prediction.ptr);
    set(f.errors, layer.errors.ptr);
    set(f.scratch, layer.scratch.ptr);
    set(f.feedback, layer.feedback?.ptr ?? 0);
    set(f.feedbackFrom, layer.feedbackFrom ?? i);
  }

  /** The clamped input x_0 of this batch. */
  setInput(x: Matrix): void {
    this.input = x;
    const { field } = this.runtime.layout.pc;
    const words = this.words();
    words[field.source] = x.ptr;
    words[field.activated] = x.ptr;
  }

  /** The clamped output's targets (B × n_L), or none: the output is free. */
  setTarget(target: Matrix | undefined): void {
    const { field, tableWords } = this.runtime.layout.pc;
    this.words()[(this.depth - 1) * tableWords + field.target] = target?.ptr ?? 0;
  }

  /**
   * One inference step of B rows; returns the summed energy before the step's move. `capture` (a
   * layer, or all) writes −gradScale · e_{i+1}ᵀ σ(x_i) and −gradScale · Σ e_{i+1} to that layer's
   * gradients from the state before the move: the descent direction of F for W_i, b_i. γ = 0
   * evaluates without moving. The predictions and the move are one kernel call each, which threads
   * divide by rows; the energy, a sum over the batch, and the gradients' products are calls of their own.
   */
  step(B: number, gamma: number, output: PcOutput, options: { refreshFirst?: boolean; capture?: number | "none" | "all"; gradScale: number; work: Bytes }): number {
    const pc = this.runtime.layout.pc;
    const mode = pc.output[output] | (options.refreshFirst ? pc.refreshFirst : 0);
    const run = (phases: number) => this.runtime.kernels.pcStep(this.depth, 0, B, this.block.ptr, gamma, mode | phases, options.work.ptr, options.work.bytes);
    run(pc.phase.predict);
    const energy = run(pc.phase.energy);
    const capture = options.capture ?? "none";
    for (let i = 0; i < this.depth; i++) {
      if (capture !== "all" && capture !== i) continue;
      const { errors, gradW, gradB } = this.layers[i];
      const e = errors.head(B);
      linearWeightGrad(e, (i === 0 ? this.input! : this.layers[i].activated!).head(B), gradW, options.work);
      scale(-options.gradScale, gradW);
      columnSums(e, gradB);
      scale(-options.gradScale, gradB);
    }
    if (gamma !== 0) run(pc.phase.move);
    return energy;
  }

  private words(): Uint32Array {
    return this.block.u32(this.runtime.layout.pc.tableWords * this.depth);
  }
}

// The relaxation's element-wise pieces, for networks whose layers the table does not describe
// (convolutional ones: models/pc-layers.ts). The state is u and e, x = u + e (assembly/pc.ts says why).

/** x = u + e */
export function pcValues(u: Matrix, e: Matrix, x: Matrix): void {
  u.runtime.kernels.pcValues(u.size, u.ptr, e.ptr, x.ptr);
}

/** A new prediction p of a free layer: e −= p − u, u = p. */
export function pcRepredict(p: Matrix, u: Matrix, e: Matrix): void {
  p.runtime.kernels.pcRepredict(p.size, p.ptr, u.ptr, e.ptr);
}

/** e = y − u; returns ½‖e‖² (in float64). */
export function pcResidual(y: Matrix, u: Matrix, e: Matrix): number {
  return y.runtime.kernels.pcResidual(y.size, y.ptr, u.ptr, e.ptr);
}

/** ½‖e‖² (in float64). */
export function pcHalfSquares(e: Matrix): number {
  return e.runtime.kernels.pcHalfSquares(e.size, e.ptr);
}

/** e += γ (g − e): the value-node move x += γ (g − e) of a node whose prediction stays. */
export function pcMove(gamma: number, g: Matrix, e: Matrix): void {
  g.runtime.kernels.pcMove(g.size, gamma, g.ptr, e.ptr);
}

/** A clamped output's error and energy: mse e = y − u, ½‖e‖²; ce e = y − softmax(u), the cross-entropy (summed). */
export function pcOutputError(output: Exclude<PcOutput, "free">, u: Matrix, target: Matrix, e: Matrix): number {
  if (output === "mse") return pcResidual(target, u, e);
  // softmaxCrossEntropy's gradient with scale −1 is y − softmax(u).
  return u.runtime.kernels.softmaxCrossEntropy(u.rows, u.cols, u.ptr, target.ptr, e.ptr, -1);
}
