// Direct feedback alignment in predictive coding's relaxation (Nøkland 2016, the thesis's ref. 14):
// every hidden value node moves by the output error through its own fixed random D_i (n_L × n_i),
//   x_i += γ (σ'(x_i) ⊙ e_L D_i − e_i),
// instead of by the error of the layer above through W_i. The kernel reads e_L through the table's
// FEEDBACK_FROM word (assembly/pc.ts); the PCN fills FEEDBACK with its MLP's D_i. Checked here, with
// the float64 reference (tests/helpers/pc-reference.ts, `net.direct`) written from that formula:
//  • the PCN draws the same D_i as a backprop MLP with direct feedback alignment of that seed;
//  • one relaxation step from random values, and whole IL and iPC updates, against the reference;
//    the reference with the errors of the layer above (feedback alignment's move) or with W lands
//    ≥ 1e-2 away, so the comparison can tell them apart;
//  • the refusals: Z-IL (its one-layer-per-step schedule) and convolutional PCNs;
//  • IL with direct feedback alignment learns the rings, and not with D = 0.
// Tolerances as tests/pc/feedback-alignment.test.ts (which follows tests/pc/inference.test.ts).

import { beforeAll, describe, expect, it } from "vitest";
import { MLP, init, OptionError, Optimizer, PCN, resolveJob, type ActivationName, type OutputLoss, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { draw, expectClose, type NetCase, randomizeBiases, REL, stage, worstRel } from "../helpers/pc-fixtures.js";
import { biasName, learn64, maxParamDiff, netFromParams, pcStep64, weightName, type Net64 } from "../helpers/pc-reference.js";
import { trainAgainstZeroFeedback } from "../helpers/rings.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

/** The model's D_1 … D_{L−1} as the reference takes them (index 0 unused). */
function direct64(mlp: MLP): (Float64Array | undefined)[] {
  return mlp.config.layers.slice(0, -1).map((_, l) => (l === 0 ? undefined : Float64Array.from(mlp.feedbackWeight(l).view())));
}

const CASES: NetCase[] = [
  { title: "7-5-3 tanh, batch 1", layers: [7, 5, 3], acts: ["tanh"], B: 1 },
  { title: "6-9-5-3 relu/sigmoid, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "sigmoid"], B: 5 },
  { title: "5-11-6-7-3 sigmoid/tanh/relu, batch 3", layers: [5, 11, 6, 7, 3], acts: ["sigmoid", "tanh", "relu"], B: 3 },
  { title: "8-12-8-4 tanh (multiples of 4), batch 8", layers: [8, 12, 8, 4], acts: ["tanh", "tanh"], B: 8 },
];

/** The move of feedback alignment with the same matrices is undefined for D's shape; this one is: e_{i+1} through W_i. */
const throughW = (net: Net64): Net64 => ({ ...net, feedback: undefined, direct: false });

describe("PCN with direct feedback alignment", () => {
  it("draws the same D_i as a backprop MLP of that seed, n_L × n_i each", () => {
    const layers = [5, 11, 6, 3];
    const pcn = new PCN({ layers, seed: 21, directFeedbackAlignment: true, runtime: rt });
    const mlp = new MLP({ layers, seed: 21, directFeedbackAlignment: true, runtime: rt });
    try {
      expect(pcn.mlp.config).toEqual(mlp.config);
      expect(direct64(pcn.mlp)).toEqual(direct64(mlp));
      for (let l = 1; l < 3; l++) expect([pcn.mlp.feedbackWeight(l).rows, pcn.mlp.feedbackWeight(l).cols]).toEqual([3, layers[l]]);
    } finally {
      pcn.free();
      mlp.free();
    }
  });

  it.each(CASES)("$title: one prediction-mode step from random values moves every hidden layer by e_L D_i", ({ layers, acts, B }) => {
    const L = layers.length - 1;
    const gen = new Lcg(layers.length * 41 + B);
    const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 3, directFeedbackAlignment: true, runtime: rt });
    try {
      randomizeBiases(pcn, L, gen);
      const net: Net64 = { ...netFromParams(pcn.params, layers, acts), feedback: direct64(pcn.mlp), direct: true };
      const s = stage(rt, layers, B, gen, net);
      try {
        const start = layers.slice(1).map((n, l) => draw(gen, B * n, 1, l < L - 1 && acts[l] === "relu"));
        const trace = pcn.relax(s.batch.x.head(B), 1, 0.2, start);
        const start64 = start.map((v) => Float64Array.from(v));
        const ref = pcStep64(net, Float64Array.from(s.x), start64, B, 0.2, "free", []);
        const refW = pcStep64(throughW(net), Float64Array.from(s.x), start64, B, 0.2, "free", []);
        expect(Math.abs(trace[0] - ref.energy / B)).toBeLessThanOrEqual(REL * Math.max(1, ref.energy / B));
        for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l}`);
        for (let l = 1; l < L; l++) expect(worstRel(pcn.values(l, B), refW.values[l - 1]).worst, `x_${l}: e_L D vs e W`).toBeGreaterThanOrEqual(1e-2);
      } finally {
        s.batch.free();
      }
    } finally {
      pcn.free();
    }
  });

  for (const [algo, loss] of [["il", "mse"], ["il", "ce"], ["ipc", "ce"]] as const) {
    it.each(CASES)(`$title: an ${algo} update (T = 3, γ 0.2, ${loss}) against the reference`, ({ layers, acts, B }) => {
      const L = layers.length - 1;
      const gen = new Lcg(layers.length * 67 + B);
      const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 5, algo, T: 3, gamma: 0.2, directFeedbackAlignment: true, runtime: rt });
      const lr = 0.05;
      const opt = new Optimizer(pcn.params, { lr });
      randomizeBiases(pcn, L, gen);
      const net: Net64 = { ...netFromParams(pcn.params, layers, acts), feedback: direct64(pcn.mlp), direct: true };
      const s = stage(rt, layers, B, gen, net);
      try {
        const x64 = Float64Array.from(s.x);
        const y64 = Float64Array.from(s.y);
        pcn.trainBatch(s.batch.rows(B), loss as OutputLoss, opt);
        const ref = learn64(net, x64, y64, B, loss, { schedule: algo, T: 3, gamma: 0.2, lr });
        const refW = learn64(throughW(net), x64, y64, B, loss, { schedule: algo, T: 3, gamma: 0.2, lr });
        expectClose(pcn.energyTrace, ref.trace, "energy trace");
        for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l} after 3 steps`);
        for (let i = 0; i < L; i++) {
          expectClose(pcn.params.gradView(weightName(i)), ref.grads.W[i], `gradient of W_${i}`);
          expectClose(pcn.params.gradView(biasName(i)), ref.grads.b[i], `gradient of b_${i}`);
        }
        // lr × the gradient tolerance plus float32 rounding of W − lr·g: ≤ 1e-5 (as inference.test.ts).
        expect(maxParamDiff(netFromParams(pcn.params, layers, acts), ref.net)).toBeLessThanOrEqual(1e-5);
        const d = Math.max(...Array.from({ length: L - 1 }, (_, i) => worstRel(pcn.params.gradView(weightName(i)), refW.grads.W[i]).worst));
        expect(d, "through D vs through W").toBeGreaterThanOrEqual(1e-3);
        expect(direct64(pcn.mlp), "D is not trained").toEqual(net.feedback);
      } finally {
        opt.free();
        s.batch.free();
        pcn.free();
      }
    });
  }

  it("is refused for Z-IL and for convolutional networks, by the model and by the job's settings", () => {
    expect(() => new PCN({ layers: [4, 5, 3], algo: "zil", directFeedbackAlignment: true, runtime: rt })).toThrow(OptionError);
    expect(() => new PCN({ layers: [4, 5, 3], algo: "zil", directFeedbackAlignment: true, runtime: rt })).toThrow(/directFeedbackAlignment: not with algo zil/);
    expect(() => new PCN({ arch: "conv2k3,fc3", inputShape: [1, 6, 6], directFeedbackAlignment: true, runtime: rt } as never)).toThrow(/convolutional PCN/);
    expect(() => resolveJob({ model: "pcn", layers: [4, 5, 3], algo: "zil", directFeedbackAlignment: true })).toThrow(/algo zil/);
    expect(() => resolveJob({ model: "pcn", arch: "conv2k3,fc3", directFeedbackAlignment: true })).toThrow(/convolutional PCN/);
    expect(() => resolveJob({ model: "pcn", layers: [4, 5, 3], directFeedbackAlignment: true, feedbackAlignment: true })).toThrow(/not with feedbackAlignment/);
    expect(resolveJob({ model: "pcn", layers: [4, 5, 3], algo: "ipc", directFeedbackAlignment: true }).directFeedbackAlignment).toBe(true);
  });
});

// IL with direct feedback alignment learns. The setting is tests/pc/feedback-alignment.test.ts's
// (tanh 2-16-16-3 on the rings, 10 epochs, chance 1/3); with D = 0 no hidden value node moves, so
// only the output layer learns on fixed random features, at most 2/3 on these data (the argument
// is in tests/facade/feedback-alignment.test.ts). We require ≥ 0.9 with D and ≤ 2/3 without.
// Measured over seeds 7–12: 0.9675–1.0 with D, 0.285–0.38 with D = 0.
describe("IL with direct feedback alignment learns", () => {
  it.each([7, 8])("tanh 2-16-16-3, seed %i: ≥ 90 % held-out accuracy; with D = 0 at most 2/3", (seed) => {
    const layers = [2, 16, 16, 3];
    const r = trainAgainstZeroFeedback(() => new PCN({ layers, activation: "tanh", seed, algo: "il", T: 20, gamma: 0.1, directFeedbackAlignment: true, runtime: rt }));
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.controlHidden, "D = 0: the first layer receives nothing").toEqual(r.hidden0);
    expect(r.controlAccuracy).toBeLessThanOrEqual(2 / 3);
  });
});
