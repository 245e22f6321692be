// Divergence and options of the PCN model.
//  • A value-node step γ far above the stability limit (≈ 0.3 for these nets: see inference.test.ts)
//    makes relaxation blow up; train() must throw a DivergenceError naming the epoch, the batch,
//    the inference step and the layer ("layer N"), never finish with NaN accuracy.
//  • Huge weights injected mid-training do the same at the next batch.
//  • Invalid options throw RangeErrors naming the option, before any wasm memory is taken.
//  • tolerance > 0 stops IL's relaxation early once the energy settles.

import { beforeAll, describe, expect, it } from "vitest";
import { BatchBuffer, DivergenceError, init, oneHot, Optimizer, PCN, train, type Dataset, type EpochResult, type OutputLoss, type PCNOptions, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { learn64, maxParamDiff, netFromParams } from "../helpers/pc-reference.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

/** Three noisy Gaussian blobs in the plane. */
function blobs(name: string, count: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  const centres = [[1, 0], [-0.5, 0.87], [-0.5, -0.87]];
  const images = new Float32Array(count * 2);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    images[2 * i] = centres[label][0] + 0.3 * gen.normal();
    images[2 * i + 1] = centres[label][1] + 0.3 * gen.normal();
    labels[i] = label;
  }
  return { name, images, labels, count, features: 2, classes: 3, shape: [2] };
}

const data = blobs("blobs", 240, 1);
const LAYERS = [2, 32, 32, 3];
const STEP_AND_LAYER = /predictive coding diverged in inference step (\d+): .*?the (value nodes|errors) of layer (\d+) (?:hold|reach)/;

type TrainOptions = Partial<Parameters<typeof train>[2]>;

/**
 * Builds a PCN of LAYERS (relu, seed 7, T = 20) with `algo` and `gamma`, runs train() on it
 * expecting a DivergenceError, and frees it; returns the error and the epochs reported before it.
 * `options` may depend on the PCN (to tamper with it mid-run).
 */
function divergence(pcnOptions: Pick<PCNOptions, "algo" | "gamma">, options: TrainOptions | ((pcn: PCN) => TrainOptions) = {}) {
  const pcn = new PCN({ layers: LAYERS, activation: "relu", seed: 7, T: 20, ...pcnOptions, runtime: rt });
  const epochs: EpochResult[] = [];
  let caught: unknown;
  try {
    const extra = typeof options === "function" ? options(pcn) : options;
    train(pcn, data, { lr: 0.05, epochs: 3, batchSize: 16, seed: 2, onEpoch: (r) => epochs.push(r), ...extra });
  } catch (error) {
    caught = error;
  } finally {
    pcn.free();
  }
  expect(caught, "train() returned instead of throwing").toBeInstanceOf(DivergenceError);
  for (const r of epochs) expect(Number.isFinite(r.accuracy) && Number.isFinite(r.loss), "an epoch reported NaN").toBe(true);
  return { error: caught as DivergenceError, epochs };
}

function parse(error: DivergenceError, T: number, L: number) {
  const { message } = error;
  const m = STEP_AND_LAYER.exec(message);
  expect(m, `the message does not name the inference step and the layer: ${message}`).not.toBeNull();
  const step = Number(m![1]);
  const layer = Number(m![3]);
  expect(step).toBeGreaterThanOrEqual(1);
  expect(step).toBeLessThanOrEqual(T);
  expect(layer).toBeGreaterThanOrEqual(1);
  expect(layer).toBeLessThanOrEqual(L);
  // The error blames γ (the CLI words it as "try a smaller --gamma").
  expect(error.option).toBe("gamma");
  return { step, layer };
}

describe("divergence", () => {
  it.each(["ce", "mse"] as OutputLoss[])("γ = 50 (IL, %s): DivergenceError naming epoch 1, batch 1, the step and the layer", (outputLoss) => {
    const { error, epochs } = divergence({ algo: "il", gamma: 50 }, { outputLoss });
    expect(epochs, "no epoch completed").toHaveLength(0);
    expect(error.message).toMatch(/^training diverged in epoch 1, batch 1: /);
    parse(error, 20, 3);
    // The trainer wraps the model's error and keeps it as the cause.
    expect(error.cause).toBeInstanceOf(DivergenceError);
    expect(error.message).toContain((error.cause as Error).message);
  });

  it("γ = 50 (iPC): DivergenceError naming the step and the layer", () => {
    const { error } = divergence({ algo: "ipc", gamma: 50 });
    expect(error.message).toMatch(/^training diverged in epoch 1, batch 1: /);
    parse(error, 20, 3);
  });

  it("huge weights injected after batch 3 of epoch 2: DivergenceError in epoch 2, batch 4", () => {
    // Weights × 1e5 keep the forward pass finite (logits ≲ 1e17) but make relaxation's gain
    // γ·‖W‖² ≈ 1e9 per step: the next batch's relaxation overflows within a few steps.
    const { error, epochs } = divergence({ algo: "il", gamma: 0.1 }, (pcn) => ({
      outputLoss: "mse",
      onBatch: (done, _total, epoch) => {
        if (epoch === 2 && done === 3 * 16) {
          const w = pcn.params.values.view();
          for (let k = 0; k < w.length; k++) w[k] *= 1e5;
        }
      },
    }));
    expect(epochs.map((r) => r.epoch)).toEqual([1]);
    expect(error.message).toMatch(/^training diverged in epoch 2, batch 4: /);
    parse(error, 20, 3);
  });

  // At γ = 5 the energy grows ≈ 100× per step while every float32 value stays finite: the growth
  // itself is the divergence, reported with the step and the layer, blaming γ.
  it("γ = 5 (IL, ce): the message names the inference step and the layer", () => {
    const { error } = divergence({ algo: "il", gamma: 5 }, { outputLoss: "ce" });
    expect(error.message).toMatch(/^training diverged in epoch 1, batch 1: /);
    expect(error.message).toMatch(/the energy grew from/);
    parse(error, 20, 3);
  });

  it("a diverging IL trainBatch throws before applying any update", () => {
    const B = 8;
    const gen = new Lcg(4);
    const pcn = new PCN({ layers: LAYERS, activation: "relu", seed: 7, algo: "il", T: 20, gamma: 50, runtime: rt });
    const batch = new BatchBuffer(rt, B, 2, 3);
    const opt = new Optimizer(pcn.params, { lr: 0.05 });
    try {
      batch.x.set(Array.from({ length: 2 * B }, () => gen.normal()));
      batch.targets.set(oneHot(Uint8Array.from({ length: B }, () => gen.int(3)), 3));
      const before = pcn.params.toTensors();
      expect(() => pcn.trainBatch(batch.rows(B), "ce", opt)).toThrow(DivergenceError);
      // The update was not applied: IL updates only after its relaxation finished.
      pcn.params.toTensors().forEach((t, i) => expect(t.data).toEqual(before[i].data));
    } finally {
      opt.free();
      batch.free();
      pcn.free();
    }
  });
});

describe("PCN options", () => {
  const base: PCNOptions = { layers: [3, 5, 2], runtime: undefined };
  const bad: [string, Partial<PCNOptions>, RegExp][] = [
    ["algo unknown", { algo: "bp" as never }, /^algo: must be one of il, zil, ipc, got bp/],
    ["T = 0", { T: 0 }, /^T: .*got 0/],
    ["T = 2.5", { T: 2.5 }, /^T: .*got 2.5/],
    ["T = −3", { T: -3 }, /^T: .*got -3/],
    ["T = NaN", { T: NaN }, /^T: .*got NaN/],
    ["T = Infinity", { T: Infinity }, /^T: .*got Infinity/],
    ["gamma = 0", { gamma: 0 }, /^gamma: .*got 0/],
    ["gamma = −0.1", { gamma: -0.1 }, /^gamma: .*got -0.1/],
    ["gamma = NaN", { gamma: NaN }, /^gamma: .*got NaN/],
    ["gamma = Infinity", { gamma: Infinity }, /^gamma: .*got Infinity/],
    ["tolerance = −1e-3", { tolerance: -1e-3 }, /^tolerance: .*got -0.001/],
    ["tolerance = NaN", { tolerance: NaN }, /^tolerance: .*got NaN/],
    ["tolerance = Infinity", { tolerance: Infinity }, /^tolerance: .*got Infinity/],
  ];
  it.each(bad)("%s: RangeError naming the option, no memory taken", (_title, options, message) => {
    const used = rt.heap.bytesInUse;
    expect(() => new PCN({ ...base, ...options, runtime: rt })).toThrow(RangeError);
    expect(() => new PCN({ ...base, ...options, runtime: rt })).toThrow(message);
    expect(rt.heap.bytesInUse).toBe(used);
  });

  it("defaults: IL, T = 20, γ = 0.1, tolerance 0; valid edge values are accepted", () => {
    const pcn = new PCN({ layers: [3, 5, 2], runtime: rt });
    try {
      expect([pcn.algo, pcn.T, pcn.gamma, pcn.tolerance]).toEqual(["il", 20, 0.1, 0]);
      expect(pcn.depth).toBe(2);
    } finally {
      pcn.free();
    }
    const edge = new PCN({ layers: [3, 5, 2], algo: "ipc", T: 1, gamma: 1e-6, tolerance: 0, runtime: rt });
    edge.free();
  });
});

describe("tolerance: early stop of IL's relaxation", () => {
  const layers = [5, 11, 7, 3];
  const B = 6;

  function stagedBatch(gen: Lcg): BatchBuffer {
    const batch = new BatchBuffer(rt, B, layers[0], 3);
    batch.x.set(Array.from({ length: B * layers[0] }, () => gen.normal()));
    batch.targets.set(oneHot(Uint8Array.from({ length: B }, () => gen.int(3)), 3));
    return batch;
  }

  it.each(["ce", "mse"] as OutputLoss[])("%s: stops at the first step whose energy change is ≤ tolerance × energy, and updates from there", (loss) => {
    const T = 200;
    const tolerance = 1e-3;
    const stopping = new PCN({ layers, activation: "tanh", seed: 3, algo: "il", T, gamma: 0.1, tolerance, runtime: rt });
    const full = new PCN({ layers, activation: "tanh", seed: 3, algo: "il", T, gamma: 0.1, runtime: rt });
    const batch = stagedBatch(new Lcg(8));
    const net = netFromParams(stopping.params, layers, ["tanh", "tanh"]);
    const o1 = new Optimizer(stopping.params, { lr: 0.1 });
    const o2 = new Optimizer(full.params, { lr: 0.1 });
    try {
      stopping.trainBatch(batch.rows(B), loss, o1);
      full.trainBatch(batch.rows(B), loss, o2);
      const trace = stopping.energyTrace;
      expect(full.energyTrace, "tolerance 0 never stops early").toHaveLength(T);
      expect(trace.length).toBeGreaterThan(2);
      expect(trace.length, "the energy settles well within T steps here").toBeLessThan(T / 2);
      // The same steps as the full run, up to the stop.
      expect(trace).toEqual(full.energyTrace.slice(0, trace.length));
      const settled = (k: number) => Math.abs(trace[k - 1] - trace[k]) <= tolerance * Math.abs(trace[k - 1]);
      expect(settled(trace.length - 1), "stopped before the criterion held").toBe(true);
      for (let k = 1; k < trace.length - 1; k++) expect(settled(k), `the criterion already held at step ${k + 1}`).toBe(false);
      // The update is IL's after exactly that many steps (float64 reference, 1e-5 as in inference.test.ts).
      const x = Float64Array.from(batch.x.view());
      const y = Float64Array.from(batch.targets.view());
      const ref = learn64(net, x, y, B, loss, { schedule: "il", T: trace.length, gamma: 0.1, lr: 0.1 });
      expect(maxParamDiff(netFromParams(stopping.params, layers, ["tanh", "tanh"]), ref.net)).toBeLessThanOrEqual(1e-5);
      expect(maxParamDiff(netFromParams(full.params, layers, ["tanh", "tanh"]), ref.net)).toBeGreaterThan(1e-5);
    } finally {
      o1.free();
      o2.free();
      batch.free();
      stopping.free();
      full.free();
    }
  });

  it("iPC and Z-IL ignore tolerance (their schedules fix the number of steps)", () => {
    const batch = stagedBatch(new Lcg(9));
    const ipc = new PCN({ layers, activation: "tanh", seed: 3, algo: "ipc", T: 40, gamma: 0.1, tolerance: 0.5, runtime: rt });
    const zil = new PCN({ layers, activation: "tanh", seed: 3, algo: "zil", T: 40, gamma: 0.1, tolerance: 0.5, runtime: rt });
    const o1 = new Optimizer(ipc.params, { lr: 0.01 });
    const o2 = new Optimizer(zil.params, { lr: 0.01 });
    try {
      ipc.trainBatch(batch.rows(B), "ce", o1);
      zil.trainBatch(batch.rows(B), "ce", o2);
      expect(ipc.energyTrace).toHaveLength(40);
      expect(zil.energyTrace, "Z-IL: one step per weight layer, whatever T").toHaveLength(3);
    } finally {
      o1.free();
      o2.free();
      batch.free();
      ipc.free();
      zil.free();
    }
  });
});

/** The error fn throws (undefined if it returns). */
function thrown(fn: () => unknown): DivergenceError {
  try {
    fn();
  } catch (error) {
    return error as DivergenceError;
  }
  return undefined as never;
}

describe("non-finite parameters", () => {
  it("a NaN in a weight stops training at the first batch, naming the tensor and element", async () => {
    const { MLP } = await import("../../ts-wrapper/index.js");
    const mlp = new MLP({ layers: LAYERS, seed: 2, runtime: rt });
    try {
      mlp.params.view("layers.2.weight")[7] = NaN;
      const error = thrown(() => train(mlp, data, { epochs: 1, batchSize: 16, lr: 0.01, seed: 0 }));
      expect(error).toBeInstanceOf(DivergenceError);
      expect(error.message).toBe("training diverged in epoch 1, batch 1: layers.2.weight[7] = NaN");
      expect(error.option, "the error blames the learning rate").toBe("lr");
    } finally {
      mlp.free();
    }
  });

  it("the same for a PCN, whichever tensor holds it", () => {
    const pcn = new PCN({ layers: LAYERS, seed: 2, runtime: rt });
    try {
      pcn.params.view("layers.0.bias")[3] = -Infinity;
      // ReLU(−∞) = 0 keeps the forward pass finite, so the IL update runs and the PCN's own check
      // after it finds the bias (−∞ plus a finite change, or NaN once errors reach it).
      const error = thrown(() => train(pcn, data, { epochs: 1, batchSize: 16, lr: 0.01, seed: 0 }));
      expect(error).toBeInstanceOf(DivergenceError);
      expect(error.message).toMatch(/^training diverged in epoch 1, batch 1: layers\.0\.bias\[3\] = (-Infinity|NaN)( after the il update)?$/);
      expect(error.option, "the error blames the learning rate").toBe("lr");
    } finally {
      pcn.free();
    }
  });
});
