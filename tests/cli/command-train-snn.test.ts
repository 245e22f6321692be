// `bioplausible train --model snn` and `eval --spiking` end to end: shadow training, conversion,
// spiking evaluation, the neuron and simulation flags and their validation.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors } from "../../ts-wrapper/index.js";
import { writeCifar10Dir } from "../helpers/cifar10-fixtures.js";
import { fixtureDir, lastJson, runCli, tempDir } from "./e2e-cli.js";

const BASE = ["--layers", "64,32,10", "--epochs", "4", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01", "--json"];
// --checkpoint-ms is the old name of --readout-ms, and still works.
const SIM = ["--time", "0.1", "--checkpoint-ms", "20,100"];

const fx = fixtureDir("train-snn", "raw", { train: 300, test: 100, side: 8, classes: 10, seed: 11 });

describe("train --model snn", () => {
  it("trains a soft-LIF network, converts it, and reports spiking accuracy by presentation time", async () => {
    const out = join(fx.tmp, "snn.safetensors");
    const r = await runCli(["train", "--data-dir", fx.data, "--model", "snn", ...SIM, "--out", out, ...BASE], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const json = lastJson(r);
    expect(json.config).toMatchObject({
      model: "mlp", spiking: true, activation: "softlif",
      neuron: { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 },
      simulation: { time: 0.1, readoutTimes: [0.02, 0.1], poissonPeriod: 0.004 },
    });
    expect(Object.keys(json.spiking.accuracy_by_time_ms)).toEqual(["20", "100"]);
    expect(json.test_accuracy).toBe(json.spiking.accuracy_by_time_ms["100"]);
    expect(json.spiking).toMatchObject({ time: 0.1, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass" });
    // The fixture's classes are 2×2 patches at different positions: far above chance (0.1) both
    // as rates and as spikes after 100 ms.
    expect(json.rate_test_accuracy).toBeGreaterThan(0.5);
    expect(json.spiking.accuracy).toBeGreaterThan(0.5);
    expect(json.spiking.firing_rates_hz).toHaveLength(3);
    expect(json.spiking.firing_rates_hz.every((rate: number) => rate > 0)).toBe(true);

    // The saved network simulates to the same figures (same spike seed) and has the same parameters.
    const e = await runCli(["eval", out, "--data-dir", fx.data, "--spiking", ...SIM, "--json"], { timeout: 60_000 });
    expect(e.code, e.stderr).toBe(0);
    const ev = lastJson(e);
    expect(ev.accuracy).toBe(json.rate_test_accuracy);
    expect(ev.spiking.accuracy_by_time_ms).toEqual(json.spiking.accuracy_by_time_ms);
    expect(ev.params_sha256).toBe(json.params_sha256);

    // The file says it is a spiking model and keeps its simulation: eval --spiking alone runs it.
    expect(decodeSafetensors(readFileSync(out), out).metadata.model).toBe("snn");
    expect(ev.kind).toBe("snn");
    const own = await runCli(["eval", out, "--data-dir", fx.data, "--spiking", "--json"], { timeout: 60_000 });
    expect(own.code, own.stderr).toBe(0);
    expect(lastJson(own).spiking).toMatchObject({ time: 0.1, accuracy_by_time_ms: json.spiking.accuracy_by_time_ms });
  });

  it("folds batch norm into the saved network", async () => {
    const out = join(fx.tmp, "snn-bn.safetensors");
    const r = await runCli(["train", "--data-dir", fx.data, "--model", "snn", "--batch-norm", ...SIM, "--out", out, ...BASE], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const json = lastJson(r);
    const { tensors, metadata } = decodeSafetensors(readFileSync(out), out);
    expect([...tensors.keys()].sort()).toEqual(["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]);
    expect(JSON.parse(metadata.config)).toMatchObject({ batchNorm: false, activations: ["softlif"] });
    const e = await runCli(["eval", out, "--data-dir", fx.data, "--json"]);
    expect(lastJson(e).accuracy).toBe(json.rate_test_accuracy);
  });

  it("takes a preset and overrides, and records them", async () => {
    const r = await runCli(["train", "--data-dir", fx.data, "--model", "snn", "--preset", "cifar", "--smoothing", "0.05", "--dt", "0.0005", ...SIM, ...BASE, "--epochs", "1"], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r).config.neuron).toEqual({ tauRc: 0.05, tRef: 0.001, amplitude: 0.063, gain: 0.825, smoothing: 0.05 });
    expect(lastJson(r).spiking.dt).toBe(0.0005);
  });

  it.each([
    [["--model", "snn", "--dt", "0.004"], /^bioplausible: --dt: must be below the refractory period t_ref = 0\.004 s/],
    [["--model", "snn", "--preset", "mnist", "--dt", "0.002"], /^bioplausible: --dt: must be below the refractory period t_ref = 0\.002 s/],
    [["--model", "snn", "--time", "0.0005"], /^bioplausible: --time: the presentation time 0\.0005 s is shorter than one step/],
    [["--model", "snn", "--checkpoint-ms", "50,2000"], /^bioplausible: --readout-ms: must be a time in \(0, 1\] s, got 2/],
    [["--model", "snn", "--readout-ms", "50,2000"], /^bioplausible: --readout-ms: must be a time in \(0, 1\] s, got 2/],
    [["--model", "snn", "--activation", "relu"], /^bioplausible: --model snn \(or --spiking\): a spiking network converts from softlif neurons, but --activation is relu$/],
    [["--model", "snn", "--tau-rc", "0"], /^bioplausible: --tau-rc: must be greater than 0, got 0$/],
    [["--model", "snn", "--smoothing", "-0.1"], /^bioplausible: --smoothing: must be ≥ 0, got -0\.1$/],
    [["--model", "snn", "--encoding", "rate"], /^bioplausible: --encoding: /],
    [["--tau-rc", "0.02"], /^bioplausible: --tau-rc: only with --activation softlif$/],
    [["--time", "0.2"], /^bioplausible: --time: only with --model snn \(or --spiking\)$/],
    [["--activation", "softlif", "--readout", "count"], /^bioplausible: --readout: only with --model snn \(or --spiking\)$/],
    [["--model", "snn", "--poisson-period", "0.0005"], /^bioplausible: --poisson-period: must be at least one step \(dt = 0\.001 s\)/],
  ])("rejects %j before any work (exit 2)", async (args, message) => {
    const r = await runCli(["train", "--data-dir", fx.data, ...args, ...BASE]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").pop()).toMatch(message);
    expect(r.stdout).toBe("");
  });
});

describe("eval --spiking", () => {
  let relu: string;
  beforeAll(async () => {
    relu = join(fx.tmp, "relu.safetensors");
    const r = await runCli(["train", "--data-dir", fx.data, "--out", relu, ...BASE, "--epochs", "1"]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("refuses a network without soft-LIF activations, naming the file", async () => {
    const r = await runCli(["eval", relu, "--data-dir", fx.data, "--spiking"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--spiking: ${relu} has relu hidden activations`);
  });

  it("refuses simulation flags without --spiking", async () => {
    const r = await runCli(["eval", relu, "--data-dir", fx.data, "--time", "0.5"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("bioplausible: --time: only with --spiking");
  });
});

// CIFAR-10 is normalised per channel, so about half its inputs are negative: no Poisson rates.
describe("spiking on CIFAR-10 (generated batches)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let cifar: string;
  beforeAll(() => {
    tmp = tempDir("train-snn-cifar");
    cifar = writeCifar10Dir(join(tmp.dir, "cifar"), { perBatch: 4, test: 10, seed: 5 });
  });
  afterAll(() => tmp?.cleanup());
  const CIFAR = ["--dataset", "cifar10", "--model", "snn", "--layers", "3072,16,10", "--epochs", "1", "--batch-size", "10", "--time", "0.05", "--readout-ms", "50"];
  const REFUSED = "bioplausible: --encoding: cifar10 inputs are normalised per channel (mean 0, standard deviation 1: many are negative), but Poisson input spikes need inputs in [0, 1] (a pixel fires at a rate proportional to its value); use --encoding current instead";

  it("Poisson input (the default) is refused before any work, even before the data is read", async () => {
    for (const dir of [cifar, join(tmp.dir, "no-such-dir")]) {
      const r = await runCli(["train", ...CIFAR, "--data-dir", dir, "--json"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(REFUSED);
      expect(r.stdout).toBe("");
    }
  });

  it("current input trains, converts and simulates; eval --spiking refuses Poisson for the saved model too", async () => {
    const out = join(tmp.dir, "cifar-snn.safetensors");
    const r = await runCli(["train", ...CIFAR, "--data-dir", cifar, "--encoding", "current", "--out", out, "--json"], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const json = lastJson(r);
    expect(json.spiking).toMatchObject({ encoding: "current", count: 10, time: 0.05 });
    // 20 samples: one (a twelfth, rounded down) held out for validation.
    expect(json.config).toMatchObject({ dataset: "cifar10", validationSamples: 1, trainSamples: 19, simulation: { encoding: "current" } });

    const e = await runCli(["eval", out, "--dataset", "cifar10", "--data-dir", cifar, "--spiking", "--json"], { timeout: 60_000 });
    expect(e.code, e.stderr).toBe(0);
    expect(lastJson(e).spiking).toMatchObject({ encoding: "current", accuracy: json.spiking.accuracy });
    const p = await runCli(["eval", out, "--dataset", "cifar10", "--data-dir", cifar, "--spiking", "--encoding", "poisson", "--json"]);
    expect(p.code).toBe(2);
    expect(p.stderr.trim()).toBe(REFUSED);
  });
});
