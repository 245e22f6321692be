// The cosine learning-rate schedule: step k of K uses lr·½(1 + cos(πk/K)). Checked against plain
// SGD in float64 (tests/helpers/pc-reference.ts's backprop) with the rates the formula gives.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, train, type Dataset, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { backprop64, cloneNet, maxParamDiff, netFromParams, sgd64 } from "../helpers/pc-reference.js";
import { oneHot } from "../../ts-wrapper/datasets/dataset.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

function blobs(count: number): Dataset {
  const gen = new Lcg(11);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  const images = Float32Array.from({ length: count * 4 }, (_, k) => gen.normal() + labels[Math.floor(k / 4)]);
  return { name: "blobs", images, labels, count, features: 4, classes: 3, shape: [4] };
}

describe("lrSchedule", () => {
  it("cosine: each full-batch step uses lr·½(1 + cos(πk/K)) (float64 SGD reference)", () => {
    const data = blobs(8);
    const layers = [4, 6, 3];
    const epochs = 4; // one full batch per epoch: K = 4 steps
    const lr = 0.5;
    const model = new MLP({ layers, activation: "tanh", seed: 2, runtime: rt });
    try {
      let net = netFromParams(model.params, layers, ["tanh"]);
      const x = Float64Array.from(data.images);
      const y = Float64Array.from(oneHot(data.labels, 3));
      for (let k = 0; k < epochs; k++) {
        const next = cloneNet(net);
        sgd64(next, backprop64(net, x, y, data.count, "ce"), lr * 0.5 * (1 + Math.cos((Math.PI * k) / epochs)));
        net = next;
      }
      train(model, data, { epochs, batchSize: data.count, lr, lrSchedule: "cosine", seed: 1 });
      const got = netFromParams(model.params, layers, ["tanh"]);
      // float32 steps against float64: a few hundred ulps of O(1) weights after 4 steps.
      expect(maxParamDiff(got, net)).toBeLessThan(1e-5);
      // A constant rate ends elsewhere: the schedule is really applied.
      const constant = new MLP({ layers, activation: "tanh", seed: 2, runtime: rt });
      train(constant, data, { epochs, batchSize: data.count, lr, seed: 1 });
      expect(maxParamDiff(netFromParams(constant.params, layers, ["tanh"]), net)).toBeGreaterThan(1e-3);
      constant.free();
    } finally {
      model.free();
    }
  });

  it("rejects an unknown schedule", () => {
    const model = new MLP({ layers: [4, 3], runtime: rt });
    try {
      expect(() => train(model, blobs(6), { epochs: 1, batchSize: 2, lr: 0.1, lrSchedule: "step" as never })).toThrow(/lrSchedule: must be one of constant, cosine/);
    } finally {
      model.free();
    }
  });
});
