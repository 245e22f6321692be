// The spiking network (ts-wrapper/models/snn.ts; SCIENCE.md §2): conversion from a soft-LIF MLP,
// option checking, and simulations against closed forms.
//
// Oracles:
//  - A single LIF neuron at constant current j, started at v = 0 with interpolated crossings, spikes
//    at t_k = k/r(j) − t_ref (the first at τ·ln(j/(j − 1)) = 1/r − t_ref, then every 1/r), with
//    r(j) = 1/(t_ref + τ·log(1 + 1/(j − 1))) (eq. 33) — so after T seconds it has fired
//    ⌊r·(T + t_ref)⌋ times, which is within (r·t_ref − 1, r·t_ref] of T·r: within 1 of T·r (nengo's
//    criterion) since r·t_ref < 1 for every r < 1/t_ref. The simulated float32 spike times drift from
//    the exact ones by ≲ 1e-6 s per spike (tests/assembly/snn.spec.ts bounds the crossing error), so
//    the exact floor is asserted only where r·(T + t_ref) is ≥ 0.02 from an integer (a drift of 0.02
//    spike periods would need ≥ 1e-4 s over ≤ 300 spikes, 100× the bound); the within-1 check holds
//    everywhere.
//  - Poisson input: every input fires independently with probability p = x·dt/t_ref per step, so the
//    input layer's spike total over S steps is a sum of Binomial(S, p_i), with variance Σ S·p_i(1 − p_i);
//    its mean rate must be within 5 standard errors (two-sided tail 6e-7; the draws are deterministic,
//    so a pass is reproducible) of mean(x)/t_ref.
//  - Whole networks with current input: a float64 re-implementation of the step-by-step simulation
//    (propagation, synaptic filter, current, exact LIF step) written from SCIENCE.md §2.
//  - Readout: hand-built networks whose currents are known in closed form, so which output neuron
//    fires most, or first, is known.
//  - Conversion: a trained soft-LIF MLP and its spiking twin on a small task (see the last describe).

import { beforeAll, describe, expect, it } from "vitest";
import {
  READOUT_TIMES, READOUTS, fuseBatchNorm, fusedLinearLayers, init, MLP, resolveNeuron, resolveSimulation, SNN, train,
  type Dataset, type NeuronParams, type Runtime, type SimulationOptions, type SpikingRun,
} from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { accuracyByPredict, rings } from "../helpers/rings.js";

const f = Math.fround;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const THESIS: NeuronParams = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 };
const CIFAR: NeuronParams = { tauRc: 0.05, tRef: 0.001, amplitude: 0.063, gain: 0.825, smoothing: 0.02 };

/** LIF rate (eq. 33) in float64 with the float32-rounded τ_RC and t_ref the kernels use. */
function lifRate(j: number, n: NeuronParams): number {
  return j > 1 ? 1 / (f(n.tRef) + f(n.tauRc) * Math.log1p(1 / (j - 1))) : 0;
}

function accuracy(run: SpikingRun, k: number, labels: Uint8Array): number {
  let correct = 0;
  run.predictions[k].forEach((c, i) => (correct += c === labels[i] ? 1 : 0));
  return correct / labels.length;
}

/** An SNN from explicit [out, in] weights and biases. */
function snnOf(layers: number[], neuron: NeuronParams, weights: number[][][], biases: number[][]): SNN {
  return new SNN(layers, neuron, weights.map((w, l) => ({ weight: Float32Array.from(w.flat()), bias: Float32Array.from(biases[l]) })), rt);
}

/** A random network (weights N(0, s²)) for determinism tests. */
function randomSnn(layers: number[], neuron: NeuronParams, seed: number, scale = 1.5, bias = 0.6): SNN {
  const gen = new Lcg(seed);
  const linear = layers.slice(1).map((nOut, l) => ({
    weight: Float32Array.from({ length: nOut * layers[l] }, () => scale * gen.normal()),
    bias: Float32Array.from({ length: nOut }, () => bias + 0.3 * gen.normal()),
  }));
  return new SNN(layers, neuron, linear, rt);
}

// ---------------------------------------------------------------------------------------------
describe("SNN.fromMLP", () => {
  it("rejects a hidden activation other than softlif, naming the layer and the activation", () => {
    const mlp = new MLP({ layers: [3, 4, 5, 2], activation: ["softlif", "relu"], runtime: rt });
    const tanh = new MLP({ layers: [3, 4, 2], activation: "tanh", runtime: rt });
    try {
      expect(() => SNN.fromMLP(mlp)).toThrow(RangeError);
      expect(() => SNN.fromMLP(mlp)).toThrow(/hidden layer 2/);
      expect(() => SNN.fromMLP(mlp)).toThrow(/"relu"/);
      expect(() => SNN.fromMLP(tanh)).toThrow(/hidden layer 1 .*"tanh"/);
    } finally {
      mlp.free();
      tanh.free();
    }
  });

  it("rejects a network without neuron parameters (no hidden layer)", () => {
    const mlp = new MLP({ layers: [3, 2], runtime: rt });
    try {
      expect(() => SNN.fromMLP(mlp)).toThrow(/neuron/);
    } finally {
      mlp.free();
    }
  });

  it("keeps the layers and the MLP's neuron parameters", () => {
    const mlp = new MLP({ layers: [3, 4, 5, 2], activation: "softlif", neuron: { preset: "cifar", gain: 2 }, runtime: rt });
    try {
      const snn = SNN.fromMLP(mlp);
      expect(snn.layers).toEqual([3, 4, 5, 2]);
      expect(snn.neuron).toEqual({ ...CIFAR, gain: 2 });
      expect([snn.inputs, snn.outputs]).toEqual([3, 2]);
      snn.free();
    } finally {
      mlp.free();
    }
  });

  it("converts a batch-norm MLP with batch norm fused: the same spikes as an SNN built from fusedLinearLayers, unlike the raw weights", () => {
    const layers = [5, 9, 6, 3];
    const mlp = new MLP({ layers, activation: "softlif", batchNorm: true, seed: 4, runtime: rt });
    const gen = new Lcg(17);
    for (const l of mlp.linearLayers) {
      if (!l.norm) continue;
      mlp.params.view(`${l.norm}.weight`).set(Float32Array.from({ length: l.outputs }, () => gen.range(0.5, 2)));
      mlp.params.view(`${l.norm}.bias`).set(Float32Array.from({ length: l.outputs }, () => gen.range(0.5, 2)));
      mlp.params.view(`${l.norm}.running_mean`).set(Float32Array.from({ length: l.outputs }, () => gen.range(-1, 1)));
      mlp.params.view(`${l.norm}.running_var`).set(Float32Array.from({ length: l.outputs }, () => gen.range(0.2, 4)));
    }
    const neuron = mlp.config.neuron!;
    const converted = SNN.fromMLP(mlp);
    const reference = new SNN(layers, neuron, fusedLinearLayers(mlp), rt);
    const fusedMlp = fuseBatchNorm(mlp);
    const viaFused = SNN.fromMLP(fusedMlp);
    const raw = new SNN(layers, neuron, mlp.linearLayers.map((l) => ({ weight: mlp.params.view(l.weight).slice(), bias: mlp.params.view(l.bias).slice() })), rt);
    try {
      const count = 6;
      const x = Float32Array.from({ length: count * layers[0] }, () => gen.uniform());
      const opts: SimulationOptions = { encoding: "current", time: 0.2 };
      const a = converted.simulate(x, count, opts);
      const b = reference.simulate(x, count, opts);
      const c = viaFused.simulate(x, count, opts);
      const d = raw.simulate(x, count, opts);
      expect(a.counts.some((v) => v > 0), "the test network spikes").toBe(true);
      expect(a.counts).toEqual(b.counts);
      expect(a.counts).toEqual(c.counts);
      expect(a.firingRates).toEqual(b.firingRates);
      expect(a.counts, "batch norm was ignored").not.toEqual(d.counts);
    } finally {
      converted.free();
      reference.free();
      viaFused.free();
      raw.free();
      fusedMlp.free();
      mlp.free();
    }
  });

  it("the constructor rejects weights of the wrong shape and a wrong number of layers", () => {
    expect(() => new SNN([2, 3], THESIS, [{ weight: new Float32Array(5), bias: new Float32Array(3) }], rt)).toThrow(/layer 0/);
    expect(() => new SNN([2, 3], THESIS, [{ weight: new Float32Array(6), bias: new Float32Array(2) }], rt)).toThrow(/layer 0/);
    expect(() => new SNN([2, 3, 1], THESIS, [{ weight: new Float32Array(6), bias: new Float32Array(3) }], rt)).toThrow(/weight layers/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("simulation options are checked, naming the parameter", () => {
  const snn = () => snnOf([2, 3], THESIS, [[[1, 0], [0, 1], [1, 1]]], [[0, 0, 0]]);
  const x = Float32Array.of(0.2, 0.4, 0.6, 0.8);

  const cases: [string, SimulationOptions, RegExp][] = [
    ["dt = t_ref", { dt: 0.004 }, /^dt:.*t_ref/],
    ["dt > t_ref", { dt: 0.01 }, /^dt:/],
    ["dt = 0", { dt: 0 }, /^dt:/],
    ["dt < 0", { dt: -0.001 }, /^dt:/],
    ["dt NaN", { dt: NaN }, /^dt:/],
    ["dt Infinity", { dt: Infinity }, /^dt:/],
    ["time = 0", { time: 0 }, /^time:/],
    ["time < 0", { time: -1 }, /^time:/],
    ["time NaN", { time: NaN }, /^time:/],
    ["time Infinity", { time: Infinity }, /^time:/],
    ["time < dt", { time: 0.0005, dt: 0.001 }, /^time:.*dt/],
    ["tauS = 0", { tauS: 0 }, /^tauS:/],
    ["tauS < 0", { tauS: -0.005 }, /^tauS:/],
    ["tauS NaN", { tauS: NaN }, /^tauS:/],
    ["tauS NaN, alpha synapse", { tauS: NaN, synapse: "alpha" }, /^tauS:/],
    ["unknown encoding", { encoding: "rate" as "poisson" }, /^encoding:.*rate/],
    ["unknown readout", { readout: "max" as "count" }, /^readout:.*max/],
    ["unknown synapse", { synapse: "exp" as "alpha" }, /^synapse:.*exp/],
    ["checkpoint 0", { readoutTimes: [0.01, 0] }, /^readoutTimes\[1\]/],
    ["checkpoint < 0", { readoutTimes: [-0.01] }, /^readoutTimes\[0\]/],
    ["checkpoint > time", { time: 0.5, readoutTimes: [0.1, 0.6] }, /^readoutTimes\[1\]/],
    ["checkpoint NaN", { readoutTimes: [NaN] }, /^readoutTimes\[0\]/],
    ["checkpoint Infinity", { readoutTimes: [Infinity] }, /^readoutTimes\[0\]/],
    ["checkpoint not a number", { readoutTimes: ["0.1" as unknown as number] }, /^readoutTimes\[0\]/],
    ["batchSize 0", { batchSize: 0 }, /^batchSize:/],
    ["batchSize < 0", { batchSize: -3 }, /^batchSize:/],
    ["batchSize fractional", { batchSize: 2.5 }, /^batchSize:/],
    ["batchSize NaN", { batchSize: NaN }, /^batchSize:/],
    ["seed < 0", { seed: -1 }, /^seed:/],
    ["seed fractional", { seed: 1.5 }, /^seed:/],
    ["seed ≥ 2^32", { seed: 2 ** 32 }, /^seed:/],
    ["seed NaN", { seed: NaN }, /^seed:/],
  ];
  it.each(cases)("%s", (_name, options, message) => {
    expect(() => resolveSimulation(options, THESIS)).toThrow(RangeError);
    expect(() => resolveSimulation(options, THESIS)).toThrow(message);
    const net = snn();
    try {
      expect(() => net.simulate(x, 2, { time: 0.05, ...options })).toThrow(message);
    } finally {
      net.free();
    }
  });

  it("dt just below t_ref and time = dt are accepted; tauS is not needed without a synapse", () => {
    expect(resolveSimulation({ dt: 0.0039, time: 0.0039 }, THESIS).dt).toBe(0.0039);
    expect(resolveSimulation({ synapse: "none", tauS: NaN }, THESIS).synapse).toBe("none");
    // The t_ref that bounds dt is the network's: 0.002 s is fine for the thesis neuron, not for cifar.
    expect(() => resolveSimulation({ dt: 0.002 }, THESIS)).not.toThrow();
    expect(() => resolveSimulation({ dt: 0.002 }, CIFAR)).toThrow(/^dt:/);
  });

  it.each([
    ["above 1", 1.5], ["negative", -0.1], ["NaN", NaN], ["Infinity", Infinity],
  ])("Poisson inputs %s are rejected naming the sample and the input", (_name, bad) => {
    const net = snn();
    try {
      const xs = Float32Array.of(0.2, 0.4, 0.6, 0.8, 0.1, 0.9);
      xs[5] = bad; // sample 2, input 1
      expect(() => net.simulate(xs, 3, { time: 0.01 })).toThrow(/sample 2, input 1/);
      // Current input takes any finite value, but not NaN or ±Infinity.
      if (Number.isFinite(bad)) expect(() => net.simulate(xs, 3, { time: 0.01, encoding: "current" })).not.toThrow();
      else expect(() => net.simulate(xs, 3, { time: 0.01, encoding: "current" })).toThrow(/sample 2, input 1/);
    } finally {
      net.free();
    }
  });

  it("x must hold count rows", () => {
    const net = snn();
    try {
      expect(() => net.simulate(x, 3)).toThrow(RangeError);
      expect(() => net.simulate(x, 1.5)).toThrow(RangeError);
      expect(() => net.simulate(x, -1)).toThrow(RangeError);
    } finally {
      net.free();
    }
  });

  it("defaults: 1 s at dt 1 ms, Poisson, count readout, low-pass τ_s 5 ms, seed 0", () => {
    const sim = resolveSimulation({}, THESIS);
    expect(sim).toMatchObject({ time: 1, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0 });
  });

  it("options given as undefined take their defaults, as MLP and optimizer options do", () => {
    // SimulationOptions' fields are optional (`time?: number`, "default 1"), so { time: undefined }
    // is a valid SimulationOptions and means "the default" — MLPOptions (seed ?? 0, batchNorm ??
    // false) and OptimizerOptions (momentum ?? 0, …) treat undefined that way.
    const options: SimulationOptions = {
      time: undefined, dt: undefined, encoding: undefined, readout: undefined, synapse: undefined,
      tauS: undefined, seed: undefined, batchSize: undefined, readoutTimes: undefined,
    };
    expect(() => resolveSimulation(options, THESIS)).not.toThrow();
    expect(resolveSimulation({ time: 0.05, dt: undefined, seed: undefined }, THESIS)).toMatchObject({ time: 0.05, dt: 0.001, seed: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
describe("checkpoints", () => {
  it("default to 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1 s up to the presentation time, plus the time itself", () => {
    expect(READOUT_TIMES).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(resolveSimulation({}, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(resolveSimulation({ time: 0.3 }, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3]);
    expect(resolveSimulation({ time: 0.05 }, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05]);
    expect(resolveSimulation({ time: 0.015 }, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.015]);
    expect(resolveSimulation({ time: 0.005 }, THESIS).readoutTimes).toEqual([0.005]);
    expect(resolveSimulation({ time: 0.101 }, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.101]);
    expect(resolveSimulation({ time: 2 }, THESIS).readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2]);
  });

  it("given checkpoints are sorted and deduplicated; a run reports one prediction array per checkpoint", () => {
    expect(resolveSimulation({ time: 0.5, readoutTimes: [0.3, 0.1, 0.3, 0.5] }, THESIS).readoutTimes).toEqual([0.1, 0.3, 0.5]);
    const net = randomSnn([3, 4, 2], THESIS, 1);
    try {
      const x = Float32Array.from({ length: 15 }, (_, i) => (i % 7) / 7);
      const run = net.simulate(x, 5, { time: 0.1 });
      expect(run.readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1]);
      expect(run.predictions).toHaveLength(5);
      run.predictions.forEach((p) => expect(p).toHaveLength(5));
      expect(run.steps).toBe(100);
      expect(run.counts).toHaveLength(5 * 2);
      expect(run.firingRates).toHaveLength(3);
    } finally {
      net.free();
    }
  });

  it("a checkpoint's predictions equal the final predictions of a run that stops there (same seed)", () => {
    const net = randomSnn([4, 6, 3], THESIS, 2);
    try {
      const gen = new Lcg(5);
      const count = 12;
      const x = Float32Array.from({ length: count * 4 }, () => gen.uniform());
      for (const readout of ["count", "first-spike"] as const) {
        const long = net.simulate(x, count, { time: 0.2, seed: 9, readout });
        long.readoutTimes.forEach((t, k) => {
          const short = net.simulate(x, count, { time: t, seed: 9, readout });
          expect(short.predictions[short.predictions.length - 1], `${readout} at ${t} s`).toEqual(long.predictions[k]);
        });
      }
    } finally {
      net.free();
    }
  });

  it("a checkpoint at t reads the state after round(t/dt) steps: the class flips at the step of the first output spike", () => {
    // Layers [1, 1, 2], current input x = 1. The hidden neuron has j = 1·1 + 1 = 2 and first fires at
    // τ·ln 2 = 13.86 ms, i.e. in step 14 (dt = 1 ms; 0.14 ms from the step's start, far beyond any
    // rounding). Output 0 has constant current 0.99 (never fires, but accumulates the larger
    // current); output 1 has no bias and weight 10 from the hidden neuron: its current is 0 until
    // step 14, when the hidden spike arrives (low-pass: (1 − e^{−0.2})·10·0.05/dt = 90.6) and drives
    // it from 0 to 90.6·(1 − e^{−dt/τ}) = 4.4 > 1 within that step. So after 13 steps nothing has
    // fired: the spiking readouts leave the tie, and the summed current (0.99 a step against 0) says
    // 0; after 14 steps output 1 has fired (and its current of ≈ 90 in that step outweighs 14 × 0.99): class 1.
    const net = snnOf([1, 1, 2], THESIS, [[[1]], [[0], [10]]], [[1], [0.99, 0]]);
    try {
      for (const readout of READOUTS) {
        const run = net.simulate(Float32Array.of(1), 1, { encoding: "current", time: 0.02, readout, readoutTimes: [0.012, 0.013, 0.014, 0.015, 0.02] });
        const before = readout === "integrate" || readout === "count-current" ? 0 : -1;
        expect(run.predictions.map((p) => p[0]), readout).toEqual([before, before, 1, 1, 1]);
        expect(run.counts[0]).toBe(0);
        expect(run.counts[1]).toBeGreaterThanOrEqual(1);
      }
    } finally {
      net.free();
    }
  });

  it("the count readout at the presentation time names the output with the most spikes in run.counts", () => {
    // Ten outputs with similar weights compete, so the leader often changes late; wherever the final
    // counts have a unique maximum, the last checkpoint's class must be that output (a readout taken
    // a step early, or from stale counts, differs for some of the 300 samples).
    const net = randomSnn([6, 10], THESIS, 13, 0.5, 1.2);
    try {
      const gen = new Lcg(77);
      const count = 300;
      const x = Float32Array.from({ length: count * 6 }, () => gen.uniform());
      const run = net.simulate(x, count, { time: 0.05, seed: 2, readoutTimes: [0.05] });
      let unique = 0;
      for (let i = 0; i < count; i++) {
        const c = Array.from(run.counts.subarray(10 * i, 10 * i + 10));
        const top = Math.max(...c);
        if (c.filter((v) => v === top).length !== 1) continue;
        unique++;
        expect(run.predictions[0][i], `sample ${i}: counts ${c}`).toBe(c.indexOf(top));
      }
      expect(unique, "samples with a unique leader").toBeGreaterThan(100);
    } finally {
      net.free();
    }
  });

  it.each(["poisson", "current"] as const)("%s: synaptic operations into each layer are the spikes below it times its width, up to each readout", (encoding) => {
    const layers = [6, 9, 7, 4];
    const net = randomSnn(layers, THESIS, 11);
    try {
      const x = Float32Array.from({ length: 5 * 6 }, (_, i) => ((i * 7) % 10) / 10);
      const readoutTimes = [0.005, 0.02, 0.05];
      // Spikes per layer and step, seen by the observer (input first; none for current input).
      const seen: number[][] = [];
      const run = net.simulate(x, 5, { time: 0.05, encoding, readoutTimes }, undefined, (step, _first, _B, input, spikes) => {
        const row = seen[step - 1] ?? (seen[step - 1] = new Array(layers.length).fill(0));
        [input, ...spikes].forEach((s, l) => (row[l] += s ? s.filter((v) => v !== 0).length : 0));
      });
      const want = readoutTimes.map((t) => layers.slice(1).map((width, l) => {
        let sum = 0;
        for (let step = 0; step < Math.round(t / 0.001); step++) sum += seen[step][l] * width;
        return sum;
      }));
      expect(run.synapticOperations).toEqual(want);
      expect(want[2][1], "the hidden layers fire").toBeGreaterThan(0);
      if (encoding === "current") expect(run.synapticOperations.every((ops) => ops[0] === 0), "a current input is no spikes").toBe(true);
      else expect(want[2][0]).toBeGreaterThan(0);
    } finally {
      net.free();
    }
  });

  it("count = 0 gives empty results", () => {
    const net = randomSnn([3, 2], THESIS, 3);
    try {
      const run = net.simulate(new Float32Array(0), 0, { time: 0.02 });
      expect(run.counts).toHaveLength(0);
      expect(run.predictions.map((p) => p.length)).toEqual([0, 0, 0]);
      expect(run.firingRates).toEqual([0, 0]);
      expect(run.events).toBe(0);
    } finally {
      net.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("a single LIF neuron at constant current: spike counts ⌊r(j)·(T + t_ref)⌋, within 1 of T·r(j)", () => {
  // Layers [1, 1]: the output neuron's current is gain·(w·x + b), constant; targets j below, at
  // and far above threshold, including negative current (the voltage floor keeps it silent).
  const TARGETS = [-0.5, 0.5, 0.99, 1.05, 1.2, 1.5, 2, 3.3, 7, 20];
  const w = 2.5;
  const b = -0.3;
  const cases: [string, NeuronParams, number][] = [
    ["thesis, dt 1 ms", THESIS, 0.001],
    ["thesis, dt 0.5 ms", THESIS, 0.0005],
    ["cifar (gain 0.825), dt 0.5 ms", CIFAR, 0.0005],
    ["cifar (gain 0.825), dt 0.2 ms", CIFAR, 0.0002],
  ];
  it.each(cases)("%s", (_name, neuron, dt) => {
    const T = 1;
    const x = Float32Array.from(TARGETS, (j) => (j / f(neuron.gain) - b) / w);
    const net = new SNN([1, 1], neuron, [{ weight: Float32Array.of(w), bias: Float32Array.of(b) }], rt);
    try {
      const run = net.simulate(x, x.length, { encoding: "current", time: T, dt });
      expect(run.steps).toBe(Math.round(T / dt));
      let exactChecks = 0;
      let rateSum = 0;
      x.forEach((xi, i) => {
        const j = f(neuron.gain) * (f(w) * xi + f(b));
        const r = lifRate(j, neuron);
        rateSum += r;
        const count = run.counts[i];
        expect(Math.abs(count - T * r), `j = ${j}: ${count} spikes, T·r = ${T * r}`).toBeLessThanOrEqual(1);
        if (j <= 1) {
          expect(count, `j = ${j} is at or below threshold`).toBe(0);
          return;
        }
        const ideal = r * (T + f(neuron.tRef));
        if (Math.abs(ideal - Math.round(ideal)) >= 0.02) {
          expect(count, `j = ${j}: ⌊r(T + t_ref)⌋`).toBe(Math.floor(ideal));
          exactChecks++;
        }
      });
      expect(exactChecks, "most of the 7 currents above threshold get the exact check").toBeGreaterThanOrEqual(6);
      // firingRates: input 0 (current input), output = total spikes / (samples · T), which is
      // within 1/T of the mean of r(j).
      const total = run.counts.reduce((s, v) => s + v, 0);
      expect(run.firingRates[0]).toBe(0);
      expect(run.firingRates[1]).toBeCloseTo(total / (x.length * T), 10);
      expect(Math.abs(run.firingRates[1] - rateSum / x.length)).toBeLessThanOrEqual(1 / T);
      // No weights are crossed by spikes in a one-layer network with current input.
      expect(run.events).toBe(0);
    } finally {
      net.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A float64 re-implementation of the whole simulation with current input, written from SCIENCE.md §2:
// per step, layer by layer — spikes of the layer below (value amplitude/dt) through the weights, the
// synaptic filter (low-pass y ← a·y + (1 − a)·u, alpha as two low-passes, a = e^{−dt/τ_s}; "none":
// y = u), current j = gain·(y + b) (the first layer: gain·(W·x + b), constant), and the exact LIF
// step: integrate Δt = clamp(dt − refractory, 0, dt) as v ← j + (v − j)e^{−Δt/τ}; on v > 1 the
// crossing lies s = Δt − τ·ln((j − v₀)/(j − 1)) before the step's end, v ← 0 and the refractory
// period left is t_ref − s; otherwise v ← max(v, 0) (the voltage floor). Returns the output spike
// counts and each layer's spike total.
function simulate64(
  layers: number[], n: NeuronParams, weights: Float32Array[], biases: Float32Array[], x: Float32Array, count: number,
  steps: number, dt: number, synapse: "lowpass" | "alpha" | "none", tauS: number,
): { counts: number[]; totals: number[] } {
  const [tau, tRef, amplitude, gain] = [n.tauRc, n.tRef, n.amplitude, n.gain].map(f);
  const a = synapse === "none" ? 0 : Math.exp(-f(dt) / f(tauS));
  const L = layers.length - 1;
  const k = layers[L];
  const counts = new Array<number>(count * k).fill(0);
  const totals = new Array<number>(layers.length).fill(0);
  for (let r = 0; r < count; r++) {
    const state = layers.slice(1).map((m) => ({
      y: new Float64Array(m), z: new Float64Array(m), v: new Float64Array(m), ref: new Float64Array(m),
      j: new Float64Array(m), spikes: new Float64Array(m),
    }));
    // The first layer's constant current.
    for (let o = 0; o < layers[1]; o++) {
      let s = biases[0][o];
      for (let i = 0; i < layers[0]; i++) s += weights[0][o * layers[0] + i] * x[r * layers[0] + i];
      state[0].j[o] = gain * s;
    }
    for (let step = 1; step <= steps; step++) {
      for (let l = 0; l < L; l++) {
        const st = state[l];
        const nIn = layers[l];
        if (l > 0) {
          const below = state[l - 1].spikes;
          for (let o = 0; o < layers[l + 1]; o++) {
            let u = 0;
            for (let i = 0; i < nIn; i++) u += below[i] * weights[l][o * nIn + i];
            if (synapse === "alpha") {
              st.z[o] = a * st.z[o] + (1 - a) * u;
              st.y[o] = a * st.y[o] + (1 - a) * st.z[o];
            } else {
              st.y[o] = a * st.y[o] + (1 - a) * u;
            }
            st.j[o] = gain * (st.y[o] + biases[l][o]);
          }
        }
        for (let o = 0; o < layers[l + 1]; o++) {
          const j = st.j[o];
          const delta = Math.min(Math.max(dt - st.ref[o], 0), dt);
          const v0 = st.v[o];
          const v = j + (v0 - j) * Math.exp(-delta / tau);
          st.ref[o] = Math.max(st.ref[o] - dt, 0);
          if (v > 1) {
            const since = j > v ? delta - tau * Math.log((j - v0) / (j - 1)) : delta;
            st.v[o] = 0;
            st.ref[o] = Math.max(tRef - Math.min(since, delta), 0);
            st.spikes[o] = amplitude / dt;
            totals[l + 1]++;
            if (l === L - 1) counts[r * k + o]++;
          } else {
            st.v[o] = Math.max(v, 0);
            st.spikes[o] = 0;
          }
        }
      }
    }
  }
  return { counts, totals };
}

describe("whole-network simulation against a float64 re-implementation (current input)", () => {
  const cases: [string, number[], NeuronParams, number, "lowpass" | "alpha" | "none", number][] = [
    ["3-6-4 thesis, low-pass 5 ms, dt 1 ms", [3, 6, 4], THESIS, 0.001, "lowpass", 0.005],
    ["3-6-4 thesis, alpha 2 ms, dt 1 ms", [3, 6, 4], THESIS, 0.001, "alpha", 0.002],
    ["3-6-4 thesis, no filter, dt 0.5 ms", [3, 6, 4], THESIS, 0.0005, "none", 0.005],
    ["5-7-6-3 cifar, alpha 5 ms, dt 0.5 ms", [5, 7, 6, 3], CIFAR, 0.0005, "alpha", 0.005],
    ["5-7-6-3 cifar, low-pass 1.18 ms, dt 0.2 ms", [5, 7, 6, 3], CIFAR, 0.0002, "lowpass", 0.00118],
  ];
  it.each(cases)("%s", (_name, layers, neuron, dt, synapse, tauS) => {
    const gen = new Lcg(layers.length * 1000 + Math.round(tauS * 1e5));
    // Weights of both signs; biases near threshold, so that units fire at a range of rates and the
    // filtered input matters (a unit driven by its bias alone would not test the synapse).
    const weights = layers.slice(1).map((m, l) => Float32Array.from({ length: m * layers[l] }, () => gen.normal() * (l === 0 ? 1.5 : 0.8)));
    const biases = layers.slice(1).map((m, l) => Float32Array.from({ length: m }, () => (l === 0 ? 1.2 : 0.9) + 0.3 * gen.normal()));
    const count = 4;
    const x = Float32Array.from({ length: count * layers[0] }, () => gen.uniform());
    const T = 0.3;
    const net = new SNN(layers, neuron, weights.map((w, l) => ({ weight: w, bias: biases[l] })), rt);
    try {
      const run = net.simulate(x, count, { encoding: "current", time: T, dt, synapse, tauS, batchSize: 3 });
      const ref = simulate64(layers, neuron, weights, biases, x, count, run.steps, dt, synapse, tauS);
      // The float32 simulation can differ from the float64 one only where a threshold crossing lies
      // within float32 rounding (~1e-6 s, or ~1e-6 in v) of a step boundary — for a few hundred
      // spikes, a ~1e-3 chance per run. We allow each output count to be off by 1 and the layer totals
      // by 1 %; measured: identical in every case.
      expect(ref.totals[ref.totals.length - 1], "the outputs fire").toBeGreaterThan(10);
      run.counts.forEach((c, i) => expect(Math.abs(c - ref.counts[i]), `output count ${i}: ${c} vs ${ref.counts[i]}`).toBeLessThanOrEqual(1));
      const mismatched = ref.counts.filter((c, i) => c !== run.counts[i]).length;
      expect(mismatched, "counts differing from the float64 simulation").toBeLessThanOrEqual(1);
      run.firingRates.forEach((rate, l) => {
        const total = rate * count * layers[l] * run.steps * dt;
        expect(Math.abs(total - ref.totals[l]), `layer ${l} spikes`).toBeLessThanOrEqual(0.01 * ref.totals[l] + 1e-6);
      });
    } finally {
      net.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("Poisson input", () => {
  it.each([
    ["thesis, dt 1 ms", THESIS, 0.001],
    ["cifar, dt 0.2 ms", CIFAR, 0.0002],
  ] as const)("%s: the input layer fires at mean(x)/t_ref within 5 standard errors; zero weights leave the output silent", (_name, neuron, dt) => {
    const n = 7;
    const count = 5;
    const T = 1;
    const gen = new Lcg(23);
    const x = Float32Array.from({ length: count * n }, () => gen.uniform());
    x[3] = 0;
    x[10] = 1;
    const net = new SNN([n, 1], neuron, [{ weight: new Float32Array(n), bias: new Float32Array(1) }], rt);
    try {
      const run = net.simulate(x, count, { time: T, dt, seed: 3 });
      const steps = Math.round(T / dt);
      // p = x·(dt/t_ref) as the kernel forms it in float32; ≤ 1 here.
      const ratio = f(f(dt) / f(neuron.tRef));
      let mean = 0;
      let variance = 0;
      for (const v of x) {
        const p = f(v * ratio);
        mean += steps * p;
        variance += steps * p * (1 - p);
      }
      const denominator = count * n * steps * dt;
      const expected = mean / denominator;
      const se = Math.sqrt(variance) / denominator;
      expect(Math.abs(run.firingRates[0] - expected), `rate ${run.firingRates[0]} vs ${expected} ± ${se}`).toBeLessThanOrEqual(5 * se);
      // And mean(x)/t_ref itself (the p above is x·dt/t_ref up to float32 rounding of a few U).
      const meanX = x.reduce((s, v) => s + v, 0) / x.length;
      expect(Math.abs(run.firingRates[0] - meanX / neuron.tRef)).toBeLessThanOrEqual(5 * se + 1e-4 * expected);
      expect(run.firingRates[1]).toBe(0);
      expect(Array.from(run.counts)).toEqual(new Array(count).fill(0));
      // Every input spike crosses the (zero) weights once: events = input spikes.
      expect(run.events).toBe(Math.round(run.firingRates[0] * denominator));
    } finally {
      net.free();
    }
  });

  it("events count the input spikes and the hidden spikes that cross weights", () => {
    const layers = [6, 5, 4];
    const net = randomSnn(layers, THESIS, 8);
    try {
      const gen = new Lcg(2);
      const count = 4;
      const x = Float32Array.from({ length: count * 6 }, () => gen.uniform());
      const T = 0.3;
      const run = net.simulate(x, count, { time: T, seed: 1 });
      const inputSpikes = run.firingRates[0] * count * 6 * T;
      const hiddenSpikes = run.firingRates[1] * count * 5 * T;
      expect(hiddenSpikes).toBeGreaterThan(0);
      expect(run.events).toBe(Math.round(inputSpikes + hiddenSpikes));
    } finally {
      net.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("determinism and batching", () => {
  const layers = [5, 7, 3];
  const count = 10;
  const gen = new Lcg(41);
  const x = Float32Array.from({ length: count * layers[0] }, () => gen.uniform());

  /** Runs `body` on a fresh copy of this block's random network, freed after: every test here uses one. */
  function withNet(body: (net: SNN) => void): void {
    const net = randomSnn(layers, THESIS, 6);
    try {
      body(net);
    } finally {
      net.free();
    }
  }

  it.each(["poisson", "current"] as const)("%s: the same seed gives the same counts and predictions whatever the batch size", (encoding) => {
    withNet((net) => {
      const runs = [1, 3, 7, 10, 100].map((batchSize) => net.simulate(x, count, { time: 0.1, seed: 12, encoding, batchSize }));
      const [ref, ...others] = runs;
      expect(ref.counts.reduce((s, v) => s + v, 0), "the network spikes").toBeGreaterThan(10);
      for (const run of others) {
        expect(run.counts).toEqual(ref.counts);
        expect(run.predictions).toEqual(ref.predictions);
        expect(run.events).toBe(ref.events);
        run.firingRates.forEach((r, l) => expect(r).toBeCloseTo(ref.firingRates[l], 9));
      }
      // Repeating a run reproduces it.
      const again = net.simulate(x, count, { time: 0.1, seed: 12, encoding, batchSize: 3 });
      expect(again.counts).toEqual(ref.counts);
    });
  });

  it("onBatch reports the samples done after each batch", () => {
    withNet((net) => {
      const done: number[] = [];
      net.simulate(x, count, { time: 0.01, batchSize: 4 }, (n) => done.push(n));
      expect(done).toEqual([4, 8, 10]);
    });
  });

  it("a different seed changes a Poisson run; the seed does not matter with current input", () => {
    withNet((net) => {
      const a = net.simulate(x, count, { time: 0.1, seed: 1 });
      const b = net.simulate(x, count, { time: 0.1, seed: 2 });
      expect(a.counts).not.toEqual(b.counts);
      const c = net.simulate(x, count, { time: 0.1, seed: 1, encoding: "current" });
      const d = net.simulate(x, count, { time: 0.1, seed: 2, encoding: "current" });
      expect(c.counts).toEqual(d.counts);
    });
  });

  it("a sample's spikes do not depend on the other samples in its batch", () => {
    withNet((net) => {
      const full = net.simulate(x, count, { time: 0.1, seed: 5, batchSize: 10 });
      // Replace every other sample: the kept samples (same index, same stream) are unchanged.
      const y = x.slice();
      for (let i = 1; i < count; i += 2) y.fill(0.5, i * 5, i * 5 + 5);
      const mixed = net.simulate(y, count, { time: 0.1, seed: 5, batchSize: 10 });
      for (let i = 0; i < count; i += 2) expect(Array.from(mixed.counts.subarray(3 * i, 3 * i + 3))).toEqual(Array.from(full.counts.subarray(3 * i, 3 * i + 3)));
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("readout", () => {
  // Layers [2, 3], current input, thesis neuron (gain 1): currents j = W·x + b in closed form.
  const W = [[1, 0], [0, 1], [1, 1]];
  const B = [0.5, 0.5, 0.2];
  const samples = [[0.8, 0.7], [1, 0.1], [0.1, 1]]; // j = (1.3, 1.2, 1.7), (1.5, 0.6, 1.3), (0.6, 1.5, 1.3)
  const largest = samples.map(([a, b]) => {
    const j = W.map((w, o) => w[0] * a + w[1] * b + B[o]);
    return j.indexOf(Math.max(...j));
  });

  // The largest current j_max first fires at τ·ln(j_max/(j_max − 1)) (17.7 ms for sample 0's 1.7,
  // 22.0 ms for the others' 1.5). Before that no neuron has fired: the spiking readouts leave the
  // tie (class −1, counted as unresolved); from then on it has fired first and most. The readouts of
  // the summed current see the largest current from the first step.
  const firstSpike = samples.map((_, i) => {
    const j = Math.max(...W.map((w, o) => w[0] * samples[i][0] + w[1] * samples[i][1] + B[o]));
    return THESIS.tauRc * Math.log(j / (j - 1));
  });
  it.each(["count", "first-spike", "integrate", "count-current"] as const)("%s: the neuron with the largest current wins once it has fired (at once for the analogue readouts)", (readout) => {
    expect(largest).toEqual([2, 0, 1]);
    const net = snnOf([2, 3], THESIS, [W], [B]);
    try {
      const run = net.simulate(Float32Array.from(samples.flat()), 3, { encoding: "current", time: 0.3, readout });
      expect(run.readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3]);
      const analogue = readout === "integrate" || readout === "count-current";
      run.readoutTimes.forEach((t, k) => {
        const want = largest.map((c, i) => (analogue || t >= firstSpike[i] ? c : -1));
        expect(Array.from(run.predictions[k]), `at ${t} s`).toEqual(want);
        expect(run.unresolved[k], `unresolved at ${t} s`).toBe(want.filter((c) => c < 0).length);
      });
      expect(run.unresolved[0], "at 10 ms nothing has fired").toBe(analogue ? 0 : 3);
      // Counts at 0.3 s: ⌊r(j)(T + t_ref)⌋ for each neuron (see the single-neuron tests).
      samples.forEach(([a, b], i) => W.forEach((w, o) => {
        // As the kernels round: gemm's fl(fl(w0·x0) + fl(w1·x1)), then fl(y + b) (gain 1).
        const j = f(f(f(w[0] * f(a)) + f(w[1] * f(b))) + f(B[o]));
        expect(run.counts[3 * i + o]).toBe(Math.floor(lifRate(j, THESIS) * (0.3 + f(0.004))));
      }));
    } finally {
      net.free();
    }
  });

  it("count readout with Poisson input picks the neuron with the largest mean current once enough spikes arrived", () => {
    const net = snnOf([2, 3], THESIS, [W], [B]);
    try {
      const run = net.simulate(Float32Array.from(samples.flat()), 3, { time: 1, seed: 4 });
      run.readoutTimes.forEach((t, k) => {
        if (t >= 0.5) expect(Array.from(run.predictions[k]), `at ${t} s`).toEqual(largest);
      });
    } finally {
      net.free();
    }
  });

  it("below threshold nothing fires: the spiking readouts leave it unresolved, the analogue ones take the most current", () => {
    // j = (0.3, 0.9, 0.6): no spikes ever; the most current is class 1's.
    const net = snnOf([2, 3], THESIS, [[[1, 0], [0, 1], [0.5, 0.5]]], [[0, 0, 0]]);
    try {
      for (const readout of READOUTS) {
        const run = net.simulate(Float32Array.of(0.3, 0.9), 1, { encoding: "current", time: 0.2, readout });
        expect(Array.from(run.counts)).toEqual([0, 0, 0]);
        const analogue = readout === "integrate" || readout === "count-current";
        run.predictions.forEach((p) => expect(p[0], readout).toBe(analogue ? 1 : -1));
        expect(run.unresolved, readout).toEqual(run.readoutTimes.map(() => (analogue ? 0 : 1)));
      }
    } finally {
      net.free();
    }
  });

  it("first-spike picks the neuron that fired first, count the one that fired most", () => {
    // Layers [1, 1, 2], current input. Hidden j_h = 19·x + 1. Output 0 has constant current 3
    // (bias 3, no input): it fires first at τ·ln(3/2) = 8.1 ms and then at r(3) = 82 Hz. Output 1
    // has no bias and weight 10 from the hidden neuron: it cannot fire before the hidden neuron's
    // first spike, and then it is driven hard (mean current 10·0.05·r(j_h) ≈ 28 at j_h = 2).
    //   sample A, x = 1/19: j_h = 2, hidden fires first at τ·ln 2 = 13.9 ms > 8.1 ms, so output 0
    //     fires first; by 0.2 s output 1 has fired far more often.
    //   sample B, x = 1: j_h = 20, hidden fires at 1.0 ms, output 1 right after, before 8.1 ms.
    const net = snnOf([1, 1, 2], THESIS, [[[19]], [[0], [10]]], [[1], [3, 0]]);
    try {
      const x = Float32Array.of(1 / 19, 1);
      const first = net.simulate(x, 2, { encoding: "current", time: 0.2, readout: "first-spike" });
      const count = net.simulate(x, 2, { encoding: "current", time: 0.2, readout: "count" });
      expect(first.readoutTimes).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2]);
      expect(first.counts).toEqual(count.counts);
      // Output 0's count is the closed form for j = 3: ⌊r(3)·(0.2 + t_ref)⌋ = 16.
      expect(count.counts[0]).toBe(Math.floor(lifRate(3, THESIS) * (0.2 + f(0.004))));
      expect(count.counts[2]).toBe(count.counts[0]);
      expect(count.counts[1]).toBeGreaterThan(count.counts[0]);
      expect(count.counts[3]).toBeGreaterThan(count.counts[2]);
      // At 5 ms sample A has no output spike yet (the first comes at 8.1 ms): unresolved for both readouts.
      first.predictions.forEach((p, k) => expect(Array.from(p), `first-spike at ${first.readoutTimes[k]} s`).toEqual(k === 0 ? [-1, 1] : [0, 1]));
      expect(Array.from(count.predictions[0])).toEqual([-1, 1]);
      // Count readout: at 10 ms sample A has one spike of output 0 and none of output 1.
      expect(Array.from(count.predictions[1])).toEqual([0, 1]);
      expect(Array.from(count.predictions[5])).toEqual([1, 1]);
    } finally {
      net.free();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Conversion on a small task. Three concentric rings (tests/helpers/rings.ts), inputs rescaled from
// [−1.25, 1.25] into [0, 1]. An MLP [2, 32, 32, 3] with soft-LIF hidden units is trained with Adam
// (lr 0.01, batch 32, 16 epochs of 600 samples = 304 steps) and reaches 100 % on 300 held-out points;
// SNN.fromMLP converts it; current input, alpha synapses with τ_s = 10 ms.
//
// Settings, and why: the neuron is the thesis's except for input gain 4. At gain 1 the trained
// network drives most hidden units near or below threshold, where the soft-LIF rate (γ_s = 0.02)
// still carries a tail ≈ γ_s/(τ|j − 1|) that a spiking LIF neuron does not have: the same weights
// with the hard LIF rate (γ_s = 0) classify only ~70 %, and the spiking network follows the hard-LIF
// network (measured 0.66–0.75 at 2 s), not the soft one. Gain 4 puts the units well above threshold.
// A single spike of area 0.05 through a low-pass filter of 5 ms is a pulse of height ~10 into
// networks this narrow (few inputs per unit), so the 5 ms default leaves large ripples; τ_s = 10 ms
// with the alpha filter smooths them (measured: 0.65 with the 5 ms low-pass after 2 s).
//
// Margins: the rate network (soft-LIF) is at 100 % and its hard-LIF twin at 98 %; the spiking
// network measured 33 % (chance) at 20 ms, 76 % at 0.1 s, 98 % at 0.5 s and 2 s. We require ≥ rate
// − 5 points (15 of 300 samples: the soft/hard difference of 2 points plus residual spike noise) and
// an improvement of ≥ 30 points over the shortest time (at 20 ms the output neurons have barely
// fired, and what they did reflects the first spikes' timing, not the rates).
describe("conversion approaches the rate network as the presentation time grows", () => {
  function unit(d: Dataset): Dataset {
    return { ...d, images: d.images.map((v) => (v + 1.25) / 2.5) };
  }

  it("rings: spiking accuracy at 2 s within 5 points of the trained soft-LIF MLP, up ≥ 30 points from 20 ms", () => {
    const trainSet = unit(rings("rings-train", 600, 1));
    const testSet = unit(rings("rings-test", 300, 2));
    expect(Math.min(...trainSet.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...trainSet.images)).toBeLessThanOrEqual(1);
    const neuron = { gain: 4 };
    const layers = [2, 32, 32, 3];
    const mlp = new MLP({ layers, activation: "softlif", neuron, seed: 7, runtime: rt });
    const hard = new MLP({ layers, activation: "softlif", neuron: { ...neuron, smoothing: 0 }, runtime: rt });
    const snnHolder: SNN[] = [];
    try {
      train(mlp, trainSet, { optimizer: "adam", lr: 0.01, epochs: 16, batchSize: 32, seed: 3 });
      const rate = accuracyByPredict(mlp, testSet);
      expect(rate, "the rate network learnt the task").toBeGreaterThanOrEqual(0.97);
      expect(mlp.config.neuron).toEqual(resolveNeuron({ gain: 4 }));
      // What the spiking network simulates as spikes become dense: the same weights with LIF rates.
      hard.params.load(new Map(mlp.params.toTensors().map((t) => [t.name, t])), "test");
      const hardRate = accuracyByPredict(hard, testSet);

      const snn = SNN.fromMLP(mlp);
      snnHolder.push(snn);
      const run = snn.simulate(testSet.images, testSet.count, {
        encoding: "current", synapse: "alpha", tauS: 0.01, time: 2, readoutTimes: [0.02, 0.1, 0.5, 2],
      });
      const acc = run.readoutTimes.map((_, k) => accuracy(run, k, testSet.labels));
      const last = acc[acc.length - 1];
      expect(last, `spiking ${acc.join(", ")} vs rate ${rate} (hard-LIF rate ${hardRate})`).toBeGreaterThanOrEqual(rate - 0.05);
      expect(last).toBeGreaterThanOrEqual(hardRate - 0.05);
      expect(last - acc[0], `spiking ${acc.join(", ")}`).toBeGreaterThanOrEqual(0.3);
      // The hidden layers are active (not a network that answers from biases alone).
      expect(run.firingRates[1]).toBeGreaterThan(5);
      expect(run.firingRates[2]).toBeGreaterThan(5);
    } finally {
      snnHolder.forEach((s) => s.free());
      mlp.free();
      hard.free();
    }
  });
});
