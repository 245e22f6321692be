// An activation module a = σ(z); soft-LIF reads its neuron parameters from a block in the heap.

import { activationBackward, activationCode, activationForward, type ActivationName } from "../ops/activation.js";
import { axpy } from "../ops/elementwise.js";
import type { Rng } from "../ops/rng.js";
import type { ParameterSet, TensorSpec } from "../params.js";
import { type Bytes, Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Layer } from "./layer.js";

export class Activation implements Layer {
  readonly kind = "activation";
  /** The kernel's code for this activation. */
  code = 0;
  private params!: ParameterSet;
  private input?: Matrix;
  private out!: Matrix;
  /** Noise-aware training: what the next layer sees in training, a + N(0, std²) (the activation's own output stays clean for backward). */
  private noise?: { std: number; rng: Rng };
  private noisy?: Matrix;

  /** `neuron` is the parameter block of a soft-LIF activation. */
  constructor(readonly index: number, readonly inputs: number, readonly name: ActivationName, readonly neuron?: Bytes) {}

  get outputs(): number {
    return this.inputs;
  }

  tensors(): TensorSpec[] {
    return [];
  }

  bind(params: ParameterSet): void {
    this.params = params;
    this.code = activationCode(params.runtime, this.name);
  }

  initialize(_rng: Rng): void {}

  /** Add Gaussian noise of `std` to the output in training, drawn from `rng` (the model's). */
  setNoise(std: number, rng: Rng): void {
    this.noise = { std, rng };
  }

  allocate(arena: Arena, capacity: number): void {
    this.out = Matrix.scratch(this.params.runtime, arena, capacity, this.inputs);
    if (this.noise) this.noisy = Matrix.scratch(this.params.runtime, arena, capacity, this.inputs);
  }

  /** The last forward's output. */
  get output(): Matrix {
    return this.out.head(this.input?.rows ?? 0);
  }

  forward(x: Matrix, training: boolean): Matrix {
    this.input = x;
    const a = this.out.head(x.rows);
    activationForward(this.code, x, a, this.neuron);
    if (!training || !this.noise) return a;
    // The noise is additive, so σ'(z) is the gradient through it: backward is unchanged.
    const noisy = this.noisy!.head(x.rows);
    this.noise.rng.normal(noisy, 0, this.noise.std);
    axpy(1, a, noisy);
    return noisy;
  }

  /** dz = da ⊙ σ'(z), in place when dx is dy. */
  backward(dy: Matrix, dx?: Matrix): void {
    activationBackward(this.code, this.input!, this.output, dy, dx ?? dy, this.neuron);
  }
}
