// `bioplausible convert`, end to end: a ReLU model becomes a spiking model file of integrate-and-fire
// neurons that eval --spiking, export and import take; its scales are recorded; what it cannot
// convert, or a bad flag, fails naming the culprit.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fixtureDir, lastJson, runCli } from "./e2e-cli.js";

const fx = fixtureDir("convert", "data", { train: 200, test: 60, side: 8, classes: 10, seed: 5 });
const why = (r: { stderr: string }) => r.stderr.trim().split("\n").pop();
let relu: string;
let tanh: string;

beforeAll(async () => {
  relu = join(fx.tmp, "relu.safetensors");
  tanh = join(fx.tmp, "tanh.safetensors");
  const common = ["--data-dir", fx.data, "--layers", "64,32,10", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01", "--epochs", "8", "--validation", "0"];
  const [a, b] = await Promise.all([
    runCli(["train", ...common, "--out", relu]),
    runCli(["train", ...common, "--epochs", "1", "--activation", "tanh", "--out", tanh]),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
}, 90_000);

describe("convert", () => {
  it("writes a spiking model file of IF neurons that keeps the ReLU network's accuracy, and its NIR export", async () => {
    const out = join(fx.tmp, "if.safetensors");
    const r = await runCli(["convert", relu, "--data-dir", fx.data, "--percentile", "99", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = lastJson(r);
    expect(result.normalization).toMatchObject({ percentile: 99, samples: 200, from: relu });
    expect(result.normalization.scales).toHaveLength(2);
    expect(result.simulation).toMatchObject({ encoding: "current", synapse: "none", dt: 0.001 });
    const rate = lastJson(await runCli(["eval", relu, "--data-dir", fx.data, "--json"]));
    const spiking = lastJson(await runCli(["eval", out, "--data-dir", fx.data, "--spiking", "--time", "0.1", "--json"]));
    // The converted rate network is the ReLU network in Hz: the same test accuracy.
    expect(spiking.accuracy).toBeCloseTo(rate.accuracy, 6);
    expect(spiking.spiking.accuracy_by_time_ms["100"]).toBeGreaterThan(rate.accuracy - 0.1);
    const nir = join(fx.tmp, "if.nir");
    const exported = await runCli(["export", out, "--out", nir]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).not.toMatch(/refractory/);
  }, 60_000);

  it("eval --spiking --quantize runs a soft-LIF network in fixed point, refuses the IF network and --quantize alone", async () => {
    const snn = join(fx.tmp, "snn-q.safetensors");
    const trained = await runCli(["train", "--model", "snn", "--data-dir", fx.data, "--layers", "64,24,10", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01", "--epochs", "6", "--validation", "0", "--time", "0.1", "--out", snn]);
    expect(trained.code, trained.stderr).toBe(0);
    const float = lastJson(await runCli(["eval", snn, "--data-dir", fx.data, "--spiking", "--time", "0.2", "--json"]));
    const fixed = lastJson(await runCli(["eval", snn, "--data-dir", fx.data, "--spiking", "--time", "0.2", "--quantize", "int8-channel", "--json"]));
    expect(fixed.spiking.quantization).toBe("int8-channel");
    expect(float.spiking.quantization).toBeUndefined();
    expect(fixed.spiking.accuracy).toBeGreaterThan(float.spiking.accuracy - 0.1);
    const out = join(fx.tmp, "if-q.safetensors");
    expect((await runCli(["convert", relu, "--data-dir", fx.data, "--out", out])).code).toBe(0);
    const ifq = await runCli(["eval", out, "--data-dir", fx.data, "--spiking", "--quantize", "int8"]);
    expect(ifq.code).toBe(2);
    expect(why(ifq)).toMatch(/^bioplausible: --quantize: fixed point steps the membrane by a 16-bit fraction .* τ_RC is too long/);
    const alone = await runCli(["eval", snn, "--data-dir", fx.data, "--quantize", "int8"]);
    expect(alone.code).toBe(2);
    expect(why(alone)).toMatch(/^bioplausible: --quantize: only with --spiking/);
  }, 90_000);

  it("refuses what is no ReLU network, and bad flags, naming them", async () => {
    const out = join(fx.tmp, "no.safetensors");
    const t = await runCli(["convert", tanh, "--data-dir", fx.data, "--out", out]);
    expect(t.code).toBe(2);
    expect(why(t)).toMatch(/tanh\.safetensors has tanh hidden activations; convert takes a ReLU network/);
    for (const [flag, value] of [["--percentile", "0"], ["--percentile", "150"], ["--dt", "0"]]) {
      const r = await runCli(["convert", relu, "--data-dir", fx.data, "--out", out, flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(why(r)).toMatch(new RegExp(`^bioplausible: ${flag}: must be`));
    }
    const self = await runCli(["convert", relu, "--data-dir", fx.data, "--out", relu]);
    expect(self.code).toBe(2);
    expect(why(self)).toMatch(/--out: .* is the model file being converted/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
