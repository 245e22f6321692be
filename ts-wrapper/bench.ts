// Micro-benchmarks with the shapes of ../shared/baselines/, so figures compare side by side:
// the first layer of a 784-256-256-10 MLP at batch 128 in the three GEMM orientations, one SGD
// step of that MLP with softmax cross-entropy, one inference-learning step of the same network
// as a predictive coding network, and the conv bench net's second convolution and training step.

import { BatchBuffer } from "./batch.js";
import type { Dataset } from "./datasets/dataset.js";
import { buildModel } from "./job/run.js";
import { resolveJob } from "./job/spec.js";
import { fusedLinearLayers } from "./models/fuse.js";
import { MLP } from "./models/mlp.js";
import { PCN } from "./models/pcn.js";
import type { NeuronParams } from "./models/neuron.js";
import { SNN, type SimulationOptions, type SpikingRun, type SynapseWeights } from "./models/snn.js";
import { conv2d, conv2dInputGrad, conv2dWeightGrad, convWorkBytes, type ConvShape } from "./ops/conv.js";
import { linearInputGrad, linearWeightGrad, linear, linearWorkBytes } from "./ops/linear.js";
import { Rng } from "./ops/rng.js";
import { lifStep } from "./ops/spiking.js";
import { Bytes, Matrix } from "./tensor.js";
import { Optimizer } from "./training/optimizers.js";
import { train } from "./training/trainer.js";
import type { Runtime } from "./wasm/load.js";

/** Median over `repeats` of the mean seconds per call of `fn`, each repeat lasting ≥ minSeconds. */
export function medianSeconds(fn: () => void, repeats: number, minSeconds = 0.2): number {
  for (let i = 0; i < 3; i++) fn(); // warm-up: let V8 tier up the wasm
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    if ((performance.now() - t0) / 1000 >= minSeconds / 4 || inner >= 1 << 20) break;
    inner *= 2;
  }
  inner = Math.max(1, inner * 4);
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - t0) / 1000 / inner);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export interface GemmFigure {
  gflops: number;
  ms: number;
}

const B = 128;
const IN = 784;
const OUT = 256;

/** The three orientations backprop needs, named as the baseline names them. */
export function benchGemm(rt: Runtime, repeats: number): Record<string, GemmFigure> {
  const rng = new Rng(rt, 0, 0);
  const random = (rows: number, cols: number) => {
    const m = new Matrix(rt, rows, cols);
    rng.normal(m, 0, 1);
    return m;
  };
  const X = random(B, IN), W = random(OUT, IN), dZ = random(B, OUT);
  const Z = new Matrix(rt, B, OUT), dX = new Matrix(rt, B, IN), dW = new Matrix(rt, OUT, IN);
  const work = new Bytes(rt, linearWorkBytes(rt, B, IN, OUT));
  const cases: Record<string, () => void> = {
    fwd_128x784x256: () => linear(X, W, undefined, Z, work), // Z = X Wᵀ
    bwd_data_128x256x784: () => linearInputGrad(dZ, W, dX, work), // dX = dZ W
    bwd_weight_256x128x784: () => linearWeightGrad(dZ, X, dW, work), // dW = dZᵀ X
  };
  const flops = 2 * B * IN * OUT;
  const figures: Record<string, GemmFigure> = {};
  for (const [name, fn] of Object.entries(cases)) {
    const s = medianSeconds(fn, repeats);
    figures[name] = { gflops: round(flops / s / 1e9, 2), ms: round(s * 1e3, 4) };
  }
  for (const m of [X, W, dZ, Z, dX, dW]) m.free();
  work.free();
  rng.free();
  return figures;
}

/** The conv bench net of ../shared/baselines/torch_conv.py, and its batch. */
export const CONVNET_ARCH = "conv32k5p2,avgpool2,conv64k5p2,avgpool2,fc256,fc10";
const CONV_BATCH = 64;

/**
 * The net's second convolution (32 → 64 channels, 5×5, padding 2, 14×14 maps, batch 64) in the
 * three orientations of backprop, keyed as torch_conv.py keys them.
 */
export function benchConv(rt: Runtime, repeats: number): Record<string, GemmFigure> {
  const shape: ConvShape = { channels: 32, height: 14, width: 14, outChannels: 64, kernel: 5, stride: 1, padding: 2 };
  const rng = new Rng(rt, 0, 0);
  const random = (rows: number, cols: number) => {
    const m = new Matrix(rt, rows, cols);
    rng.uniform(m, 0, 1);
    return m;
  };
  const X = random(CONV_BATCH, 32 * 196), W = random(64, 32 * 25), dY = random(CONV_BATCH, 64 * 196);
  const Y = new Matrix(rt, CONV_BATCH, 64 * 196), dX = new Matrix(rt, CONV_BATCH, 32 * 196), dW = new Matrix(rt, 64, 32 * 25);
  const work = new Bytes(rt, convWorkBytes(rt, shape));
  const cases: Record<string, () => void> = {
    fwd_b64_32x14x14_to_64_k5: () => conv2d(X, shape, W, undefined, Y, work),
    bwd_data_b64_64x14x14_to_32_k5: () => conv2dInputGrad(dY, shape, W, dX, work),
    bwd_weight_b64_64x32_k5: () => conv2dWeightGrad(X, shape, dY, dW, undefined, work),
  };
  const flops = 2 * CONV_BATCH * 64 * 196 * 32 * 25;
  const figures: Record<string, GemmFigure> = {};
  for (const [name, fn] of Object.entries(cases)) {
    const s = medianSeconds(fn, repeats);
    figures[name] = { gflops: round(flops / s / 1e9, 2), ms: round(s * 1e3, 4) };
  }
  for (const m of [X, W, dY, Y, dX, dW]) m.free();
  work.free();
  rng.free();
  return figures;
}

/** One SGD step (lr 0.01, momentum 0.9, as torch_conv.py) of the conv bench net at batch 64, softmax cross-entropy. */
export function benchConvnetStep(rt: Runtime, repeats: number): { ms_per_step: number; batch: number; arch: string } {
  const model = new MLP({ arch: CONVNET_ARCH, inputShape: [1, 28, 28], seed: 0, runtime: rt });
  const s = timeSteps(rt, model, "ce", repeats, CONV_BATCH, 0.9);
  model.free();
  return { ms_per_step: s, batch: CONV_BATCH, arch: CONVNET_ARCH };
}

/**
 * One inference-learning step of the conv bench net (T = 7, γ = 0.1, as PCX's VGG-5 figure; SGD lr
 * 0.01, momentum 0.9, softmax cross-entropy output), to set against convnet.ms_per_step.
 */
export function benchConvPcStep(rt: Runtime, repeats: number): { ms_per_step: number; T: number; batch: number; arch: string } {
  const model = new PCN({ arch: CONVNET_ARCH, inputShape: [1, 28, 28], seed: 0, runtime: rt, algo: "il", T: 7, gamma: 0.1 });
  const s = timeSteps(rt, model, "ce", repeats, CONV_BATCH, 0.9);
  model.free();
  return { ms_per_step: s, T: 7, batch: CONV_BATCH, arch: CONVNET_ARCH };
}

/** One SGD step (lr 0.01) of a 784-256-256-10 ReLU MLP at batch 128, softmax cross-entropy. */
export function benchMlpStep(rt: Runtime, repeats: number): { ms_per_step: number; batch: number; layers: number[] } {
  const model = new MLP({ layers: LAYERS, seed: 0, runtime: rt });
  const s = timeSteps(rt, model, "ce", repeats);
  model.free();
  return { ms_per_step: s, batch: B, layers: LAYERS };
}

/** One inference-learning step (T = 20, γ = 0.1, SGD lr 0.01) of the same network, squared-error output. */
export function benchPcStep(rt: Runtime, repeats: number): { ms_per_step: number; T: number; batch: number; layers: number[] } {
  const model = new PCN({ layers: LAYERS, seed: 0, runtime: rt, algo: "il", T: 20, gamma: 0.1 });
  const s = timeSteps(rt, model, "mse", repeats);
  model.free();
  return { ms_per_step: s, T: 20, batch: B, layers: LAYERS };
}

const LAYERS = [784, 256, 256, 10];

/**
 * LIF neuron updates per second: 65 536 neurons with constant currents spread over [0, 3] (about
 * two thirds above threshold), stepped 100 times at dt 1 ms with the thesis's τ_RC and t_ref.
 */
export function benchLif(rt: Runtime, repeats: number): { neuron_updates_per_s: number; neurons: number; steps: number } {
  const n = 65536;
  const steps = 100;
  const rng = new Rng(rt, 0, 0);
  const [current, voltage, refractory, spikes] = Array.from({ length: 4 }, () => new Matrix(rt, 1, n));
  rng.uniform(current, 0, 3);
  const state = { current, voltage, refractory, spikes };
  const neuron = { tauRc: 0.02, tRef: 0.004 };
  const s = medianSeconds(() => {
    for (let t = 0; t < steps; t++) lifStep(neuron, 0.001, 1, state);
  }, repeats);
  for (const m of [current, voltage, refractory, spikes]) m.free();
  rng.free();
  return { neuron_updates_per_s: Math.round((n * steps) / s), neurons: n, steps };
}

/**
 * Spiking inference of a 784-256-256-10 LIF network, as ../shared/baselines/torch_snn.py runs it:
 * a batch of 100 uniform random images, Poisson input, 0.2 s at dt 1 ms, τ_RC 0.02, t_ref 0.004,
 * weights N(0, 2/fan_in), biases 0.5, no synaptic filter, spikes of value 1 (amplitude = dt). Our
 * Poisson input spikes have area t_ref (value t_ref/dt = 4 where the baseline's are 1), so the first
 * layer's weights are divided by t_ref/dt: every current is the baseline's.
 */
export function benchSnn(rt: Runtime, repeats: number): { images_per_s: number; time: number; dt: number; batch: number; layers: number[]; firing_rates_hz: number[] } {
  const batch = 100, time = 0.2, dt = 0.001, tRef = 0.004;
  const rng = new Rng(rt, 0, 0);
  const draw = (n: number, sample: (m: Matrix) => void) => {
    const m = new Matrix(rt, 1, n);
    sample(m);
    const values = m.toArray();
    m.free();
    return values;
  };
  const layers = LAYERS.slice(1).map((outputs, l) => {
    const inputs = LAYERS[l];
    const weight = draw(outputs * inputs, (m) => rng.normal(m, 0, Math.sqrt(2 / inputs)));
    if (l === 0) for (let i = 0; i < weight.length; i++) weight[i] /= tRef / dt;
    return { weight, bias: new Float32Array(outputs).fill(0.5) };
  });
  const images = draw(batch * IN, (m) => rng.uniform(m, 0, 1));
  rng.free();
  const snn = new SNN(LAYERS, { tauRc: 0.02, tRef, amplitude: dt, gain: 1, smoothing: 0 }, layers, rt);
  const options: SimulationOptions = { time, dt, encoding: "poisson", synapse: "none", batchSize: batch, readoutTimes: [time] };
  let rates: number[] = [];
  const s = medianSeconds(() => (rates = snn.simulate(images, batch, options).firingRates), repeats, 1);
  snn.free();
  return { images_per_s: round(batch / s, 2), time, dt, batch, layers: LAYERS, firing_rates_hz: rates.map((r) => round(r, 1)) };
}

/**
 * The real spiking workload: a trained network on MNIST test digits, whose input is sparse (most
 * pixels are 0 and never fire) and whose hidden neurons fire at tens of Hz, not the hundreds that
 * random images and weights give. The network is compare-quick.json's "Backprop → spiking" row
 * trained for one epoch (seed 0), simulated as that row is: thesis neurons, Poisson input, low-pass
 * synapses, 0.2 s per digit at dt 1 ms, 100 digits at a time.
 */
export interface SpikingWorkload {
  layers: number[];
  neuron: NeuronParams;
  weights: SynapseWeights[];
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  simulation: { time: number; dt: number; tauS: number; batch: number };
}

/** Trains the workload's network on `train` (about 10 s) and takes the first `digits` of `test`. */
export function spikingWorkload(rt: Runtime, data: { train: Dataset; test: Dataset }, digits = 200): SpikingWorkload {
  const spec = resolveJob({ model: "mlp", layers: LAYERS, activation: "softlif", lr: 0.05, momentum: 0.9, epochs: 1, lrSchedule: "cosine", weightDecay: 1e-4, seed: 0 });
  const model = buildModel(spec, rt);
  try {
    const { epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, seed } = spec;
    train(model, data.train, { epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, seed });
    return {
      layers: LAYERS, neuron: spec.neuron!, weights: fusedLinearLayers(model as MLP),
      images: data.test.images.slice(0, digits * IN), labels: data.test.labels.slice(0, digits), count: digits,
      simulation: { time: 0.2, dt: 0.001, tauS: 0.005, batch: 100 },
    };
  } finally {
    model.free();
  }
}

/** Our simulation of the workload: images per second, each layer's rate, the accuracy on its digits. */
export function benchSnnMnist(rt: Runtime, repeats: number, w: SpikingWorkload): { images_per_s: number; digits: number; accuracy: number; firing_rates_hz: number[] } {
  const snn = new SNN(w.layers, w.neuron, w.weights, rt);
  const { time, dt, tauS, batch } = w.simulation;
  const options: SimulationOptions = { time, dt, tauS, encoding: "poisson", synapse: "lowpass", readout: "count", batchSize: batch, readoutTimes: [time] };
  try {
    let run: SpikingRun | undefined;
    const s = medianSeconds(() => (run = snn.simulate(w.images, w.count, options)), repeats, 1);
    if (!run) throw new Error("unreachable: medianSeconds ran no simulation");
    const correct = run.predictions[0].reduce((n, c, i) => n + (c === w.labels[i] ? 1 : 0), 0);
    return { images_per_s: round(w.count / s, 2), digits: w.count, accuracy: round(correct / w.count, 4), firing_rates_hz: run.firingRates.map((r) => round(r, 1)) };
  } finally {
    snn.free();
  }
}

// Median milliseconds of model.trainBatch on one random batch (uniform inputs, random labels).
function timeSteps(rt: Runtime, model: MLP | PCN, loss: "ce" | "mse", repeats: number, batchSize = B, momentum = 0): number {
  const optimizer = new Optimizer(model.params, { lr: 0.01, momentum });
  const batch = new BatchBuffer(rt, batchSize, 784, 10);
  const rng = new Rng(rt, 0, 0);
  rng.uniform(batch.x, 0, 1);
  const targets = batch.targets.view();
  targets.fill(0);
  for (let i = 0; i < batchSize; i++) targets[i * 10 + (rng.nextU32() % 10)] = 1;
  const staged = batch.rows(batchSize);
  const s = medianSeconds(() => model.trainBatch(staged, loss, optimizer), repeats);
  rng.free();
  batch.free();
  optimizer.free();
  return round(s * 1e3, 4);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
