// Noise-aware training (Hunsberger & Eliasmith 2015): in training, every soft-LIF activation reaches
// the next layer with Gaussian noise of the given standard deviation added — drawn from the model's
// own stream of its seed, so a run is reproducible and resumable (tests/facade/checkpoint.test.ts) —
// while inference sees none, and backprop's gradient is that of the noisy forward pass (the noise
// is additive: finite differences with the same draw).

import { beforeAll, describe, expect, it } from "vitest";
import { init, lossAndGradient, Matrix, MLP, train, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { rings } from "../helpers/rings.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

describe("noise-aware training", () => {
  it("adds N(0, σ²) to soft-LIF activations in training only", () => {
    const mlp = new MLP({ layers: [4, 3000, 2], activation: "softlif", noise: 0.25, seed: 1, runtime: rt });
    const gen = new Lcg(2);
    const x = Matrix.from(rt, 4, 4, Float32Array.from({ length: 16 }, () => gen.normal()));
    try {
      const act = mlp.weightLayers[0].activation!;
      const pre = Matrix.from(rt, 4, 3000, Float32Array.from({ length: 12000 }, () => 2 * gen.uniform()));
      mlp.forward(x, false); // sizes the buffers
      const noisy = act.forward(pre, true).toArray();
      const clean = act.output.toArray();
      const d = noisy.map((v, i) => v - clean[i]);
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
      // 12 000 draws: the standard errors are σ/√n ≈ 0.0023 for the mean and σ/√(2n) ≈ 0.0016 for σ.
      expect(Math.abs(mean)).toBeLessThan(5 * 0.0023);
      expect(Math.abs(std - 0.25)).toBeLessThan(5 * 0.0016);
      // Inference: no noise, and the same answer twice.
      const a = act.forward(pre, false).toArray();
      expect(a).toEqual(clean);
      pre.free();
    } finally {
      x.free();
      mlp.free();
    }
  });

  it("is reproducible from the seed, differs from noiseless training, and changes no inference", async () => {
    const data = rings("train", 200, 3);
    const run = async (noise: number) => {
      const mlp = new MLP({ layers: [2, 16, 3], activation: "softlif", noise, seed: 5, runtime: rt });
      train(mlp, data, { epochs: 2, batchSize: 20, lr: 0.1, momentum: 0.9, seed: 6 });
      const sha = await mlp.params.sha256();
      const p1 = mlp.logits(data.images), p2 = mlp.logits(data.images);
      expect(p1).toEqual(p2);
      mlp.free();
      return sha;
    };
    const [a, b, none] = [await run(0.5), await run(0.5), await run(0)];
    expect(a).toBe(b);
    expect(a).not.toBe(none);
    const plain = new MLP({ layers: [2, 16, 3], activation: "softlif", seed: 5, runtime: rt });
    train(plain, data, { epochs: 2, batchSize: 20, lr: 0.1, momentum: 0.9, seed: 6 });
    expect(await plain.params.sha256(), "noise 0 is no noise").toBe(none);
    expect(plain.config.noise).toBeUndefined();
    plain.free();
  });

  it("backprop's gradient is the noisy forward pass's: finite differences with the same draw", () => {
    const mlp = new MLP({ layers: [3, 5, 2], activation: "softlif", noise: 0.2, seed: 3, runtime: rt });
    const gen = new Lcg(8);
    const B = 4;
    const x = Matrix.from(rt, B, 3, Float32Array.from({ length: B * 3 }, () => gen.normal()));
    const targets = Matrix.from(rt, B, 2, Float32Array.from({ length: B * 2 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0)));
    const grad = new Matrix(rt, B, 2);
    try {
      const state = mlp.checkpointState();
      const loss = () => {
        mlp.restoreCheckpointState(state, "test");
        return lossAndGradient("ce", mlp.forward(x, true), targets, grad, 1);
      };
      loss();
      for (const name of mlp.params.specs.map((s) => s.name)) mlp.params.gradView(name).fill(0);
      mlp.backward(grad);
      const w = mlp.params.view("layers.2.weight");
      const g = Array.from(mlp.params.gradView("layers.2.weight"));
      const h = 1e-2;
      for (let i = 0; i < w.length; i++) {
        const w0 = w[i];
        w[i] = w0 + h;
        const up = loss();
        w[i] = w0 - h;
        const down = loss();
        w[i] = w0;
        // The gradient is of the summed loss (the trainer divides by B); the loss returned, the mean.
        expect((B * (up - down)) / (2 * h), `dL/dW[${i}]`).toBeCloseTo(g[i], 2);
      }
    } finally {
      x.free();
      targets.free();
      grad.free();
      mlp.free();
    }
  });

  it("is refused without soft-LIF activations, and for negative or non-finite values", () => {
    expect(() => new MLP({ layers: [2, 3, 2], activation: "relu", noise: 0.1, runtime: rt })).toThrow(/noise: noise-aware training adds noise to soft-LIF activations/);
    for (const bad of [-0.1, NaN, Infinity]) expect(() => new MLP({ layers: [2, 3, 2], activation: "softlif", noise: bad, runtime: rt })).toThrow(/^noise: must be a finite number ≥ 0/);
  });
});
