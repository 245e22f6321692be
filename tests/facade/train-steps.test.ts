// trainSteps(): the training loop as a generator. Drained, it is train(); each record is one batch,
// and the epoch's mean loss and accuracy are the sample-weighted means of its batches; a caller that
// stops early gets its buffers back.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, PCN, train, trainSteps, type BatchResult, type Runtime, type TrainOptions } from "../../ts-wrapper/index.js";
import { rings } from "../helpers/rings.js";

const data = rings("rings", 203, 3); // 7 batches of 32: the last holds 11
const options: TrainOptions = { epochs: 2, batchSize: 32, lr: 0.1, momentum: 0.9, lrSchedule: "cosine", seed: 4 };
let rt: Runtime;

beforeAll(async () => {
  rt = await init();
});

describe("trainSteps", () => {
  it.each(["mlp", "pcn"])("%s: drained, it ends where train() ends, one record per batch, means that add up", async (kind) => {
    const build = () => (kind === "pcn" ? new PCN({ layers: [2, 10, 3], activation: "tanh", seed: 1 }) : new MLP({ layers: [2, 10, 3], activation: "tanh", seed: 1 }));
    const a = build();
    const expected = train(a, data, options);
    const b = build();
    const records: BatchResult[] = [];
    const steps = trainSteps(b, data, options);
    let next = steps.next();
    for (; !next.done; next = steps.next()) records.push(next.value);
    expect(await b.params.sha256()).toBe(await a.params.sha256());
    expect(next.value.history.map((e) => e.loss)).toEqual(expected.history.map((e) => e.loss));
    expect(records.map((r) => [r.epoch, r.batch, r.samples, r.done])).toEqual([1, 2].flatMap((epoch) =>
      [1, 2, 3, 4, 5, 6, 7].map((batch) => [epoch, batch, batch < 7 ? 32 : 11, Math.min(batch * 32, 203)])));
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => i + 1));
    for (const e of expected.history) {
      const mine = records.filter((r) => r.epoch === e.epoch);
      const samples = mine.reduce((n, r) => n + r.samples, 0);
      expect(mine.reduce((s, r) => s + r.loss * r.samples, 0) / samples).toBeCloseTo(e.loss, 12);
      expect(mine.reduce((s, r) => s + r.correct, 0) / samples).toBe(e.accuracy);
    }
    a.free();
    b.free();
  });

  it("stopping early frees the trainer's buffers", () => {
    const model = new MLP({ layers: [2, 10, 3], seed: 1 });
    train(model, data, { ...options, epochs: 1 }); // the model's own workspace is allocated once, here
    const before = rt.heap.bytesInUse;
    const steps = trainSteps(model, data, options);
    for (const r of steps) if (r.step === 3) break; // for-of's break calls return()
    expect(rt.heap.bytesInUse).toBe(before);
    model.free();
  });
});
