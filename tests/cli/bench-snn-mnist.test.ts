// `bench --only snn-mnist`: the real spiking workload (a trained network on MNIST test digits)
// against our own dense PyTorch simulation of the same weights (baselines/torch_snn_mnist.py).
// Speed is never asserted. What is: the workload is the real one (a trained network, sparse
// hidden activity far below the hundreds of Hz random weights give), and the two simulators,
// written independently, run the same network — their accuracies on the same digits agree to
// within what the spike trains' randomness allows.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { torchTests, PYTHON } from "../helpers/torch.js";
import { lastJson, runCli, tempDir } from "./e2e-cli.js";

const { skip: SKIP, missing } = torchTests("tests/cli/bench-snn-mnist.test.ts");

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  if (!SKIP && missing) throw new Error(`REQUIRE_TORCH=1 but PyTorch is unavailable: ${missing}`);
  tmp = tempDir("bench-snn-mnist");
});
afterAll(() => tmp?.cleanup());

describe("bench snn-mnist", () => {
  it.skipIf(SKIP)("times a trained spiking network on MNIST digits, ours and PyTorch's dense simulation of the same weights", async () => {
    const baselines = join(tmp.dir, "baselines"); // none of its scripts are needed: this suite's is ours
    mkdirSync(baselines);
    const r = await runCli(
      ["bench", "--only", "snn-mnist", "--threads", "1", "--baseline-threads", "1", "--rounds", "1", "--repeats", "1", "--baseline", baselines, "--python", PYTHON, "--json"],
      { timeout: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = lastJson(r);
    const ours = result.by_threads["1"]["snn-mnist"];
    const theirs = result.baseline.by_threads["1"]["snn-mnist"];
    expect(ours.digits).toBe(200);
    expect(theirs.digits).toBe(200);
    // A trained 784-256-256-10 network: well above chance (10 %), as a rate network reaches ~97 %.
    expect(ours.accuracy).toBeGreaterThan(0.9);
    // Real activity: every hidden layer fires, at the tens of Hz of a trained network, not the
    // ~100+ Hz of random weights with biases of 0.5. The input rate is the mean pixel over t_ref
    // (MNIST's mean pixel is 0.13: ≈ 33 Hz).
    const [input, ...layers] = ours.firing_rates_hz as number[];
    expect(input).toBeGreaterThan(20);
    expect(input).toBeLessThan(45);
    for (const rate of layers.slice(0, -1)) {
      expect(rate).toBeGreaterThan(0.5);
      expect(rate).toBeLessThan(60);
    }
    // Two independent simulations of one network: 200 digits, each classified from spike counts of
    // random trains, so a few digits near the boundary may differ (binomial sd of a 96 % accuracy
    // on 200 digits is 1.4 points); a different network or wrong units would be off by tens.
    expect(Math.abs(theirs.accuracy - ours.accuracy)).toBeLessThan(0.04);
    expect(theirs.firing_rates_hz[0]).toBeCloseTo(input, -1);
    expect(result.speedup_vs_baseline["1"]["snn-mnist.images_per_s"]).toBeCloseTo(ours.images_per_s / theirs.images_per_s, 2);
  });
});
