// LIF neuron parameters (ts-wrapper/models/neuron.ts) and the soft-LIF activation of an MLP
// (SCIENCE.md §2).
//
// Presets are restated here from SCIENCE.md §2, not read from the code: the thesis's τ_RC = 0.02,
// t_ref = 0.004 and 0.05 scaling; Hunsberger's MNIST τ_RC = 0.022, t_ref = 0.002; his CIFAR
// τ_RC = 0.05, t_ref = 0.001, γ_s = 0.02, amplitude 0.063, gain 0.825. Fields SCIENCE.md leaves open
// (the thesis's γ_s and gain, MNIST's amplitude, gain and γ_s) are as neuron.ts documents them:
// Hunsberger's γ_s = 0.02 and the thesis's amplitude 0.05 and gain 1.
//
// The activation oracle is the float64 formula
//   a(z) = amplitude / (t_ref + τ_RC·log(1 + 1/ρ)),   ρ = γ_s·softplus((gain·z − 1)/γ_s),
// and for γ_s = 0 the LIF rate amplitude / (t_ref + τ_RC·log(1 + 1/(gain·z − 1))) for gain·z > 1,
// else 0. The activation is read exactly through an MLP [n, n, n] whose two weight layers are
// identity matrices with zero biases: gemm computes 1·v + Σ 0·(…) + 0 = v exactly, so logits()
// returns the hidden activations themselves. The kernel reads the neuron parameters as float32 (the
// neuron block is five float32), so the oracle uses the float32-rounded parameters too.
// Tolerance: the kernel evaluates in float64 (relative error ~1e-15) and rounds once to float32
// (≤ U = 2^-24 relative): we allow 2U·|a| + 2^-126.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, OptionError, resolveNeuron, NEURON_PRESETS, type NeuronParams, type Runtime } from "../../ts-wrapper/index.js";
import { softLif64 } from "../helpers/softlif.js";

const U = 2 ** -24;
const f = Math.fround;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const THESIS = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 };
const MNIST = { tauRc: 0.022, tRef: 0.002, amplitude: 0.05, gain: 1, smoothing: 0.02 };
const CIFAR = { tauRc: 0.05, tRef: 0.001, amplitude: 0.063, gain: 0.825, smoothing: 0.02 };


/** Hidden activations of an [n, n, n] MLP with identity weights and zero biases: logits() = σ(z). */
function activationsByMlp(z: Float32Array, neuron: Parameters<typeof resolveNeuron>[0]): { a: Float32Array; params: NeuronParams } {
  const n = z.length;
  const mlp = new MLP({ layers: [n, n, n], activation: "softlif", neuron, runtime: rt });
  try {
    for (const l of mlp.linearLayers) {
      const w = mlp.params.view(l.weight);
      w.fill(0);
      for (let i = 0; i < n; i++) w[i * n + i] = 1;
      mlp.params.view(l.bias).fill(0);
    }
    return { a: mlp.logits(z, 1), params: mlp.config.neuron! };
  } finally {
    mlp.free();
  }
}

describe("resolveNeuron presets (SCIENCE.md §2)", () => {
  it("default is the thesis preset", () => {
    expect(resolveNeuron()).toEqual(THESIS);
    expect(resolveNeuron({})).toEqual(THESIS);
    expect(resolveNeuron({ preset: "thesis" })).toEqual(THESIS);
  });

  it("mnist: τ_RC 0.022, t_ref 0.002 (Hunsberger)", () => {
    expect(resolveNeuron({ preset: "mnist" })).toEqual(MNIST);
  });

  it("cifar: τ_RC 0.05, t_ref 0.001, γ_s 0.02, amplitude 0.063, gain 0.825 (Hunsberger)", () => {
    expect(resolveNeuron({ preset: "cifar" })).toEqual(CIFAR);
  });

  it("returns a copy: changing the result does not change the preset", () => {
    const p = resolveNeuron({ preset: "cifar" });
    p.tauRc = 1;
    expect(resolveNeuron({ preset: "cifar" }).tauRc).toBe(0.05);
    expect(NEURON_PRESETS.cifar.tauRc).toBe(0.05);
  });

  it("overrides replace single fields of the chosen preset; undefined keeps the preset's", () => {
    expect(resolveNeuron({ preset: "cifar", tauRc: 0.03 })).toEqual({ ...CIFAR, tauRc: 0.03 });
    expect(resolveNeuron({ tRef: 0.001, amplitude: 1, gain: 2 })).toEqual({ ...THESIS, tRef: 0.001, amplitude: 1, gain: 2 });
    expect(resolveNeuron({ preset: "mnist", smoothing: 0 })).toEqual({ ...MNIST, smoothing: 0 });
    expect(resolveNeuron({ preset: "mnist", smoothing: 0.5, tauRc: undefined })).toEqual({ ...MNIST, smoothing: 0.5 });
  });
});

describe("resolveNeuron rejects bad values, naming the field", () => {
  const positive = ["tauRc", "amplitude", "gain"] as const;
  const bad = [0, -0.01, NaN, Infinity, -Infinity];
  for (const field of positive) {
    it.each(bad)(`${field} = %s`, (value) => {
      expect(() => resolveNeuron({ [field]: value })).toThrow(RangeError);
      expect(() => resolveNeuron({ [field]: value })).toThrow(field);
    });
  }
  // 0 is allowed for these: γ_s = 0 is the LIF rate itself, t_ref = 0 NIR's neuron.
  for (const field of ["smoothing", "tRef"] as const) {
    it.each([-1e-9, -0.02, NaN, Infinity])(`${field} = %s`, (value) => {
      expect(() => resolveNeuron({ [field]: value })).toThrow(RangeError);
      expect(() => resolveNeuron({ [field]: value })).toThrow(field);
    });
  }
  it("t_ref = 0 and voltageFloor false (NIR's neuron) are accepted; a voltageFloor that is no boolean is not", () => {
    expect(resolveNeuron({ tRef: 0, voltageFloor: false })).toEqual({ ...THESIS, tRef: 0, voltageFloor: false });
    expect(() => resolveNeuron({ voltageFloor: "no" as unknown as boolean })).toThrow("neuron.voltageFloor");
  });

  it("a non-number value", () => {
    expect(() => resolveNeuron({ tauRc: "0.02" as unknown as number })).toThrow("tauRc");
  });

  it.each(["imagenet", "", "constructor", "toString", "__proto__"])("unknown preset %j", (preset) => {
    expect(() => resolveNeuron({ preset: preset as "thesis" })).toThrow(RangeError);
    expect(() => resolveNeuron({ preset: preset as "thesis" })).toThrow("preset");
  });

  it("names the option as the library calls it (neuron.gain), which a caller words as its own", () => {
    let error: unknown;
    try {
      resolveNeuron({ gain: -1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).option).toBe("neuron.gain");
    expect((error as OptionError).message).toMatch(/^neuron\.gain: /);
  });

  it("an MLP with a bad neuron is rejected naming the field; an MLP without softlif ignores the neuron", () => {
    expect(() => new MLP({ layers: [3, 4, 2], activation: "softlif", neuron: { tauRc: 0 }, runtime: rt })).toThrow(/tauRc/);
    const m = new MLP({ layers: [3, 4, 2], activation: "relu", neuron: { preset: "cifar" }, runtime: rt });
    try {
      expect(m.config.neuron).toBeUndefined();
    } finally {
      m.free();
    }
  });
});

describe("MLP config.neuron", () => {
  it("an MLP with a softlif layer stores the resolved neuron; one without softlif stores none", () => {
    const withLif = new MLP({ layers: [3, 4, 5, 2], activation: ["relu", "softlif"], neuron: { preset: "cifar", gain: 1.5 }, runtime: rt });
    const plain = new MLP({ layers: [3, 4, 2], activation: "tanh", runtime: rt });
    const defaulted = new MLP({ layers: [3, 4, 2], activation: "softlif", runtime: rt });
    const noHidden = new MLP({ layers: [3, 2], runtime: rt });
    try {
      expect(withLif.config.neuron).toEqual({ ...CIFAR, gain: 1.5 });
      expect(defaulted.config.neuron).toEqual(THESIS);
      expect(plain.config.neuron).toBeUndefined();
      expect("neuron" in plain.config).toBe(false);
      expect(noHidden.config.neuron).toBeUndefined();
    } finally {
      withLif.free();
      plain.free();
      defaulted.free();
      noHidden.free();
    }
  });
});

describe("softlif activation forward against the float64 formula", () => {
  // gain·z − 1 from −3 to 5 (y = x/γ from −150 to 250 at γ 0.02), the threshold and its neighbourhood.
  function inputs(gain: number): Float32Array {
    const xs = [-3, -1, -0.5, -0.1, -0.02, -0.005, 0, 1e-4, 0.005, 0.02, 0.1, 0.3, 0.5, 1, 2, 3.5, 5];
    return Float32Array.from(xs, (x) => (1 + x) / f(gain));
  }
  const cases: [string, Parameters<typeof resolveNeuron>[0]][] = [
    ["thesis", { preset: "thesis" }],
    ["mnist", { preset: "mnist" }],
    ["cifar", { preset: "cifar" }],
    ["custom (τ 0.03, t_ref 0.003, amplitude 0.1, gain 1.7, γ_s 0.1)", { tauRc: 0.03, tRef: 0.003, amplitude: 0.1, gain: 1.7, smoothing: 0.1 }],
    ["custom (γ_s 1e-3)", { preset: "cifar", smoothing: 1e-3 }],
  ];
  it.each(cases)("%s: 17 values (not a multiple of 4) across threshold within 2U", (_name, neuron) => {
    const params = resolveNeuron(neuron);
    const z = inputs(params.gain);
    const { a, params: stored } = activationsByMlp(z, neuron);
    expect(stored).toEqual(params);
    let positive = 0;
    z.forEach((v, i) => {
      const expected = softLif64(v, params);
      expect(Math.abs(a[i] - expected), `z = ${v}: ${a[i]} vs ${expected}`).toBeLessThanOrEqual(2 * U * Math.abs(expected) + 2 ** -126);
      // Soft-LIF is positive everywhere (ρ > 0), and below the hard-LIF ceiling amplitude/t_ref.
      expect(a[i]).toBeGreaterThan(0);
      expect(a[i]).toBeLessThan(params.amplitude / params.tRef);
      if (a[i] > 0) positive++;
    });
    expect(positive).toBe(z.length);
  });

  it("is increasing in z, and at gain·z − 1 = 5 equals the LIF rate (ρ = x + γ·log1p(e^{−x/γ}) = x to float64)", () => {
    const params = resolveNeuron({ preset: "thesis" });
    const z = Float32Array.from({ length: 21 }, (_, i) => -1 + 0.35 * i);
    const { a } = activationsByMlp(z, { preset: "thesis" });
    for (let i = 1; i < z.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
    // At x = 5, softplus(x/γ)·γ = x + γ·log1p(e^{−250}) = x to float64: the two rates coincide.
    const lif = softLif64(6, { ...params, smoothing: 0 });
    const { a: at6 } = activationsByMlp(Float32Array.of(6), { preset: "thesis" });
    expect(Math.abs(at6[0] - lif)).toBeLessThanOrEqual(2 * U * lif);
    // …while closer to threshold the smoothing shows: at x = 0.02 (y = 1) ρ = γ·log(1 + e) ≈ 1.31·x.
    const { a: near } = activationsByMlp(Float32Array.of(1.02), { preset: "thesis" });
    expect(near[0] / softLif64(1.02, { ...params, smoothing: 0 })).toBeGreaterThan(1.01);
  });

  it.each([
    ["thesis", { preset: "thesis", smoothing: 0 }],
    ["cifar", { preset: "cifar", smoothing: 0 }],
    ["custom gain 1.7", { tauRc: 0.03, tRef: 0.003, amplitude: 0.1, gain: 1.7, smoothing: 0 }],
  ] as const)("smoothing 0 gives the hard LIF rate: %s, 0 at and below threshold", (_name, neuron) => {
    const params = resolveNeuron(neuron);
    const z = inputs(params.gain);
    // Also exactly at threshold for gain 1 (z = 1), and values just above it.
    const { a } = activationsByMlp(z, neuron);
    z.forEach((v, i) => {
      const x = f(params.gain) * v - 1;
      const expected = x > 0 ? f(params.amplitude) / (f(params.tRef) + f(params.tauRc) * Math.log1p(1 / x)) : 0;
      expect(Math.abs(a[i] - expected), `z = ${v}`).toBeLessThanOrEqual(2 * U * expected);
      if (!(x > 0)) expect(a[i]).toBe(0);
      else expect(a[i]).toBeGreaterThan(0);
    });
    // Below threshold must really be 0: the grid has points there.
    expect(z.some((v) => f(params.gain) * v - 1 <= 0)).toBe(true);
  });

  it("gain 1: z = 1 exactly is the threshold (0 for LIF), the next float32 above it is positive", () => {
    const z = Float32Array.of(1, 1 + 2 ** -23, 0.999999);
    const { a } = activationsByMlp(z, { preset: "thesis", smoothing: 0 });
    expect(a[0]).toBe(0);
    expect(a[2]).toBe(0);
    const x = 2 ** -23;
    const expected = f(0.05) / (f(0.004) + f(0.02) * Math.log1p(1 / x));
    expect(Math.abs(a[1] - expected)).toBeLessThanOrEqual(2 * U * expected);
  });
});
