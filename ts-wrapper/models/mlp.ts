// The backprop feedforward network: a multilayer perceptron (z = a·Wᵀ + b, optional batch norm,
// a = σ(z), any depth) or, from an architecture spec (models/arch.ts), a convolutional network. It is
// a list of layers laid out as PyTorch's nn.Sequential — Linear or Conv2d at layers.{i}, BatchNorm1d
// or BatchNorm2d at layers.{i+1}, then the activation module; pooling and Flatten hold their own
// places — so a PyTorch user can load the weights as they are.
//
// Feedback alignment (Lillicrap et al. 2016; SCIENCE.md §4, thesis §3.5.5): backprop sends the error
// back through the transposed forward weights, δ_{l−1} = (δ_l · W_l) ⊙ σ'(z_{l−1}) — the weight
// transport problem. With `feedbackAlignment` the backward product uses a fixed random matrix B_l
// of W_l's shape instead, drawn once from the model's seed on its own PRNG stream (STREAMS.feedback)
// with W's He distribution N(0, 2/fan_in) and never trained. The weight gradients δᵀ·input keep
// their form; only the δ reaching the hidden layers changes. B_l is not a parameter: it is not in
// `params` nor in a model file, and is regenerated from the seed (config.feedbackSeed) and the
// architecture. Layer 0 has none: its backward product is never computed.
//
// Direct feedback alignment (Nøkland 2016, the thesis's reference [14]): no error travels down
// through the layers at all. The output error e (the loss gradient at the logits) reaches the
// input of every weight layer l ≥ 1 through a fixed random D_l (outputs × that layer's inputs),
// drawn from the same stream with N(0, 2/inputs_l), so the last hidden layer too gets e·D rather
// than e·W: δ_{l−1} = (e · D_l) ⊙ σ'(z_{l−1}), passing through pooling as any error does.

import type { BatchBuffer } from "../batch.js";
import { OptionError } from "../errors.js";
import { Activation, BatchNorm1d, BatchNorm2d, Conv2d, Flatten, IN_PLACE_BACKWARD, Linear, Pool2d, type Layer, type WeightModule } from "../layers/index.js";
import { ACTIVATIONS, neuronBlock, type ActivationName, type NeuronParams } from "../ops/activation.js";
import { scale } from "../ops/elementwise.js";
import { linearInputGrad, linearWorkBytes } from "../ops/linear.js";
import { argmaxRows, lossAndGradient, softmaxRows, type OutputLoss } from "../ops/loss.js";
import { Rng, STREAMS } from "../ops/rng.js";
import { ParameterSet } from "../params.js";
import { runtime as defaultRuntime } from "../runtime.js";
import { Bytes, Matrix } from "../tensor.js";
import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import { resolveArch, shapedLayers, type ResolvedArch } from "./arch.js";
import { resolveNeuron, type NeuronOptions } from "./neuron.js";

export interface MLPOptions {
  /** Layer widths from input to output, e.g. [784, 256, 256, 10] (or `arch`). */
  layers?: number[];
  /**
   * An architecture spec such as "conv32k5p2,avgpool2,conv64k5p2,avgpool2,fc256,fc10"
   * (models/arch.ts), from `inputShape`; instead of `layers`.
   */
  arch?: string;
  /** The sample shape `arch` starts from: [C, H, W] (or [F] for an fc-only spec). */
  inputShape?: number[];
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
  /** Direct feedback alignment: the output error goes to every hidden layer through fixed random matrices (default false). */
  directFeedbackAlignment?: boolean;
  /**
   * Noise-aware training (Hunsberger & Eliasmith 2015): the standard deviation of Gaussian noise
   * added to every soft-LIF activation in training, standing in for the variability of spike
   * trains (default 0, none). Drawn from the model's own stream of the seed.
   */
  noise?: number;
  /** Seed for He initialisation (and for the feedback matrices with feedback alignment, and the noise). */
  seed?: number;
  runtime?: Runtime;
}

/** The resolved architecture, as saved in a model file. */
export interface MLPConfig {
  /** The width entering each weight layer (Linear or Conv2d, flattened), then the output width. */
  layers: number[];
  /** A convolutional network's spec (canonical form) and sample shape; absent for an MLP. */
  arch?: string;
  inputShape?: number[];
  activations: ActivationName[];
  batchNorm: boolean;
  /** Present when an activation is soft-LIF. */
  neuron?: NeuronParams;
  /** Present (true) with feedback alignment. */
  feedbackAlignment?: boolean;
  /** Present (true) with direct feedback alignment. */
  directFeedbackAlignment?: boolean;
  /** With (direct) feedback alignment: the seed the feedback matrices are drawn from (the model's seed). */
  feedbackSeed?: number;
  /** Present (> 0) with noise-aware training: the noise's standard deviation. */
  noise?: number;
}

/** What a training step reads of a staged batch: B rows of inputs and targets, and room for a gradient. */
export type StagedBatch = ReturnType<BatchBuffer["rows"]>;

export interface StepResult {
  /** The B × outputs logits of the feedforward pass the step started from. */
  logits: Matrix;
  /** Their mean loss: what the model scored on this batch before the update. */
  loss: number;
}

/** Applies one parameter update from the gradients in params.grads (an Optimizer). */
export interface Update {
  step(): void;
}

/** A weight layer (Linear or Conv2d) with the activation applied to its output (none for the output layer). */
export interface WeightLayer {
  linear: WeightModule;
  activation?: Activation;
}

export class MLP {
  readonly config: MLPConfig;
  readonly params: ParameterSet;
  readonly runtime: Runtime;
  /** The nn.Sequential, input to output. */
  readonly layers: readonly Layer[];
  private readonly weightLayerList: WeightLayer[];
  private capacity = 0;
  private arena?: Arena;
  /** Ping-pong buffers for the errors going backward, capacity × widest layer. */
  private deltas: Matrix[] = [];
  /** Scratch of direct feedback alignment's products e · D. */
  private directWork?: Bytes;
  /** The neuron block soft-LIF layers read (without soft-LIF, none). */
  private readonly neuron?: Bytes;
  /** Noise-aware training's generator, shared by the soft-LIF layers in order. */
  private readonly noiseRng?: Rng;

  constructor(options: MLPOptions) {
    this.config = resolveConfig(options);
    const seed = options.seed ?? 0;
    this.runtime = options.runtime ?? defaultRuntime();
    const { activations, batchNorm, neuron } = this.config;
    if (neuron) this.neuron = neuronBlock(this.runtime, neuron);
    const layers: Layer[] = [];
    this.weightLayerList = [];
    let hidden = 0;
    for (const spec of shapedLayers(this.config)) {
      const inputs = spec.input.reduce((a, b) => a * b, 1);
      let module: WeightModule;
      if (spec.kind === "conv") {
        const [channels, height, width] = spec.input;
        module = new Conv2d(layers.length, { channels, height, width, outChannels: spec.channels, kernel: spec.kernel, stride: spec.stride, padding: spec.padding });
      } else if (spec.kind === "fc") {
        if (spec.input.length > 1) layers.push(new Flatten(layers.length, inputs));
        module = new Linear(layers.length, inputs, spec.units);
      } else {
        const [channels, height, width] = spec.input;
        layers.push(new Pool2d(layers.length, spec.kind, { channels, height, width, kernel: spec.kernel }));
        continue;
      }
      layers.push(module);
      const weightLayer: WeightLayer = { linear: module };
      if (hidden < activations.length) {
        if (batchNorm) {
          const [channels, ...space] = spec.output;
          const norm = space.length ? new BatchNorm2d(layers.length, channels, space[0] * space[1]) : new BatchNorm1d(layers.length, channels);
          module.norm = norm.prefix;
          layers.push(norm);
        }
        const name = activations[hidden++];
        weightLayer.activation = new Activation(layers.length, module.outputs, name, name === "softlif" ? this.neuron : undefined);
        layers.push(weightLayer.activation);
      }
      this.weightLayerList.push(weightLayer);
    }
    this.layers = layers;
    if (this.config.noise) {
      this.noiseRng = new Rng(this.runtime, seed, STREAMS.noise);
      for (const { activation } of this.weightLayerList) if (activation?.name === "softlif") activation.setNoise(this.config.noise, this.noiseRng);
    }
    this.params = new ParameterSet(this.runtime, layers.flatMap((layer) => layer.tensors()));
    for (const layer of layers) layer.bind(this.params);
    if (this.config.feedbackAlignment || this.config.directFeedbackAlignment) this.drawFeedback(seed);
    this.initialize(seed);
  }

  /** The weight layers (Linear and Conv2d), input to output: widths, tensor names, the batch norm that follows. */
  get linearLayers(): readonly WeightModule[] {
    return this.weightLayerList.map((w) => w.linear);
  }

  /** Each linear layer with the activation of its output. */
  get weightLayers(): readonly WeightLayer[] {
    return this.weightLayerList;
  }

  get inputs(): number {
    return this.config.layers[0];
  }

  /** The sample shape: [C, H, W] for a convolutional network, [inputs] for an MLP. */
  get inputShape(): number[] {
    return this.config.inputShape ? [...this.config.inputShape] : [this.inputs];
  }

  get outputs(): number {
    return this.config.layers[this.config.layers.length - 1];
  }

  get minTrainingBatch(): number {
    return this.config.batchNorm && this.weightLayerList.length > 1 ? 2 : 1;
  }

  /** He initialisation W ~ N(0, 2/fan_in), zero biases; batch norm γ = 1, β = 0, μ = 0, σ² = 1. */
  initialize(seed: number): void {
    const rng = new Rng(this.runtime, seed, STREAMS.init);
    try {
      for (const layer of this.layers) layer.initialize(rng);
    } finally {
      rng.free();
    }
  }

  /**
   * The matrix that sends an error to the inputs of linear layer l, for l in 1 … L−1: the weight W_l
   * itself (its outputs × inputs), the fixed random B_l of its shape with feedback alignment, or with
   * direct feedback alignment D_l (the network's outputs × layer l's inputs), which takes the output error.
   */
  feedbackWeight(l: number): Matrix {
    const L = this.weightLayerList.length;
    if (!Number.isInteger(l) || l < 1 || l >= L) {
      throw new RangeError(`feedbackWeight: layer ${l} has no backward product (expected an integer in 1 … ${L - 1})`);
    }
    const linear = this.weightLayerList[l].linear;
    return linear.directFeedback ?? linear.backwardMatrix();
  }

  // B_l ~ N(0, 2/fan_in) for l = 1 … L−1, in order, from (seed, STREAMS.feedback): independent of W's
  // stream and of when or how often initialize() runs.
  private drawFeedback(seed: number): void {
    const rng = new Rng(this.runtime, seed, STREAMS.feedback);
    try {
      this.weightLayerList.forEach(({ linear }, l) => {
        if (l === 0) return;
        if (this.config.directFeedbackAlignment) {
          linear.directFeedback = new Matrix(this.runtime, this.outputs, linear.inputs);
          rng.normal(linear.directFeedback, 0, Math.sqrt(2 / linear.inputs));
          return;
        }
        const w = linear.weights();
        linear.feedback = new Matrix(this.runtime, w.rows, w.cols);
        rng.normal(linear.feedback, 0, Math.sqrt(2 / linear.fanIn));
      });
    } finally {
      rng.free();
    }
  }

  /**
   * Forward pass of the rows of x (B × inputs). Training mode uses batch statistics and keeps what
   * backward() needs. Returns the B × outputs logits, valid until the next forward().
   */
  forward(x: Matrix, training: boolean): Matrix {
    if (training && x.rows < this.minTrainingBatch) {
      throw new OptionError("batchSize", `batch norm in training needs at least 2 samples per batch, got ${x.rows}`);
    }
    this.allocate(x.rows);
    let y = x;
    for (const layer of this.layers) y = layer.forward(y, training);
    return y;
  }

  /**
   * Backward pass after forward(x, true): from the loss gradient at the logits (B × outputs, which
   * it may overwrite) to every parameter gradient in params.grads.
   */
  backward(dLogits: Matrix): void {
    const B = dLogits.rows;
    let delta = dLogits; // dLoss/d(output) of the current layer
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      if (i === 0) {
        layer.backward(delta);
        break;
      }
      if (IN_PLACE_BACKWARD.has(layer.kind)) {
        layer.backward(delta, delta);
        continue;
      }
      // δ_prev = δ · W (or feedback alignment's B, or through pooling) into the other ping-pong buffer
      // — or, with direct feedback alignment, the output error e · D.
      const next = (delta.ptr === this.deltas[0].ptr ? this.deltas[1] : this.deltas[0]).prefix(B, layer.inputs);
      const direct = (layer as Partial<WeightModule>).directFeedback;
      if (direct) {
        layer.backward(delta);
        linearInputGrad(dLogits, direct, next, this.directWork!);
      } else {
        layer.backward(delta, next);
      }
      delta = next;
    }
  }

  /** Layer l's linear output z = a·Wᵀ + b (B × outputs) from the last forward(). */
  linearOutput(l: number): Matrix {
    return this.weightLayerList[l].linear.output;
  }

  /** Backprop: forward in training mode, the loss gradient at the logits, backward, one update. */
  trainBatch(batch: StagedBatch, outputLoss: OutputLoss, optimizer: Update): StepResult {
    const logits = this.forward(batch.x, true);
    // Gradients of the summed loss, divided by B once at the end: the same order of operations as
    // predictive coding's local updates, so Z-IL reproduces these weights bit for bit.
    const loss = lossAndGradient(outputLoss, logits, batch.targets, batch.grad, 1);
    if (Number.isFinite(loss)) {
      this.backward(batch.grad);
      scale(1 / batch.x.rows, this.params.grads);
      optimizer.step();
    }
    return { logits, loss };
  }

  /** Logits for `count` rows of `x` (a plain array, count × inputs), in inference mode. */
  logits(x: Float32Array, count = x.length / this.inputs): Float32Array {
    return this.infer(x, count, "logits", (logits) => logits.toArray());
  }

  /** Class probabilities (softmax of the logits), count × outputs. */
  predictProba(x: Float32Array, count = x.length / this.inputs): Float32Array {
    return this.infer(x, count, "predictProba", (logits) => {
      softmaxRows(logits, logits);
      return logits.toArray();
    });
  }

  /** The predicted class of each row (the largest logit; ties: the first). */
  predict(x: Float32Array, count = x.length / this.inputs): Int32Array {
    return this.infer(x, count, "predict", (logits) => {
      const classes = new Bytes(this.runtime, 4 * Math.max(count, 1));
      try {
        argmaxRows(logits, classes);
        return classes.i32(count).slice();
      } finally {
        classes.free();
      }
    });
  }

  /** Release the model's wasm memory. */
  /** With noise-aware training, a checkpoint keeps the noise generator's state, so a resumed run draws on. */
  checkpointState(): unknown {
    return this.noiseRng ? { noise: this.noiseRng.save() } : undefined;
  }

  restoreCheckpointState(state: unknown, source: string): void {
    if (!this.noiseRng) return;
    const hex = (state as { noise?: unknown } | undefined)?.noise;
    if (typeof hex !== "string") throw new Error(`${source}: the checkpoint has no noise generator state, which this noise-aware run needs`);
    this.noiseRng.restore(hex);
  }

  free(): void {
    this.arena?.release();
    this.arena = undefined;
    this.capacity = 0;
    this.params.free();
    this.neuron?.free();
    this.noiseRng?.free();
    for (const { linear } of this.weightLayerList) {
      linear.feedback?.free();
      linear.directFeedback?.free();
    }
  }

  private infer<T>(x: Float32Array, count: number, what: string, read: (logits: Matrix) => T): T {
    if (!Number.isInteger(count) || x.length !== count * this.inputs) {
      throw new RangeError(`${what}: expected rows of ${this.inputs} values, got ${x.length} values`);
    }
    const input = Matrix.from(this.runtime, count, this.inputs, x);
    try {
      return read(this.forward(input, false));
    } finally {
      input.free();
    }
  }

  // Per-batch buffers, sized for `capacity` rows and kept until a larger batch arrives.
  private allocate(B: number): void {
    if (this.arena && this.capacity >= B) return;
    this.arena?.release();
    const arena = new Arena(this.runtime.heap);
    const capacity = Math.max(B, 1);
    for (const layer of this.layers) layer.allocate(arena, capacity);
    const widest = Math.max(...this.layers.map((layer) => Math.max(layer.inputs, layer.outputs)));
    this.deltas = [Matrix.scratch(this.runtime, arena, capacity, widest), Matrix.scratch(this.runtime, arena, capacity, widest)];
    if (this.config.directFeedbackAlignment) this.directWork = new Bytes(this.runtime, linearWorkBytes(this.runtime, capacity, widest, this.outputs), arena);
    this.arena = arena;
    this.capacity = capacity;
  }
}

/** The options that rebuild a config's layers: its arch and sample shape, or its widths. */
export function layerOptions(config: ResolvedArch): Pick<MLPOptions, "layers" | "arch" | "inputShape"> {
  return config.arch ? { arch: config.arch, inputShape: config.inputShape } : { layers: config.layers };
}

function resolveLayers(options: MLPOptions): ResolvedArch {
  if (options.arch === undefined) return { layers: options.layers! };
  if (options.layers !== undefined) throw new OptionError("arch", "give the layers as arch or as layers, not both");
  if (options.inputShape === undefined) throw new OptionError("inputShape", "an arch spec needs the sample shape it starts from");
  return resolveArch(options.arch, options.inputShape);
}

function resolveConfig(options: MLPOptions): MLPConfig {
  const { layers, arch, inputShape } = resolveLayers(options);
  if (!Array.isArray(layers) || layers.length < 2) {
    throw new OptionError("layers", `need at least an input and an output width, got ${JSON.stringify(layers)}`);
  }
  layers.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1) throw new OptionError(`layers[${i}]`, `width must be a positive integer, got ${w}`);
  });
  const hidden = layers.length - 2;
  const given = options.activation ?? "relu";
  if (!Array.isArray(given) && !ACTIVATIONS.includes(given)) {
    throw new OptionError("activation", `unknown activation "${given}" (expected ${ACTIVATIONS.join(", ")})`);
  }
  const activations = Array.isArray(given) ? [...given] : Array<ActivationName>(hidden).fill(given);
  if (activations.length !== hidden) {
    throw new OptionError("activation", `${activations.length} activations given for ${hidden} hidden layers`);
  }
  activations.forEach((a, i) => {
    if (!ACTIVATIONS.includes(a)) throw new OptionError(`activation[${i}]`, `unknown activation "${a}" (expected ${ACTIVATIONS.join(", ")})`);
  });
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new OptionError("seed", `must be an integer in [0, 2^32), got ${seed}`);
  const fa = options.feedbackAlignment ?? false;
  if (typeof fa !== "boolean") throw new OptionError("feedbackAlignment", `must be true or false, got ${JSON.stringify(fa)}`);
  const dfa = options.directFeedbackAlignment ?? false;
  if (typeof dfa !== "boolean") throw new OptionError("directFeedbackAlignment", `must be true or false, got ${JSON.stringify(dfa)}`);
  if (fa && dfa) throw new OptionError("directFeedbackAlignment", "not with feedbackAlignment: give one of them");
  const config: MLPConfig = { layers: [...layers], ...(arch ? { arch, inputShape } : {}), activations, batchNorm: options.batchNorm ?? false };
  if (activations.includes("softlif")) config.neuron = resolveNeuron(options.neuron);
  if (fa) config.feedbackAlignment = true;
  if (dfa) config.directFeedbackAlignment = true;
  if (fa || dfa) config.feedbackSeed = seed;
  const noise = options.noise ?? 0;
  if (typeof noise !== "number" || !Number.isFinite(noise) || noise < 0) throw new OptionError("noise", `must be a finite number ≥ 0, got ${noise}`);
  if (noise > 0) {
    if (!activations.includes("softlif")) throw new OptionError("noise", "noise-aware training adds noise to soft-LIF activations; this network has none");
    config.noise = noise;
  }
  return config;
}
