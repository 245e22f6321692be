// Predictive coding networks trained by inference learning (SCIENCE.md §3). The network's weights,
// naming and feedforward pass are an MLP's (without batch norm): a PCN predicts with a plain forward
// pass, which is the equilibrium of relaxation with only the input clamped. Training relaxes the
// value nodes with the target clamped and updates each layer from its local error. IL, Z-IL and
// incremental PC are schedules of the same relaxation kernel (assembly/pc.ts):
//   il  — T steps of size γ, then every layer from the final errors;
//   zil — forward-initialised value nodes, γ = 1, L steps, layer l (counted from the output)
//         taking its gradient at step l: equal to backprop (Song et al. 2020);
//   ipc — every layer updated after every one of T steps.
// With `feedbackAlignment` the value-node move sends errors down through the MLP's fixed random
// matrices B_i instead of W_i (mlp.ts), so no weight is transported: Z-IL with feedback alignment
// then equals backprop with feedback alignment from the same seed.

import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import type { BatchBuffer } from "../training/batches.js";
import { lossAndGradient, type OutputLoss } from "../training/losses.js";
import { DivergenceError, type StepResult } from "../training/model.js";
import type { Optimizer } from "../training/optimizers.js";
import { MLP, type MLPOptions } from "./mlp.js";

export const PC_ALGORITHMS = ["il", "zil", "ipc"] as const;
export type PCAlgorithm = (typeof PC_ALGORITHMS)[number];

export interface PCNOptions extends Omit<MLPOptions, "batchNorm"> {
  /** Learning schedule (default "il"). */
  algo?: PCAlgorithm;
  /** Inference steps per batch for il and ipc (default 20); zil always takes one per layer. */
  T?: number;
  /** Value-node step size γ (default 0.1); zil always uses 1. */
  gamma?: number;
  /** il: stop relaxing once the energy changes by at most tolerance × energy in a step (0: never). */
  tolerance?: number;
}

// Must match assembly/pc.ts.
const TABLE_WORDS = 15;
const F = {
  INPUTS: 0, OUTPUTS: 1, WEIGHT: 2, BIAS: 3, SOURCE: 4, ACTIVATED: 5, KIND: 6, PREDICTION: 7, ERRORS: 8, SCRATCH: 9, TARGET: 10, GRAD_W: 11,
  GRAD_B: 12, NEURON: 13, FEEDBACK: 14,
};
const OUTPUT_FREE = 0;
const OUTPUT_MSE = 1;
const OUTPUT_CE = 2;
const REFRESH_FIRST = 4;
const CAPTURE_NONE = -1;
const CAPTURE_ALL = -2;
/** An energy this many times its starting value (+1) means the relaxation is diverging. */
const DIVERGENCE_GROWTH = 1e6;

interface Workspace {
  capacity: number;
  arena: Arena;
  table: number;
  predictions: number[]; // u_1 … u_L
  errors: number[]; // e_1 … e_L (x = u + e)
  work: number;
}

export class PCN {
  readonly mlp: MLP;
  readonly algo: PCAlgorithm;
  readonly T: number;
  readonly gamma: number;
  readonly tolerance: number;
  /**
   * The energy (mean over the batch) of the last relaxation at the start of each inference step:
   * entry 0 is the feedforward state, entry t the state after t moves.
   */
  energyTrace: number[] = [];
  private ws?: Workspace;
  private startEnergy = 0;
  /** The clamped output's targets in the last relaxation (0: the output was free). */
  private target = 0;

  constructor(options: PCNOptions) {
    this.algo = options.algo ?? "il";
    if (!PC_ALGORITHMS.includes(this.algo)) throw new RangeError(`PCN algo: must be one of ${PC_ALGORITHMS.join(", ")}, got ${this.algo}`);
    this.T = options.T ?? 20;
    if (!Number.isInteger(this.T) || this.T < 1) throw new RangeError(`PCN T: inference steps must be an integer ≥ 1, got ${this.T}`);
    this.gamma = options.gamma ?? 0.1;
    if (!(this.gamma > 0) || !Number.isFinite(this.gamma)) throw new RangeError(`PCN gamma: must be a finite number > 0, got ${this.gamma}`);
    this.tolerance = options.tolerance ?? 0;
    if (!(this.tolerance >= 0) || !Number.isFinite(this.tolerance)) throw new RangeError(`PCN tolerance: must be a finite number ≥ 0, got ${this.tolerance}`);
    this.mlp = new MLP({ ...options, batchNorm: false });
  }

  get runtime(): Runtime {
    return this.mlp.runtime;
  }
  get params() {
    return this.mlp.params;
  }
  get inputs(): number {
    return this.mlp.inputs;
  }
  get outputs(): number {
    return this.mlp.outputs;
  }
  get minTrainingBatch(): number {
    return 1;
  }
  /** Weight layers L. */
  get depth(): number {
    return this.mlp.linearLayers.length;
  }

  /** A checkpoint keeps the energy trace of the last relaxation, which a finished run reports. */
  checkpointState(): unknown {
    return { energyTrace: this.energyTrace };
  }

  restoreCheckpointState(state: unknown, source: string): void {
    const trace = (state as { energyTrace?: unknown } | undefined)?.energyTrace;
    if (!Array.isArray(trace) || !trace.every((e) => typeof e === "number" && Number.isFinite(e))) {
      throw new Error(`${source}: the checkpoint has no valid PCN energy trace`);
    }
    this.energyTrace = [...trace];
  }

  /** Prediction: the feedforward pass (the relaxation's fixed point with only the input clamped). */
  forward(xPtr: number, B: number, _training = false): number {
    return this.mlp.forward(xPtr, B, false);
  }

  /** One inference-learning update from B staged samples. */
  trainBatch(batch: BatchBuffer, B: number, outputLoss: OutputLoss, optimizer: Optimizer): StepResult {
    const logits = this.initialize(batch.x, B, batch.targets);
    const loss = lossAndGradient(this.runtime, outputLoss, logits, batch.targets, B, this.outputs, batch.grad);
    if (!Number.isFinite(loss)) return { logits, loss };
    const mode = outputLoss === "ce" ? OUTPUT_CE : OUTPUT_MSE;
    const L = this.depth;
    const trace: number[] = [];
    if (this.algo === "zil") {
      // Layer L−t takes its gradient at step t, before that step moves any value node; all
      // updates are applied together after the last step, which equals applying each when taken,
      // since no later step reads a layer's weights after its gradient is captured.
      for (let t = 1; t <= L; t++) trace.push(this.step(B, 1, mode, L - t, t));
      optimizer.step();
    } else if (this.algo === "ipc") {
      // After the first update W_0 has changed, so u_1 is recomputed at every later step.
      for (let t = 1; t <= this.T; t++) {
        trace.push(this.step(B, this.gamma, t === 1 ? mode : mode | REFRESH_FIRST, CAPTURE_ALL, t));
        optimizer.step();
      }
    } else {
      for (let t = 1; t <= this.T; t++) {
        trace.push(this.step(B, this.gamma, mode, CAPTURE_NONE, t));
        const n = trace.length;
        if (this.tolerance > 0 && n > 1 && Math.abs(trace[n - 2] - trace[n - 1]) <= this.tolerance * Math.abs(trace[n - 2])) break;
      }
      // γ = 0: errors at the relaxed state and the gradients, without moving the value nodes.
      this.step(B, 0, mode, CAPTURE_ALL, trace.length + 1);
      optimizer.step();
    }
    this.energyTrace = trace;
    const bad = this.params.firstNonFinite();
    if (bad) throw new DivergenceError(`${bad} after the ${this.algo} update; try a smaller --lr`);
    return { logits, loss };
  }

  /**
   * Relax B inputs at xPtr with the output free (prediction mode) for `steps` steps from the
   * feedforward state, or from `start` values of every value layer when given (tests and plots);
   * returns the energy at the start of each step (as energyTrace). The value nodes stay readable
   * through values().
   */
  relax(xPtr: number, B: number, steps: number, gamma = this.gamma, start?: Float32Array[]): number[] {
    this.initialize(xPtr, B, 0);
    const ws = this.ws!;
    if (start) {
      if (start.length !== this.depth) throw new RangeError(`relax: expected ${this.depth} value layers, got ${start.length}`);
      const heap = this.runtime.heap;
      start.forEach((v, i) => {
        const n = B * this.width(i + 1);
        if (v.length !== n) throw new RangeError(`relax: value layer ${i + 1} needs ${n} values, got ${v.length}`);
        const u = heap.f32(ws.predictions[i], n);
        const e = heap.f32(ws.errors[i], n);
        for (let k = 0; k < n; k++) e[k] = v[k] - u[k];
      });
    }
    const trace: number[] = [];
    for (let t = 1; t <= steps; t++) trace.push(this.step(B, gamma, OUTPUT_FREE, CAPTURE_NONE, t));
    this.energyTrace = trace;
    return trace;
  }

  /** Value layer l (1 … L), x = u + e, for the last B samples relaxed (a clamped output: its target). */
  values(l: number, B: number): Float32Array {
    const n = B * this.width(l);
    if (l === this.depth && this.target) return this.runtime.heap.f32(this.target, n).slice();
    const u = this.runtime.heap.f32(this.ws!.predictions[l - 1], n);
    const e = this.runtime.heap.f32(this.ws!.errors[l - 1], n);
    return Float32Array.from(u, (v, k) => v + e[k]);
  }

  free(): void {
    this.ws?.arena.release();
    this.ws = undefined;
    this.mlp.free();
  }

  private width(l: number): number {
    return this.mlp.config.layers[l];
  }

  // Feedforward pass: predictions start at the feedforward values with zero errors (x = u), the
  // output clamped to the targets when given. Returns the logits pointer.
  private initialize(xPtr: number, B: number, targets: number): number {
    const ws = this.workspace(B);
    const { heap } = this.runtime;
    const logits = this.mlp.forward(xPtr, B, false);
    const L = this.depth;
    for (let i = 0; i < L; i++) {
      const n = B * this.width(i + 1);
      heap.f32(ws.predictions[i], n).set(heap.f32(this.mlp.linearOutput(i), n));
      heap.f32(ws.errors[i], n).fill(0);
    }
    const table = heap.u32(ws.table, TABLE_WORDS * L);
    table[F.SOURCE] = xPtr;
    table[F.ACTIVATED] = xPtr;
    table[(L - 1) * TABLE_WORDS + F.TARGET] = targets;
    this.target = targets;
    return logits;
  }

  // Inference step t: errors and energy of the state after t − 1 moves, then the t-th move.
  private step(B: number, gamma: number, mode: number, capture: number, t: number): number {
    const ws = this.ws!;
    const energy = this.runtime.kernels.pcStep(this.depth, B, ws.table, gamma, mode, capture, 1 / B, ws.work) / B;
    if (t === 1) this.startEnergy = energy;
    // Relaxation descends F, so a finite but exploding energy is divergence too: float32 value
    // nodes can grow to 1e19 without overflowing, and only the gradients would then.
    if (!Number.isFinite(energy) || energy > DIVERGENCE_GROWTH * (Math.abs(this.startEnergy) + 1)) {
      throw new DivergenceError(this.divergence(B, t, energy));
    }
    return energy;
  }

  private divergence(B: number, t: number, energy: number): string {
    const where = t === 1 ? "before relaxation: the feedforward state" : `in inference step ${t - 1}:`;
    const { kernels, heap } = this.runtime;
    let worst = { layer: 0, what: "", value: 0 };
    for (let i = 0; i < this.depth; i++) {
      const n = B * this.width(i + 1);
      for (const [what, ptr] of [["predictions", this.ws!.predictions[i]], ["errors", this.ws!.errors[i]]] as const) {
        const bad = kernels.firstNonFinite(n, ptr);
        if (bad >= 0) {
          return `predictive coding diverged ${where} the ${what} of layer ${i + 1} hold ${heap.f32(ptr, n)[bad]} (energy ${energy}); try a smaller --gamma`;
        }
        for (const v of heap.f32(ptr, n)) if (Math.abs(v) > Math.abs(worst.value)) worst = { layer: i + 1, what, value: v };
      }
    }
    return `predictive coding diverged ${where} the energy grew from ${this.startEnergy.toPrecision(4)} to ${energy.toPrecision(4)}` +
      ` and the ${worst.what} of layer ${worst.layer} reach ${worst.value.toPrecision(4)}; try a smaller --gamma`;
  }

  private workspace(B: number): Workspace {
    if (this.ws && this.ws.capacity >= B) return this.ws;
    this.ws?.arena.release();
    const rt = this.runtime;
    const arena = new Arena(rt.heap);
    const cap = Math.max(B, 1);
    const layers = this.mlp.linearLayers;
    const L = layers.length;
    const ws: Workspace = { capacity: cap, arena, table: arena.alloc(TABLE_WORDS * 4 * L), predictions: [], errors: [], work: 0 };
    const values: number[] = []; // x_i = u_i + e_i of hidden layers, σ(x_i), scratch
    const activated: number[] = [];
    const scratch: number[] = [];
    let work = 0;
    layers.forEach((layer, i) => {
      ws.predictions.push(arena.allocF32(cap * layer.outputs));
      ws.errors.push(arena.allocF32(cap * layer.outputs));
      scratch.push(arena.allocF32(cap * layer.outputs));
      if (i + 1 < L) {
        values.push(arena.allocF32(cap * layer.outputs));
        // An identity activation shares the value buffer.
        activated.push(layer.activation === 0 ? values[i] : arena.allocF32(cap * layer.outputs));
      }
      const k = rt.kernels;
      work = Math.max(work, k.gemmWorkspaceBytes(cap, layer.outputs, layer.inputs), k.gemmWorkspaceBytes(cap, layer.inputs, layer.outputs),
        k.gemmWorkspaceBytes(layer.outputs, layer.inputs, cap));
    });
    ws.work = arena.alloc(work);
    const table = rt.heap.u32(ws.table, TABLE_WORDS * L);
    table.fill(0);
    layers.forEach((layer, i) => {
      const row = (field: number, value: number) => (table[i * TABLE_WORDS + field] = value);
      row(F.INPUTS, layer.inputs);
      row(F.OUTPUTS, layer.outputs);
      row(F.WEIGHT, this.params.ptr(layer.weight));
      row(F.BIAS, this.params.ptr(layer.bias));
      row(F.SOURCE, i === 0 ? 0 : values[i - 1]); // layer 0's input is set per batch
      row(F.ACTIVATED, i === 0 ? 0 : activated[i - 1]);
      row(F.KIND, i === 0 ? 0 : layers[i - 1].activation);
      row(F.NEURON, i === 0 ? 0 : layers[i - 1].neuron);
      row(F.PREDICTION, ws.predictions[i]);
      row(F.ERRORS, ws.errors[i]);
      row(F.SCRATCH, scratch[i]);
      row(F.GRAD_W, this.params.grad(layer.weight));
      row(F.GRAD_B, this.params.grad(layer.bias));
      // The matrix of the value-node move's e_{i+1} W_i: W_i, or B_i with feedback alignment.
      row(F.FEEDBACK, i === 0 ? 0 : this.mlp.feedbackWeight(i));
    });
    this.ws = ws;
    return ws;
  }
}
