// Feedback alignment in predictive coding (Lillicrap et al. 2016; SCIENCE.md §4, thesis §3.5.5).
// The value-node move x_i += γ (σ'(x_i) ⊙ e_{i+1} W_i − e_i) needs W_iᵀ — weight transport. With
// feedback alignment the kernel uses the table's FEEDBACK matrix B_i there (assembly/pc.ts), and
// the PCN fills it from its MLP's fixed random B_i (ts-wrapper/models/mlp.ts). Checked here:
//  • pcStep called directly: the move uses the FEEDBACK matrix, not W (predictions still use W),
//    against the float64 reference (tests/helpers/pc-reference.ts with `net.feedback`); layer 0's
//    FEEDBACK word is never read (it points at NaNs here);
//  • the PCN facade: one relaxation step and an IL update against the same reference;
//  • Z-IL with feedback alignment equals backprop with feedback alignment: in float64 to rounding
//    (the identity holds for any fixed feedback matrices: Z-IL's move at γ = 1 from a state where
//    only e_{l+1} is non-zero sets e_l = σ'(x_l) ⊙ e_{l+1} B_l, which is FA's δ_l), and in the
//    float32 wasm bit for bit, after one update and along a whole train() run;
//  • IL with feedback alignment learns the rings, and not with B = 0.
//
// Tolerances as in tests/pc/inference.test.ts (which derives them): one step's float32 rounding is
// ≲ 1e-6·Σ|terms| with Σ|terms| ≲ 10, so |wasm − ref| ≤ 1e-5·max(1, |ref|); replacing B by W changes
// the moved values by O(1), checked to be ≥ 1e-2 here.

import { beforeAll, describe, expect, it } from "vitest";
import {
  init, MLP, oneHot, Optimizer, PCN, train, type ActivationName, type OutputLoss, type Runtime,
} from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { draw, expectClose, type NetCase, randomizeBiases, REL, stage, stagePcStep, worstRel } from "../helpers/pc-fixtures.js";
import {
  backprop64, biasName, cloneNet, learn64, linear, maxParamDiff, netFromParams, pcStep64, sgd64, weightName,
  type Act, type Net64, type OutputMode,
} from "../helpers/pc-reference.js";
import { rings, trainAgainstZeroFeedback } from "../helpers/rings.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});





/** The model's feedback matrices as the reference takes them (index 0 unused). */
function feedback64(mlp: MLP): (Float64Array | undefined)[] {
  const layers = mlp.config.layers;
  return layers.slice(0, -1).map((_, l) => (l === 0 ? undefined : Float64Array.from(mlp.feedbackWeight(l).view())));
}

// ---------------------------------------------------------------------------------------------
// The kernel, called directly with a layer table built by the library's builder (ops.PcTable; its
// FEEDBACK field is the matrix of the value-node move).

const KERNEL_CASES: NetCase[] = [
  { title: "7-5-3 tanh, batch 1", layers: [7, 5, 3], acts: ["tanh"], B: 1 },
  { title: "6-9-5-3 relu/sigmoid, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "sigmoid"], B: 5 },
  { title: "5-11-6-7-3 sigmoid/relu/tanh, batch 3", layers: [5, 11, 6, 7, 3], acts: ["sigmoid", "relu", "tanh"], B: 3 },
  { title: "8-12-4 relu (multiples of 4), batch 4", layers: [8, 12, 4], acts: ["relu"], B: 4 },
];

/** One pcStep from random value nodes with random feedback matrices; returns x after the step and the references. */
function kernelStep(c: NetCase, mode: OutputMode, gamma: number, seed: number) {
  const { layers, acts, B } = c;
  const L = layers.length - 1;
  const gen = new Lcg(seed);
  const x0 = draw(gen, B * layers[0]);
  const W = Array.from({ length: L }, (_, i) => draw(gen, layers[i + 1] * layers[i], 1 / Math.sqrt(layers[i])));
  const M = Array.from({ length: L }, (_, i) => draw(gen, layers[i + 1] * layers[i], 1 / Math.sqrt(layers[i])));
  const b = Array.from({ length: L }, (_, i) => draw(gen, layers[i + 1], 0.3));
  const values = Array.from({ length: L }, (_, i) => {
    if (i === L - 1 && mode === "ce") return oneHot(Uint8Array.from({ length: B }, () => gen.int(layers[L])), layers[L]);
    return draw(gen, B * layers[i + 1], 1, i < L - 1 && acts[i] === "relu");
  });
  const net: Net64 = { layers, acts, W: W.map((w) => Float64Array.from(w)), b: b.map((v) => Float64Array.from(v)) };
  const u1 = Float32Array.from(linear(Float64Array.from(x0), B, net.W[0], net.b[0], layers[0], layers[1]));
  // FEEDBACK: B_i; layer 0's is NaN, and must never be read.
  const feedback = (i: number) => (i === 0 ? new Float32Array(layers[1] * layers[0]).fill(Number.NaN) : M[i]);
  const staged = stagePcStep(rt, { layers, acts, B, x0, W, b, values, u1, clamped: mode !== "free", feedback });
  try {
    const energy = staged.table.step(B, gamma, mode, { capture: "all", gradScale: 1 / B, work: staged.work });
    const all = Array.from({ length: L }, (_, i) => i);
    const v64 = values.map((v) => Float64Array.from(v));
    const fb64 = M.map((m, i) => (i === 0 ? undefined : Float64Array.from(m)));
    const ref = pcStep64({ ...net, feedback: fb64 }, Float64Array.from(x0), v64, B, gamma, mode, all, Float64Array.from(u1));
    const refW = pcStep64(net, Float64Array.from(x0), v64, B, gamma, mode, all, Float64Array.from(u1));
    return {
      energy,
      ref,
      refW,
      values: staged.values(),
      gradW: staged.gW.map((m) => m.toArray()),
      feedbackAfter: staged.feedback.map((m, i) => (i === 0 ? M[0] : m.toArray())),
      M,
    };
  } finally {
    staged.free();
  }
}

describe("pcStep with a FEEDBACK matrix", () => {
  const combos: [string, NetCase, OutputMode][] = [];
  for (const c of KERNEL_CASES) for (const mode of ["free", "mse", "ce"] as OutputMode[]) combos.push([`${c.title}, ${mode}`, c, mode]);
  it.each(combos.map((row, k) => [...row, k] as const))("%s: the value-node move goes through B, not W", (_title, c, mode, k) => {
    const r = kernelStep(c, mode, 0.3, 900 + k);
    const L = c.layers.length - 1;
    expect(Math.abs(r.energy - r.ref.energy)).toBeLessThanOrEqual(REL * Math.max(1, r.ref.energy));
    for (let l = 0; l < L; l++) {
      expectClose(r.values[l], r.ref.values[l], `x_${l + 1} after the step`);
      // Predictions and captured gradients still use W (and the state before the move).
      expectClose(r.gradW[l], r.ref.grads.W[l], `gradient of W_${l}`);
    }
    // The move with W instead would land far from here: the comparison can tell B from W.
    for (let l = 0; l < L - 1; l++) {
      expect(worstRel(r.values[l], r.refW.values[l]).worst, `x_${l + 1}: B vs W`).toBeGreaterThanOrEqual(1e-2);
    }
    // B is read, never written.
    r.feedbackAfter.forEach((m, i) => expect(m).toEqual(r.M[i]));
  });
});

// ---------------------------------------------------------------------------------------------
// The PCN facade.


/** A batch with inputs away from the ReLU kinks of `net`. */


const FACADE_CASES: NetCase[] = [
  { title: "7-5-3 tanh, batch 1", layers: [7, 5, 3], acts: ["tanh"], B: 1 },
  { title: "6-9-5-3 relu/sigmoid, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "sigmoid"], B: 5 },
  { title: "5-11-6-7-3 sigmoid/tanh/relu, batch 3", layers: [5, 11, 6, 7, 3], acts: ["sigmoid", "tanh", "relu"], B: 3 },
];

describe("PCN with feedback alignment", () => {
  it("passes the option to its MLP: the same config and the same B as an MLP of that seed", () => {
    const layers = [5, 11, 6, 3];
    const pcn = new PCN({ layers, seed: 21, feedbackAlignment: true, runtime: rt });
    const mlp = new MLP({ layers, seed: 21, feedbackAlignment: true, runtime: rt });
    const plain = new PCN({ layers, seed: 21, runtime: rt });
    try {
      expect(pcn.mlp.config).toEqual(mlp.config);
      expect(pcn.mlp.config.feedbackAlignment).toBe(true);
      expect(feedback64(pcn.mlp)).toEqual(feedback64(mlp));
      expect(plain.mlp.config.feedbackAlignment).toBeUndefined();
      expect(plain.mlp.feedbackWeight(1).ptr).toBe(plain.params.matrix(weightName(1)).ptr);
    } finally {
      pcn.free();
      mlp.free();
      plain.free();
    }
  });

  it.each(FACADE_CASES)("$title: one prediction-mode step from random values (relax)", ({ layers, acts, B }) => {
    const L = layers.length - 1;
    const gen = new Lcg(layers.length * 37 + B);
    const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 3, feedbackAlignment: true, runtime: rt });
    try {
      randomizeBiases(pcn, L, gen);
      const net = { ...netFromParams(pcn.params, layers, acts), feedback: feedback64(pcn.mlp) };
      const s = stage(rt, layers, B, gen, net);
      try {
        const start = layers.slice(1).map((n, l) => draw(gen, B * n, 1, l < L - 1 && acts[l] === "relu"));
        const trace = pcn.relax(s.batch.x.head(B), 1, 0.2, start);
        const start64 = start.map((v) => Float64Array.from(v));
        const ref = pcStep64(net, Float64Array.from(s.x), start64, B, 0.2, "free", []);
        const refW = pcStep64({ ...net, feedback: undefined }, Float64Array.from(s.x), start64, B, 0.2, "free", []);
        expect(Math.abs(trace[0] - ref.energy / B)).toBeLessThanOrEqual(REL * Math.max(1, ref.energy / B));
        for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l}`);
        if (L > 1) expect(worstRel(pcn.values(1, B), refW.values[0]).worst, "x_1: B vs W").toBeGreaterThanOrEqual(1e-2);
      } finally {
        s.batch.free();
      }
    } finally {
      pcn.free();
    }
  });

  for (const loss of ["mse", "ce"] as OutputLoss[]) {
    it.each(FACADE_CASES)(`$title: an IL update (T = 3, γ 0.2, ${loss}) against the reference through B`, ({ layers, acts, B }) => {
      const L = layers.length - 1;
      const gen = new Lcg(layers.length * 61 + B);
      const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 5, algo: "il", T: 3, gamma: 0.2, feedbackAlignment: true, runtime: rt });
      const lr = 0.05;
      const opt = new Optimizer(pcn.params, { lr });
      randomizeBiases(pcn, L, gen);
      const net = { ...netFromParams(pcn.params, layers, acts), feedback: feedback64(pcn.mlp) };
      const s = stage(rt, layers, B, gen, net);
      try {
        const x64 = Float64Array.from(s.x);
        const y64 = Float64Array.from(s.y);
        pcn.trainBatch(s.batch.rows(B), loss, opt);
        const ref = learn64(net, x64, y64, B, loss, { schedule: "il", T: 3, gamma: 0.2, lr });
        const refW = learn64({ ...net, feedback: undefined }, x64, y64, B, loss, { schedule: "il", T: 3, gamma: 0.2, lr });
        expectClose(pcn.energyTrace, ref.trace, "energy trace");
        for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l} after 3 steps`);
        for (let i = 0; i < L; i++) {
          expectClose(pcn.params.gradView(weightName(i)), ref.grads.W[i], `gradient of W_${i}`);
          expectClose(pcn.params.gradView(biasName(i)), ref.grads.b[i], `gradient of b_${i}`);
        }
        const after = netFromParams(pcn.params, layers, acts);
        // lr × the gradient tolerance plus float32 rounding of W − lr·g (|W| ≲ 3): ≤ 1e-5 (as inference.test.ts).
        expect(maxParamDiff(after, ref.net)).toBeLessThanOrEqual(1e-5);
        // The hidden layers' gradients with W in the move are different ones.
        if (L > 1) {
          const d = Math.max(...Array.from({ length: L - 1 }, (_, i) => worstRel(pcn.params.gradView(weightName(i)), refW.grads.W[i]).worst));
          expect(d, "IL through B vs through W").toBeGreaterThanOrEqual(1e-3);
        }
        // B is not trained.
        expect(feedback64(pcn.mlp)).toEqual(net.feedback);
      } finally {
        opt.free();
        s.batch.free();
        pcn.free();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Z-IL with feedback alignment equals backprop with feedback alignment.

const LR = 0.1;
const ZIL_CASES: { title: string; layers: number[]; acts: Act[]; loss: OutputLoss; B: number }[] = [
  { title: "7-5-3 tanh, ce, batch 5", layers: [7, 5, 3], acts: ["tanh"], loss: "ce", B: 5 },
  { title: "6-9-5-3 relu, mse, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "relu"], loss: "mse", B: 5 },
  { title: "6-9-5-3 sigmoid, ce, batch 5", layers: [6, 9, 5, 3], acts: ["sigmoid", "sigmoid"], loss: "ce", B: 5 },
  { title: "5-11-6-7-3 tanh/relu/sigmoid, ce, batch 1", layers: [5, 11, 6, 7, 3], acts: ["tanh", "relu", "sigmoid"], loss: "ce", B: 1 },
  { title: "5-11-6-7-3 relu/tanh/tanh, mse, batch 3", layers: [5, 11, 6, 7, 3], acts: ["relu", "tanh", "tanh"], loss: "mse", B: 3 },
  { title: "8-12-8-4 tanh (multiples of 4), ce, batch 8", layers: [8, 12, 8, 4], acts: ["tanh", "tanh"], loss: "ce", B: 8 },
];

describe("Z-IL with feedback alignment equals backprop with feedback alignment", () => {
  it.each(ZIL_CASES.map((c, i) => [c.title, c, i] as const))("%s: one SGD step", (_title, c, i) => {
    const { layers, acts, loss, B } = c;
    const L = layers.length - 1;
    const seed = 300 + i;
    const options = { layers, activation: acts as ActivationName[], seed, feedbackAlignment: true, runtime: rt };
    const zil = new PCN({ ...options, algo: "zil" });
    const bp = new MLP(options);
    const zilPlain = new PCN({ ...options, algo: "zil", feedbackAlignment: false });
    const gen = new Lcg(seed * 7 + 1);
    const biases = Array.from({ length: L }, (_, l) => Float32Array.from({ length: layers[l + 1] }, () => 0.3 * gen.normal()));
    for (const m of [zil, bp, zilPlain]) biases.forEach((b, l) => m.params.view(biasName(l)).set(b));
    const net0 = { ...netFromParams(bp.params, layers, acts), feedback: feedback64(bp) };
    const s = stage(rt, layers, B, gen, net0);
    const opts = [zil, bp, zilPlain].map((m) => new Optimizer(m.params, { optimizer: "sgd", lr: LR }));
    try {
      expect(feedback64(zil.mlp)).toEqual(net0.feedback);
      expect(zil.params.toTensors()).toEqual(bp.params.toTensors());
      // float64: the identity holds in exact arithmetic for any fixed feedback matrices.
      const x64 = Float64Array.from(s.x);
      const y64 = Float64Array.from(s.y);
      const bp64 = cloneNet(net0);
      sgd64(bp64, backprop64(net0, x64, y64, B, loss), LR);
      const update = maxParamDiff(bp64, net0);
      expect(update, "the update is vacuous").toBeGreaterThan(1e-3);
      const zil64 = learn64(net0, x64, y64, B, loss, { schedule: "zil", gamma: 1, lr: LR });
      expect(maxParamDiff(zil64.net, bp64) / update, "float64 Z-IL+FA vs backprop+FA").toBeLessThanOrEqual(1e-12);
      // The wasm: bit for bit.
      zil.trainBatch(s.batch.rows(B), loss, opts[0]);
      bp.trainBatch(s.batch.rows(B), loss, opts[1]);
      zilPlain.trainBatch(s.batch.rows(B), loss, opts[2]);
      expect(zil.energyTrace).toHaveLength(L);
      expect(zil.params.toTensors(), "Z-IL+FA's weights are bit-identical to backprop+FA's").toEqual(bp.params.toTensors());
      // …and track the float64 reference.
      expect(maxParamDiff(netFromParams(zil.params, layers, acts), bp64) / update).toBeLessThanOrEqual(1e-4);
      // Not vacuous: Z-IL without feedback alignment (= plain backprop) lands elsewhere.
      expect(maxParamDiff(netFromParams(zilPlain.params, layers, acts), bp64) / update).toBeGreaterThanOrEqual(1e-2);
    } finally {
      opts.forEach((o) => o.free());
      s.batch.free();
      zil.free();
      bp.free();
      zilPlain.free();
    }
  });

  // Several updates: 10 epochs of SGD with momentum on the rings (380 steps). Every epoch's loss and
  // the final parameters are equal bit for bit; the same run without feedback alignment is not.
  it.each(["tanh", "relu"] as const)("%s: train() for 10 epochs gives the same losses and parameters bit for bit", (activation) => {
    const trainSet = rings("rings-train", 600, 1);
    const testSet = rings("rings-test", 400, 2);
    const opts = { optimizer: "sgd" as const, lr: 0.1, momentum: 0.9, epochs: 10, batchSize: 16, seed: 3, test: testSet };
    const layers = [2, 13, 11, 3];
    const zil = new PCN({ layers, activation, seed: 7, algo: "zil", feedbackAlignment: true, runtime: rt });
    const bp = new MLP({ layers, activation, seed: 7, feedbackAlignment: true, runtime: rt });
    const plain = new MLP({ layers, activation, seed: 7, runtime: rt });
    try {
      const a = train(zil, trainSet, opts).history;
      const b = train(bp, trainSet, opts).history;
      const c = train(plain, trainSet, opts).history;
      expect(a.map((h) => h.loss)).toEqual(b.map((h) => h.loss));
      expect(a.map((h) => h.testAccuracy)).toEqual(b.map((h) => h.testAccuracy));
      expect(zil.params.toTensors()).toEqual(bp.params.toTensors());
      expect(c.map((h) => h.loss), "plain backprop takes another path").not.toEqual(b.map((h) => h.loss));
    } finally {
      zil.free();
      bp.free();
      plain.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// IL with feedback alignment learns. The setting and the argument are those of
// tests/facade/feedback-alignment.test.ts: tanh 2-16-16-3 on the rings, 10 epochs (380 updates),
// chance 1/3; with B = 0 no hidden value node moves (its error stays 0 from the feedforward start),
// so only the output layer learns on odd random features, which on these x → −x symmetric data
// gets at most 2/3. We require ≥ 0.9 held-out accuracy with B and ≤ 2/3 for the control. Measured
// over seeds 7–12 (T = 20, γ = 0.1): 0.965–1.0 with B, 0.29–0.38 with B = 0.

describe("IL with feedback alignment learns", () => {
  it.each([7, 8])("tanh 2-16-16-3, seed %i: ≥ 90 % held-out accuracy; with B = 0 at most 2/3", (seed) => {
    const layers = [2, 16, 16, 3];
    const options = { layers, activation: "tanh" as const, seed, algo: "il" as const, T: 20, gamma: 0.1, feedbackAlignment: true, runtime: rt };
    const r = trainAgainstZeroFeedback(() => new PCN(options));
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.controlHidden, "B = 0: the first layer receives nothing").toEqual(r.hidden0);
    expect(r.controlAccuracy).toBeLessThanOrEqual(2 / 3);
  });
});
