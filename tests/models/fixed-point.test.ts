// Fixed point (models/fixed-point.ts, assembly/fixed.ts): the int8 weights are the float weights
// to within half a step of their scale, with the largest at ±127; the integer simulation is
// exactly a scalar re-implementation of the documented integer model (every operation an integer
// product and a floor shift, so equality is exact); and a trained network keeps its accuracy.

import { beforeAll, describe, expect, it } from "vitest";
import { FIXED_THRESHOLD, FixedPointSNN, fusedLinearLayers, init, MLP, SNN, train, type Dataset, type NeuronParams, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { rings } from "../helpers/rings.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const NEURON: NeuronParams = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 };

function network(layers: number[], seed: number): MLP {
  const mlp = new MLP({ layers, activation: "softlif", neuron: NEURON, seed, runtime: rt });
  const gen = new Lcg(seed);
  for (const layer of mlp.linearLayers) {
    const w = mlp.params.view(layer.weight);
    for (let i = 0; i < w.length; i++) w[i] *= 2;
    mlp.params.view(layer.bias).set(Float32Array.from({ length: mlp.params.view(layer.bias).length }, () => 0.9 + 0.4 * gen.uniform()));
  }
  return mlp;
}

/**
 * The integer model of docs/spiking.md "Fixed point", one scalar at a time, with current input
 * (whose first layer is not filtered), its constants from the documented formulas.
 */
function reference(fp: FixedPointSNN, x: Float32Array, count: number, steps: number, synapse: "lowpass" | "none"): number[] {
  const L = fp.layers.length - 1;
  const dt = 0.001, fraction = (tau: number) => Math.round((1 - Math.exp(-dt / tau)) * 65536);
  const memK = fraction(NEURON.tauRc), refSteps = Math.round(NEURON.tRef / dt), floor = true;
  const synKOf = (l: number) => (synapse === "none" || l === 0 ? 65536 : fraction(0.005));
  const layers = Array.from({ length: L }, (_, l) => {
    const { q, scale } = fp.weights(l);
    const [nIn, nOut] = [fp.layers[l], fp.layers[l + 1]];
    // mult and bias as the model states them, from the scales and the float parameters.
    const perUnit = l === 0 ? NEURON.gain / 255 : (NEURON.gain * NEURON.amplitude) / 0.001;
    const { bias } = fusedLinearLayers(fp.mlp)[l];
    return {
      nIn, nOut, q, mult: Array.from(scale, (s) => Math.round(s * perUnit * FIXED_THRESHOLD * 65536)),
      bias: Array.from(bias, (b) => Math.round(NEURON.gain * b * FIXED_THRESHOLD)),
    };
  });
  // Products of 16-bit fractions, rounded to nearest (half up).
  const shift = (a: number) => Math.floor((a + 32768) / 65536);
  const counts: number[] = [];
  for (let r = 0; r < count; r++) {
    const st = layers.map(({ nOut }) => ({ y: new Array(nOut).fill(0), v: new Array(nOut).fill(0), ref: new Array(nOut).fill(0), s: new Array(nOut).fill(0) }));
    const pixels = Array.from(x.subarray(r * fp.inputs, (r + 1) * fp.inputs), (v) => Math.round(v * 255));
    const acc0 = Array.from({ length: layers[0].nOut }, (_, o) => pixels.reduce((sum, p, i) => sum + p * layers[0].q[o * layers[0].nIn + i], 0));
    const out = new Array(fp.outputs).fill(0);
    for (let step = 0; step < steps; step++) {
      layers.forEach((layer, l) => {
        const s = st[l];
        const acc = l === 0 ? acc0 : Array.from({ length: layer.nOut }, (_, o) => st[l - 1].s.reduce((sum, fired, i) => sum + (fired ? layer.q[o * layer.nIn + i] : 0), 0));
        for (let o = 0; o < layer.nOut; o++) {
          const u = shift(acc[o] * layer.mult[o]);
          s.y[o] = s.y[o] + shift((u - s.y[o]) * synKOf(l));
          const j = s.y[o] + layer.bias[o];
          s.s[o] = 0;
          if (s.ref[o] > 0) {
            s.ref[o]--;
            continue;
          }
          let v = s.v[o] + shift((j - s.v[o]) * memK);
          if (floor && v < 0) v = 0;
          v = Math.max(-32768, Math.min(32767, v));
          if (v >= FIXED_THRESHOLD) {
            v = 0;
            s.ref[o] = refSteps;
            s.s[o] = 1;
            if (l === L - 1) out[o]++;
          }
          s.v[o] = v;
        }
      });
    }
    counts.push(...out);
  }
  return counts;
}

describe("FixedPointSNN", () => {
  it.each(["int8", "int8-channel"] as const)("%s: weights within half a step of their scale, the largest at ±127", (quantization) => {
    const mlp = network([20, 12, 5], 3);
    const fp = new FixedPointSNN(mlp, quantization, { encoding: "current" });
    try {
      fusedLinearLayers(mlp).forEach(({ weight }, l) => {
        const { q, scale } = fp.weights(l);
        const nOut = fp.layers[l + 1], nIn = fp.layers[l];
        for (let o = 0; o < nOut; o++) {
          let peak = 0;
          for (let i = 0; i < nIn; i++) {
            expect(Math.abs(weight[o * nIn + i] - scale[o] * q[o * nIn + i])).toBeLessThanOrEqual(scale[o] / 2 + 1e-12);
            peak = Math.max(peak, Math.abs(q[o * nIn + i]));
          }
          if (quantization === "int8-channel") expect(peak, `row ${o}`).toBe(127);
        }
        if (quantization === "int8") {
          expect(new Set(scale).size).toBe(1);
          expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
        }
      });
    } finally {
      fp.free();
      mlp.free();
    }
  });

  it.each([["low-pass 5 ms", "lowpass"], ["no synapse", "none"]] as const)("%s: the integer simulation is the integer model exactly", (_name, synapse) => {
    const mlp = network([16, 10, 4], 7);
    const fp = new FixedPointSNN(mlp, "int8-channel", { encoding: "current", synapse, time: 0.1 });
    try {
      const gen = new Lcg(4);
      const count = 5;
      const x = Float32Array.from({ length: count * 16 }, () => gen.uniform());
      const run = fp.simulate(x, count, { readoutTimes: [0.1] });
      const ref = reference(fp, x, count, run.steps, synapse);
      expect(ref.reduce((a, b) => a + b, 0), "the outputs fire").toBeGreaterThan(20);
      expect(Array.from(run.counts)).toEqual(ref);
    } finally {
      fp.free();
      mlp.free();
    }
  });

  it("keeps a trained network's spiking accuracy (current input), and sees the float network's Poisson input", () => {
    // The rings, moved into [0, 1] as pixels are.
    const unit = (d: Dataset): Dataset => ({ ...d, images: d.images.map((v) => (v + 1.25) / 2.5) });
    const data = unit(rings("train", 600, 5)), test = unit(rings("test", 300, 6));
    const mlp = new MLP({ layers: [2, 48, 3], activation: "softlif", neuron: NEURON, seed: 4, runtime: rt });
    train(mlp, data, { epochs: 40, batchSize: 20, lr: 0.1, momentum: 0.9, seed: 7 });
    const snn = SNN.fromMLP(mlp);
    const fp = new FixedPointSNN(mlp, "int8", { encoding: "current", time: 0.3 });
    const poisson = new FixedPointSNN(mlp, "int8", { time: 0.1 });
    try {
      const accuracy = (p: Int32Array) => p.filter((c, i) => c === test.labels[i]).length / test.count;
      const float = accuracy(snn.simulate(test.images, test.count, { encoding: "current", time: 0.3, readoutTimes: [0.3] }).predictions[0]);
      const fixed = accuracy(fp.simulate(test.images, test.count, { readoutTimes: [0.3] }).predictions[0]);
      expect(float).toBeGreaterThan(0.85);
      expect(fixed, `fixed ${fixed} against float ${float}`).toBeGreaterThan(float - 0.05);
      // The same Poisson draws: the input layer fires exactly as much.
      const rates = (run: { firingRates: number[] }) => run.firingRates[0];
      const head = test.images.subarray(0, 100);
      expect(rates(poisson.simulate(head, 50, { readoutTimes: [0.1] }))).toBe(rates(snn.simulate(head, 50, { time: 0.1, readoutTimes: [0.1] })));
    } finally {
      fp.free();
      poisson.free();
      snn.free();
      mlp.free();
    }
  });

  it("refuses what it does not run, naming the option", () => {
    const mlp = network([6, 4, 3], 1);
    const conv = new MLP({ arch: "conv2k3,fc3", inputShape: [1, 5, 5], activation: "softlif", runtime: rt });
    const relu = new MLP({ layers: [6, 4, 3], activation: "relu", runtime: rt });
    try {
      expect(() => new FixedPointSNN(conv, "int8")).toThrow(/^quantize: fixed point runs dense networks only/);
      expect(() => new FixedPointSNN(relu, "int8")).toThrow(/^quantize: fixed point runs a spiking network/);
      expect(() => new FixedPointSNN(mlp, "int4" as "int8")).toThrow(/^quantize: must be one of int8, int8-channel/);
      expect(() => new FixedPointSNN(mlp, "int8", { synapse: "alpha" })).toThrow(/^synapse: /);
      expect(() => new FixedPointSNN(mlp, "int8", { readout: "integrate" })).toThrow(/^readout: fixed point reads spikes only/);
      const slow = new MLP({ layers: [6, 4, 3], activation: "softlif", neuron: { ...NEURON, tauRc: 1000, tRef: 0 }, runtime: rt });
      try {
        expect(() => new FixedPointSNN(slow, "int8")).toThrow(/^quantize: fixed point steps the membrane by a 16-bit fraction .*leaves 0\/65536/);
      } finally {
        slow.free();
      }
    } finally {
      mlp.free();
      conv.free();
      relu.free();
    }
  });
});
