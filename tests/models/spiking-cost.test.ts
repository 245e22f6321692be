// What a spiking answer costs (ts-wrapper/evaluation/energy.ts, evaluation/spiking.ts): the rate
// network's multiply-accumulates per sample in closed form (a Linear's inputs × outputs, a Conv2d's
// C·K² per output neuron), and the record's synaptic operations, unresolved share and energies as
// the simulation's counts per sample times Horowitz's (ISSCC 2014) 0.9 pJ per add and 4.6 pJ per
// multiply-accumulate — the definitions, applied to a run of the same network simulated directly.

import { beforeAll, describe, expect, it } from "vitest";
import { evaluateSpiking, init, MLP, multiplyAccumulates, OPERATION_ENERGY, SNN, type Dataset, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

function data(count: number, features: number, classes: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  return {
    name: "fixture", count, features, classes, shape: [features],
    images: Float32Array.from({ length: count * features }, () => gen.uniform()),
    labels: Uint8Array.from({ length: count }, () => gen.int(classes)),
  };
}

describe("multiply-accumulates of the rate network", () => {
  it("a Linear layer's are inputs × outputs", () => {
    const mlp = new MLP({ layers: [784, 256, 256, 10], activation: "softlif", runtime: rt });
    try {
      expect(multiplyAccumulates(mlp)).toEqual([784 * 256, 256 * 256, 256 * 10]);
    } finally {
      mlp.free();
    }
  });

  it("a Conv2d's are C·K² per output neuron, at the pooled size", () => {
    const mlp = new MLP({ arch: "conv4k5p2,avgpool2,conv8k3,avgpool2,fc10", inputShape: [1, 28, 28], activation: "softlif", runtime: rt });
    try {
      // conv1: 4 × 28 × 28 outputs of 1·25 taps; pool → 14; conv2 (no padding): 8 × 12 × 12 of 4·9; pool → 6; fc: 8·6·6 → 10.
      expect(multiplyAccumulates(mlp)).toEqual([4 * 28 * 28 * 25, 8 * 12 * 12 * 36, 8 * 6 * 6 * 10]);
    } finally {
      mlp.free();
    }
  });
});

describe("the spiking record's costs", () => {
  it.each(["poisson", "current"] as const)("%s input: synaptic operations, unresolved share and energy per sample from the run's counts", (encoding) => {
    const layers = [12, 16, 5];
    const mlp = new MLP({ layers, activation: "softlif", seed: 4, runtime: rt });
    const set = data(30, 12, 5, 9);
    const options = { time: 0.05, encoding, seed: 3, readoutTimes: [0.005, 0.02, 0.05] };
    const snn = SNN.fromMLP(mlp);
    try {
      const record = evaluateSpiking(mlp, set, options);
      const run = snn.simulate(set.images, set.count, options);
      const macs = [12 * 16, 16 * 5];
      expect(record.rate_multiply_accumulates).toEqual(macs);
      expect(record.energy_nj.rate).toBeCloseTo((macs[0] + macs[1]) * 4.6 / 1000, 12);
      expect([record.energy_nj.add_pj, record.energy_nj.mac_pj, record.energy_nj.source]).toEqual([0.9, 4.6, OPERATION_ENERGY.source]);
      expect(Object.keys(record.synaptic_operations_by_time_ms)).toEqual(["5", "20", "50"]);
      run.readoutTimes.forEach((t, k) => {
        const key = String(t * 1000);
        const perSample = run.synapticOperations[k].map((v) => v / set.count);
        expect(record.synaptic_operations_by_time_ms[key]).toEqual(perSample);
        expect(record.unresolved_by_time_ms[key]).toBe(run.unresolved[k] / set.count);
        // An add per synaptic operation; with current input the first layer's W·x once, as multiply-accumulates.
        const want = (perSample.reduce((a, b) => a + b, 0) * 0.9 + (encoding === "current" ? macs[0] * 4.6 : 0)) / 1000;
        expect(record.energy_nj.spiking_by_time_ms[key]).toBeCloseTo(want, 12);
      });
      const last = record.synaptic_operations_by_time_ms["50"];
      expect(last[1], "the hidden layer fires").toBeGreaterThan(0);
      expect(last[0] > 0, "only Poisson input spikes into layer 0").toBe(encoding === "poisson");
    } finally {
      snn.free();
      mlp.free();
    }
  });
});

describe("a fixed-point run's costs", () => {
  it("counts its operations at Horowitz's integer energies: 0.1 pJ an int32 add, 0.3 pJ an int8 product and its add", async () => {
    const { FixedPointSNN, INTEGER_ENERGY } = await import("../../ts-wrapper/index.js");
    const layers = [12, 16, 5];
    const mlp = new MLP({ layers, activation: "softlif", seed: 4, runtime: rt });
    const set = data(30, 12, 5, 9);
    const options = { time: 0.05, encoding: "current" as const, readoutTimes: [0.02, 0.05] };
    const fixed = new FixedPointSNN(mlp, "int8", options);
    try {
      const record = evaluateSpiking(mlp, set, options, undefined, "int8");
      const run = fixed.simulate(set.images, set.count, options);
      expect(record.quantization).toBe("int8");
      expect([record.energy_nj.add_pj, record.energy_nj.mac_pj, record.energy_nj.source]).toEqual([0.1, 0.3, INTEGER_ENERGY.source]);
      // The rate network stays at 32-bit float's energies.
      expect(record.energy_nj.rate).toBeCloseTo((12 * 16 + 16 * 5) * 4.6 / 1000, 12);
      run.readoutTimes.forEach((t, k) => {
        const ops = run.synapticOperations[k].reduce((a, b) => a + b, 0) / set.count;
        expect(record.energy_nj.spiking_by_time_ms[String(t * 1000)]).toBeCloseTo((ops * 0.1 + 12 * 16 * 0.3) / 1000, 12);
      });
    } finally {
      fixed.free();
      mlp.free();
    }
  });
});
