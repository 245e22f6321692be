// Optimisers over a model's trainable block, with PyTorch's update rules (assembly/optim.ts).

import { OptionError } from "../errors.js";
import { adamStep, sgdStep } from "../ops/optim.js";
import type { ParameterSet } from "../params.js";
import { Matrix } from "../tensor.js";

export const OPTIMIZERS = ["sgd", "adam"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerOptions {
  optimizer?: OptimizerName;
  /** Learning rate (> 0). */
  lr: number;
  /** SGD momentum in [0, 1). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient, ≥ 0. */
  weightDecay?: number;
  /** Adam's β1, β2 in [0, 1) and ε > 0. */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Optimizer {
  readonly options: Required<OptimizerOptions>;
  private readonly state: Matrix[] = [];
  private steps = 0;

  constructor(readonly params: ParameterSet, options: OptimizerOptions) {
    this.options = {
      optimizer: options.optimizer ?? "sgd",
      lr: options.lr,
      momentum: options.momentum ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
    };
    validate(this.options);
    const buffers = this.options.optimizer === "adam" ? 2 : this.options.momentum > 0 ? 1 : 0;
    for (let i = 0; i < buffers; i++) this.state.push(new Matrix(params.runtime, 1, params.length));
  }

  /** Change the learning rate (a schedule does this between steps). */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new OptionError("lr", `must be a finite number ≥ 0, got ${lr}`);
    this.options.lr = lr;
  }

  /** Apply one update from the gradients in params.grads. */
  step(): void {
    const o = this.options;
    const p = this.params;
    this.steps++;
    if (o.optimizer === "adam") adamStep(p.values, p.grads, this.state[0], this.state[1], o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, this.steps);
    else sgdStep(p.values, p.grads, this.state[0], o.lr, o.momentum, o.weightDecay, o.nesterov);
  }

  /** Step count and copies of the buffers, for a checkpoint. */
  snapshot(): { steps: number; buffers: Float32Array[] } {
    return { steps: this.steps, buffers: this.state.map((m) => m.toArray()) };
  }

  /** Continue from a snapshot of an optimiser of the same kind over the same parameters; `source` names it in errors. */
  restore(snapshot: { steps: number; buffers: Float32Array[] }, source: string): void {
    if (snapshot.buffers.length !== this.state.length) {
      throw new Error(`${source}: ${snapshot.buffers.length} optimizer buffers, but ${this.options.optimizer}${this.options.momentum > 0 ? " with momentum" : ""} keeps ${this.state.length}`);
    }
    snapshot.buffers.forEach((b, i) => {
      if (b.length !== this.params.length) throw new Error(`${source}: optimizer buffer ${i} has ${b.length} values, the model has ${this.params.length}`);
      const bad = b.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${source}: optimizer buffer ${i} holds a non-finite value (${b[bad]}) at index ${bad}`);
    });
    snapshot.buffers.forEach((b, i) => this.state[i].set(b));
    this.steps = snapshot.steps;
  }

  free(): void {
    for (const m of this.state) m.free();
    this.state.length = 0;
  }
}

function validate(o: Required<OptimizerOptions>): void {
  const fail = (name: string, what: string, value: unknown) => {
    throw new OptionError(name, `${what}, got ${value}`);
  };
  if (!(OPTIMIZERS as readonly string[]).includes(o.optimizer)) fail("optimizer", `must be one of ${OPTIMIZERS.join(", ")}`, o.optimizer);
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) fail("lr", "must be a finite number > 0", o.lr);
  if (!(o.momentum >= 0 && o.momentum < 1)) fail("momentum", "must be in [0, 1)", o.momentum);
  if (!(o.weightDecay >= 0) || !Number.isFinite(o.weightDecay)) fail("weightDecay", "must be a finite number ≥ 0", o.weightDecay);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) fail("beta1", "must be in [0, 1)", o.beta1);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) fail("beta2", "must be in [0, 1)", o.beta2);
  if (!(o.eps > 0) || !Number.isFinite(o.eps)) fail("eps", "must be a finite number > 0", o.eps);
  if (o.nesterov && o.momentum === 0) fail("nesterov", "needs momentum > 0", o.momentum);
}
