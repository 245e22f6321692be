// The report's figure data: the rate curves of one neuron against the closed forms, a spike raster
// consistent with the simulation it records, and the weight-difference summary.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, NEURON_PRESETS, SNN, resolveSimulation, type Runtime } from "../../ts-wrapper/index.js";
import { rateCurves, spikeRaster, weightDifferences } from "../../ts-wrapper/experiment/figures.js";
import { softLif64 } from "../helpers/softlif.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const neuron = { ...NEURON_PRESETS.thesis };

/** SCIENCE.md §2's LIF rate in float64. */
function lifRate(j: number): number {
  return j > 1 ? 1 / (neuron.tRef + neuron.tauRc * Math.log1p(1 / (j - 1))) : 0;
}

describe("rateCurves", () => {
  const curves = () => rateCurves(rt, neuron);

  it("gives the LIF and soft-LIF rates of SCIENCE.md §2 on j ∈ [0, 4]", () => {
    const c = curves();
    expect(c.current[0]).toBe(0);
    expect(c.current[c.current.length - 1]).toBe(4);
    c.current.forEach((j, i) => {
      // float32 results of float64 formulas: a few float32 ulp.
      expect(Math.abs(c.lif[i] - lifRate(j))).toBeLessThanOrEqual(1e-6 * lifRate(j) + 1e-30);
      const soft = softLif64(j, { ...neuron, amplitude: 1, gain: 1 });
      expect(Math.abs(c.softlif[i] - soft)).toBeLessThanOrEqual(1e-6 * soft);
    });
  });

  it("simulates rates that meet nengo's criterion against the LIF rate (1 Hz + 2 %, counting whole spikes in 1 s)", () => {
    const c = curves();
    c.current.forEach((j, i) => {
      // A count over 1 s is floor-quantised: allow one more spike than the criterion.
      expect(Math.abs(c.simulated[i] - lifRate(j)), `j = ${j}`).toBeLessThanOrEqual(1 + 0.02 * lifRate(j) + 1 / c.simulated_seconds);
    });
  });

  it("scales the soft-LIF rate by the amplitude on z ∈ [0, 10] next to ReLU", () => {
    const c = curves();
    expect(c.z[c.z.length - 1]).toBe(10);
    c.z.forEach((z, i) => {
      expect(c.relu[i]).toBe(z);
      expect(Math.abs(c.scaled[i] - softLif64(z, neuron))).toBeLessThanOrEqual(1e-6 * softLif64(z, neuron));
    });
  });
});

describe("spikeRaster", () => {
  it("records every spike of one sample, consistent with the simulation's counts and firing rates", () => {
    const mlp = new MLP({ layers: [6, 5, 3], activation: "softlif", seed: 3, runtime: rt });
    // Strong positive weights so every layer fires.
    mlp.params.view("layers.0.weight").fill(2);
    mlp.params.view("layers.2.weight").set([3, 0, 0, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0]);
    const images = new Float32Array(12).fill(0.8);
    const labels = Uint8Array.of(1, 0);
    const sim = resolveSimulation({ time: 0.1, encoding: "poisson", seed: 4 }, mlp.config.neuron!);
    try {
      const raster = spikeRaster(mlp, "row", images, labels, 1, sim);
      expect(raster.layers.map((l) => [l.name, l.neurons])).toEqual([["input", 6], ["hidden 1", 5], ["output", 3]]);
      expect(raster).toMatchObject({ row: "row", sample: 1, label: 0, dt: 0.001, time: 0.1 });
      // The same sample simulated on its own gives the same spikes.
      const snn = SNN.fromMLP(mlp);
      const counts = [0, 0, 0];
      const run = snn.simulate(images.subarray(6), 1, { ...sim, readoutTimes: [0.1] }, undefined, (_s, _f, _B, input, layers) => {
        counts[0] += input!.filter((v) => v !== 0).length;
        layers.forEach((l, k) => (counts[k + 1] += l.filter((v) => v !== 0).length));
      });
      snn.free();
      // Both simulate the one sample as sample 0 of their run: the same Poisson stream, the same spikes.
      expect(raster.layers.map((l) => l.spikes.length)).toEqual(counts);
      expect(counts.every((c) => c > 0)).toBe(true);
      for (const layer of raster.layers) {
        for (const [t, n] of layer.spikes) {
          // Spikes are stamped with the end of their 1 ms step.
          expect(Number.isInteger(t) && t >= 1 && t <= 100).toBe(true);
          expect(Number.isInteger(n) && n >= 0 && n < layer.neurons).toBe(true);
        }
      }
      // The output layer's raster agrees with the prediction: the neuron with the most spikes.
      const out = [0, 0, 0];
      for (const [, n] of raster.layers[2].spikes) out[n]++;
      expect(raster.prediction).toBe(out.indexOf(Math.max(...out)));
      expect(run.predictions[0][0]).toBe(raster.prediction);
    } finally {
      mlp.free();
    }
  });
});

describe("spikeRaster of a convolutional network", () => {
  it("shows a few channels of each conv layer, each spike in its channel's band at its position", () => {
    // 1×4×4 input, 3 channels of 3×3 kernels. Only channel 1 has a kernel (its centre tap) and a
    // bias that lets one input pixel, at (y, x) = (2, 3), drive it: that neuron alone should fire,
    // in the band of channel 1, at row y·4 + x = 11, whatever order the simulator keeps neurons in.
    const mlp = new MLP({ arch: "conv3k3p1,avgpool2,fc2", inputShape: [1, 4, 4], activation: "softlif", seed: 1, runtime: rt });
    try {
      const w = mlp.params.view("layers.0.weight");
      w.fill(0);
      w[1 * 9 + 4] = 20; // channel 1, centre tap
      mlp.params.view("layers.0.bias").set([-5, -2, -5]);
      const image = new Float32Array(16);
      image[2 * 4 + 3] = 1;
      const sim = resolveSimulation({ time: 0.05, encoding: "current" }, mlp.config.neuron!);
      const raster = spikeRaster(mlp, "row", image, Uint8Array.of(0), 0, sim);
      expect(raster.layers.map((l) => [l.name, l.neurons])).toEqual([
        ["input", 16], ["conv 1 · ch 0", 16], ["conv 1 · ch 1", 16], ["conv 1 · ch 2", 16], ["output", 2],
      ]);
      expect(raster.layers[1].spikes).toEqual([]);
      expect(raster.layers[3].spikes).toEqual([]);
      const rows = new Set(raster.layers[2].spikes.map(([, n]) => n));
      expect([...rows]).toEqual([11]);
      expect(raster.layers[2].spikes.length).toBeGreaterThan(5);
      const snn = SNN.fromMLP(mlp);
      try {
        expect(snn.rasterBands(2).map((b) => b.name)).toEqual(["input", "conv 1 · ch 0", "conv 1 · ch 1", "output"]);
        for (const bad of [0, -1, 1.5, NaN]) expect(() => snn.rasterBands(bad)).toThrow(/channels must be an integer ≥ 1, got/);
      } finally {
        snn.free();
      }
    } finally {
      mlp.free();
    }
  });
});

describe("weightDifferences", () => {
  it("reports max |ΔW| per weight layer against backprop, and backprop's max |W|", () => {
    const bp = new Map([["layers.0.weight", Float32Array.of(1, -2)], ["layers.0.bias", Float32Array.of(5)], ["layers.2.weight", Float32Array.of(0.5)]]);
    const zil = new Map([["layers.0.weight", Float32Array.of(1, -2)], ["layers.2.weight", Float32Array.of(0.5)]]);
    const il = new Map([["layers.0.weight", Float32Array.of(1.25, -2)], ["layers.2.weight", Float32Array.of(-0.5)]]);
    expect(weightDifferences(bp, zil, il)).toEqual([
      { layer: "layers.0.weight", zil_max_abs: 0, il_max_abs: 0.25, backprop_max_abs: 2 },
      { layer: "layers.2.weight", zil_max_abs: 0, il_max_abs: 1, backprop_max_abs: 0.5 },
    ]);
  });
});
