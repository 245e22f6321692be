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
// then equals backprop with feedback alignment from the same seed. With `directFeedbackAlignment`
// every hidden layer moves by the output error through the MLP's fixed random D_i (n_L × n_i), not by
// the error of the layer above: x_i += γ (σ'(x_i) ⊙ e_L D_i − e_i). The errors then reach every layer
// in the first step, which is what Z-IL's one-layer-per-step schedule is built against: it takes il
// or ipc. A convolutional network (an `arch` spec) relaxes through its layer list (pc-layers.ts) with
// the same step, op for op (feedback alignment, not yet its direct form).

import { DivergenceError, OptionError } from "../errors.js";
import { firstNonFinite } from "../ops/elementwise.js";
import { linearWorkBytes } from "../ops/linear.js";
import { lossAndGradient, type OutputLoss } from "../ops/loss.js";
import { PcTable, type PcOutput } from "../ops/pc.js";
import { Bytes, Matrix } from "../tensor.js";
import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import { MLP, type MLPOptions, type StagedBatch, type StepResult, type Update } from "./mlp.js";
import { LayerRelaxation } from "./pc-layers.js";

export const PC_ALGORITHMS = ["il", "zil", "ipc"] as const;
export type PCAlgorithm = (typeof PC_ALGORITHMS)[number];

/** The schedule's defaults: IL, T = 20 steps of γ = 0.1, no early stop. */
export const PC_DEFAULTS = { algo: "il", T: 20, gamma: 0.1, tolerance: 0 } as const;

export interface PCNOptions extends Omit<MLPOptions, "batchNorm"> {
  /** Learning schedule (default "il"). */
  algo?: PCAlgorithm;
  /** Inference steps per batch for il and ipc (default 20); zil always takes one per layer. */
  T?: number;
  /** Value-node step size γ (default 0.1); zil always uses 1. */
  gamma?: number;
  /** il: stop relaxing once the energy changes by at most tolerance × energy in a step (0: never). */
  tolerance?: number;
  /**
   * Which implementation relaxes: "table", the fused kernel (MLPs only), or "layers", the layer
   * list's ops (any network). Default: table for an MLP, layers for a convolutional network; both
   * give the same bits for an MLP.
   */
  relaxation?: "table" | "layers";
}

/** What PCN asks of a relaxation: PcTable's interface. */
interface Relaxation {
  setInput(x: Matrix): void;
  setTarget(target: Matrix | undefined): void;
  step(B: number, gamma: number, output: PcOutput, options: { refreshFirst?: boolean; reuse?: boolean; capture?: number | "none" | "all"; gradScale: number; work: Bytes }): number;
}

/** An energy this many times its starting value (+1) means the relaxation is diverging. */
const DIVERGENCE_GROWTH = 1e6;

interface Workspace {
  capacity: number;
  arena: Arena;
  table: Relaxation;
  predictions: Matrix[]; // u_1 … u_L
  errors: Matrix[]; // e_1 … e_L (x = u + e)
  work: Bytes;
}

export class PCN {
  readonly mlp: MLP;
  readonly algo: PCAlgorithm;
  readonly T: number;
  readonly gamma: number;
  readonly tolerance: number;
  readonly relaxation: "table" | "layers";
  /**
   * The energy (mean over the batch) of the last relaxation at the start of each inference step:
   * entry 0 is the feedforward state, entry t the state after t moves.
   */
  energyTrace: number[] = [];
  private ws?: Workspace;
  private startEnergy = 0;
  /** The clamped output's targets in the last relaxation (none: the output was free). */
  private target?: Matrix;

  constructor(options: PCNOptions) {
    this.algo = options.algo ?? PC_DEFAULTS.algo;
    if (!PC_ALGORITHMS.includes(this.algo)) throw new OptionError("algo", `must be one of ${PC_ALGORITHMS.join(", ")}, got ${this.algo}`);
    this.T = options.T ?? PC_DEFAULTS.T;
    if (!Number.isInteger(this.T) || this.T < 1) throw new OptionError("T", `inference steps must be an integer ≥ 1, got ${this.T}`);
    this.gamma = options.gamma ?? PC_DEFAULTS.gamma;
    if (!(this.gamma > 0) || !Number.isFinite(this.gamma)) throw new OptionError("gamma", `must be a finite number > 0, got ${this.gamma}`);
    this.tolerance = options.tolerance ?? PC_DEFAULTS.tolerance;
    if (!(this.tolerance >= 0) || !Number.isFinite(this.tolerance)) throw new OptionError("tolerance", `must be a finite number ≥ 0, got ${this.tolerance}`);
    if (options.directFeedbackAlignment && this.algo === "zil") {
      throw new OptionError("directFeedbackAlignment", "not with algo zil: Z-IL's schedule needs the errors to travel down one layer per step (use il or ipc)");
    }
    const { algo: _a, T: _t, gamma: _g, tolerance: _tol, relaxation, ...network } = options;
    if (options.directFeedbackAlignment && network.arch) {
      throw new OptionError("directFeedbackAlignment", "a convolutional PCN relaxes through its layers, which have no direct feedback alignment yet (use layers, or feedbackAlignment)");
    }
    this.mlp = new MLP({ ...network, batchNorm: false });
    this.relaxation = relaxation ?? (this.mlp.config.arch ? "layers" : "table");
    if (this.relaxation !== "table" && this.relaxation !== "layers") throw new OptionError("relaxation", `must be "table" or "layers", got ${JSON.stringify(relaxation)}`);
    if (this.relaxation === "table" && this.mlp.config.arch) {
      this.mlp.free();
      throw new OptionError("relaxation", "the fused table kernel relaxes MLPs only; a convolutional network relaxes through its layers");
    }
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
  forward(x: Matrix, _training = false): Matrix {
    return this.mlp.forward(x, false);
  }

  /** The predicted class of each row of x (count × inputs), by the feedforward pass. */
  predict(x: Float32Array, count?: number): Int32Array {
    return this.mlp.predict(x, count);
  }

  /** Class probabilities (softmax of the logits), count × outputs. */
  predictProba(x: Float32Array, count?: number): Float32Array {
    return this.mlp.predictProba(x, count);
  }

  /** Logits, count × outputs. */
  logits(x: Float32Array, count?: number): Float32Array {
    return this.mlp.logits(x, count);
  }

  /** One inference-learning update from a staged batch. */
  trainBatch(batch: StagedBatch, outputLoss: OutputLoss, optimizer: Update): StepResult {
    const B = batch.x.rows;
    const logits = this.initialize(batch.x, batch.targets);
    const loss = lossAndGradient(outputLoss, logits, batch.targets, batch.grad);
    if (!Number.isFinite(loss)) return { logits, loss };
    const mode: PcOutput = outputLoss === "ce" ? "ce" : "mse";
    const L = this.depth;
    const trace: number[] = [];
    if (this.algo === "zil") {
      // Layer L−t takes its gradient at step t, before that step moves any value node; all
      // updates are applied together after the last step, which equals applying each when taken,
      // since no later step reads a layer's weights after its gradient is captured. The weights are
      // fixed meanwhile, so steps may reuse what has not moved (the error front comes down a layer
      // a step).
      for (let t = 1; t <= L; t++) trace.push(this.step(B, 1, mode, L - t, t, false, t > 1));
      optimizer.step();
    } else if (this.algo === "ipc") {
      // After the first update W_0 has changed, so u_1 is recomputed at every later step.
      for (let t = 1; t <= this.T; t++) {
        trace.push(this.step(B, this.gamma, mode, "all", t, t > 1));
        optimizer.step();
      }
    } else {
      // The weights stay fixed until the update: every step after the first may reuse.
      for (let t = 1; t <= this.T; t++) {
        trace.push(this.step(B, this.gamma, mode, "none", t, false, t > 1));
        const n = trace.length;
        if (this.tolerance > 0 && n > 1 && Math.abs(trace[n - 2] - trace[n - 1]) <= this.tolerance * Math.abs(trace[n - 2])) break;
      }
      // γ = 0: errors at the relaxed state and the gradients, without moving the value nodes.
      this.step(B, 0, mode, "all", trace.length + 1, false, true);
      optimizer.step();
    }
    this.energyTrace = trace;
    const bad = this.params.firstNonFinite();
    if (bad) throw new DivergenceError(`${bad} after the ${this.algo} update`, "lr");
    return { logits, loss };
  }

  /**
   * Relax the rows of x with the output free (prediction mode) for `steps` steps from the
   * feedforward state, or from `start` values of every value layer when given (tests and plots);
   * returns the energy at the start of each step (as energyTrace). The value nodes stay readable
   * through values().
   */
  relax(x: Matrix, steps: number, gamma = this.gamma, start?: Float32Array[]): number[] {
    const B = x.rows;
    this.initialize(x, undefined);
    const ws = this.ws!;
    if (start) {
      if (start.length !== this.depth) throw new RangeError(`relax: expected ${this.depth} value layers, got ${start.length}`);
      start.forEach((v, i) => {
        const n = B * this.width(i + 1);
        if (v.length !== n) throw new RangeError(`relax: value layer ${i + 1} needs ${n} values, got ${v.length}`);
        const u = ws.predictions[i].head(B).view();
        const e = ws.errors[i].head(B).view();
        for (let k = 0; k < n; k++) e[k] = v[k] - u[k];
      });
    }
    const trace: number[] = [];
    for (let t = 1; t <= steps; t++) trace.push(this.step(B, gamma, "free", "none", t));
    this.energyTrace = trace;
    return trace;
  }

  /** Value layer l (1 … L), x = u + e, for the last B samples relaxed (a clamped output: its target). */
  values(l: number, B: number): Float32Array {
    if (l === this.depth && this.target) return this.target.head(B).toArray();
    const u = this.ws!.predictions[l - 1].head(B).view();
    const e = this.ws!.errors[l - 1].head(B).view();
    return Float32Array.from(u, (v, k) => v + e[k]);
  }

  free(): void {
    this.ws?.arena.release();
    this.ws = undefined;
    this.mlp.free();
  }

  private width(l: number): number {
    return this.mlp.weightLayers[l - 1].linear.outputs;
  }

  // Feedforward pass: predictions start at the feedforward values with zero errors (x = u), the
  // output clamped to the targets when given. Returns the logits.
  private initialize(x: Matrix, targets: Matrix | undefined): Matrix {
    const B = x.rows;
    const ws = this.workspace(B);
    const logits = this.mlp.forward(x, false);
    for (let i = 0; i < this.depth; i++) {
      ws.predictions[i].head(B).set(this.mlp.linearOutput(i).view());
      ws.errors[i].head(B).view().fill(0);
    }
    ws.table.setInput(x);
    ws.table.setTarget(targets);
    this.target = targets;
    return logits;
  }

  // Inference step t: errors and energy of the state after t − 1 moves, then the t-th move
  // (iPC's later steps recompute u_1: W_0 has changed).
  private step(B: number, gamma: number, output: PcOutput, capture: number | "none" | "all", t: number, refreshFirst = false, reuse = false): number {
    const ws = this.ws!;
    const energy = ws.table.step(B, gamma, output, { refreshFirst, reuse, capture, gradScale: 1 / B, work: ws.work }) / B;
    if (t === 1) this.startEnergy = energy;
    // Relaxation descends F, so a finite but exploding energy is divergence too: float32 value
    // nodes can grow to 1e19 without overflowing, and only the gradients would then.
    if (!Number.isFinite(energy) || energy > DIVERGENCE_GROWTH * (Math.abs(this.startEnergy) + 1)) {
      throw new DivergenceError(this.divergence(B, t, energy), "gamma");
    }
    return energy;
  }

  private divergence(B: number, t: number, energy: number): string {
    const where = t === 1 ? "before relaxation: the feedforward state" : `in inference step ${t - 1}:`;
    let worst = { layer: 0, what: "", value: 0 };
    for (let i = 0; i < this.depth; i++) {
      for (const [what, m] of [["predictions", this.ws!.predictions[i].head(B)], ["errors", this.ws!.errors[i].head(B)]] as const) {
        const bad = firstNonFinite(m);
        if (bad >= 0) return `predictive coding diverged ${where} the ${what} of layer ${i + 1} hold ${m.view()[bad]} (energy ${energy})`;
        for (const v of m.view()) if (Math.abs(v) > Math.abs(worst.value)) worst = { layer: i + 1, what, value: v };
      }
    }
    return `predictive coding diverged ${where} the energy grew from ${this.startEnergy.toPrecision(4)} to ${energy.toPrecision(4)}` +
      ` and the ${worst.what} of layer ${worst.layer} reach ${worst.value.toPrecision(4)}`;
  }

  private workspace(B: number): Workspace {
    if (this.ws && this.ws.capacity >= B) return this.ws;
    this.ws?.arena.release();
    const rt = this.runtime;
    const arena = new Arena(rt.heap);
    const cap = Math.max(B, 1);
    const layers = this.mlp.weightLayers;
    const scratch = (width: number) => Matrix.scratch(rt, arena, cap, width);
    const predictions = layers.map(({ linear }) => scratch(linear.outputs));
    const errors = layers.map(({ linear }) => scratch(linear.outputs));
    if (this.relaxation === "layers") {
      // The layers' ops use the layers' own scratch: no shared workspace.
      const table = new LayerRelaxation(this.mlp, cap, arena, predictions, errors);
      this.ws = { capacity: cap, arena, table, predictions, errors, work: new Bytes(rt, 16, arena) };
      return this.ws;
    }
    const direct = this.mlp.config.directFeedbackAlignment === true;
    const L = layers.length;
    // The move's product e_{j+1}·M_i has n_{j+1} terms: the output's width for every layer with direct feedback.
    const work = Math.max(...layers.map(({ linear }) => linearWorkBytes(rt, cap, linear.inputs, direct ? Math.max(linear.outputs, this.mlp.outputs) : linear.outputs)));
    const table = new PcTable(rt, layers.length, arena);
    const ws: Workspace = { capacity: cap, arena, table, predictions, errors, work: new Bytes(rt, work, arena) };
    // x_i = u_i + e_i and σ(x_i) of the hidden layers (an identity activation shares the value buffer).
    const values: Matrix[] = [];
    const activated: Matrix[] = [];
    layers.forEach(({ linear, activation }, i) => {
      if (activation) {
        values.push(scratch(linear.outputs));
        activated.push(activation.name === "identity" ? values[i] : scratch(linear.outputs));
      }
    });
    layers.forEach(({ linear }, i) => {
      const below = layers[i - 1]?.activation;
      table.setLayer(i, {
        weight: linear.weights(), bias: linear.biases(), gradW: this.params.gradMatrix(linear.weight), gradB: this.params.gradMatrix(linear.bias),
        // Layer 0's input is set per batch.
        source: i === 0 ? undefined : values[i - 1], activated: i === 0 ? undefined : activated[i - 1],
        kind: below ? below.code : rt.layout.activation.identity, neuron: below?.neuron,
        prediction: predictions[i], errors: errors[i], scratch: scratch(linear.outputs),
        // The value-node move's e_{i+1} W_i: W_i, B_i with feedback alignment; e_L D_i with direct feedback alignment.
        feedback: i === 0 ? undefined : this.mlp.feedbackWeight(i),
        feedbackFrom: direct ? L - 1 : i,
      });
    });
    this.ws = ws;
    return ws;
  }
}
