// Data-based normalisation (Diehl et al. 2015; Rueckauer et al. 2017): a ReLU network converted to
// integrate-and-fire neurons that fire at rates proportional to its activations, each layer scaled
// so that a high percentile λ_l of its activations on training data becomes the highest rate a
// neuron has, one spike a step (1/dt). With W'_l = W_l·λ_{l−1}/λ_l and b'_l = b_l/λ_l (λ_{−1} = 1)
// every layer's activations are a'_l = a_l/λ_l, mostly in [0, 1], and the spiking layer l fires at
// R·a'_l, R = 1/dt.
//
// The result is a soft-LIF model like any other, so every spiking tool takes it (eval --spiking,
// NIR export, the edge worker): its neurons are IF neurons as our LIF with τ = IF_TAU and
// gain = τ (τ dv/dt = τ·(y + b) − v: dv/dt = y + b up to a leak of dt/τ a step), t_ref = 0 and no
// voltage floor, spikes of area 1; and its rate curve, r(j) ≈ gain·z/τ = z for z ≫ 1/τ, is the ReLU
// network's in Hz. In those units the weights are R·W'_0 into the first layer (its input is the
// image, not rates) and W'_l after it, the biases R·b'_l.

import { OptionError } from "../errors.js";
import { Matrix } from "../tensor.js";
import { fusedLinearLayers } from "./fuse.js";
import { layerOptions, MLP } from "./mlp.js";
import { IF_TAU, type NeuronParams } from "./neuron.js";

export interface NormalizeOptions {
  /** The percentile of each layer's positive activations that becomes the top rate (default 99.9). */
  percentile?: number;
  /** The simulation step the top rate, one spike a step, is for (default 0.001 s). */
  dt?: number;
  /** Samples scored per forward pass. */
  batchSize?: number;
  /**
   * Values a layer's percentile is taken over, at most (default 2^24): beyond it, every k-th
   * positive activation in order, k = ⌈samples·width / maxValues⌉ (a conv layer's run to 10⁸).
   */
  maxValues?: number;
}

export interface Normalized {
  model: MLP;
  /** λ_l of each weight layer, in the ReLU network's units. */
  scales: number[];
}

/**
 * The IF network of a ReLU network (batch norm folded in), normalised on `count` rows of x
 * (training samples: the scales are chosen from data, never from the test set).
 */
export function normalizeForSpiking(mlp: MLP, x: Float32Array, count: number, options: NormalizeOptions = {}): Normalized {
  const { percentile = 99.9, dt = 0.001, batchSize = 250, maxValues = 1 << 24 } = options;
  if (!(percentile > 0 && percentile <= 100)) throw new OptionError("percentile", `must be in (0, 100], got ${percentile}`);
  if (!(dt > 0 && Number.isFinite(dt))) throw new OptionError("dt", `must be a finite time > 0, got ${dt}`);
  mlp.config.activations.forEach((a, i) => {
    if (a !== "relu") throw new OptionError("activation", `hidden layer ${i + 1} has activation "${a}"; data-based normalisation converts a ReLU network`);
  });
  if (/maxpool/.test(mlp.config.arch ?? "")) throw new OptionError("arch", `${mlp.config.arch} has max pooling, which has no spiking counterpart: use avgpool`);
  if (!Number.isInteger(count) || count < 1 || x.length !== count * mlp.inputs) {
    throw new RangeError(`normalizeForSpiking: expected ≥ 1 rows of ${mlp.inputs} values, got ${x.length} values for ${count} rows`);
  }
  const fused = fusedLinearLayers(mlp);
  const shape = layerOptions(mlp.config);
  const relu = new MLP({ ...shape, activation: "relu", runtime: mlp.runtime });
  let scales: number[];
  try {
    relu.linearLayers.forEach((layer, l) => {
      relu.params.view(layer.weight).set(fused[l].weight);
      relu.params.view(layer.bias).set(fused[l].bias);
    });
    scales = percentiles(relu, x, count, percentile, batchSize, maxValues);
  } finally {
    relu.free();
  }
  const bad = scales.findIndex((s) => !(s > 0 && Number.isFinite(s)));
  if (bad >= 0) throw new RangeError(`normalizeForSpiking: weight layer ${bad} has no positive activation on these samples: it would never fire`);
  const neuron: NeuronParams = { tauRc: IF_TAU, tRef: 0, amplitude: 1, gain: IF_TAU, smoothing: 0, voltageFloor: false };
  const model = new MLP({ ...shape, activation: "softlif", neuron, runtime: mlp.runtime });
  const R = 1 / dt;
  model.linearLayers.forEach((layer, l) => {
    const below = l === 0 ? 1 : scales[l - 1];
    const k = (l === 0 ? R : 1) * (below / scales[l]);
    model.params.view(layer.weight).set(fused[l].weight.map((w) => w * k));
    model.params.view(layer.bias).set(fused[l].bias.map((b) => (R * b) / scales[l]));
  });
  return { model, scales };
}

/** Each weight layer's `p`-th percentile of its positive activations (the output's positive logits). */
function percentiles(relu: MLP, x: Float32Array, count: number, p: number, batchSize: number, maxValues: number): number[] {
  const L = relu.linearLayers.length;
  const positive: Float32Array[][] = Array.from({ length: L }, () => []);
  const stride = relu.linearLayers.map((layer) => Math.max(1, Math.ceil((count * layer.outputs) / maxValues)));
  const seen = new Array<number>(L).fill(0);
  const B = Math.min(batchSize, count);
  const input = new Matrix(relu.runtime, B, relu.inputs);
  try {
    for (let start = 0; start < count; start += B) {
      const n = Math.min(B, count - start);
      const rows = input.head(n);
      rows.set(x.subarray(start * relu.inputs, (start + n) * relu.inputs));
      relu.forward(rows, false);
      for (let l = 0; l < L; l++) {
        positive[l].push(relu.linearOutput(l).view().filter((v) => v > 0 && seen[l]++ % stride[l] === 0));
      }
    }
  } finally {
    input.free();
  }
  return positive.map((chunks) => {
    const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    if (all.length === 0) return 0;
    all.sort();
    return all[Math.min(all.length - 1, Math.max(0, Math.ceil((p / 100) * all.length) - 1))];
  });
}
