// `bioplausible train --model pcn` end to end: the PC flags, their validation, and Z-IL giving the
// backprop MLP's accuracy from the same seed.

import { describe, expect, it } from "vitest";
import { fixtureDir, lastJson, lines, runCli } from "./e2e-cli.js";

const BASE = ["--layers", "64,16,10", "--epochs", "3", "--batch-size", "16", "--json"];

const fx = fixtureDir("train-pcn", "raw", { train: 200, test: 100, side: 8, classes: 10, seed: 7 });

describe("train --model pcn", () => {
  it("trains with inference learning and records algo, T, gamma and the il learning rate", async () => {
    const r = await runCli(["train", "--data-dir", fx.data, "--model", "pcn", "--T", "7", "--gamma", "0.05", ...BASE]);
    expect(r.code).toBe(0);
    const json = lastJson(r);
    expect(json.config).toMatchObject({ model: "pcn", algo: "il", T: 7, gamma: 0.05, lr: 0.27, tolerance: 0 });
    expect(json.history).toHaveLength(3);
    // The fixture's classes are 2×2 patches at different positions: far above chance (0.1).
    expect(json.test_accuracy).toBeGreaterThan(0.5);
  });

  it("zil reproduces the backprop MLP from the same seed bit for bit", async () => {
    const common = ["--data-dir", fx.data, "--seed", "3", "--lr", "0.05", ...BASE];
    const [mlp, zil] = await Promise.all([runCli(["train", ...common]), runCli(["train", "--model", "pcn", "--algo", "zil", ...common])]);
    expect(mlp.code).toBe(0);
    expect(zil.code).toBe(0);
    const a = lastJson(mlp), b = lastJson(zil);
    expect(b.config).toMatchObject({ algo: "zil" });
    expect(b.test_accuracy).toBe(a.test_accuracy);
    expect(b.history.map((h: Record<string, number>) => [h.loss, h.test_accuracy])).toEqual(a.history.map((h: Record<string, number>) => [h.loss, h.test_accuracy]));
    expect(b.params_sha256).toBe(a.params_sha256);
  });

  it.each([
    [["--gamma", "0.1"], /^bioplausible: --gamma: only for --model pcn$/],
    [["--algo", "il"], /^bioplausible: --algo: only for --model pcn$/],
    [["--T", "5"], /^bioplausible: --T: only for --model pcn$/],
    [["--model", "pcn", "--batch-norm"], /^bioplausible: --batch-norm: only for --model mlp/],
    [["--model", "pcn", "--algo", "zil", "--T", "5"], /^bioplausible: --T: zil fixes --T to the number of layers and --gamma to 1$/],
    [["--model", "pcn", "--algo", "zil", "--gamma", "0.5"], /^bioplausible: --gamma: zil fixes --T to the number of layers and --gamma to 1$/],
    [["--model", "pcn", "--algo", "xyz"], /^bioplausible: --algo: must be one of il, zil, ipc/],
    [["--model", "pcn", "--T", "0"], /^bioplausible: --T: /],
    [["--model", "pcn", "--gamma", "0"], /^bioplausible: --gamma: /],
    [["--model", "pcn", "--tolerance", "-1"], /^bioplausible: --tolerance: /],
  ])("rejects %j before any work (exit 2)", async (flags, message) => {
    const r = await runCli(["train", "--data-dir", fx.data, ...flags, ...BASE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message as RegExp);
  });

  it("a diverging relaxation exits 1 with the epoch, batch, step and layer", async () => {
    const r = await runCli(["train", "--data-dir", fx.data, "--model", "pcn", "--gamma", "50", ...BASE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bioplausible: training diverged in epoch 1, batch 1: predictive coding diverged in inference step \d+: .*layer \d+.*try a smaller --gamma/);
    expect(r.stdout).toBe("");
  });
});
