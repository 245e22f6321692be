// The backprop multilayer perceptron: z = a·Wᵀ + b, optional batch norm, a = σ(z), any depth.
// Weights are [out, in] like torch.nn.Linear, and tensors are named as the state_dict of an
// nn.Sequential held in `layers`: Linear at layers.{i}, BatchNorm1d at layers.{i+1}, then the
// activation module (no tensors), so a PyTorch user can load the weights as they are.
//
// Feedback alignment (Lillicrap et al. 2016; SCIENCE.md §4, thesis §3.5.5): backprop sends the error
// back through the transposed forward weights, δ_{l−1} = (δ_l · W_l) ⊙ σ'(z_{l−1}) — the weight
// transport problem. With `feedbackAlignment` the backward product uses a fixed random matrix B_l
// of W_l's shape instead, drawn once from the model's seed on its own PRNG stream (STREAM_FEEDBACK)
// with W's He distribution N(0, 2/fan_in) and never trained. The weight gradients δᵀ·input keep
// their form; only the δ reaching the hidden layers changes. B_l is not a parameter: it is not in
// `params` nor in a model file, and is regenerated from the seed (config.feedbackSeed) and the
// architecture. Layer 0 has none: its backward product is never computed.

import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import { runtime as defaultRuntime } from "../runtime.js";
import { activationCode, ACTIVATIONS, type ActivationName } from "./activations.js";
import { NEURON_BLOCK_BYTES, resolveNeuron, writeNeuronBlock, type NeuronOptions, type NeuronParams } from "./neuron.js";
import { ParameterSet, type TensorSpec } from "./params.js";
import type { BatchBuffer } from "../training/batches.js";
import { lossAndGradient, type OutputLoss } from "../training/losses.js";
import type { StepResult } from "../training/model.js";
import type { Optimizer } from "../training/optimizers.js";

export interface MLPOptions {
  /** Layer widths from input to output, e.g. [784, 256, 256, 10]. */
  layers: number[];
  /** Hidden activation, one for all or one per hidden layer. The output layer is linear. */
  activation?: ActivationName | ActivationName[];
  /** Batch norm between each hidden linear layer and its activation. */
  batchNorm?: boolean;
  /** LIF parameters of soft-LIF activations: a preset (default "thesis") and overrides. */
  neuron?: NeuronOptions;
  /**
   * Feedback alignment: errors travel back through fixed random matrices B_l instead of W_l
   * (default false).
   */
  feedbackAlignment?: boolean;
  /** Seed for He initialisation (and for the feedback matrices with feedback alignment). */
  seed?: number;
  runtime?: Runtime;
}

/** The resolved architecture, as saved in a model file. */
export interface MLPConfig {
  layers: number[];
  activations: ActivationName[];
  batchNorm: boolean;
  /** Present when an activation is soft-LIF. */
  neuron?: NeuronParams;
  /** Present (true) with feedback alignment. */
  feedbackAlignment?: boolean;
  /** With feedback alignment: the seed the feedback matrices B_l are drawn from (the model's seed). */
  feedbackSeed?: number;
}

/** PyTorch BatchNorm1d defaults. */
export const BATCH_NORM_MOMENTUM = 0.1;
export const BATCH_NORM_EPS = 1e-5;

export interface Layer {
  inputs: number;
  outputs: number;
  weight: string;
  bias: string;
  /** Batch-norm tensor prefix (layers.{i+1}), or undefined. */
  norm?: string;
  activation: number; // kernel code; the output layer has identity
  neuron: number; // the activation's parameter block, or 0
}

// Per-batch buffers, sized for `capacity` rows and reused until a larger batch arrives.
interface Workspace {
  capacity: number;
  arena: Arena;
  z: number[]; // linear outputs
  y: number[]; // batch-norm outputs (== z without batch norm)
  a: number[]; // activations (the last is the logits, == z)
  xHat: number[];
  mean: number[];
  invStd: number[];
  deltaA: number; // ping-pong gradient buffers, capacity × widest layer
  deltaB: number;
  gemmWork: number;
}

export class MLP {
  readonly config: MLPConfig;
  readonly params: ParameterSet;
  readonly runtime: Runtime;
  private readonly layerList: Layer[];
  /** The linear layers, input to output: widths, tensor names, activation code of their output. */
  get linearLayers(): readonly Readonly<Layer>[] {
    return this.layerList;
  }
  private ws?: Workspace;
  /** The neuron block soft-LIF layers point to (0 without soft-LIF). */
  private readonly neuronBlock: number;
  /** The feedback matrices B_1 … B_{L−1} in one allocation (0 without feedback alignment). */
  private readonly feedbackBlock: number;
  /** Per linear layer: its B_l (0 for layer 0 and without feedback alignment). */
  private readonly feedback: number[];

  constructor(options: MLPOptions) {
    this.config = resolveConfig(options);
    const seed = options.seed ?? 0;
    this.runtime = options.runtime ?? defaultRuntime();
    const { layers, activations, batchNorm, neuron } = this.config;
    this.neuronBlock = 0;
    if (neuron) {
      this.neuronBlock = this.runtime.heap.alloc(NEURON_BLOCK_BYTES);
      writeNeuronBlock(this.runtime.heap, this.neuronBlock, neuron);
    }
    const specs: TensorSpec[] = [];
    this.layerList = [];
    let index = 0;
    for (let l = 0; l + 1 < layers.length; l++) {
      const hidden = l + 2 < layers.length;
      const layer: Layer = {
        inputs: layers[l],
        outputs: layers[l + 1],
        weight: `layers.${index}.weight`,
        bias: `layers.${index}.bias`,
        activation: hidden ? activationCode(activations[l]) : 0,
        neuron: hidden && activations[l] === "softlif" ? this.neuronBlock : 0,
      };
      specs.push({ name: layer.weight, shape: [layer.outputs, layer.inputs], trainable: true });
      specs.push({ name: layer.bias, shape: [layer.outputs], trainable: true });
      index++;
      if (hidden && batchNorm) {
        layer.norm = `layers.${index}`;
        specs.push({ name: `${layer.norm}.weight`, shape: [layer.outputs], trainable: true });
        specs.push({ name: `${layer.norm}.bias`, shape: [layer.outputs], trainable: true });
        specs.push({ name: `${layer.norm}.running_mean`, shape: [layer.outputs], trainable: false });
        specs.push({ name: `${layer.norm}.running_var`, shape: [layer.outputs], trainable: false });
        index++;
      }
      if (hidden) index++; // the activation module
      this.layerList.push(layer);
    }
    this.params = new ParameterSet(this.runtime, specs);
    this.feedbackBlock = 0;
    this.feedback = this.layerList.map(() => 0);
    if (this.config.feedbackAlignment) this.feedbackBlock = this.drawFeedback(seed);
    this.initialize(seed);
  }

  get inputs(): number {
    return this.config.layers[0];
  }

  get minTrainingBatch(): number {
    return this.layerList.some((layer) => layer.norm) ? 2 : 1;
  }

  get outputs(): number {
    return this.config.layers[this.config.layers.length - 1];
  }

  /** He initialisation W ~ N(0, 2/fan_in), zero biases; batch norm γ = 1, β = 0, μ = 0, σ² = 1. */
  initialize(seed: number): void {
    const { kernels, heap } = this.runtime;
    const rng = heap.alloc(16);
    try {
      kernels.rngSeed(rng, seed, STREAM_INIT);
      for (const layer of this.layerList) {
        kernels.rngNormal(rng, layer.inputs * layer.outputs, 0, Math.sqrt(2 / layer.inputs), this.params.ptr(layer.weight));
        this.params.view(layer.bias).fill(0);
        if (layer.norm) {
          this.params.view(`${layer.norm}.weight`).fill(1);
          this.params.view(`${layer.norm}.bias`).fill(0);
          this.params.view(`${layer.norm}.running_mean`).fill(0);
          this.params.view(`${layer.norm}.running_var`).fill(1);
        }
      }
    } finally {
      heap.free(rng);
    }
  }

  /**
   * Pointer to the matrix (outputs × inputs of linear layer l, row-major) that layer l's backward
   * product δ_l · M uses, for l in 1 … L−1: the fixed random B_l with feedback alignment, else the
   * weight W_l itself. Valid until free().
   */
  feedbackWeight(l: number): number {
    const L = this.layerList.length;
    if (!Number.isInteger(l) || l < 1 || l >= L) {
      throw new RangeError(`feedbackWeight: layer ${l} has no backward product (expected an integer in 1 … ${L - 1})`);
    }
    return this.feedback[l] || this.params.ptr(this.layerList[l].weight);
  }

  // B_l ~ N(0, 2/fan_in) for l = 1 … L−1, in order, from (seed, STREAM_FEEDBACK): independent of W's
  // stream and of when or how often initialize() runs. Returns the block.
  private drawFeedback(seed: number): number {
    const { kernels, heap } = this.runtime;
    const offsets: number[] = [];
    let bytes = 0;
    this.layerList.forEach((layer, l) => {
      offsets.push(bytes);
      if (l > 0) bytes += Math.ceil((layer.inputs * layer.outputs * 4) / 16) * 16;
    });
    if (bytes === 0) return 0; // no hidden layer: nothing is ever sent back
    const block = heap.alloc(bytes);
    const rng = heap.alloc(16);
    try {
      kernels.rngSeed(rng, seed, STREAM_FEEDBACK);
      this.layerList.forEach((layer, l) => {
        if (l === 0) return;
        this.feedback[l] = block + offsets[l];
        kernels.rngNormal(rng, layer.inputs * layer.outputs, 0, Math.sqrt(2 / layer.inputs), this.feedback[l]);
      });
    } finally {
      heap.free(rng);
    }
    return block;
  }

  /**
   * Forward pass of B rows at xPtr (B × inputs, in wasm memory). Training mode uses batch
   * statistics and keeps what backward() needs. Returns a pointer to the B × outputs logits,
   * valid until the next forward().
   */
  forward(xPtr: number, B: number, training: boolean): number {
    if (training && B < this.minTrainingBatch) {
      throw new RangeError("batch norm in training needs at least 2 samples per batch (got 1): use a larger --batch-size");
    }
    const ws = this.workspace(B);
    const { kernels } = this.runtime;
    const p = this.params;
    let input = xPtr;
    this.layerList.forEach((layer, l) => {
      kernels.gemm(0, 1, B, layer.outputs, layer.inputs, input, layer.inputs, p.ptr(layer.weight), layer.inputs,
        ws.z[l], layer.outputs, 0, p.ptr(layer.bias), ws.gemmWork);
      if (layer.norm) {
        const n = layer.norm;
        if (training) {
          kernels.batchNormTrain(B, layer.outputs, ws.z[l], p.ptr(`${n}.weight`), p.ptr(`${n}.bias`), ws.y[l], ws.xHat[l],
            ws.mean[l], ws.invStd[l], p.ptr(`${n}.running_mean`), p.ptr(`${n}.running_var`), BATCH_NORM_MOMENTUM, BATCH_NORM_EPS);
        } else {
          kernels.batchNormInfer(B, layer.outputs, ws.z[l], p.ptr(`${n}.weight`), p.ptr(`${n}.bias`),
            p.ptr(`${n}.running_mean`), p.ptr(`${n}.running_var`), BATCH_NORM_EPS, ws.y[l], ws.invStd[l]);
        }
      }
      if (ws.a[l] !== ws.z[l]) kernels.activationForward(layer.activation, B * layer.outputs, ws.y[l], ws.a[l], layer.neuron);
      input = ws.a[l];
    });
    return ws.a[this.layerList.length - 1];
  }

  /**
   * Backward pass after forward(xPtr, B, true): from the loss gradient at the logits (B × outputs
   * at dLogits, which it may overwrite) to every parameter gradient in params.grads.
   */
  backward(xPtr: number, B: number, dLogits: number): void {
    const ws = this.ws!;
    const { kernels } = this.runtime;
    const p = this.params;
    let delta = dLogits; // dLoss/dz of the current layer
    for (let l = this.layerList.length - 1; l >= 0; l--) {
      const layer = this.layerList[l];
      const input = l === 0 ? xPtr : ws.a[l - 1];
      // dW = δᵀ · input, db = Σ_rows δ
      kernels.gemm(1, 0, layer.outputs, layer.inputs, B, delta, layer.outputs, input, layer.inputs,
        p.grad(layer.weight), layer.inputs, 0, 0, ws.gemmWork);
      kernels.columnSums(B, layer.outputs, delta, layer.outputs, p.grad(layer.bias), 0);
      if (l === 0) break;
      // δ_prev = (δ · W) ⊙ σ'(…), through the batch norm when there is one; feedback alignment
      // uses the fixed B_l in place of W_l.
      const prev = this.layerList[l - 1];
      const next = delta === ws.deltaA ? ws.deltaB : ws.deltaA;
      kernels.gemm(0, 0, B, layer.inputs, layer.outputs, delta, layer.outputs, this.feedback[l] || p.ptr(layer.weight), layer.inputs,
        next, layer.inputs, 0, 0, ws.gemmWork);
      kernels.activationBackward(prev.activation, B * prev.outputs, ws.y[l - 1], ws.a[l - 1], next, next, prev.neuron);
      if (prev.norm) {
        const n = prev.norm;
        kernels.batchNormBackward(B, prev.outputs, next, ws.xHat[l - 1], p.ptr(`${n}.weight`), ws.invStd[l - 1],
          next, p.grad(`${n}.weight`), p.grad(`${n}.bias`));
      }
      delta = next;
    }
  }

  /** Pointer to layer l's linear output z = a·Wᵀ + b (B × outputs) from the last forward(). */
  linearOutput(l: number): number {
    if (!this.ws) throw new Error("linearOutput: no forward pass has run");
    return this.ws.z[l];
  }

  /** Backprop: forward in training mode, the loss gradient at the logits, backward, one update. */
  trainBatch(batch: BatchBuffer, B: number, outputLoss: OutputLoss, optimizer: Optimizer): StepResult {
    const logits = this.forward(batch.x, B, true);
    // Gradients of the summed loss, divided by B once at the end: the same order of operations as
    // predictive coding's local updates, so Z-IL reproduces these weights bit for bit.
    const loss = lossAndGradient(this.runtime, outputLoss, logits, batch.targets, B, this.outputs, batch.grad, 1);
    if (Number.isFinite(loss)) {
      this.backward(batch.x, B, batch.grad);
      this.runtime.kernels.scale(this.params.length, 1 / B, this.params.grads);
      optimizer.step();
    }
    return { logits, loss };
  }

  /** Logits for `count` rows of `x` (a plain array, count × inputs), in inference mode. */
  predict(x: Float32Array, count = x.length / this.inputs): Float32Array {
    if (!Number.isInteger(count) || x.length !== count * this.inputs) {
      throw new RangeError(`predict: expected rows of ${this.inputs} values, got ${x.length} values`);
    }
    const heap = this.runtime.heap;
    const xPtr = heap.alloc(x.length * 4);
    try {
      heap.f32(xPtr, x.length).set(x);
      const logits = this.forward(xPtr, count, false);
      return heap.f32(logits, count * this.outputs).slice();
    } finally {
      heap.free(xPtr);
    }
  }

  /** Release the model's wasm memory. */
  free(): void {
    this.ws?.arena.release();
    this.ws = undefined;
    this.params.free();
    if (this.neuronBlock) this.runtime.heap.free(this.neuronBlock);
    if (this.feedbackBlock) this.runtime.heap.free(this.feedbackBlock);
  }

  private workspace(B: number): Workspace {
    if (this.ws && this.ws.capacity >= B) return this.ws;
    this.ws?.arena.release();
    const arena = new Arena(this.runtime.heap);
    const cap = Math.max(B, 1);
    const L = this.layerList.length;
    const ws: Workspace = { capacity: cap, arena, z: [], y: [], a: [], xHat: [], mean: [], invStd: [], deltaA: 0, deltaB: 0, gemmWork: 0 };
    let widest = 0;
    let work = 0;
    this.layerList.forEach((layer, l) => {
      const n = cap * layer.outputs;
      ws.z.push(arena.allocF32(n));
      ws.y.push(layer.norm ? arena.allocF32(n) : ws.z[l]);
      ws.a.push(l + 1 < L ? arena.allocF32(n) : ws.z[l]);
      ws.xHat.push(layer.norm ? arena.allocF32(n) : 0);
      ws.mean.push(layer.norm ? arena.allocF32(layer.outputs) : 0);
      ws.invStd.push(layer.norm ? arena.allocF32(layer.outputs) : 0);
      widest = Math.max(widest, layer.inputs, layer.outputs);
      const k = this.runtime.kernels;
      work = Math.max(work,
        k.gemmWorkspaceBytes(cap, layer.outputs, layer.inputs),
        k.gemmWorkspaceBytes(layer.outputs, layer.inputs, cap),
        k.gemmWorkspaceBytes(cap, layer.inputs, layer.outputs));
    });
    ws.deltaA = arena.allocF32(cap * widest);
    ws.deltaB = arena.allocF32(cap * widest);
    ws.gemmWork = arena.alloc(work);
    this.ws = ws;
    return ws;
  }
}

/** PRNG streams: the same seed gives independent sequences for each purpose. */
export const STREAM_INIT = 1;
export const STREAM_SHUFFLE = 2;
export const STREAM_FEEDBACK = 3;

function resolveConfig(options: MLPOptions): MLPConfig {
  const { layers } = options;
  if (!Array.isArray(layers) || layers.length < 2) {
    throw new RangeError(`MLP layers: need at least an input and an output width, got ${JSON.stringify(layers)}`);
  }
  layers.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1) throw new RangeError(`MLP layers[${i}]: width must be a positive integer, got ${w}`);
  });
  const hidden = layers.length - 2;
  const given = options.activation ?? "relu";
  if (!Array.isArray(given) && !ACTIVATIONS.includes(given)) {
    throw new RangeError(`MLP activation: unknown activation "${given}" (expected ${ACTIVATIONS.join(", ")})`);
  }
  const activations = Array.isArray(given) ? [...given] : Array<ActivationName>(hidden).fill(given);
  if (activations.length !== hidden) {
    throw new RangeError(`MLP activation: ${activations.length} activations given for ${hidden} hidden layers`);
  }
  activations.forEach((a, i) => {
    if (!ACTIVATIONS.includes(a)) throw new RangeError(`MLP activation[${i}]: unknown activation "${a}" (expected ${ACTIVATIONS.join(", ")})`);
  });
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`MLP seed: must be an integer in [0, 2^32), got ${seed}`);
  const fa = options.feedbackAlignment ?? false;
  if (typeof fa !== "boolean") throw new RangeError(`MLP feedbackAlignment: must be true or false, got ${JSON.stringify(fa)}`);
  const config: MLPConfig = { layers: [...layers], activations, batchNorm: options.batchNorm ?? false };
  if (activations.includes("softlif")) config.neuron = resolveNeuron(options.neuron, "MLP neuron");
  if (fa) {
    config.feedbackAlignment = true;
    config.feedbackSeed = seed;
  }
  return config;
}
