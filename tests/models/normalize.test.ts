// Data-based normalisation (models/normalize.ts): the scales are the stated percentiles of each
// layer's positive activations (a network whose activations are known in closed form), the
// converted rate network is the ReLU network in Hz (logits × R/λ_L), the IF neurons fire at those
// rates (an IF neuron with constant input I counts ⌊I·T⌋ spikes in T: our LIF with τ = IF_TAU and
// t_ref = 0 integrates past each crossing), and a trained network keeps its accuracy as spikes.

import { beforeAll, describe, expect, it } from "vitest";
import { IF_TAU, init, MLP, normalizeForSpiking, SNN, train, type Runtime } from "../../ts-wrapper/index.js";
import { accuracyByPredict, rings } from "../helpers/rings.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

function identity(n: number): MLP {
  const mlp = new MLP({ layers: [n, n, n], activation: "relu", runtime: rt });
  for (const layer of mlp.linearLayers) {
    const w = mlp.params.view(layer.weight);
    w.fill(0);
    for (let i = 0; i < n; i++) w[i * n + i] = 1;
    mlp.params.view(layer.bias).fill(0);
  }
  return mlp;
}

describe("normalizeForSpiking", () => {
  it("takes the percentile of each layer's positive activations, and scales the weights by them", () => {
    // Identity layers: every layer's activations are the inputs, 0.01 … 1.00 in both features.
    const mlp = identity(2);
    const count = 100;
    const x = Float32Array.from({ length: 2 * count }, (_, k) => (k % 2 === 0 ? k / 2 + 1 : count - (k - 1) / 2) / 100);
    const { model, scales } = normalizeForSpiking(mlp, x, count, { percentile: 99, dt: 0.001 });
    try {
      // 200 positive values, each twice: the 198th smallest is 0.99.
      expect(scales).toEqual([Math.fround(0.99), Math.fround(0.99)]);
      expect(model.config.neuron).toEqual({ tauRc: IF_TAU, tRef: 0, amplitude: 1, gain: IF_TAU, smoothing: 0, voltageFloor: false });
      const [w0, w1] = model.linearLayers.map((l) => Array.from(model.params.view(l.weight)));
      expect(w0).toEqual([1000 / Math.fround(0.99), 0, 0, 1000 / Math.fround(0.99)].map(Math.fround));
      expect(w1).toEqual([1, 0, 0, 1]);
    } finally {
      mlp.free();
      model.free();
    }
  });

  it("beyond maxValues, takes the percentile of every k-th positive activation", () => {
    const mlp = identity(2);
    const count = 100;
    const x = Float32Array.from({ length: 2 * count }, (_, k) => (k % 2 === 0 ? k / 2 + 1 : count - (k - 1) / 2) / 100);
    // 200 values, at most 50 kept: every 4th of the positive stream (row by row, both features).
    const { model, scales } = normalizeForSpiking(mlp, x, count, { percentile: 50, maxValues: 50 });
    try {
      const kept = Array.from(x).filter((_, i) => i % 4 === 0).sort((a, b) => a - b);
      expect(scales[0]).toBe(Math.fround(kept[Math.ceil(0.5 * kept.length) - 1]));
    } finally {
      mlp.free();
      model.free();
    }
  });

  it("the converted rate network is the ReLU network in Hz: logits × R/λ_L", () => {
    const data = rings("train", 400, 3);
    const mlp = new MLP({ layers: [2, 24, 16, 3], activation: "relu", seed: 1, runtime: rt });
    train(mlp, data, { epochs: 20, batchSize: 20, lr: 0.1, momentum: 0.9, seed: 2 });
    const { model, scales } = normalizeForSpiking(mlp, data.images, data.count, { dt: 0.001 });
    try {
      const a = mlp.logits(data.images), b = model.logits(data.images);
      const k = 1000 / scales[2];
      // The LIF rate at τ = 1000 s is z − 1/(2τ) above 1/τ Hz: ReLU to 1e-3 Hz.
      let worst = 0;
      a.forEach((z, i) => (worst = Math.max(worst, Math.abs(b[i] - k * z) / (1 + Math.abs(k * z)))));
      expect(worst).toBeLessThan(2e-3);
    } finally {
      mlp.free();
      model.free();
    }
  });

  it("IF neurons fire at the normalised rates: ⌊R·a'·T⌋ spikes in T below the top rate", () => {
    // One layer of 6 neurons driven by the image as a constant current: a' = x_i / λ.
    const mlp = identity(6);
    const x = Float32Array.of(0.05, 0.1, 0.25, 0.5, 0.8, 1);
    const { model, scales } = normalizeForSpiking(mlp, x, 1, { percentile: 100 });
    const snn = SNN.fromMLP(model);
    try {
      expect(scales[0]).toBe(1);
      const T = 0.2;
      const run = snn.simulate(x, 1, { encoding: "current", synapse: "none", time: T, readoutTimes: [T] });
      // The output layer (identity again, λ = 1) sees the hidden spikes; check the hidden rates
      // through it: its neurons fire at the rate of their input spikes, as each adds 1 in one step.
      // The hidden layer's spikes: ⌊I·T⌋ each, give or take one (the leak, float32 steps).
      const hidden = Math.round(run.firingRates[1] * 6 * T);
      const floors = x.reduce((s, v) => s + Math.floor(1000 * v * T), 0);
      expect(Math.abs(hidden - floors), `${hidden} hidden spikes, Σ⌊I·T⌋ = ${floors}`).toBeLessThanOrEqual(6);
      expect(hidden).toBeGreaterThan(0.95 * floors);
      Array.from(run.counts).forEach((c, i) => {
        const expected = Math.floor(1000 * x[i] * T);
        expect(Math.abs(c - expected), `output ${i}: ${c} spikes, ⌊${1000 * x[i]}·${T}⌋ = ${expected}`).toBeLessThanOrEqual(2);
      });
    } finally {
      snn.free();
      mlp.free();
      model.free();
    }
  });

  it("a trained network keeps its accuracy as spikes", () => {
    const data = rings("train", 600, 5), test = rings("test", 300, 6);
    const mlp = new MLP({ layers: [2, 32, 3], activation: "relu", seed: 4, runtime: rt });
    train(mlp, data, { epochs: 30, batchSize: 20, lr: 0.1, momentum: 0.9, seed: 7 });
    const { model } = normalizeForSpiking(mlp, data.images, data.count);
    const snn = SNN.fromMLP(model);
    try {
      const rate = accuracyByPredict(mlp, test);
      expect(rate).toBeGreaterThan(0.9);
      // The rings' inputs lie in [-1.25, 1.25]: a current, not Poisson spikes.
      const run = snn.simulate(test.images, test.count, { encoding: "current", synapse: "none", time: 0.1, readoutTimes: [0.1] });
      const spiking = run.predictions[0].filter((c, i) => c === test.labels[i]).length / test.count;
      expect(spiking).toBeGreaterThan(rate - 0.03);
    } finally {
      snn.free();
      mlp.free();
      model.free();
    }
  });

  it("refuses a network that is not ReLU, and a percentile out of range", () => {
    const tanh = new MLP({ layers: [2, 3, 2], activation: "tanh", runtime: rt });
    const relu = identity(2);
    try {
      const x = Float32Array.of(0.5, 0.5);
      expect(() => normalizeForSpiking(tanh, x, 1)).toThrow(/activation: hidden layer 1 has activation "tanh"/);
      expect(() => normalizeForSpiking(relu, x, 1, { percentile: 0 })).toThrow(/percentile: must be in \(0, 100\]/);
      expect(() => normalizeForSpiking(relu, x, 1, { percentile: 101 })).toThrow(/percentile/);
      expect(() => normalizeForSpiking(relu, new Float32Array(2), 1)).toThrow(/weight layer 0 has no positive activation/);
    } finally {
      tanh.free();
      relu.free();
    }
  });
});
