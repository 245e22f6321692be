// --threads on the command line: a run on two threads ends with the parameters and the figures of
// the same run on one, the count is recorded with the result, and a count that cannot be is refused
// before any work, naming the flag (or the environment variable that asked for it).

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureDir, lastJson, lines, runCli } from "./e2e-cli.js";

// 28×28 images and a hidden layer of 128: large enough that the kernels really are split.
const fx = fixtureDir("threads", "data", { train: 600, test: 200, side: 28, seed: 11 });
const train = (extra: string[]) => runCli(["train", "--data-dir", fx.data, "--layers", "784,128,10", "--epochs", "1", "--batch-size", "64", "--json", ...extra], { timeout: 60_000 });

describe("--threads", () => {
  it.each([
    ["MLP, Adam with batch norm", ["--optimizer", "adam", "--batch-norm"]],
    ["PCN, inference learning", ["--model", "pcn", "--algo", "il", "--T", "5"]],
  ])("%s: train on 2 threads gives the parameters and accuracy of 1 thread, and records the count", async (_, flags) => {
    const out = join(fx.tmp, `${flags.join("")}.safetensors`);
    const [one, two] = await Promise.all([train(["--threads", "1", ...flags]), train(["--threads", "2", "--out", out, ...flags])]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const [a, b] = [lastJson(one), lastJson(two)];
    expect(b.params_sha256).toBe(a.params_sha256);
    expect(b.test_accuracy).toBe(a.test_accuracy);
    expect(b.history).toEqual(a.history.map((e: Record<string, number>) => ({ ...e, seconds: expect.any(Number) })));
    expect([a.runtime.threads, b.runtime.threads]).toEqual([1, 2]);
    expect(two.stderr).toContain("2 threads");

    // eval of the saved model: the same figures on either count.
    const evals = await Promise.all(["1", "2"].map((t) => runCli(["eval", out, "--data-dir", fx.data, "--threads", t, "--json"], { timeout: 60_000 })));
    const [e1, e2] = evals.map((r) => (expect(r.code, r.stderr).toBe(0), lastJson(r)));
    expect(e2).toMatchObject({ accuracy: e1.accuracy, loss: e1.loss, confusion: e1.confusion, params_sha256: a.params_sha256 });
    expect(e2.runtime.threads).toBe(2);
  });

  it.each([
    [["--threads", "0"], "--threads: must be an integer"],
    [["--threads", "300"], "--threads: must be an integer"],
    [["--threads", "two"], "--threads: expected an integer"],
  ])("train %j exits 2 before any work: %s", async (flags, message) => {
    const r = await train(flags);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it("BIOPLAUSIBLE_THREADS sets the default count, --threads overrides it, and a bad value is named", async () => {
    const env = (value: string) => ({ env: { BIOPLAUSIBLE_THREADS: value }, timeout: 60_000 });
    const bad = await runCli(["train", "--data-dir", fx.data, "--layers", "784,16,10", "--epochs", "1", "--json"], env("lots"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the environment variable BIOPLAUSIBLE_THREADS must be an integer from 1 to 256, got "lots"');
    const defaulted = await runCli(["train", "--data-dir", fx.data, "--layers", "784,16,10", "--epochs", "1", "--json"], env("2"));
    expect(defaulted.code, defaulted.stderr).toBe(0);
    expect(lastJson(defaulted).runtime.threads).toBe(2);
    const overridden = await runCli(["train", "--data-dir", fx.data, "--layers", "784,16,10", "--epochs", "1", "--threads", "1", "--json"], env("lots"));
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(lastJson(overridden).runtime.threads).toBe(1);
  });
});
