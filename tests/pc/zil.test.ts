// Z-IL equals backprop (SCIENCE.md §3, Song et al. 2020): same initial weights, one batch, one plain
// SGD step (lr 0.1, no momentum); the Z-IL weights equal the backprop weights layer by layer.
//
// Three levels:
//  1. float64 (tests/helpers/pc-reference.ts, written from the equations): Z-IL — forward-
//     initialised value nodes (C1), γ = 1 (C3), at step t the errors, the gradient of weight layer
//     L − t (C2), the value-node move, that layer's update — against float64 backprop. Measured
//     agreement ≈ 1e-16…2e-15 of the largest weight change (float64 unit roundoff 1.1e-16); we
//     require ≤ 1e-12. The negative controls (γ = 0.99999; every layer updated at every one of L
//     steps; value nodes started at random values) must differ by ≥ 1e3 × the measured rounding
//     difference (floored at ε₆₄ × the update). Measured: γ = 0.99999 ≈ 4e-6…1.4e-5 of the update
//     (1e9…1e11 × rounding), the others O(1)…O(10) of it.
//  2. the wasm (float32) PCN with algo "zil" against the wasm MLP's trainBatch. They agree to float32
//     rounding, bounded per element from a standard forward error analysis (see roundingBound):
//     each float32 gradient differs from the exact one by ≤ γ_K·(the same sums taken over absolute
//     values), γ_K = K·u/(1 − K·u), u = 2⁻²⁴, K = widest layer + B + 2L (longest accumulation), so
//     the two gradients differ by ≤ 2γ_K·|…|. The absolute-value sums include |x_l| as well as the
//     error: Z-IL forms e_l = (x_l + Δ) − u_l, whose rounding is ~u·|x_l| however small Δ is. The
//     weights then differ by ≤ lr·2γ_K·|…| + one float32 spacing at |W′| (two different gradients
//     can round W − lr·g to neighbouring floats). Measured: 1e-7…2e-6 of the largest weight change,
//     i.e. the last bit of W′, and 0.015…0.24 of the per-element bound; the wasm control exceeds the
//     bound by ≥ 2e4×. The wasm negative control (algo "ipc", T = L, γ = 1: every layer
//     updated at every step) differs by ≥ 1e3 × the measured Z-IL difference (measured ≈ 2e5…2e7 ×).
//     γ = 0.99999 is not a usable control in float32: its effect (1e-5 of the update) is only ~10× the
//     float32 rounding of W′.
//  3. a few epochs of train() on a small problem from the same seed: Z-IL and backprop give the same
//     test accuracy after every epoch and weights within a small drift.
//
// ReLU kinks: inputs are redrawn until every ReLU pre-activation is ≥ 1e-3 from 0, so float32 and
// float64 agree on every ReLU's side.

import { beforeAll, describe, expect, it } from "vitest";
import {
  BatchBuffer, init, MLP, oneHot, Optimizer, PCN, train, type ActivationName, type Dataset, type OutputLoss, type Runtime,
} from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { rings } from "../helpers/rings.js";
import {
  act as act64, backprop64, biasName, cloneNet, dact, forward64, learn64, maxParamDiff, netFromParams, sgd64, weightName,
  type Act, type Net64,
} from "../helpers/pc-reference.js";

const U = 2 ** -24;
const LR = 0.1;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

/** Spacing of float32 numbers at |v|. */
function ulp32(v: number): number {
  const a = Math.max(Math.abs(v), 2 ** -126);
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/**
 * Per-element bound on |W_zil − W_bp| (weights, then biases, per weight layer) for one SGD step
 * of two float32 computations of the same gradient. M_l bounds |quantities| entering e_l (or δ_l):
 *   M_L = |y| + |softmax(u_L)| or |u_L| + Σ_k|a_{L−1,k} W_{jk}| + |b_j|
 *   M_l = |z_l| + Σ_k|a_{l−1,k} W_{jk}| + |b_j| + σ'(z_l) Σ_j M_{l+1,j}|W_{jk}|
 * and the gradient of weight layer i accumulates (1/B) Σ_r M_{i+1}[r,o] |a_i[r,k]|.
 */
function roundingBound(net: Net64, x0: Float64Array, y: Float64Array, B: number, loss: OutputLoss, after: Net64, lr: number) {
  const L = net.W.length;
  const z = forward64(net, x0, B);
  const a = [x0, ...z.slice(0, L - 1).map((v, k) => v.map((q) => act64(net.acts[k], q)))];
  const K = Math.max(...net.layers) + B + 2 * L;
  const gammaK = (K * U) / (1 - K * U);
  const dotAbs = (i: number) => {
    const nIn = net.layers[i];
    const nOut = net.layers[i + 1];
    const out = new Float64Array(B * nOut);
    for (let r = 0; r < B; r++) for (let o = 0; o < nOut; o++) {
      let s = Math.abs(net.b[i][o]);
      for (let k = 0; k < nIn; k++) s += Math.abs(a[i][r * nIn + k] * net.W[i][o * nIn + k]);
      out[r * nOut + o] = s;
    }
    return out;
  };
  const M: Float64Array[] = new Array(L);
  const nL = net.layers[L];
  M[L - 1] = dotAbs(L - 1);
  for (let r = 0; r < B; r++) {
    let peak = -Infinity;
    for (let j = 0; j < nL; j++) peak = Math.max(peak, z[L - 1][r * nL + j]);
    let sum = 0;
    for (let j = 0; j < nL; j++) sum += Math.exp(z[L - 1][r * nL + j] - peak);
    for (let j = 0; j < nL; j++) {
      const out = loss === "ce" ? Math.exp(z[L - 1][r * nL + j] - peak) / sum : Math.abs(z[L - 1][r * nL + j]);
      M[L - 1][r * nL + j] += Math.abs(y[r * nL + j]) + out;
    }
  }
  for (let l = L - 1; l >= 1; l--) {
    const n = net.layers[l];
    const nNext = net.layers[l + 1];
    const m = dotAbs(l - 1);
    for (let r = 0; r < B; r++) for (let k = 0; k < n; k++) {
      let back = 0;
      for (let j = 0; j < nNext; j++) back += M[l][r * nNext + j] * Math.abs(net.W[l][j * n + k]);
      m[r * n + k] += Math.abs(z[l - 1][r * n + k]) + dact(net.acts[l - 1], z[l - 1][r * n + k]) * back;
    }
    M[l - 1] = m;
  }
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    const nIn = net.layers[i];
    const nOut = net.layers[i + 1];
    const tw = new Float64Array(nOut * nIn);
    const tb = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let sb = 0;
      for (let r = 0; r < B; r++) sb += M[i][r * nOut + o] / B;
      tb[o] = lr * 2 * gammaK * sb * (1 + U) + ulp32(after.b[i][o]);
      for (let k = 0; k < nIn; k++) {
        let s = 0;
        for (let r = 0; r < B; r++) s += (M[i][r * nOut + o] * Math.abs(a[i][r * nIn + k])) / B;
        tw[o * nIn + k] = lr * 2 * gammaK * s * (1 + U) + ulp32(after.W[i][o * nIn + k]);
      }
    }
    W.push(tw);
    b.push(tb);
  }
  return { W, b };
}

/** max over elements of |a − b| / tol. */
function worstRatio(a: Net64, b: Net64, tol: { W: Float64Array[]; b: Float64Array[] }): { ratio: number; at: string } {
  let ratio = 0;
  let at = "";
  a.W.forEach((w, i) => {
    for (const [name, x, y, t] of [[weightName(i), w, b.W[i], tol.W[i]], [biasName(i), a.b[i], b.b[i], tol.b[i]]] as const) {
      for (let k = 0; k < x.length; k++) {
        const r = Math.abs(x[k] - y[k]) / t[k];
        if (r > ratio) {
          ratio = r;
          at = `${name}[${k}]: ${x[k]} vs ${y[k]} (bound ${t[k]})`;
        }
      }
    }
  });
  return { ratio, at };
}

interface Setup {
  x: Float32Array;
  y: Float32Array;
  labels: Uint8Array;
  net0: Net64;
  biases: Float32Array[];
}

/** Random biases and inputs (away from ReLU kinks) for an architecture whose weights come from `seed`. */
function setup(layers: number[], acts: Act[], B: number, seed: number): Setup {
  const gen = new Lcg(seed * 7919 + 13);
  const L = layers.length - 1;
  const probe = new MLP({ layers, activation: acts.length ? (acts as ActivationName[]) : "relu", seed, runtime: rt });
  try {
    // Biases moved off 0 so that a schedule ignoring them would show.
    const biases = Array.from({ length: L }, (_, i) => Float32Array.from({ length: layers[i + 1] }, () => 0.3 * gen.normal()));
    biases.forEach((b, i) => probe.params.view(biasName(i)).set(b));
    const net0 = netFromParams(probe.params, layers, acts);
    for (let attempt = 0; attempt < 200; attempt++) {
      const x = Float32Array.from({ length: B * layers[0] }, () => gen.normal());
      const labels = Uint8Array.from({ length: B }, () => gen.int(layers[L]));
      const z = forward64(net0, Float64Array.from(x), B);
      const kinky = acts.some((a, k) => a === "relu" && z[k].some((v) => Math.abs(v) < 1e-3));
      if (!kinky) return { x, y: oneHot(labels, layers[L]), labels, net0, biases };
    }
    throw new Error("could not draw inputs away from the ReLU kinks");
  } finally {
    probe.free();
  }
}

/** One trainBatch of a model (PCN or MLP) on the staged batch with plain SGD; returns its weights. */
function stepOnce(model: PCN | MLP, s: Setup, B: number, loss: OutputLoss, layers: number[], acts: Act[]): Net64 {
  s.biases.forEach((b, i) => model.params.view(biasName(i)).set(b));
  // Precondition: the same initial weights as the float64 reference.
  expect(maxParamDiff(netFromParams(model.params, layers, acts), s.net0)).toBe(0);
  const batch = new BatchBuffer(rt, B, layers[0], layers[layers.length - 1]);
  const opt = new Optimizer(model.params, { optimizer: "sgd", lr: LR });
  try {
    batch.x.set(s.x);
    batch.targets.set(s.y);
    batch.labels.u8(B).set(s.labels);
    model.trainBatch(batch.rows(B), loss, opt);
    return netFromParams(model.params, layers, acts);
  } finally {
    opt.free();
    batch.free();
  }
}

const SHAPES = [[7, 5, 3], [6, 9, 5, 3], [5, 11, 6, 7, 3]];
const ACTS: Act[] = ["relu", "tanh", "sigmoid"];
interface Case {
  title: string;
  layers: number[];
  acts: Act[];
  loss: OutputLoss;
  B: number;
}
const cases: Case[] = [];
for (const layers of SHAPES) {
  for (const a of ACTS) {
    for (const loss of ["ce", "mse"] as OutputLoss[]) {
      const acts = Array<Act>(layers.length - 2).fill(a);
      cases.push({ title: `${layers.join("-")} ${a}, ${loss}, batch 5`, layers, acts, loss, B: 5 });
    }
  }
}
cases.push({ title: "5-11-6-7-3 tanh/relu/sigmoid, ce, batch 1", layers: [5, 11, 6, 7, 3], acts: ["tanh", "relu", "sigmoid"], loss: "ce", B: 1 });
cases.push({ title: "6-9-5-3 sigmoid/tanh, mse, batch 1", layers: [6, 9, 5, 3], acts: ["sigmoid", "tanh"], loss: "mse", B: 1 });
cases.push({ title: "7-13-10 relu, ce, batch 6", layers: [7, 13, 10], acts: ["relu"], loss: "ce", B: 6 });

describe("Z-IL equals backprop for one SGD step", () => {
  it.each(cases.map((c, i) => [c.title, c, i] as const))("%s", (_title, c, i) => {
    const { layers, acts, loss, B } = c;
    const L = layers.length - 1;
    const seed = 100 + i;
    const s = setup(layers, acts, B, seed);
    const x64 = Float64Array.from(s.x);
    const y64 = Float64Array.from(s.y);

    // --- float64: Z-IL against backprop, and the negative controls.
    const bp = cloneNet(s.net0);
    sgd64(bp, backprop64(s.net0, x64, y64, B, loss), LR);
    const update = maxParamDiff(bp, s.net0);
    expect(update, "the update is vacuous").toBeGreaterThan(1e-3);
    const zil = learn64(s.net0, x64, y64, B, loss, { schedule: "zil", gamma: 1, lr: LR });
    expect(zil.trace).toHaveLength(L);
    const rounding64 = maxParamDiff(zil.net, bp);
    expect(rounding64 / update, "float64 Z-IL vs backprop, relative to the update").toBeLessThanOrEqual(1e-12);
    const floor64 = Math.max(rounding64, 2 ** -52 * update);
    const gen = new Lcg(seed);
    const z = forward64(s.net0, x64, B);
    const controls = {
      "γ = 0.99999": learn64(s.net0, x64, y64, B, loss, { schedule: "zil", gamma: 0.99999, lr: LR }).net,
      "every layer updated at every step": learn64(s.net0, x64, y64, B, loss, { schedule: "ipc", T: L, gamma: 1, lr: LR }).net,
      "random value-node start": learn64(s.net0, x64, y64, B, loss, {
        schedule: "zil", gamma: 1, lr: LR, hiddenStart: z.slice(0, L - 1).map((v) => v.map((q) => q + gen.normal())),
      }).net,
    };
    for (const [name, net] of Object.entries(controls)) {
      const d = maxParamDiff(net, bp);
      expect(d, `float64 control "${name}" differs by ${d}, rounding ${rounding64}`).toBeGreaterThanOrEqual(1e3 * floor64);
    }

    // --- float32 wasm: PCN (zil) against the MLP's backprop step.
    const pcn = new PCN({ layers, activation: acts, seed, algo: "zil", runtime: rt });
    const mlp = new MLP({ layers, activation: acts, seed, runtime: rt });
    const ipc = new PCN({ layers, activation: acts, seed, algo: "ipc", T: L, gamma: 1, runtime: rt });
    try {
      const wZil = stepOnce(pcn, s, B, loss, layers, acts);
      expect(pcn.energyTrace, "Z-IL takes one step per layer").toHaveLength(L);
      const wBp = stepOnce(mlp, s, B, loss, layers, acts);
      const wIpc = stepOnce(ipc, s, B, loss, layers, acts);
      const tol = roundingBound(s.net0, x64, y64, B, loss, bp, LR);
      const exact = worstRatio(wZil, wBp, tol);
      expect(exact.ratio, `Z-IL vs backprop (float32), worst ${exact.at}`).toBeLessThanOrEqual(1);
      const rounding32 = maxParamDiff(wZil, wBp);
      expect(rounding32 / update, "float32 Z-IL vs backprop, relative to the update").toBeLessThanOrEqual(1e-4);
      // Stronger than the bound: the kernel keeps x = u + e, so a layer that has not moved predicts
      // bit-identically and Z-IL reproduces the MLP's float32 arithmetic exactly.
      expect(pcn.params.toTensors(), "Z-IL's weights are bit-identical to backprop's").toEqual(mlp.params.toTensors());
      // Both float32 steps track float64 backprop to the same bound.
      expect(worstRatio(wZil, bp, tol).ratio).toBeLessThanOrEqual(1);
      // The wasm negative control: updating every layer at every step is far outside rounding.
      const control = maxParamDiff(wIpc, wBp);
      expect(control, `ipc (T = L, γ = 1) vs backprop: ${control}; Z-IL vs backprop: ${rounding32}`)
        .toBeGreaterThanOrEqual(1e3 * Math.max(rounding32, U * update));
      expect(worstRatio(wIpc, wBp, tol).ratio, "the bound is loose enough to hide the control").toBeGreaterThan(100);
    } finally {
      pcn.free();
      mlp.free();
      ipc.free();
    }
  });

  it("the float64 Z-IL reference applies each layer's update at once, which equals deferring all to the end", () => {
    // pcn.ts applies the L captured gradients after the last step; the reference applies each right
    // after its step (Song et al.). Equal because no later capture reads an updated layer's weights.
    const layers = [5, 11, 6, 7, 3];
    const acts: Act[] = ["tanh", "sigmoid", "tanh"];
    const B = 4;
    const s = setup(layers, acts, B, 77);
    const x64 = Float64Array.from(s.x);
    const y64 = Float64Array.from(s.y);
    const immediate = learn64(s.net0, x64, y64, B, "ce", { schedule: "zil", gamma: 1, lr: LR });
    const deferred = cloneNet(s.net0);
    sgd64(deferred, immediate.grads, LR);
    expect(maxParamDiff(immediate.net, deferred)).toBeLessThanOrEqual(1e-15);
  });
});

// ---------------------------------------------------------------------------------------------
// Training for several epochs. The problem: three concentric rings in the plane (as in
// tests/facade/learning.test.ts). Z-IL's per-step gradients equal backprop's bit for bit (the kernel
// keeps x = u + e), so the two trajectories coincide exactly; the drift bound below is the weaker
// guarantee an x-based kernel gave (measured then: relative drift 2e-5 tanh, 7e-5 relu after 10
// epochs of SGD with momentum 0.9), kept alongside the exact checks. We require drift ≤ 1e-3 and
// equal test accuracy; the IL control (T = 20, γ = 0.1, not exact) drifts by O(1) on the same run.

/** ‖a − b‖ / ‖b − start‖ over every tensor. */
function relativeDrift(a: PCN | MLP, b: MLP, start: Float32Array[]): number {
  const ta = a.params.toTensors();
  const tb = b.params.toTensors();
  let d2 = 0;
  let m2 = 0;
  ta.forEach((t, i) => t.data.forEach((v, k) => {
    d2 += (v - tb[i].data[k]) ** 2;
    m2 += (tb[i].data[k] - start[i][k]) ** 2;
  }));
  return Math.sqrt(d2 / m2);
}

describe("Z-IL trained with train() follows backprop", () => {
  const trainSet = rings("rings-train", 600, 1);
  const testSet = rings("rings-test", 400, 2);
  const EPOCHS = 10;
  const opts = { optimizer: "sgd" as const, lr: 0.1, momentum: 0.9, epochs: EPOCHS, batchSize: 16, seed: 3, test: testSet };

  it.each(["tanh", "relu"] as const)("%s: same test accuracy every epoch, weights within a small drift", (activation) => {
    const layers = [2, 13, 11, 3];
    const pcn = new PCN({ layers, activation, seed: 7, algo: "zil", runtime: rt });
    const mlp = new MLP({ layers, activation, seed: 7, runtime: rt });
    const il = new PCN({ layers, activation, seed: 7, algo: "il", T: 20, gamma: 0.1, runtime: rt });
    try {
      const start = mlp.params.toTensors().map((t) => t.data);
      const a = train(pcn, trainSet, opts).history;
      const b = train(mlp, trainSet, opts).history;
      train(il, trainSet, opts);
      expect(a.map((h) => h.testAccuracy)).toEqual(b.map((h) => h.testAccuracy));
      expect(b[EPOCHS - 1].testAccuracy!, "backprop learnt the problem").toBeGreaterThanOrEqual(0.95);
      // Epoch losses agree to 1e-3 of the first epoch's loss (the loss's scale; the last epochs' losses
      // are near 0, so a relative test on them would measure rounding of a tiny number).
      a.forEach((h, k) => expect(Math.abs(h.loss - b[k].loss), `epoch ${k + 1} loss`).toBeLessThanOrEqual(1e-3 * b[0].loss));
      const drift = relativeDrift(pcn, mlp, start);
      expect(drift).toBeLessThanOrEqual(1e-3);
      // In fact bit for bit: every epoch's loss, and the final parameters.
      expect(a.map((h) => h.loss)).toEqual(b.map((h) => h.loss));
      expect(drift).toBe(0);
      // The drift measure can tell an inexact schedule apart.
      expect(relativeDrift(il, mlp, start)).toBeGreaterThan(0.05);
    } finally {
      pcn.free();
      mlp.free();
      il.free();
    }
  });
});
