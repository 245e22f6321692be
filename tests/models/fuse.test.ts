// Batch-norm fusion (ts-wrapper/models/fuse.ts; SCIENCE.md §2, thesis eq. 38 rearranged): with
// s = γ/√(σ²_mov + ε), ε = 1e-5,  W̄ = diag(s)·W  and  b̄ = s·(b − μ_mov) + β.
//
// Oracles, all float64 and written here:
//  (a) W̄ and b̄ re-derived from the float32 parameters. fuse.ts documents "computed in float64,
//      rounded once", so each fused value must be the float32 rounding of the exact value:
//      |fused − exact| ≤ U·|exact| (U = 2^-24, round to nearest), plus 1e-15 relative for the
//      float64 evaluation.
//  (b) the network's inference-mode forward pass, BN as (z − μ)/√(σ² + ε)·γ + β, in float64. Both
//      float32 networks (unfused BN, and fused) must be within a forward error bound of it; the bound
//      below is per logit, propagated layer by layer: a float32 dot product of K terms plus bias
//      is within γ_{K+1}·(Σ|w·a| + |b|) of the exact one (γ_k = kU/(1 − kU)); BN in float32
//      (norm.ts: invStd = 1/sqrt(σ² + ε), then γ·((z − μ)·invStd) + β) has three roundings in
//      invStd and three in the product, ≤ 6U·|z − μ|·|s|, and one in the sum, ≤ U·|y|: we allow
//      8U·(|z − μ|·|s| + |β| + |y|), the margin covering second-order terms; the activation's error is its Lipschitz constant times the input error plus one
//      rounding (2U relative for soft-LIF: float64 evaluation, one rounding; tanh and sigmoid in
//      float32 Mathf are within an ulp or two, also covered by 2U·|σ|). An input error e moves σ by ≤ max|σ'| over [z − e, z + e]
//      (see slope()). Errors of earlier layers enter the next layer through Σ|w|·err. The two
//      float32 networks must then agree within the sum of their bounds. The bounds are worst-case:
//      measured errors are 0.02…0.13 of them, and dropping batch norm exceeds them by ≥ 2e5×.
//  (c) without batch norm, fusion is the identity: bit-identical weights.

import { beforeAll, describe, expect, it } from "vitest";
import {
  fuseBatchNorm, fusedLinearLayers, init, MLP, type ActivationName, type NeuronParams, type Runtime,
} from "../../ts-wrapper/index.js";
import { softLif64 } from "../helpers/softlif.js";
import { Lcg } from "../helpers/lcg.js";

const U = 2 ** -24;
const EPS = 1e-5;
const f = Math.fround;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});


function act64(kind: ActivationName, v: number, n?: NeuronParams): number {
  switch (kind) {
    case "relu": return Math.max(v, 0);
    case "tanh": return Math.tanh(v);
    case "sigmoid": return 1 / (1 + Math.exp(-v));
    case "identity": return v;
    case "softlif": return softLif64(v, n!);
  }
}

/**
 * max |σ'| over [v − e, v + e], for the tiny e (≤ 1e-3) of a forward error: ReLU 1; the smooth
 * activations by float64 central differences at v − e, v, v + e (σ' varies by O(σ''·e) across the
 * interval, far below the 10 % margin taken; truncation and cancellation errors of the differences
 * with h = 1e-5 are ≲ 1e-9 relative to σ' of these magnitudes, plus an absolute 1e-9).
 */
function slope(kind: ActivationName, v: number, e: number, n?: NeuronParams): number {
  if (kind === "relu" || kind === "identity") return 1;
  const h = 1e-5;
  const d = (t: number) => Math.abs(act64(kind, t + h, n) - act64(kind, t - h, n)) / (2 * h);
  return 1.1 * Math.max(d(v - e), d(v), d(v + e)) + 1e-9;
}

interface Forward64 {
  logits: Float64Array;
  /** Per-logit bound on |float32 forward − float64 forward|. */
  bound: Float64Array;
}

/** Float64 inference forward of an MLP's own parameters (BN with running statistics), with the bound. */
function forward64(mlp: MLP, x: Float32Array, B: number): Forward64 {
  const { activations, neuron } = mlp.config;
  const p = mlp.params;
  let a = Float64Array.from(x);
  let err = new Float64Array(a.length); // error carried into this layer's input
  const L = mlp.linearLayers.length;
  mlp.linearLayers.forEach((layer, l) => {
    const W = p.view(layer.weight).slice();
    const b = p.view(layer.bias).slice();
    const K = layer.inputs;
    const gammaK = ((K + 1) * U) / (1 - (K + 1) * U);
    const out = new Float64Array(B * layer.outputs);
    const outErr = new Float64Array(B * layer.outputs);
    const norm = layer.norm
      ? {
        g: p.view(`${layer.norm}.weight`).slice(), beta: p.view(`${layer.norm}.bias`).slice(),
        mu: p.view(`${layer.norm}.running_mean`).slice(), v: p.view(`${layer.norm}.running_var`).slice(),
      }
      : undefined;
    const hidden = l + 1 < L;
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < layer.outputs; o++) {
        let z = b[o];
        let abs = Math.abs(b[o]);
        let prop = 0;
        for (let k = 0; k < K; k++) {
          z += W[o * K + k] * a[r * K + k];
          abs += Math.abs(W[o * K + k] * a[r * K + k]);
          prop += Math.abs(W[o * K + k]) * err[r * K + k];
        }
        let e = gammaK * abs + prop * (1 + gammaK);
        if (norm) {
          const s = norm.g[o] / Math.sqrt(norm.v[o] + EPS);
          const y = (z - norm.mu[o]) * s + norm.beta[o];
          e = Math.abs(s) * e + 8 * U * (Math.abs(z - norm.mu[o]) * Math.abs(s) + Math.abs(norm.beta[o]) + Math.abs(y));
          z = y;
        }
        if (hidden) {
          const v = act64(activations[l], z, neuron);
          e = slope(activations[l], z, e, neuron) * e + 2 * U * Math.abs(v) + 2 ** -126;
          z = v;
        }
        out[r * layer.outputs + o] = z;
        outErr[r * layer.outputs + o] = e;
      }
    }
    a = out;
    err = outErr;
  });
  return { logits: a, bound: err };
}

/** BN statistics and affine parameters set to non-trivial values; biases nonzero too. */
function randomizeBatchNorm(mlp: MLP, gen: Lcg): void {
  for (const layer of mlp.linearLayers) {
    mlp.params.view(layer.bias).set(Float32Array.from({ length: layer.outputs }, () => 0.5 * gen.normal()));
    if (!layer.norm) continue;
    const n = layer.outputs;
    // γ of both signs, |γ| in [0.3, 2]; β in [−1, 1]; μ in [−1, 1]; σ² in [0.05, 0.5] ∪ [2, 6]:
    // well away from the initial (1, 0, 0, 1), so forgetting any one of them shows.
    mlp.params.view(`${layer.norm}.weight`).set(Float32Array.from({ length: n }, (_, i) => (i % 3 === 2 ? -1 : 1) * gen.range(0.3, 2)));
    mlp.params.view(`${layer.norm}.bias`).set(Float32Array.from({ length: n }, () => gen.range(-1, 1)));
    mlp.params.view(`${layer.norm}.running_mean`).set(Float32Array.from({ length: n }, () => gen.range(-1, 1)));
    mlp.params.view(`${layer.norm}.running_var`).set(Float32Array.from({ length: n }, (_, i) => (i % 2 ? gen.range(0.05, 0.5) : gen.range(2, 6))));
  }
}

const ARCHS: { title: string; layers: number[]; activation: ActivationName[]; neuron?: { preset: "cifar" | "thesis" } }[] = [
  { title: "9-7-5-3 relu/softlif (thesis neuron)", layers: [9, 7, 5, 3], activation: ["relu", "softlif"] },
  { title: "9-7-5-3 softlif/relu (cifar neuron)", layers: [9, 7, 5, 3], activation: ["softlif", "relu"], neuron: { preset: "cifar" } },
  { title: "6-13-4 softlif (cifar neuron)", layers: [6, 13, 4], activation: ["softlif"], neuron: { preset: "cifar" } },
  { title: "5-11-6-7-3 tanh/softlif/sigmoid", layers: [5, 11, 6, 7, 3], activation: ["tanh", "softlif", "sigmoid"] },
];

describe("fusedLinearLayers", () => {
  it.each(ARCHS.map((a, i) => [a.title, a, i] as const))("%s: W̄ = diag(γ/√(σ²+ε))W, b̄ = (γ/√(σ²+ε))(b − μ) + β, correctly rounded", (_t, arch, i) => {
    const mlp = new MLP({ layers: arch.layers, activation: arch.activation, batchNorm: true, neuron: arch.neuron, seed: 11 + i, runtime: rt });
    try {
      randomizeBatchNorm(mlp, new Lcg(100 + i));
      const fused = fusedLinearLayers(mlp);
      expect(fused).toHaveLength(arch.layers.length - 1);
      const p = mlp.params;
      mlp.linearLayers.forEach((layer, l) => {
        const W = p.view(layer.weight).slice();
        const b = p.view(layer.bias).slice();
        const { weight, bias } = fused[l];
        expect(weight).toBeInstanceOf(Float32Array);
        expect(weight).toHaveLength(layer.outputs * layer.inputs);
        expect(bias).toHaveLength(layer.outputs);
        if (!layer.norm) {
          // The output layer has no batch norm: its weights pass through bit for bit.
          expect(l).toBe(arch.layers.length - 2);
          expect(weight).toEqual(W);
          expect(bias).toEqual(b);
          return;
        }
        const g = p.view(`${layer.norm}.weight`).slice();
        const beta = p.view(`${layer.norm}.bias`).slice();
        const mu = p.view(`${layer.norm}.running_mean`).slice();
        const v = p.view(`${layer.norm}.running_var`).slice();
        for (let o = 0; o < layer.outputs; o++) {
          const s = g[o] / Math.sqrt(v[o] + EPS);
          for (let k = 0; k < layer.inputs; k++) {
            const exact = s * W[o * layer.inputs + k];
            const got = weight[o * layer.inputs + k];
            expect(Math.abs(got - exact), `${layer.weight}[${o}, ${k}]`).toBeLessThanOrEqual(U * Math.abs(exact) * (1 + 1e-12));
          }
          const exactB = s * (b[o] - mu[o]) + beta[o];
          expect(Math.abs(bias[o] - exactB), `${layer.bias}[${o}]`).toBeLessThanOrEqual(U * Math.abs(exactB) * (1 + 1e-12) + 1e-300);
        }
        // ε matters: with ε = 0 the variances in [0.05, 0.5] move s by ≥ 1e-5/(2·0.5) = 1e-5
        // relative, ~170 float32 ulps — far outside the tolerance above (this guards the test).
        const o = 1;
        const sNoEps = g[o] / Math.sqrt(v[o]);
        expect(Math.abs(weight[o * layer.inputs] - sNoEps * W[o * layer.inputs])).toBeGreaterThan(10 * U * Math.abs(sNoEps * W[o * layer.inputs]));
      });
      // The model itself is untouched.
      expect(p.view(mlp.linearLayers[0].weight)).not.toEqual(fused[0].weight);
    } finally {
      mlp.free();
    }
  });

  it("returns copies: writing them does not change the model", () => {
    const mlp = new MLP({ layers: [4, 3, 2], activation: "softlif", seed: 1, runtime: rt });
    try {
      const before = mlp.params.toTensors();
      const fused = fusedLinearLayers(mlp);
      fused[0].weight.fill(7);
      fused[1].bias.fill(7);
      expect(mlp.params.toTensors()).toEqual(before);
    } finally {
      mlp.free();
    }
  });
});

describe("fuseBatchNorm", () => {
  it.each(ARCHS.map((a, i) => [a.title, a, i] as const))("%s: predictions equal inference-mode batch norm within the float32 forward bounds", (_t, arch, i) => {
    const mlp = new MLP({ layers: arch.layers, activation: arch.activation, batchNorm: true, neuron: arch.neuron, seed: 21 + i, runtime: rt });
    const gen = new Lcg(200 + i);
    randomizeBatchNorm(mlp, gen);
    const fused = fuseBatchNorm(mlp);
    // A control: the same network with batch norm dropped (raw W, b) must be far from both.
    const dropped = new MLP({ layers: arch.layers, activation: arch.activation, neuron: arch.neuron, runtime: rt });
    try {
      expect(fused.config.batchNorm).toBe(false);
      expect(fused.config.layers).toEqual(arch.layers);
      expect(fused.config.activations).toEqual(arch.activation);
      expect(fused.config.neuron).toEqual(mlp.config.neuron);
      expect(fused.linearLayers.every((l) => l.norm === undefined)).toBe(true);
      // Only the linear layers' tensors: no BN affine parameters, no running statistics.
      const names = fused.params.toTensors().map((t) => t.name);
      expect(names).toEqual(fused.linearLayers.flatMap((l) => [l.weight, l.bias]));
      expect(names).toHaveLength(2 * (arch.layers.length - 1));
      expect(names.filter((n) => n.includes("running"))).toEqual([]);
      // The fused tensors are exactly fusedLinearLayers'.
      fusedLinearLayers(mlp).forEach(({ weight, bias }, l) => {
        expect(fused.params.view(fused.linearLayers[l].weight)).toEqual(weight);
        expect(fused.params.view(fused.linearLayers[l].bias)).toEqual(bias);
      });
      mlp.linearLayers.forEach((layer, l) => {
        dropped.params.view(dropped.linearLayers[l].weight).set(mlp.params.view(layer.weight));
        dropped.params.view(dropped.linearLayers[l].bias).set(mlp.params.view(layer.bias));
      });

      const B = 37; // not a multiple of 4
      const x = Float32Array.from({ length: B * arch.layers[0] }, () => 1.5 * gen.normal());
      const want = forward64(mlp, x, B);
      const viaFused = forward64(fused, x, B);
      const bn = mlp.logits(x);
      const fu = fused.logits(x);
      const dr = dropped.logits(x);
      let worstBn = 0;
      let worstFu = 0;
      let worstPair = 0;
      let control = 0;
      for (let k = 0; k < want.logits.length; k++) {
        // The fused float32 network's float64 counterpart differs from BN's float64 only by the
        // fused parameters' roundings; bound that by the fused network's own forward bound.
        const tolPair = want.bound[k] + viaFused.bound[k] + Math.abs(viaFused.logits[k] - want.logits[k]);
        worstBn = Math.max(worstBn, Math.abs(bn[k] - want.logits[k]) / want.bound[k]);
        worstFu = Math.max(worstFu, Math.abs(fu[k] - viaFused.logits[k]) / viaFused.bound[k]);
        worstPair = Math.max(worstPair, Math.abs(fu[k] - bn[k]) / tolPair);
        control = Math.max(control, Math.abs(dr[k] - bn[k]) / tolPair);
      }
      expect(worstBn, "BN MLP (float32) vs float64 BN forward, / bound").toBeLessThanOrEqual(1);
      expect(worstFu, "fused MLP (float32) vs its float64 forward, / bound").toBeLessThanOrEqual(1);
      expect(worstPair, "fused vs BN predictions, / tolerance").toBeLessThanOrEqual(1);
      // The fused parameters' own float64 network is the BN network to a few float32 roundings:
      // relative to the logits' scale, ≤ 1e-5 (every fused value within U of exact).
      const scale = Math.max(...want.logits.map(Math.abs));
      want.logits.forEach((v, k) => expect(Math.abs(viaFused.logits[k] - v)).toBeLessThanOrEqual(1e-5 * scale));
      // The tolerance is tight enough to tell batch norm from no batch norm by orders of magnitude.
      expect(control, "dropping batch norm must be detected").toBeGreaterThan(1e3);
    } finally {
      mlp.free();
      fused.free();
      dropped.free();
    }
  });

  it("without batch norm, fusion is the identity: bit-identical weights and predictions", () => {
    for (const [layers, activation] of [[[9, 7, 5, 3], ["relu", "softlif"]], [[3, 2], []]] as [number[], ActivationName[]][]) {
      const mlp = new MLP({ layers, activation: activation.length ? activation : "relu", neuron: { preset: "mnist" }, seed: 5, runtime: rt });
      const gen = new Lcg(9);
      mlp.linearLayers.forEach((l) => mlp.params.view(l.bias).set(Float32Array.from({ length: l.outputs }, () => gen.normal())));
      const fused = fuseBatchNorm(mlp);
      try {
        expect(fused.params.toTensors()).toEqual(mlp.params.toTensors());
        expect(fused.config).toEqual(mlp.config);
        fusedLinearLayers(mlp).forEach(({ weight, bias }, l) => {
          expect(weight).toEqual(mlp.params.view(mlp.linearLayers[l].weight));
          expect(bias).toEqual(mlp.params.view(mlp.linearLayers[l].bias));
        });
        const x = Float32Array.from({ length: 5 * layers[0] }, () => gen.normal());
        expect(fused.logits(x)).toEqual(mlp.logits(x));
      } finally {
        mlp.free();
        fused.free();
      }
    }
  });

  it("the fused model is independent of the original (training-mode statistics of the original do not leak)", () => {
    const mlp = new MLP({ layers: [4, 5, 2], activation: "softlif", batchNorm: true, seed: 3, runtime: rt });
    try {
      randomizeBatchNorm(mlp, new Lcg(4));
      const fused = fuseBatchNorm(mlp);
      const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
      const before = fused.logits(x);
      mlp.params.view(`${mlp.linearLayers[0].norm}.running_mean`).fill(3);
      expect(fused.logits(x)).toEqual(before);
      fused.free();
    } finally {
      mlp.free();
    }
  });
});

// BatchNorm2d after a convolution folds per output channel: row o of W [O, C·K²] (channel o's
// kernel) scales by s_o. Oracle (a) per channel, and the fused network's inference logits against
// the unfused one's: both float32 evaluations of the same function, whose logits here are sums of
// ≤ 150 terms per layer over three layers; each side is within ~γ_150·Σ|terms| ≈ 1e-5 of the exact
// value for terms of magnitude ≤ 1, so we allow 1e-4·(1 + max|logit|) — and dropping batch norm
// (the negative control) moves them by far more.
describe("batch-norm fusion into convolutions", () => {
  it("scales each output channel's kernel and matches unfused inference", () => {
    const arch = "conv5k3p1,avgpool2,conv6k3,fc4";
    const mlp = new MLP({ arch, inputShape: [2, 6, 6], activation: "tanh", batchNorm: true, seed: 3, runtime: rt });
    const gen = new Lcg(9);
    const p = mlp.params;
    for (const t of p.toTensors()) {
      if (t.name.endsWith("running_var")) p.view(t.name).set(t.data.map(() => 0.3 + gen.uniform()));
      else if (t.name.endsWith("running_mean") || t.name.endsWith(".bias")) p.view(t.name).set(t.data.map(() => 0.3 * gen.normal()));
      else if (t.shape.length === 1) p.view(t.name).set(t.data.map(() => 0.5 + gen.uniform()));
    }
    const fusedWeights = fusedLinearLayers(mlp);
    const conv = mlp.linearLayers[0];
    expect(conv.norm).toBe("layers.1");
    const w = p.view(conv.weight), b = p.view(conv.bias);
    const [g, beta, mu, v] = ["weight", "bias", "running_mean", "running_var"].map((k) => p.view(`layers.1.${k}`));
    for (let o = 0; o < 5; o++) {
      const s = g[o] / Math.sqrt(v[o] + EPS);
      for (let k = 0; k < 18; k++) {
        const exact = s * w[o * 18 + k];
        expect(Math.abs(fusedWeights[0].weight[o * 18 + k] - exact)).toBeLessThanOrEqual(U * Math.abs(exact) * (1 + 1e-15) + 1e-300);
      }
      const exactB = s * (b[o] - mu[o]) + beta[o];
      expect(Math.abs(fusedWeights[0].bias[o] - exactB)).toBeLessThanOrEqual(U * Math.abs(exactB) * (1 + 1e-15) + 1e-300);
    }
    const fused = fuseBatchNorm(mlp);
    const x = Float32Array.from({ length: 5 * 72 }, () => gen.range(-1, 1));
    try {
      expect(fused.config.batchNorm).toBe(false);
      expect(fused.config.arch).toBe(arch);
      const a = mlp.logits(x), c = fused.logits(x);
      const scale = Math.max(...Array.from(a, Math.abs));
      const diff = Math.max(...Array.from(a, (y, i) => Math.abs(y - c[i])));
      expect(diff).toBeLessThanOrEqual(1e-4 * (1 + scale));
      const dropped = new MLP({ arch, inputShape: [2, 6, 6], activation: "tanh", seed: 3, runtime: rt });
      dropped.linearLayers.forEach((l, i) => {
        dropped.params.view(l.weight).set(p.view(mlp.linearLayers[i].weight));
        dropped.params.view(l.bias).set(p.view(mlp.linearLayers[i].bias));
      });
      const d = dropped.logits(x);
      expect(Math.max(...Array.from(a, (y, i) => Math.abs(y - d[i])))).toBeGreaterThan(100 * (diff + 1e-7));
      dropped.free();
    } finally {
      mlp.free();
      fused.free();
    }
  });
});
