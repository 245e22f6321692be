// Optimizer over a ParameterSet against float64 scalar re-implementations of PyTorch's update
// rules (torch.optim.SGD and torch.optim.Adam, as documented in their "Algorithm" sections):
//
//   SGD:  g ← g + λθ;  with μ ≠ 0: b ← g on the first step, else b ← μb + g (dampening 0);
//         g ← g + μb if nesterov else b;  θ ← θ − γg.
//   Adam: g ← g + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
//         θ ← θ − γ·(m / (1 − β₁ᵗ)) / (sqrt(v / (1 − β₂ᵗ)) + ε).
//
// (PyTorch's Adam code computes the same thing as (γ/(1 − β₁ᵗ))·m / (sqrt(v)/sqrt(1 − β₂ᵗ) + ε);
// the reference below is the documented form, so the two are not the same expression.)
//
// Tolerance: the wasm runs in float32. Each step's update has a relative rounding error of a few
// u = 2⁻²⁴ ≈ 6e-8 in each of ~10 operations, and over 6 steps the parameter error stays below
// ~100·u·(|θ| + Σ|updates|) ≲ 1e-5 for the O(1) values used here. We require
// |θ_wasm − θ_ref| ≤ 2e-5·max(1, |θ_ref|); a wrong rule (no bias correction, dampening, Nesterov
// off, decoupled weight decay) moves θ by ≥ 1e-3 at these learning rates.

import { beforeAll, describe, expect, it } from "vitest";
import { init, Optimizer, ParameterSet, type OptimizerOptions, type Runtime, type TensorSpec } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

const SPECS: TensorSpec[] = [
  { name: "a.weight", shape: [3, 5], trainable: true }, // 15: not a multiple of 4
  { name: "a.bias", shape: [3], trainable: true },
  { name: "stats", shape: [6], trainable: false },
  { name: "b.weight", shape: [2, 2, 2], trainable: true },
  { name: "b.bias", shape: [1], trainable: true },
];
const TRAINABLE = SPECS.filter((s) => s.trainable).map((s) => s.name);
const STEPS = 6;

let rt: Runtime;

beforeAll(async () => {
  rt = await init();
});

interface ScalarState {
  theta: number;
  buf?: number;
  m: number;
  v: number;
}

function sgdReference(s: ScalarState, grad: number, o: OptimizerOptions): void {
  const mu = o.momentum ?? 0;
  let g = grad + (o.weightDecay ?? 0) * s.theta;
  if (mu !== 0) {
    s.buf = s.buf === undefined ? g : mu * s.buf + g;
    g = o.nesterov ? g + mu * s.buf : s.buf;
  }
  s.theta -= o.lr * g;
}

function adamReference(s: ScalarState, grad: number, o: OptimizerOptions, t: number): void {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const g = grad + (o.weightDecay ?? 0) * s.theta;
  s.m = b1 * s.m + (1 - b1) * g;
  s.v = b2 * s.v + (1 - b2) * g * g;
  const mHat = s.m / (1 - b1 ** t);
  const vHat = s.v / (1 - b2 ** t);
  s.theta -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
}

/** Runs STEPS optimiser steps on random values and gradients in wasm and in the reference. */
function compare(options: OptimizerOptions, seed: number) {
  const params = new ParameterSet(rt, SPECS);
  const gen = new Lcg(seed);
  try {
    const ref = new Map<string, ScalarState[]>();
    for (const name of TRAINABLE) {
      const view = params.view(name);
      view.set(Array.from(view, () => gen.normal()));
      ref.set(name, Array.from(params.view(name), (theta) => ({ theta, m: 0, v: 0 })));
    }
    const stats = params.view("stats");
    stats.set([1, 2, 3, 4, 5, 6]);
    const opt = new Optimizer(params, options);
    try {
      for (let t = 1; t <= STEPS; t++) {
        for (const name of TRAINABLE) {
          const grads = params.gradView(name);
          // Gradients of mixed sign and scale; one element gets a zero gradient on every step.
          grads.set(Array.from(grads, (_, i) => (i === 0 ? 0 : gen.normal() * (t % 2 ? 1 : 0.1))));
          const g = params.gradView(name).slice();
          ref.get(name)!.forEach((s, i) => {
            if (options.optimizer === "adam") adamReference(s, g[i], options, t);
            else sgdReference(s, g[i], options);
          });
        }
        opt.step();
      }
    } finally {
      opt.free();
    }
    let worst = 0;
    let moved = 0;
    for (const name of TRAINABLE) {
      const got = params.view(name);
      ref.get(name)!.forEach((s, i) => {
        worst = Math.max(worst, Math.abs(got[i] - s.theta) / Math.max(1, Math.abs(s.theta)));
      });
      moved += got.length;
    }
    return { worst, moved, stats: Array.from(params.view("stats")) };
  } finally {
    params.free();
  }
}

const CASES: [string, OptimizerOptions][] = [
  ["SGD", { optimizer: "sgd", lr: 0.1 }],
  ["SGD, weight decay", { optimizer: "sgd", lr: 0.05, weightDecay: 0.1 }],
  ["SGD, momentum", { optimizer: "sgd", lr: 0.1, momentum: 0.9 }],
  ["SGD, momentum, weight decay", { optimizer: "sgd", lr: 0.03, momentum: 0.5, weightDecay: 0.01 }],
  ["SGD, Nesterov momentum", { optimizer: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }],
  ["SGD, Nesterov momentum, weight decay", { optimizer: "sgd", lr: 0.02, momentum: 0.7, nesterov: true, weightDecay: 0.05 }],
  ["SGD is the default optimizer", { lr: 0.1, momentum: 0.3 }],
  ["Adam (defaults)", { optimizer: "adam", lr: 0.01 }],
  ["Adam, custom betas and eps", { optimizer: "adam", lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-3 }],
  ["Adam, L2 weight decay", { optimizer: "adam", lr: 0.01, weightDecay: 0.1 }],
  ["Adam, beta1 0", { optimizer: "adam", lr: 0.02, beta1: 0 }],
];

describe("Optimizer against PyTorch's update rules in float64", () => {
  it.each(CASES)("%s", (_name, options) => {
    const { worst, stats } = compare(options, 99);
    expect(worst).toBeLessThanOrEqual(2e-5);
    // Buffers that are not trainable (batch-norm statistics) are never touched.
    expect(stats).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("the reference is sensitive: Nesterov on vs off differ by far more than the tolerance", () => {
    // Guards against a vacuous comparison (e.g. steps so small that every rule agrees).
    const s1: ScalarState = { theta: 1, m: 0, v: 0 };
    const s2: ScalarState = { theta: 1, m: 0, v: 0 };
    for (let t = 0; t < STEPS; t++) {
      sgdReference(s1, 1, { lr: 0.1, momentum: 0.9 });
      sgdReference(s2, 1, { lr: 0.1, momentum: 0.9, nesterov: true });
    }
    expect(Math.abs(s1.theta - s2.theta)).toBeGreaterThan(1e-2);
  });

  it("Adam's first step moves each parameter by lr·sign(g) (bias correction)", () => {
    // t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g) — exact, independent of |g|.
    const params = new ParameterSet(rt, [{ name: "w", shape: [5], trainable: true }]);
    try {
      params.view("w").set([0, 0, 0, 0, 0]);
      params.gradView("w").set([3, -0.001, 100, -7, 0]);
      const opt = new Optimizer(params, { optimizer: "adam", lr: 0.25 });
      opt.step();
      const w = Array.from(params.view("w"));
      [-0.25, 0.25, -0.25, 0.25, 0].forEach((expected, i) => expect(w[i]).toBeCloseTo(expected, 5));
      opt.free();
    } finally {
      params.free();
    }
  });
});

describe("Optimizer options", () => {
  const params = () => new ParameterSet(rt, [{ name: "w", shape: [3], trainable: true }]);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["lr = 0", { lr: 0 }, /^lr: .*> 0.*got 0/],
    ["lr < 0", { lr: -0.1 }, /^lr:.*got -0\.1/],
    ["lr NaN", { lr: Number.NaN }, /^lr:.*got NaN/],
    ["lr Infinity", { lr: Number.POSITIVE_INFINITY }, /^lr:.*got Infinity/],
    ["lr missing", { lr: undefined }, /^lr:/],
    ["momentum = 1", { lr: 0.1, momentum: 1 }, /^momentum: must be in \[0, 1\), got 1/],
    ["momentum < 0", { lr: 0.1, momentum: -0.5 }, /^momentum:.*got -0\.5/],
    ["momentum NaN", { lr: 0.1, momentum: Number.NaN }, /^momentum:.*got NaN/],
    ["unknown optimizer", { lr: 0.1, optimizer: "rmsprop" }, /^optimizer: must be one of sgd, adam, got rmsprop/],
    ["nesterov without momentum", { lr: 0.1, nesterov: true }, /^nesterov: needs momentum > 0/],
    ["negative weight decay", { lr: 0.1, weightDecay: -1 }, /^weightDecay:/],
    ["beta1 = 1", { lr: 0.1, optimizer: "adam", beta1: 1 }, /^beta1:/],
    ["beta2 < 0", { lr: 0.1, optimizer: "adam", beta2: -0.1 }, /^beta2:/],
    ["eps = 0", { lr: 0.1, optimizer: "adam", eps: 0 }, /^eps:/],
  ];
  it.each(bad)("rejects %s with a RangeError naming the option", (_name, options, message) => {
    const p = params();
    const inUse = rt.heap.bytesInUse;
    try {
      let error: unknown;
      try {
        new Optimizer(p, options as unknown as OptimizerOptions);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(message);
      // Nothing was allocated for the rejected optimiser.
      expect(rt.heap.bytesInUse).toBe(inUse);
    } finally {
      p.free();
    }
  });

  it("accepts the boundary values momentum 0, weight decay 0, beta 0", () => {
    const p = params();
    try {
      new Optimizer(p, { lr: 1e-9, momentum: 0, weightDecay: 0 }).free();
      new Optimizer(p, { optimizer: "adam", lr: 1, beta1: 0, beta2: 0 }).free();
    } finally {
      p.free();
    }
  });
});
