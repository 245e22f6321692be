// Checkpoint and resume: a run restarted from any checkpoint — through the file format's bytes, into
// freshly built models and optimisers — ends with the same parameter bits and the same per-epoch
// figures as the run that was never interrupted.

import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeCheckpoint, encodeCheckpoint, init, MLP, PCN, train, VERSION, type Checkpoint, type EpochResult, type MLPOptions, type PCNOptions, type TrainOptions,
} from "../../ts-wrapper/index.js";
import { rings } from "../helpers/rings.js";

const data = rings("rings", 203, 3); // 203 = 6·32 + 11: a short last batch
const rings203 = data;
const odd = rings("rings-odd", 193, 5); // 193 = 6·32 + 1: a last batch batch norm must skip
const test = rings("rings-test", 60, 4);

interface Case {
  name: string;
  build: () => MLP | PCN;
  options: TrainOptions;
  data?: typeof data;
}

const mlp = (o: Omit<MLPOptions, "layers">) => () => new MLP({ layers: [2, 12, 9, 3], seed: 7, ...o });
const pcn = (o: Omit<PCNOptions, "layers">) => () => new PCN({ layers: [2, 12, 9, 3], seed: 7, ...o });
const base = { epochs: 3, batchSize: 32, seed: 9, test };
const CASES: Case[] = [
  { name: "sgd, nesterov momentum, weight decay, cosine", build: mlp({ activation: "tanh" }), options: { ...base, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, lrSchedule: "cosine" } },
  { name: "adam with batch norm (running statistics)", build: mlp({ batchNorm: true }), options: { ...base, optimizer: "adam", lr: 0.01 } },
  { name: "plain sgd with feedback alignment", build: mlp({ activation: "tanh", feedbackAlignment: true }), options: { ...base, lr: 0.1 } },
  { name: "pcn il", build: pcn({ algo: "il", activation: "tanh", T: 8 }), options: { ...base, lr: 0.1, momentum: 0.5 } },
  { name: "pcn zil with adam and feedback alignment", build: pcn({ algo: "zil", activation: "tanh", feedbackAlignment: true }), options: { ...base, optimizer: "adam", lr: 0.01 } },
  { name: "pcn ipc with adam (T optimiser steps per batch)", build: pcn({ algo: "ipc", activation: "tanh", T: 4, gamma: 0.05 }), options: { ...base, optimizer: "adam", lr: 0.005 } },
  { name: "batch norm skipping a last batch of one", build: mlp({ batchNorm: true }), options: { ...base, lr: 0.05, momentum: 0.9, lrSchedule: "cosine" }, data: odd },
  { name: "soft-LIF", build: mlp({ activation: "softlif" }), options: { ...base, lr: 0.1, momentum: 0.9 } },
  { name: "soft-LIF with noise-aware training (the noise generator's state)", build: mlp({ activation: "softlif", noise: 0.3 }), options: { ...base, lr: 0.1, momentum: 0.9 } },
];

const withoutSeconds = (history: EpochResult[]) => history.map(({ seconds: _, ...e }) => e);

beforeAll(async () => {
  await init();
});

describe.each(CASES)("resume: $name", ({ build, options, data = rings203 }) => {
  it("ends bit-identical from every checkpoint, every 2 batches and at each epoch's end", async () => {
    const saved: Uint8Array[] = [];
    const whole = build();
    const result = train(whole, data, { ...options, checkpoint: { every: 2, save: (c) => saved.push(encodeCheckpoint(c, { run: "x" })) } });
    const expected = await whole.params.sha256();
    // A PCN's energy trace of the last relaxation is part of what a finished run reports.
    const trace = whole instanceof PCN ? [...whole.energyTrace] : undefined;
    whole.free();
    // 7 batches per epoch: checkpoints after batches 2, 4, 6 and at the end, in each of 3 epochs.
    expect(saved.length).toBe(3 * 4);
    for (const [i, bytes] of saved.entries()) {
      const { checkpoint, run } = decodeCheckpoint(bytes, `checkpoint ${i}`);
      expect(run).toEqual({ run: "x" });
      const model = build();
      const resumed = train(model, data, { ...options, resume: checkpoint });
      expect(await model.params.sha256(), `from checkpoint ${i} (epoch ${checkpoint.state.epoch}, batch ${checkpoint.state.batch})`).toBe(expected);
      expect(withoutSeconds(resumed.history)).toEqual(withoutSeconds(result.history));
      if (model instanceof PCN) expect(model.energyTrace, `energy trace from checkpoint ${i}`).toEqual(trace);
      model.free();
    }
  });
});

describe("checkpoint contents and errors", () => {
  let last: Checkpoint;
  beforeAll(() => {
    const model = mlp({})();
    train(model, data, { ...base, lr: 0.1, momentum: 0.9, checkpoint: { save: (c) => (last = c) } });
    model.free();
  });

  it("the final checkpoint is past the last epoch: resuming from it trains nothing and returns the history", () => {
    expect(last.state).toMatchObject({ epoch: 4, batch: 0, seen: 0 });
    expect(last.state.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const model = mlp({})();
    const before = model.params.toTensors();
    const result = train(model, data, { ...base, lr: 0.1, momentum: 0.9, resume: last });
    expect(result.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // The parameters are the checkpoint's, not the fresh model's.
    expect(model.params.toTensors()).toEqual(last.params);
    expect(model.params.toTensors()).not.toEqual(before);
    model.free();
  });

  it("rejects a checkpoint of another architecture, naming the tensor", () => {
    const other = new MLP({ layers: [2, 5, 3], seed: 7 });
    expect(() => train(other, data, { ...base, lr: 0.1, momentum: 0.9, resume: last })).toThrow(/resume: tensor layers\.0\.weight has shape \[12,2\], the model expects \[5,2\]/);
    other.free();
  });

  it("rejects a checkpoint of another optimiser", () => {
    const model = mlp({})();
    expect(() => train(model, data, { ...base, optimizer: "adam", lr: 0.01, resume: last })).toThrow(/resume: 1 optimizer buffers, but adam keeps 2/);
    model.free();
  });

  it("rejects an optimizer buffer holding a non-finite value", () => {
    const model = mlp({})();
    const optimizer = last.optimizer.map((b) => b.slice());
    optimizer[0][5] = Number.NaN;
    expect(() => train(model, data, { ...base, lr: 0.1, momentum: 0.9, resume: { ...last, optimizer } })).toThrow(/resume: optimizer buffer 0 holds a non-finite value \(NaN\) at index 5/);
    model.free();
  });

  it("rejects a checkpoint past the run's epochs", () => {
    const model = mlp({})();
    expect(() => train(model, data, { ...base, epochs: 2, lr: 0.1, momentum: 0.9, resume: last })).toThrow(/resume: the checkpoint is at epoch 4, batch 0, which this run of 2 epochs of 7 batches never reaches/);
    model.free();
  });

  it("rejects a state whose clocks or sums this run never has, naming the file", () => {
    let middle: Checkpoint | undefined;
    const model = mlp({})();
    train(model, data, { ...base, lr: 0.1, momentum: 0.9, checkpoint: { every: 3, save: (c) => (middle ??= c) } });
    const file = (state: Partial<Checkpoint["state"]>) => decodeCheckpoint(encodeCheckpoint({ ...middle!, state: { ...middle!.state, ...state } }, {}), "m.ckpt").checkpoint;
    const resume = (state: Partial<Checkpoint["state"]>) => () => train(model, data, { ...base, lr: 0.1, momentum: 0.9, resume: file(state) });
    expect(middle!.state).toMatchObject({ epoch: 1, batch: 3, steps: 3, seen: 96 });
    expect(resume({ steps: 4 })).toThrow(/^resume from m\.ckpt: the checkpoint has taken 4 steps, but epoch 1, batch 3 of this run comes after 3$/);
    expect(resume({ seen: 90 })).toThrow(/resume from m\.ckpt: the checkpoint has seen 90 samples of its epoch, but 3 batches of 32 hold 96/);
    expect(resume({ correct: 97 })).toThrow(/resume from m\.ckpt: the checkpoint counts 97 correct of 96 samples/);
    expect(resume({ lossSum: -1 })).toThrow(/resume from m\.ckpt: the checkpoint's loss sum is negative/);
    expect(resume({ batch: 7 })).toThrow(/never reaches/);
    model.free();
  });

  it("decoding names the file and what is wrong", () => {
    const good = encodeCheckpoint(last, {});
    expect(() => decodeCheckpoint(good.subarray(0, 20), "a.ckpt")).toThrow(/^a\.ckpt: /);
    const edit = (change: (state: Record<string, unknown>) => void) => {
      const state = JSON.parse(JSON.stringify(last.state));
      change(state);
      return encodeCheckpoint({ ...last, state }, {});
    };
    expect(() => decodeCheckpoint(edit((s) => (s.epoch = 0)), "b.ckpt")).toThrow(/b\.ckpt: checkpoint state epoch must be ≥ 1, got 0/);
    expect(() => decodeCheckpoint(edit((s) => (s.shuffle = "zz")), "c.ckpt")).toThrow(/c\.ckpt: checkpoint state shuffle must be 32 hex digits/);
    expect(() => decodeCheckpoint(edit((s) => (s.steps = -1)), "d.ckpt")).toThrow(/d\.ckpt: checkpoint state steps must be an integer ≥ 0, got -1/);
    expect(() => decodeCheckpoint(edit((s) => (s.history = [])), "e.ckpt")).toThrow(/e\.ckpt: checkpoint state history must list the 3 finished epochs/);
  });

  it("refuses a checkpoint of another version, naming both", () => {
    const bytes = encodeCheckpoint(last, {});
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n)).replace(`"version":"${VERSION}"`, `"version":"0.0.9"`.padEnd(`"version":"${VERSION}"`.length, " "));
    const edited = new Uint8Array(bytes);
    edited.set(new TextEncoder().encode(header), 8);
    expect(() => decodeCheckpoint(edited, "v.ckpt")).toThrow(`v.ckpt: a checkpoint of bioplausible 0.0.9; this is ${VERSION}, which cannot resume it bit for bit`);
  });
});
