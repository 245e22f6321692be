// Sweep configs (ts-wrapper/experiment/sweep.ts): the search spaces are checked before any work,
// naming the file and the key; every row gets the budget's number of trials; random trials are
// the seed's (the same on every call, a row's own whatever the other rows) and lie in their
// ranges; a grid is every combination, in order.

import { beforeAll, describe, expect, it } from "vitest";
import { init, type Runtime } from "../../ts-wrapper/index.js";
import { drawTrials, resolveSweep } from "../../ts-wrapper/experiment/sweep.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

const base = {
  name: "s", seed: 7, dataset: "mnist", layers: [784, 16, 10], epochs: 1, budget: 6, seeds: 3,
  rows: [
    { name: "bp", model: "mlp", space: { lr: { log: [0.001, 0.1] }, momentum: [0.8, 0.9], lrSchedule: ["constant", "cosine"] } },
    { name: "il", model: "pcn", space: { T: { int: [5, 30] }, gamma: { uniform: [0.05, 0.2] } } },
  ],
};

describe("sweep configs", () => {
  it("random trials: the budget per row, in range, the seed's, each row on its own stream", () => {
    const sweep = resolveSweep(base, "s.json");
    expect({ budget: sweep.budget, trialSeeds: sweep.trialSeeds, seeds: sweep.seeds, search: sweep.search }).toEqual({ budget: 6, trialSeeds: 1, seeds: 3, search: "random" });
    const trials = drawTrials(rt, sweep);
    expect(trials.map((t) => t.length)).toEqual([6, 6]);
    for (const t of trials[0]) {
      const { lr, momentum, lrSchedule } = t.setting as { lr: number; momentum: number; lrSchedule: string };
      expect(lr).toBeGreaterThanOrEqual(0.001);
      expect(lr).toBeLessThanOrEqual(0.1);
      expect([0.8, 0.9]).toContain(momentum);
      expect(["constant", "cosine"]).toContain(lrSchedule);
      // The trial's options are the row's with the setting in them.
      expect(t.options).toMatchObject({ model: "mlp", lr, momentum, lrSchedule, seed: 7, layers: [784, 16, 10] });
    }
    for (const t of trials[1]) {
      const { T, gamma } = t.setting as { T: number; gamma: number };
      expect(Number.isInteger(T) && T >= 5 && T <= 30).toBe(true);
      expect(gamma).toBeGreaterThanOrEqual(0.05);
      expect(gamma).toBeLessThanOrEqual(0.2);
      expect(t.options.pc).toMatchObject({ algo: "il", T, gamma });
    }
    // Six log-uniform draws over two decades are not all one value.
    expect(new Set(trials[0].map((t) => t.setting.lr)).size).toBeGreaterThan(3);
    expect(drawTrials(rt, resolveSweep(base, "s.json")).map((r) => r.map((t) => t.setting))).toEqual(trials.map((r) => r.map((t) => t.setting)));
    // Without the second row, the first row's trials are the same: each row draws on its own stream.
    const alone = drawTrials(rt, resolveSweep({ ...base, rows: [base.rows[0]] }, "s.json"));
    expect(alone[0].map((t) => t.setting)).toEqual(trials[0].map((t) => t.setting));
    // Another seed, other trials.
    expect(drawTrials(rt, resolveSweep({ ...base, seed: 8 }, "s.json"))[0].map((t) => t.setting)).not.toEqual(trials[0].map((t) => t.setting));
  });

  it("a grid is every combination, in order, and must number the budget", () => {
    const grid = { ...base, search: "grid", budget: 4, rows: [{ name: "bp", model: "mlp", space: { lr: [0.01, 0.1], momentum: [0.8, 0.9] } }] };
    const [trials] = drawTrials(rt, resolveSweep(grid, "g.json"));
    expect(trials.map((t) => t.setting)).toEqual([
      { lr: 0.01, momentum: 0.8 }, { lr: 0.01, momentum: 0.9 }, { lr: 0.1, momentum: 0.8 }, { lr: 0.1, momentum: 0.9 },
    ]);
    expect(() => resolveSweep({ ...grid, budget: 5 }, "g.json")).toThrow(/g\.json: rows\[0\] \(bp\)\.space: the grid has 4 settings and the budget is 5/);
    expect(() => resolveSweep({ ...grid, rows: [{ name: "bp", model: "mlp", space: { lr: { log: [0.01, 0.1] } } }] }, "g.json")).toThrow(/a grid takes lists of values only/);
  });

  it("a row without a space runs its own setting budget times", () => {
    const [trials] = drawTrials(rt, resolveSweep({ ...base, budget: 2, rows: [{ name: "bp", model: "mlp", lr: 0.02 }] }, "s.json"));
    expect(trials.map((t) => t.options.lr)).toEqual([0.02, 0.02]);
  });

  it.each([
    [{ budget: 0 }, /s\.json: budget: must be an integer ≥ 1/],
    [{ seeds: 1.5 }, /s\.json: seeds: must be an integer ≥ 1/],
    [{ trialSeeds: 0 }, /s\.json: trialSeeds: must be an integer ≥ 1 \(seeds per trial\), got 0/],
    [{ search: "bayes" }, /s\.json: search: must be "random" or "grid"/],
    [{ rows: [{ name: "bp", model: "mlp", space: { colour: [1] } }] }, /rows\[0\] \(bp\)\.space\.colour: not a setting a row can tune/],
    [{ rows: [{ name: "bp", model: "mlp", space: { seed: [1, 2] } }] }, /rows\[0\] \(bp\)\.space\.seed: not a setting a row can tune/],
    [{ rows: [{ name: "bp", model: "mlp", space: { lr: [] } }] }, /space\.lr: an empty list/],
    [{ rows: [{ name: "bp", model: "mlp", space: { lr: { log: [0, 0.1] } } }] }, /space\.lr: log: the range must be above 0/],
    [{ rows: [{ name: "bp", model: "mlp", space: { lr: { uniform: [0.1, 0.01] } } }] }, /space\.lr: uniform: must be \[lo, hi\] with finite numbers lo < hi/],
    [{ rows: [{ name: "bp", model: "mlp", space: { batchSize: { uniform: [16, 64] } } }] }, /space\.batchSize: uniform: for a number setting; this one is an integer \(use int\)/],
    [{ rows: [{ name: "bp", model: "mlp", space: { lr: [0.1, -1] } }] }, /s\.json: rows\[0\] \(bp\)\.space\.lr = -1: rows\[0\] \(bp\)\.lr: /],
    [{ rows: [{ name: "bp", model: "mlp", space: { momentum: { uniform: [0.5, 2] } } }] }, /rows\[0\] \(bp\)\.space\.momentum = 2: /],
    [{ rows: [{ name: "bp", model: "mlp", space: { T: [5] } }] }, /rows\[0\] \(bp\)\.space\.T = 5: .*only for model pcn/],
  ])("refuses %j before any work, naming the key", (change, error) => {
    expect(() => resolveSweep({ ...base, ...change }, "s.json")).toThrow(error);
  });
});
