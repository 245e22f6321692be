// Determinism (DESIGN.md): the same seed and config give bit-identical parameters, in separately
// initialised runtimes and in the debug build; a different seed gives different parameters.
// And the initial weights have He statistics: W ~ N(0, 2/fan_in), zero biases.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, train, type Dataset, type MLPOptions, type Runtime, type TrainOptions } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

/** A 10-D problem: the label is the quadrant of (x₀, x₁) (XOR-like), the other 8 features noise. */
function quadrants(count: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  const images = new Float32Array(count * 10);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < 10; f++) images[i * 10 + f] = gen.range(-1, 1);
    labels[i] = (images[i * 10] > 0 ? 1 : 0) + (images[i * 10 + 1] > 0 ? 2 : 0);
  }
  return { name: "quadrants", images, labels, count, features: 10, classes: 4, shape: [10] };
}

const data = quadrants(203, 11); // 203 = 6·32 + 11: a short last batch
const modelOptions: Omit<MLPOptions, "runtime"> = { layers: [10, 13, 7, 4], activation: ["relu", "tanh"], batchNorm: true, seed: 42 };
const sgd: TrainOptions = { optimizer: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4, epochs: 3, batchSize: 32, seed: 5 };
const adam: TrainOptions = { optimizer: "adam", lr: 0.01, epochs: 3, batchSize: 32, seed: 5 };

interface Trained {
  sha: string;
  /** Every tensor's raw float32 bytes, in state_dict order. */
  bytes: Uint8Array[];
}

async function trained(rt: Runtime, model: Omit<MLPOptions, "runtime">, options: TrainOptions): Promise<Trained> {
  const m = new MLP({ ...model, runtime: rt });
  try {
    train(m, data, options);
    const bytes = m.params.toTensors().map((t) => new Uint8Array(t.data.buffer.slice(0)));
    return { sha: await m.params.sha256(), bytes };
  } finally {
    m.free();
  }
}

function expectSameBits(a: Trained, b: Trained): void {
  expect(a.sha).toMatch(/^[0-9a-f]{64}$/);
  expect(b.sha).toBe(a.sha);
  expect(b.bytes.length).toBe(a.bytes.length);
  a.bytes.forEach((bytes, i) => expect(Buffer.from(b.bytes[i]).equals(Buffer.from(bytes)), `tensor ${i}`).toBe(true));
}

let rtA: Runtime;
let rtB: Runtime;

beforeAll(async () => {
  rtA = await init();
  rtB = await init();
});

describe("determinism", () => {
  it("two runtimes are separate instances", () => {
    expect(rtA).not.toBe(rtB);
    expect(rtA.memory).not.toBe(rtB.memory);
  });

  it.each([["SGD (momentum, Nesterov, weight decay)", sgd], ["Adam", adam]] as const)(
    "%s: the same seed and config give bit-identical parameters in two runtimes",
    async (_name, options) => {
      const a = await trained(rtA, modelOptions, options);
      const b = await trained(rtB, modelOptions, options);
      expectSameBits(a, b);
      // Training moved the weights away from their initial values.
      const untrained = new MLP({ ...modelOptions, runtime: rtA });
      try {
        expect(await untrained.params.sha256()).not.toBe(a.sha);
      } finally {
        untrained.free();
      }
    },
  );

  it("results do not depend on where the heap put the tensors", async () => {
    const a = await trained(rtA, modelOptions, adam);
    // Shift every later allocation in runtime B by holding a few odd-sized blocks.
    const held = [rtB.heap.alloc(48), rtB.heap.alloc(1_000_000), rtB.heap.alloc(4)];
    try {
      expectSameBits(a, await trained(rtB, modelOptions, adam));
    } finally {
      for (const ptr of held) rtB.heap.free(ptr);
    }
  });

  it("the debug build gives the same bits as the release build", async () => {
    const debug = await init({ debug: true });
    expectSameBits(await trained(rtA, modelOptions, sgd), await trained(debug, modelOptions, sgd));
    expectSameBits(await trained(rtA, modelOptions, adam), await trained(debug, modelOptions, adam));
  });

  it("a different init seed gives different parameters", async () => {
    const a = await trained(rtA, modelOptions, adam);
    const b = await trained(rtA, { ...modelOptions, seed: 43 }, adam);
    expect(b.sha).not.toBe(a.sha);
    // Every weight matrix differs, not just one element.
    const first = new MLP({ ...modelOptions, runtime: rtA });
    const second = new MLP({ ...modelOptions, seed: 43, runtime: rtA });
    try {
      for (const name of ["layers.0.weight", "layers.3.weight", "layers.6.weight"]) {
        const x = first.params.view(name);
        const y = second.params.view(name);
        let same = 0;
        for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
        expect(same, name).toBe(0);
      }
    } finally {
      first.free();
      second.free();
    }
  });

  it("a different shuffling seed gives different parameters from the same initial weights", async () => {
    const a = await trained(rtA, modelOptions, adam);
    const b = await trained(rtA, modelOptions, { ...adam, seed: 6 });
    expect(b.sha).not.toBe(a.sha);
  });

  it("sha256 is the SHA-256 of the state_dict's little-endian float32 bytes", async () => {
    const m = new MLP({ ...modelOptions, runtime: rtA });
    try {
      const all = Buffer.concat(m.params.toTensors().map((t) => {
        const b = Buffer.alloc(t.data.length * 4);
        t.data.forEach((v, i) => b.writeFloatLE(v, i * 4));
        return b;
      }));
      const { createHash } = await import("node:crypto");
      expect(await m.params.sha256()).toBe(createHash("sha256").update(all).digest("hex"));
    } finally {
      m.free();
    }
  });
});

describe("He initialisation", () => {
  // W ~ N(0, σ² = 2/fan_in). For n independent draws the sample mean has sd σ/√n and the sample
  // variance s² has sd ≈ σ²·√(2/n); the fraction inside ±σ is 0.6827 (normal) with sd
  // √(p(1−p)/n). Every bound below is 5 sd: a correct implementation fails with probability
  // < 1e-6 per check, while a wrong scale (e.g. 1/fan_in, or fan_out), a uniform distribution
  // (inside ±σ: 0.577) or a non-zero mean is far outside.
  it.each([
    [[784, 256, 10], 1],
    [[300, 101, 7], 2],
  ] as const)("layers %j, seed %i: mean ≈ 0, variance ≈ 2/fan_in, normal shape, zero biases", async (layers, seed) => {
    const rt = await init();
    const m = new MLP({ layers: [...layers], seed, runtime: rt });
    try {
      for (let l = 0; l + 1 < layers.length; l++) {
        const fanIn = layers[l];
        const w = m.params.view(`layers.${2 * l}.weight`);
        const n = w.length;
        expect(n).toBe(fanIn * layers[l + 1]);
        const variance = 2 / fanIn;
        const sigma = Math.sqrt(variance);
        let sum = 0;
        for (const v of w) sum += v;
        const mean = sum / n;
        let ss = 0;
        let inside = 0;
        for (const v of w) {
          ss += (v - mean) ** 2;
          if (Math.abs(v) < sigma) inside++;
        }
        const sampleVar = ss / (n - 1);
        expect(Math.abs(mean), `layer ${l} mean`).toBeLessThan(5 * sigma / Math.sqrt(n));
        expect(Math.abs(sampleVar - variance), `layer ${l} variance ${sampleVar} vs ${variance}`).toBeLessThan(5 * variance * Math.sqrt(2 / n));
        const p = 0.682689492137;
        expect(Math.abs(inside / n - p), `layer ${l} fraction within 1σ`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
        expect(Array.from(m.params.view(`layers.${2 * l}.bias`)).every((v) => v === 0)).toBe(true);
      }
    } finally {
      m.free();
    }
  });

  it("batch norm starts as the identity: γ = 1, β = 0, running mean 0, running variance 1", () => {
    const m = new MLP({ layers: [5, 6, 3], batchNorm: true, runtime: rtA });
    try {
      expect(Array.from(m.params.view("layers.1.weight"))).toEqual([1, 1, 1, 1, 1, 1]);
      expect(Array.from(m.params.view("layers.1.bias"))).toEqual([0, 0, 0, 0, 0, 0]);
      expect(Array.from(m.params.view("layers.1.running_mean"))).toEqual([0, 0, 0, 0, 0, 0]);
      expect(Array.from(m.params.view("layers.1.running_var"))).toEqual([1, 1, 1, 1, 1, 1]);
    } finally {
      m.free();
    }
  });

  it("the same seed gives the same initial weights; the default seed is a fixed one", async () => {
    const a = new MLP({ layers: [9, 5, 2], seed: 3, runtime: rtA });
    const b = new MLP({ layers: [9, 5, 2], seed: 3, runtime: rtB });
    const c = new MLP({ layers: [9, 5, 2], runtime: rtA });
    const d = new MLP({ layers: [9, 5, 2], runtime: rtB });
    try {
      expect(await b.params.sha256()).toBe(await a.params.sha256());
      expect(await d.params.sha256()).toBe(await c.params.sha256());
    } finally {
      for (const m of [a, b, c, d]) m.free();
    }
  });
});
