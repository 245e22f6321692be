// Predictive coding of convolutional networks (models/pc-layers.ts).
//
// 1. The layer-list relaxation is the table kernel's step, op for op: on MLPs the two give the same
//    bits for IL, Z-IL and iPC, both output energies, and feedback alignment.
// 2. Z-IL equals backprop bit for bit on conv nets too (Song et al. 2020 show the equivalence for
//    CNNs): same initial weights, the same batches, SGD — identical parameters after every step,
//    through average and max pooling, a stride and padding. Negative control: IL with γ = 1 and
//    T = L (every layer updated from the final errors, not each at its own step) differs.
// 3. IL on a conv net descends its energy and learns a toy task.

import { beforeAll, describe, expect, it } from "vitest";
import { BatchBuffer, init, MLP, Optimizer, PCN, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const ARCH = "conv4k3p1,avgpool2,conv5k3s2p1,maxpool2,fc6,fc3";
const SHAPE = [2, 8, 8];
const FEATURES = 128;

function batches(count: number, B: number, features: number, classes: number, seed: number): BatchBuffer[] {
  const gen = new Lcg(seed);
  return Array.from({ length: count }, () => {
    const batch = new BatchBuffer(rt, B, features, classes);
    batch.x.view().set(Float32Array.from({ length: B * features }, () => gen.range(0, 1)));
    const t = batch.targets.view();
    t.fill(0);
    for (let i = 0; i < B; i++) t[i * classes + (gen.nextU32() % classes)] = 1;
    return batch;
  });
}

describe("the layer-list relaxation", () => {
  const cases = [
    { algo: "il", loss: "ce", fa: false }, { algo: "il", loss: "mse", fa: true }, { algo: "zil", loss: "ce", fa: false },
    { algo: "ipc", loss: "mse", fa: false }, { algo: "zil", loss: "mse", fa: true },
  ] as const;
  it.each(cases)("gives the table kernel's bits on an MLP ($algo, $loss, feedback alignment $fa)", ({ algo, loss, fa }) => {
    const data = batches(3, 6, 9, 3, 7);
    const make = (relaxation: "table" | "layers") =>
      new PCN({ layers: [9, 7, 5, 3], activation: "tanh", seed: 2, algo, T: 6, gamma: 0.2, feedbackAlignment: fa, relaxation, runtime: rt });
    const [a, b] = [make("table"), make("layers")];
    const [oa, ob] = [a, b].map((m) => new Optimizer(m.params, { lr: 0.05, momentum: 0.9 }));
    try {
      for (const batch of data) {
        a.trainBatch(batch.rows(6), loss, oa);
        b.trainBatch(batch.rows(6), loss, ob);
        expect(b.energyTrace).toEqual(a.energyTrace);
      }
      expect(b.params.toTensors()).toEqual(a.params.toTensors());
    } finally {
      for (const m of [a, b]) m.free();
      for (const o of [oa, ob]) o.free();
      for (const d of data) d.free();
    }
  });
});

describe("Z-IL on a convolutional network", () => {
  it.each(["ce", "mse"] as const)("equals backprop bit for bit, step after step (%s output)", (loss) => {
    const data = batches(3, 5, FEATURES, 3, 11);
    const bp = new MLP({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 4, runtime: rt });
    const zil = new PCN({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 4, algo: "zil", runtime: rt });
    const il = new PCN({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 4, algo: "il", T: 4, gamma: 1, runtime: rt });
    const opts = [bp, zil, il].map((m) => new Optimizer(m.params, { lr: 0.1 }));
    try {
      expect(zil.relaxation).toBe("layers");
      expect(zil.params.toTensors()).toEqual(bp.params.toTensors());
      for (const batch of data) {
        bp.trainBatch(batch.rows(5), loss, opts[0]);
        zil.trainBatch(batch.rows(5), loss, opts[1]);
        il.trainBatch(batch.rows(5), loss, opts[2]);
        expect(zil.params.toTensors()).toEqual(bp.params.toTensors());
      }
      expect(zil.energyTrace).toHaveLength(4);
      // Negative control: the same relaxation updating every layer at the end is not backprop.
      const differs = il.params.toTensors().some((t, i) => t.data.some((v, k) => v !== bp.params.toTensors()[i].data[k]));
      expect(differs).toBe(true);
    } finally {
      for (const m of [bp, zil, il]) m.free();
      for (const o of opts) o.free();
      for (const d of data) d.free();
    }
  });
});

describe("feedback alignment on a convolutional network", () => {
  it("draws fixed random kernels outside the parameters, and Z-IL with them equals backprop with them bit for bit", () => {
    const data = batches(2, 4, FEATURES, 3, 13);
    const bp = new MLP({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 6, feedbackAlignment: true, runtime: rt });
    const zil = new PCN({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 6, algo: "zil", feedbackAlignment: true, runtime: rt });
    const plain = new MLP({ arch: ARCH, inputShape: SHAPE, activation: "tanh", seed: 6, runtime: rt });
    const opts = [bp, zil, plain].map((m) => new Optimizer(m.params, { lr: 0.1 }));
    try {
      // B_1 (the second conv's kernel) has W_1's shape, is not W_1, and is not a parameter.
      const b1 = bp.feedbackWeight(1), w1 = bp.linearLayers[1].weights();
      expect([b1.rows, b1.cols]).toEqual([w1.rows, w1.cols]);
      expect(b1.toArray()).not.toEqual(w1.toArray());
      expect(bp.params.toTensors().map((t) => t.name)).toEqual(plain.params.toTensors().map((t) => t.name));
      for (const batch of data) {
        for (const [m, o] of [[bp, opts[0]], [zil, opts[1]], [plain, opts[2]]] as const) m.trainBatch(batch.rows(4), "ce", o);
        expect(zil.params.toTensors()).toEqual(bp.params.toTensors());
      }
      // The last layer's gradient is the same either way; the layers below differ from plain backprop.
      const [fa, bpPlain] = [bp, plain].map((m) => m.params.view(m.linearLayers[0].weight).slice());
      expect(fa).not.toEqual(bpPlain);
    } finally {
      for (const m of [bp, zil, plain]) m.free();
      for (const o of opts) o.free();
      for (const d of data) d.free();
    }
  });
});

describe("IL on a convolutional network", () => {
  it("descends the energy during relaxation and learns a separable toy task", () => {
    const gen = new Lcg(5);
    const B = 16;
    // Class c lights up a quarter of channel 0's image; the rest is noise.
    const make = () => {
      const batch = new BatchBuffer(rt, B, FEATURES, 3);
      const x = batch.x.view(), t = batch.targets.view();
      t.fill(0);
      for (let i = 0; i < B; i++) {
        const c = gen.nextU32() % 3;
        t[i * 3 + c] = 1;
        for (let k = 0; k < FEATURES; k++) x[i * FEATURES + k] = 0.3 * gen.uniform() + (k < 64 && Math.floor((k % 8) / 3) === c ? 1 : 0);
      }
      return batch;
    };
    const data = Array.from({ length: 30 }, make);
    const pcn = new PCN({ arch: ARCH, inputShape: SHAPE, activation: "relu", seed: 1, algo: "il", T: 12, gamma: 0.1, runtime: rt });
    const opt = new Optimizer(pcn.params, { lr: 0.05, momentum: 0.9 });
    try {
      let correct = 0;
      for (let epoch = 0; epoch < 4; epoch++) {
        for (const batch of data) {
          const { logits } = pcn.trainBatch(batch.rows(B), "ce", opt);
          const trace = pcn.energyTrace;
          expect(trace[trace.length - 1]).toBeLessThan(trace[0]);
          if (epoch === 3) {
            const l = logits.toArray(), t = batch.targets.view();
            for (let i = 0; i < B; i++) {
              const row = Array.from(l.subarray(i * 3, i * 3 + 3));
              if (t[i * 3 + row.indexOf(Math.max(...row))] === 1) correct++;
            }
          }
        }
      }
      // Chance is 1/3; the classes are separable by channel 0's columns.
      expect(correct / (30 * B)).toBeGreaterThan(0.9);
    } finally {
      pcn.free();
      opt.free();
      for (const d of data) d.free();
    }
  });
});
