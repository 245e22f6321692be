// A sweep's summary when some runs diverged (ts-wrapper/experiment/sweep-run.ts): a diverged trial
// is never chosen and is counted; a diverged seed is left out of the row's figures and of the pairs
// against the reference, and counted. The expected figures are worked out here from the synthetic
// results, independently of the summary's own arithmetic.

import { beforeAll, describe, expect, it } from "vitest";
import { init, type Runtime } from "../../ts-wrapper/index.js";
import { drawTrials, resolveSweep } from "../../ts-wrapper/experiment/sweep.js";
import { chooseBest, searchTasks, summarizeSweep, trialKey, type TaskResult } from "../../ts-wrapper/experiment/sweep-run.js";
import { table } from "../../ts-wrapper/cli/sweep.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

const config = {
  name: "s", seed: 0, dataset: "mnist", layers: [784, 16, 10], epochs: 2, budget: 3, seeds: 3,
  rows: [
    { name: "bp", model: "mlp", space: { lr: { log: [0.001, 0.1] } } },
    { name: "il", model: "pcn", space: { lr: { log: [0.01, 0.4] } } },
  ],
};

const history = (acc: number) => [1, 2].map((epoch) => ({ epoch, loss: 1 / epoch, accuracy: acc, test_accuracy: acc - 0.01 * (2 - epoch), seconds: 1 }));
const trial = (key: string, validation: number): TaskResult => ({ key, seed: 0, validation_accuracy: validation, validation_loss: 0.1, train_samples: 90, validation_samples: 10, seconds: 1, history: history(validation) });
const seed = (key: string, k: number, test: number): TaskResult => ({ key, seed: k, test_accuracy: test, test_loss: 0.1, train_samples: 100, validation_samples: 0, seconds: 1, history: history(test) });
const diverged = (key: string, k: number): TaskResult => ({ key, seed: k, diverged: "the energy grew", train_samples: 0, validation_samples: 0, seconds: 0, history: [] });

describe("sweep summary with diverged runs", () => {
  it("skips and counts diverged trials, leaves diverged seeds out of the figures and the pairs", () => {
    const sweep = resolveSweep(config, "s.json");
    const trials = drawTrials(rt, sweep);
    const results = new Map<string, TaskResult>();
    const put = (r: TaskResult) => results.set(r.key, r);
    // bp: no divergence. il: trial 1 would win on validation but diverged, as did trial 2.
    [0.9, 0.95, 0.92].forEach((v, i) => put(trial(`bp/trial-${i}`, v)));
    put(trial("il/trial-0", 0.8));
    put(diverged("il/trial-1", 0));
    put(diverged("il/trial-2", 0));
    const best = chooseBest(sweep, trials, results);
    expect(best).toEqual([1, 0]);

    [0.97, 0.96, 0.98].forEach((t, k) => put(seed(`bp/seed-${k}`, k, t)));
    put(seed("il/seed-0", 0, 0.94));
    put(diverged("il/seed-1", 1));
    put(seed("il/seed-2", 2, 0.9));
    const [bp, il] = summarizeSweep(sweep, trials, best, results);

    expect(bp.trials_diverged).toBe(0);
    expect(bp.diverged).toBe(0);
    expect(il.trials_diverged).toBe(2);
    expect(il.diverged).toBe(1);
    // il's figures stand on seeds 0 and 2 only: mean 0.92, sample std sqrt(((0.02)^2 + (0.02)^2) / 1).
    expect(il.test_accuracy.values).toEqual([0.94, 0.9]);
    expect(il.test_accuracy.mean).toBeCloseTo(0.92, 12);
    expect(il.test_accuracy.std).toBeCloseTo(Math.sqrt(0.0008), 12);
    // Paired against bp at the same seeds (0 and 2): 0.94 − 0.97 and 0.90 − 0.98.
    expect(il.difference!.test_accuracy.values.map((v) => +v.toFixed(12))).toEqual([-0.03, -0.08]);
    expect(il.best.trial).toBe(0);

    const text = table(sweep, [bp, il]);
    expect(text).toContain("il: 2 of 3 trials and 1 of 3 seeds diverged (the figures stand on the rest)");
    expect(text).not.toMatch(/^bp: /m);
  });

  it("refuses a row whose every trial diverged, naming it", () => {
    const sweep = resolveSweep(config, "s.json");
    const trials = drawTrials(rt, sweep);
    const results = new Map<string, TaskResult>();
    [0, 1, 2].forEach((i) => results.set(`bp/trial-${i}`, trial(`bp/trial-${i}`, 0.9)));
    [0, 1, 2].forEach((i) => results.set(`il/trial-${i}`, diverged(`il/trial-${i}`, 0)));
    expect(() => chooseBest(sweep, trials, results)).toThrow(/every one of the 3 trials of row il diverged/);
  });

  it("with trialSeeds, trains each trial from that many seeds and judges it on their mean; one diverged seed sinks the trial", () => {
    const sweep = resolveSweep({ ...config, trialSeeds: 2 }, "s.json");
    const trials = drawTrials(rt, sweep);
    const tasks = searchTasks(sweep, trials);
    expect(tasks).toHaveLength(2 * 3 * 2);
    const bp0 = tasks.filter((t) => t.row === "bp" && t.index === 0);
    expect(bp0.map((t) => t.key)).toEqual(["bp/trial-0", "bp/trial-0/seed-1"]);
    expect(bp0.map((t) => t.spec.seed)).toEqual([0, 1]);
    expect(bp0[1].spec).toEqual({ ...bp0[0].spec, seed: 1 });

    const results = new Map<string, TaskResult>();
    const put = (row: string, i: number, accs: (number | "diverged")[]) => accs.forEach((a, k) => {
      const key = trialKey(row, i, k);
      results.set(key, a === "diverged" ? diverged(key, k) : trial(key, a));
    });
    // bp: trial 0 has the best single seed (0.99) but trial 2 the best mean (0.95 against 0.94).
    put("bp", 0, [0.99, 0.89]);
    put("bp", 1, [0.9, 0.9]);
    put("bp", 2, [0.95, 0.95]);
    // il: trial 1's mean would win, but its second seed diverged.
    put("il", 0, [0.8, 0.82]);
    put("il", 1, [0.9, "diverged"]);
    put("il", 2, [0.7, 0.7]);
    const best = chooseBest(sweep, trials, results);
    expect(best).toEqual([2, 0]);
    [0.97, 0.96, 0.98].forEach((t, k) => results.set(`bp/seed-${k}`, seed(`bp/seed-${k}`, k, t)));
    [0.94, 0.93, 0.9].forEach((t, k) => results.set(`il/seed-${k}`, seed(`il/seed-${k}`, k, t)));
    const [bp, il] = summarizeSweep(sweep, trials, best, results);
    expect(bp.best.validation_accuracy).toBeCloseTo(0.95, 12);
    expect(il.best.validation_accuracy).toBeCloseTo(0.81, 12);
    expect(il.trials_diverged).toBe(1);
    expect(bp.trials_diverged).toBe(0);
    // A trial's missing second seed is named, not read as a score.
    results.delete("bp/trial-1/seed-1");
    expect(() => chooseBest(sweep, trials, results)).toThrow(/^sweep: no result for bp trial 1 from its seed 1$/);
    expect(() => summarizeSweep(sweep, trials, best, results)).toThrow(/^sweep: no result for bp trial 1 from its seed 1$/);
  });
});
