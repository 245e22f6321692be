// Predictive-coding inference (SCIENCE.md §3) against an independent float64 reference
// (tests/helpers/pc-reference.ts, written from the equations):
//  • the fused kernel pcStep, called directly with a layer table built here, for one step from
//    random states: errors, energy, value-node update and gradient capture for every output mode
//    (free / clamped MSE / clamped cross-entropy) and capture choice (none, all, one layer, γ = 0);
//  • the PCN facade: one step of prediction-mode relaxation (relax) and of IL (trainBatch, T = 1)
//    element by element (values via pcn.values, gradients via params.gradView), the IL weight update
//    after T steps, the cross-entropy output error y − softmax(u_L) and its energy;
//  • prediction mode converges to the feedforward pass from random value nodes, with the energy
//    decreasing monotonically to ~0; IL's clamped energy decreases over its T steps;
//  • iPC updates the weights after every step (float64 reference), so its update differs from IL's,
//    and it lowers the batch loss.
// Widths are mostly not multiples of 4 (the kernels run four lanes, then a scalar tail) and batch 1
// is covered.
//
// Tolerances. One step is a handful of float32 operations on O(1) numbers with dot products of ≤ 13
// terms; its rounding is ≲ (13 + 4)·u·Σ|terms| ≈ 1e-6·Σ|terms| (u = 2⁻²⁴ ≈ 6e-8), with Σ|terms| ≲ 10
// here. Measured worst differences are ≈ 3e-7·max(1, |ref|); we require
// |wasm − ref| ≤ 1e-5·max(1, |ref|) — a wrong sign, a missing σ' or a dropped term changes entries
// by O(1). The energy is a sum of ≤ 60 squares accumulated in float64 from float32 errors: relative
// 1e-5. Over T relaxation steps with small γ the dynamics contract, so the per-step rounding does
// not grow: the same 1e-5·max(1, |ref|) holds after T ≤ 20 steps (measured ≤ 3e-7 at T = 20).
// ReLU kinks: every ReLU input is kept ≥ 1e-3 from 0 so both sides take the same branch.

import { beforeAll, describe, expect, it } from "vitest";
import { init, Matrix, MLP, oneHot, Optimizer, PCN, type ActivationName, type OutputLoss, type PCNOptions, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { draw, expectClose, type NetCase, randomizeBiases, REL, stage, stagePcStep, type Staged } from "../helpers/pc-fixtures.js";
import {
  act, biasName, forward64, learn64, linear, loss64, maxParamDiff, netFromParams, pcStep64, weightName,
  type Act, type Net64, type OutputMode,
} from "../helpers/pc-reference.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});



/** Normal draws, pushed at least 1e-3 away from 0 (ReLU kinks) when `avoidZero`. */

// ---------------------------------------------------------------------------------------------
// The kernel, called directly, with a layer table built by the library's own builder (ops.PcTable,
// laid out as the module's layout says). Per weight layer i it holds: n_i, n_{i+1}, W_i, b_i, x_i
// (the input for i = 0), σ(x_i) (the input for i = 0), σ_i's code, u_{i+1}, e_{i+1}, scratch
// (B × n_{i+1}), the clamped target (last layer only), gradient of W_i, of b_i, σ_i's neuron block
// (none: these activations take no parameters), the matrix used in place of W_i in the value-node
// move's e_{i+1} W_i (W_i here; feedback alignment's B_i is tested in
// tests/pc/feedback-alignment.test.ts). The state is x = u + e: a value state x is staged here as u = 0, e = x (exact), except
// layer 1, whose prediction u_1 the caller provides (e_1 = x_1 − u_1).
// Output modes free, MSE, CE; capture −1 none, −2 all, or a weight-layer index.

const SENTINEL = 12345;

function runKernelStep(c: NetCase, mode: OutputMode, capture: number, gamma: number, seed: number) {
  const { layers, acts, B } = c;
  const L = layers.length - 1;
  const gen = new Lcg(seed);
  const x0 = draw(gen, B * layers[0]);
  const W = Array.from({ length: L }, (_, i) => draw(gen, layers[i + 1] * layers[i], 1 / Math.sqrt(layers[i])));
  const b = Array.from({ length: L }, (_, i) => draw(gen, layers[i + 1], 0.3));
  const values = Array.from({ length: L }, (_, i) => {
    if (i === L - 1 && mode !== "free") {
      // A clamped output: a one-hot target for CE, any target for MSE.
      if (mode === "ce") return oneHot(Uint8Array.from({ length: B }, () => gen.int(layers[L])), layers[L]);
      return draw(gen, B * layers[L]);
    }
    return draw(gen, B * layers[i + 1], 1, i < L - 1 && acts[i] === "relu");
  });
  const net: Net64 = { layers, acts, W: W.map((w) => Float64Array.from(w)), b: b.map((v) => Float64Array.from(v)) };
  const u1 = Float32Array.from(linear(Float64Array.from(x0), B, net.W[0], net.b[0], layers[0], layers[1]));
  const staged = stagePcStep(rt, { layers, acts, B, x0, W, b, values, u1, clamped: mode !== "free", gradFill: SENTINEL });
  try {
    const energy = staged.table.step(B, gamma, mode, { capture: capture === -2 ? "all" : capture === -1 ? "none" : capture, gradScale: 1 / B, work: staged.work });
    const captured = capture === -2 ? Array.from({ length: L }, (_, i) => i) : capture >= 0 ? [capture] : [];
    const ref = pcStep64(net, Float64Array.from(x0), values.map((v) => Float64Array.from(v)), B, gamma, mode, captured, Float64Array.from(u1));
    return {
      energy,
      ref,
      captured,
      values: staged.values(),
      valuesBefore: values,
      errors: staged.ep.map((m) => m.toArray()),
      gradW: staged.gW.map((m) => m.toArray()),
      gradB: staged.gB.map((m) => m.toArray()),
      input: staged.x.toArray(),
      x0,
      W: staged.W.map((m) => m.toArray()),
      W0: W,
      u1,
      net,
    };
  } finally {
    staged.free();
  }
}

const KERNEL_CASES: NetCase[] = [
  { title: "7-5-3 tanh, batch 1", layers: [7, 5, 3], acts: ["tanh"], B: 1 },
  { title: "6-9-5-3 relu/sigmoid, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "sigmoid"], B: 5 },
  { title: "5-11-6-7-3 sigmoid/relu/tanh, batch 3", layers: [5, 11, 6, 7, 3], acts: ["sigmoid", "relu", "tanh"], B: 3 },
  { title: "8-12-4 relu (multiples of 4), batch 4", layers: [8, 12, 4], acts: ["relu"], B: 4 },
  { title: "3-2 (no hidden layer), batch 2", layers: [3, 2], acts: [], B: 2 },
];

describe("pcStep kernel: one step against the float64 reference", () => {
  const combos: [string, NetCase, OutputMode, number, number][] = [];
  for (const c of KERNEL_CASES) {
    for (const mode of ["free", "mse", "ce"] as OutputMode[]) {
      const L = c.layers.length - 1;
      combos.push([`${c.title}, ${mode}, capture all, γ 0.3`, c, mode, -2, 0.3]);
      combos.push([`${c.title}, ${mode}, capture none, γ 0.3`, c, mode, -1, 0.3]);
      combos.push([`${c.title}, ${mode}, capture layer ${L - 1}, γ 0`, c, mode, L - 1, 0]);
      if (L > 1) combos.push([`${c.title}, ${mode}, capture layer 0, γ 1`, c, mode, 0, 1]);
    }
  }
  it.each(combos.map((row, k) => [...row, k] as const))("%s", (_title, c, mode, capture, gamma, k) => {
    const r = runKernelStep(c, mode, capture, gamma, 500 + k);
    const L = c.layers.length - 1;
    expect(Math.abs(r.energy - r.ref.energy), `energy ${r.energy} vs ${r.ref.energy}`).toBeLessThanOrEqual(REL * Math.max(1, r.ref.energy));
    for (let l = 0; l < L; l++) {
      // The kernel keeps x = u + e: after the move its e is x_new − u, with u the prediction of
      // the starting state (u = x_before − e_ref).
      const eAfter = r.ref.values[l].map((x, k) => x - (r.valuesBefore[l][k] - r.ref.errors[l][k]));
      expectClose(r.errors[l], eAfter, `e_${l + 1} after the step`);
      expectClose(r.values[l], r.ref.values[l], `x_${l + 1} after the step`);
    }
    for (let i = 0; i < L; i++) {
      if (r.captured.includes(i)) {
        expectClose(r.gradW[i], r.ref.grads.W[i], `captured gradient of W_${i}`);
        expectClose(r.gradB[i], r.ref.grads.b[i], `captured gradient of b_${i}`);
      } else {
        expect(r.gradW[i].every((v) => v === SENTINEL), `W_${i}'s gradient slot was written`).toBe(true);
        expect(r.gradB[i].every((v) => v === SENTINEL), `b_${i}'s gradient slot was written`).toBe(true);
      }
    }
    // What must not move: the input, the weights, a clamped output, anything at γ = 0.
    expect(r.input).toEqual(r.x0);
    r.W.forEach((w, i) => expect(w).toEqual(r.W0[i]));
    if (mode !== "free") expect(r.values[L - 1]).toEqual(r.valuesBefore[L - 1]);
    // At γ = 0 nothing moves; x = u + e is re-expressed around the new predictions, so equal to rounding.
    if (gamma === 0) r.values.forEach((v, l) => expectClose(v, r.valuesBefore[l], `x_${l + 1} at γ = 0`));
    // The step really moved the hidden value nodes (otherwise the comparison above is vacuous).
    if (gamma !== 0 && L > 1) expect(r.values[0]).not.toEqual(r.valuesBefore[0]);
  });

  it("the cross-entropy output error is y − softmax(u_L) and its energy the cross-entropy (computed here directly)", () => {
    const c = KERNEL_CASES[2];
    const r = runKernelStep(c, "ce", -2, 0.3, 42);
    const L = c.layers.length - 1;
    const { B } = c;
    const n = c.layers[L];
    const nIn = c.layers[L - 1];
    const a = r.valuesBefore[L - 2].map((v) => act(c.acts[L - 2], v));
    let hidden = 0;
    for (let l = 0; l < L - 1; l++) {
      const u = l === 0 ? r.u1 : linear(Float64Array.from(r.valuesBefore[l - 1].map((v) => act(c.acts[l - 1], v))), B, r.net.W[l], r.net.b[l], c.layers[l], c.layers[l + 1]);
      r.valuesBefore[l].forEach((x, k) => (hidden += 0.5 * (x - u[k]) ** 2));
    }
    const uL = linear(Float64Array.from(a), B, r.net.W[L - 1], r.net.b[L - 1], nIn, n);
    const y = r.valuesBefore[L - 1];
    const expected = new Float64Array(B * n);
    let ce = 0;
    for (let row = 0; row < B; row++) {
      const exps = Array.from({ length: n }, (_, j) => Math.exp(uL[row * n + j]));
      const sum = exps.reduce((s, v) => s + v, 0);
      for (let j = 0; j < n; j++) {
        expected[row * n + j] = y[row * n + j] - exps[j] / sum;
        if (y[row * n + j] === 1) ce -= Math.log(exps[j] / sum);
      }
    }
    expectClose(r.errors[L - 1], expected, "e_L");
    expect(r.energy).toBeCloseTo(ce + hidden, 4);
    expect(Math.abs(r.energy - (ce + hidden))).toBeLessThanOrEqual(REL * (ce + hidden));
  });
});

// ---------------------------------------------------------------------------------------------
// The facade.




const FACADE_CASES: NetCase[] = [
  { title: "7-5-3 tanh, batch 1", layers: [7, 5, 3], acts: ["tanh"], B: 1 },
  { title: "6-9-5-3 relu/sigmoid, batch 5", layers: [6, 9, 5, 3], acts: ["relu", "sigmoid"], B: 5 },
  { title: "5-11-6-7-3 sigmoid/tanh/relu, batch 3", layers: [5, 11, 6, 7, 3], acts: ["sigmoid", "tanh", "relu"], B: 3 },
];

describe("PCN facade: steps against the float64 reference", () => {
  it.each(FACADE_CASES)("$title: one prediction-mode step from random values (relax)", ({ layers, acts, B }) => {
    const L = layers.length - 1;
    const gen = new Lcg(layers.length * 31 + B);
    const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 3, runtime: rt });
    const s = stage(rt, layers, B, gen);
    try {
      randomizeBiases(pcn, L, gen);
      const net = netFromParams(pcn.params, layers, acts);
      const start = layers.slice(1).map((n, l) => draw(gen, B * n, 1, l < L - 1 && acts[l] === "relu"));
      const trace = pcn.relax(s.batch.x.head(B), 1, 0.2, start);
      const ref = pcStep64(net, Float64Array.from(s.x), start.map((v) => Float64Array.from(v)), B, 0.2, "free", []);
      expect(trace).toHaveLength(1);
      // The trace holds F/B at the state each step starts from.
      expect(Math.abs(trace[0] - ref.energy / B)).toBeLessThanOrEqual(REL * Math.max(1, ref.energy / B));
      for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l}`);
      expect(pcn.energyTrace).toEqual(trace);
    } finally {
      s.batch.free();
      pcn.free();
    }
  });

  for (const loss of ["mse", "ce"] as OutputLoss[]) {
    it.each(FACADE_CASES)(`$title: IL with T = 1, 3 and 20, ${loss} output — values, gradients, energy, update`, ({ layers, acts, B }) => {
      const L = layers.length - 1;
      for (const T of [1, 3, 20]) {
        const gen = new Lcg(layers.length * 57 + B + T);
        const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 5, algo: "il", T, gamma: 0.2, runtime: rt });
        const lr = 0.05;
        const opt = new Optimizer(pcn.params, { lr });
        randomizeBiases(pcn, L, gen);
        const net = netFromParams(pcn.params, layers, acts);
        const s = stage(rt, layers, B, gen, net);
        try {
          const x64 = Float64Array.from(s.x);
          const y64 = Float64Array.from(s.y);
          const step = pcn.trainBatch(s.batch.rows(B), loss, opt);
          const ref = learn64(net, x64, y64, B, loss, { schedule: "il", T, gamma: 0.2, lr });
          // The returned loss is the feedforward loss before the update, which is also the energy
          // at the forward-initialised state (all hidden errors are 0): CE or ½‖·‖² per sample.
          const ffLoss = loss64(forward64(net, x64, B)[L - 1], y64, B, layers[L], loss);
          expect(Math.abs(step.loss - ffLoss)).toBeLessThanOrEqual(REL * Math.max(1, ffLoss));
          expect(pcn.energyTrace).toHaveLength(T);
          expect(Math.abs(pcn.energyTrace[0] - ffLoss)).toBeLessThanOrEqual(REL * Math.max(1, ffLoss));
          expectClose(pcn.energyTrace, ref.trace, "energy trace");
          for (let l = 1; l <= L; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `x_${l} after ${T} steps`);
          expect(pcn.values(L, B), "the output stays clamped to the target").toEqual(s.y);
          // Gradients: −(1/B) e_{l}ᵀ σ(x_{l−1}) at the relaxed state, and the SGD update −lr × that.
          const after = netFromParams(pcn.params, layers, acts);
          for (let i = 0; i < L; i++) {
            expectClose(pcn.params.gradView(weightName(i)), ref.grads.W[i], `gradient of W_${i}`);
            expectClose(pcn.params.gradView(biasName(i)), ref.grads.b[i], `gradient of b_${i}`);
            const dW = after.W[i].map((v, k) => v - net.W[i][k]);
            const expected = ref.grads.W[i].map((g) => -lr * g);
            // lr·(gradient tolerance) plus the rounding of W − lr·g to float32 (|W| ≲ 3: ≤ 2.4e-7).
            dW.forEach((d, k) => expect(Math.abs(d - expected[k]), `ΔW_${i}[${k}]`).toBeLessThanOrEqual(lr * REL * Math.max(1, Math.abs(ref.grads.W[i][k])) + 2 ** -22 * Math.max(1, Math.abs(after.W[i][k]))));
          }
          expect(maxParamDiff(after, ref.net)).toBeLessThanOrEqual(1e-5);
        } finally {
          opt.free();
          s.batch.free();
          pcn.free();
        }
      }
    });
  }

  it("one PCN across batch sizes 2, 7 (its buffers grow), 1 and 7 again: every step matches the reference", () => {
    const layers = [6, 9, 5, 3];
    const acts: Act[] = ["tanh", "sigmoid"];
    const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 12, algo: "il", T: 4, gamma: 0.2, runtime: rt });
    const opt = new Optimizer(pcn.params, { lr: 0.1 });
    const gen = new Lcg(31);
    try {
      for (const B of [2, 7, 1, 7]) {
        for (const loss of ["ce", "mse"] as OutputLoss[]) {
          const net = netFromParams(pcn.params, layers, acts);
          const s = stage(rt, layers, B, gen);
          try {
            pcn.trainBatch(s.batch.rows(B), loss, opt);
            const ref = learn64(net, Float64Array.from(s.x), Float64Array.from(s.y), B, loss, { schedule: "il", T: 4, gamma: 0.2, lr: 0.1 });
            expectClose(pcn.energyTrace, ref.trace, `batch ${B}, ${loss}: energy trace`);
            for (let l = 1; l <= 3; l++) expectClose(pcn.values(l, B), ref.values[l - 1], `batch ${B}, ${loss}: x_${l}`);
            expect(maxParamDiff(netFromParams(pcn.params, layers, acts), ref.net), `batch ${B}, ${loss}: weights`).toBeLessThanOrEqual(1e-5);
          } finally {
            s.batch.free();
          }
          // Prediction mode on a different input in between must not disturb the next step.
          const x = Matrix.from(rt, B, layers[0], draw(gen, B * layers[0]));
          pcn.relax(x, 3);
          x.free();
        }
      }
    } finally {
      opt.free();
      pcn.free();
    }
  });

  it("an IL update is not a backprop update (the reference can tell them apart)", () => {
    // T = 20 at γ = 0.2 moves the hidden values far from Z-IL's schedule: the IL gradient differs
    // from backprop's by far more than the 1e-5 tolerance above.
    const layers = [6, 9, 5, 3];
    const acts: Act[] = ["tanh", "tanh"];
    const B = 4;
    const gen = new Lcg(9);
    const pcn = new PCN({ layers, activation: "tanh", seed: 5, algo: "il", T: 20, gamma: 0.2, runtime: rt });
    const mlp = new MLP({ layers, activation: "tanh", seed: 5, runtime: rt });
    const s = stage(rt, layers, B, gen);
    try {
      pcn.trainBatch(s.batch.rows(B), "ce", new Optimizer(pcn.params, { lr: 0.1 }));
      mlp.trainBatch(s.batch.rows(B), "ce", new Optimizer(mlp.params, { lr: 0.1 }));
      const a = netFromParams(pcn.params, layers, acts);
      const b = netFromParams(mlp.params, layers, acts);
      expect(maxParamDiff(a, b)).toBeGreaterThan(1e-3);
    } finally {
      s.batch.free();
      pcn.free();
      mlp.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Dynamics.

/**
 * Runs `body` with a tanh 7-13-9-3 PCN of `options`, a batch of B staged from `gen` and an
 * optimizer of learning rate `lr`, and frees the three after: the set-up of the energy and loss
 * descent checks below.
 */
function withTanhPcn(options: Partial<PCNOptions>, B: number, gen: Lcg, lr: number, body: (pcn: PCN, s: Staged, opt: Optimizer) => void): void {
  const layers = [7, 13, 9, 3];
  const pcn = new PCN({ layers, activation: "tanh", ...options, runtime: rt });
  const s = stage(rt, layers, B, gen);
  const opt = new Optimizer(pcn.params, { lr });
  try {
    body(pcn, s, opt);
  } finally {
    opt.free();
    s.batch.free();
    pcn.free();
  }
}

describe("relaxation dynamics", () => {
  // With only the input clamped, every stationary point of F has all errors 0 (the free output
  // gives e_L = 0, and then each hidden layer's condition gives e_l = 0 going down), i.e. the
  // feedforward pass; for γ below the stability limit gradient descent on F converges there.
  // Measured on these nets at γ = 0.1: the energy falls from 10…100 to the float32 floor
  // (≈ 1e-13…1e-11) within 800…1700 steps; values end within ≈ 1e-5 of the feedforward linear
  // outputs. We run 3000 steps and require energy ≤ 1e-8 (per sample) and
  // |x_l − z_l| ≤ 1e-4·max(1, |z_l|): an error of 1e-5 relative is float32 rounding (≈ u·Σ|terms|
  // ≈ 6e-8·30 per layer) carried through ≤ 4 layers. Monotone decrease is checked while the energy
  // is above 1e-9 (100× the floor, where the step's decrease is still larger than rounding).
  const NETS: { layers: number[]; acts: Act[]; B: number }[] = [
    { layers: [7, 9, 5, 3], acts: ["tanh", "tanh"], B: 3 },
    { layers: [7, 5, 3], acts: ["sigmoid"], B: 1 },
    { layers: [5, 11, 6, 7, 3], acts: ["relu", "relu", "relu"], B: 5 },
    { layers: [6, 13, 10], acts: ["relu"], B: 2 },
  ];
  it.each(NETS)("$layers.0→…, $acts.0, batch $B: prediction mode from random values converges to the feedforward pass", ({ layers, acts, B }) => {
    const L = layers.length - 1;
    const gen = new Lcg(5 + L);
    const pcn = new PCN({ layers, activation: acts as ActivationName[], seed: 2, runtime: rt });
    const x = new Matrix(pcn.runtime, B, layers[0]);
    try {
      x.set(draw(gen, B * layers[0]));
      const start = layers.slice(1).map((n) => draw(gen, B * n, 2));
      const trace = pcn.relax(x, 3000, 0.1, start);
      expect(trace).toHaveLength(3000);
      expect(trace[0], "the start is far from equilibrium").toBeGreaterThan(1);
      for (let t = 1; t < trace.length && trace[t - 1] > 1e-9; t++) {
        expect(trace[t], `energy rose at step ${t + 1}: ${trace[t - 1]} → ${trace[t]}`).toBeLessThanOrEqual(trace[t - 1]);
      }
      expect(trace[trace.length - 1]).toBeLessThanOrEqual(1e-8);
      for (let l = 1; l <= L; l++) {
        const z = pcn.mlp.linearOutput(l - 1).view();
        const v = pcn.values(l, B);
        v.forEach((q, k) => expect(Math.abs(q - z[k]), `x_${l}[${k}]`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(z[k]))));
      }
      // Started at the feedforward pass, relaxation stays there (energy at rounding level).
      const still = pcn.relax(x, 5, 0.1);
      still.forEach((e) => expect(e).toBeLessThanOrEqual(1e-10));
      for (let l = 1; l <= L; l++) expect(pcn.values(l, B)).toEqual(pcn.mlp.linearOutput(l - 1).toArray());
    } finally {
      x.free();
      pcn.free();
    }
  });

  it("relax rejects a start with the wrong number of layers", () => {
    const pcn = new PCN({ layers: [3, 5, 2], runtime: rt });
    const x = new Matrix(rt, 1, 3);
    try {
      expect(() => pcn.relax(x, 1, 0.1, [new Float32Array(5)])).toThrow(/expected 2 value layers, got 1/);
    } finally {
      x.free();
      pcn.free();
    }
  });

  it.each(["mse", "ce"] as OutputLoss[])("IL with the target clamped (%s): the energy decreases over the T steps for small γ", (loss) => {
    const B = 6;
    withTanhPcn({ seed: 4, algo: "il", T: 30, gamma: 0.05 }, B, new Lcg(21), 0.01, (pcn, s, opt) => {
      pcn.trainBatch(s.batch.rows(B), loss, opt);
      const trace = pcn.energyTrace;
      expect(trace).toHaveLength(30);
      for (let t = 1; t < trace.length; t++) expect(trace[t], `step ${t + 1}`).toBeLessThan(trace[t - 1]);
      // A real decrease, not rounding: the clamped equilibrium spreads the output error over layers.
      expect(trace[29]).toBeLessThan(0.9 * trace[0]);
    });
  });
});

describe("incremental PC", () => {
  it.each(["mse", "ce"] as OutputLoss[])("%s: weights updated after every step, as the float64 reference; differs from IL", (loss) => {
    const layers = [6, 9, 5, 3];
    const acts: Act[] = ["sigmoid", "tanh"];
    const B = 5;
    const T = 4;
    const lr = 0.2;
    const gen = new Lcg(77);
    const ipc = new PCN({ layers, activation: acts as ActivationName[], seed: 8, algo: "ipc", T, gamma: 0.3, runtime: rt });
    const il = new PCN({ layers, activation: acts as ActivationName[], seed: 8, algo: "il", T, gamma: 0.3, runtime: rt });
    randomizeBiases(ipc, 3, new Lcg(5));
    randomizeBiases(il, 3, new Lcg(5));
    const net = netFromParams(ipc.params, layers, acts);
    const s = stage(rt, layers, B, gen);
    const o1 = new Optimizer(ipc.params, { lr });
    const o2 = new Optimizer(il.params, { lr });
    try {
      const x64 = Float64Array.from(s.x);
      const y64 = Float64Array.from(s.y);
      ipc.trainBatch(s.batch.rows(B), loss, o1);
      il.trainBatch(s.batch.rows(B), loss, o2);
      const refIpc = learn64(net, x64, y64, B, loss, { schedule: "ipc", T, gamma: 0.3, lr });
      const refIl = learn64(net, x64, y64, B, loss, { schedule: "il", T, gamma: 0.3, lr });
      const gotIpc = netFromParams(ipc.params, layers, acts);
      const gotIl = netFromParams(il.params, layers, acts);
      expectClose(ipc.energyTrace, refIpc.trace, "iPC energy trace");
      for (let i = 0; i < 3; i++) {
        expectClose(gotIpc.W[i], refIpc.net.W[i], `iPC W_${i}`);
        expectClose(gotIpc.b[i], refIpc.net.b[i], `iPC b_${i}`);
        expectClose(gotIl.W[i], refIl.net.W[i], `IL W_${i}`);
      }
      // The schedules really differ: far beyond the 1e-5 agreement above.
      expect(maxParamDiff(refIpc.net, refIl.net)).toBeGreaterThan(1e-2);
      expect(maxParamDiff(gotIpc, gotIl)).toBeGreaterThan(1e-2);
      // The first prediction u_1 follows the updated first layer: a frozen u_1 would give other values.
      for (let l = 1; l <= 3; l++) expectClose(ipc.values(l, B), refIpc.values[l - 1], `iPC x_${l}`);
    } finally {
      o1.free();
      o2.free();
      s.batch.free();
      ipc.free();
      il.free();
    }
  });

  it.each(["mse", "ce"] as OutputLoss[])("%s: iPC lowers the batch loss step after step for a small learning rate", (loss) => {
    const B = 8;
    withTanhPcn({ seed: 6, algo: "ipc", T: 10, gamma: 0.1 }, B, new Lcg(3), 0.02, (pcn, s, opt) => {
      const losses: number[] = [];
      for (let k = 0; k < 6; k++) losses.push(pcn.trainBatch(s.batch.rows(B), loss, opt).loss);
      for (let k = 1; k < losses.length; k++) expect(losses[k], `after ${k} updates`).toBeLessThan(losses[k - 1]);
      expect(losses[5]).toBeLessThan(0.95 * losses[0]);
    });
  });
});
