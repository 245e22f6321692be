// The training recipes (job/spec.ts): what a job trains with where it leaves lr, momentum, weight
// decay and batch size unset. The values are the defaults train --help and BENCHMARKS.md (issue 15:
// the thesis sweep's choices where they beat the earlier defaults on validation) state; the rules are
// which family a job belongs to, and that Z-IL always shares backprop's recipe (it computes
// backprop's weights, so the same defaults must give the same bits).

import { describe, expect, it } from "vitest";
import { resolveJob } from "../../ts-wrapper/job/spec.js";

const base = { layers: [4, 3, 2] };
const recipe = (given: Record<string, unknown>) => {
  const j = resolveJob({ ...base, ...given });
  return { lr: j.lr, momentum: j.momentum, weightDecay: j.weightDecay, batchSize: j.batchSize };
};

describe("training recipes", () => {
  it("gives each family its documented SGD recipe", () => {
    const sgd = { lr: 0.05, momentum: 0.9, weightDecay: 0, batchSize: 128 };
    const il = { lr: 0.27, momentum: 0.9, weightDecay: 0, batchSize: 64 };
    const softlif = { lr: 0.008, momentum: 0.95, weightDecay: 0.0001, batchSize: 128 };
    expect(recipe({})).toEqual({ lr: 0.14, momentum: 0.8, weightDecay: 0, batchSize: 128 });
    expect(recipe({ model: "pcn" })).toEqual(il);
    expect(recipe({ model: "pcn", algo: "il", activation: "softlif" })).toEqual({ ...sgd, lr: 0.2 });
    expect(recipe({ activation: "softlif" })).toEqual(softlif);
    expect(recipe({ spiking: true })).toEqual(softlif);
    // Families the sweep did not tune keep the earlier recipe.
    expect(recipe({ model: "pcn", algo: "ipc" })).toEqual(sgd);
    expect(recipe({ activation: "tanh" })).toEqual(sgd);
    expect(recipe({ activation: "tanh", feedbackAlignment: true })).toEqual(sgd);
    expect(recipe({ model: "pcn", feedbackAlignment: true })).toEqual({ ...sgd, lr: 0.2 });
    expect(recipe({ model: "pcn", directFeedbackAlignment: true })).toEqual({ ...sgd, lr: 0.2 });
    expect(recipe({ model: "pcn", algo: "ipc", feedbackAlignment: true })).toEqual(sgd);
    expect(recipe({ activation: "softlif", feedbackAlignment: true })).toEqual(sgd);
  });

  it("gives ReLU backprop with feedback alignment, and with direct feedback alignment, their own recipes, with a cosine schedule", () => {
    const full = (given: Record<string, unknown>) => {
      const j = resolveJob({ ...base, ...given });
      return { lr: j.lr, lrSchedule: j.lrSchedule, momentum: j.momentum, weightDecay: j.weightDecay, batchSize: j.batchSize };
    };
    expect(full({ feedbackAlignment: true })).toEqual({ lr: 0.028, lrSchedule: "cosine", momentum: 0.9, weightDecay: 0.0001, batchSize: 128 });
    expect(full({ directFeedbackAlignment: true })).toEqual({ lr: 0.06, lrSchedule: "cosine", momentum: 0.8, weightDecay: 0.0001, batchSize: 128 });
    // Every other family's schedule stays constant; a given schedule stands.
    for (const given of [{}, { model: "pcn" }, { activation: "softlif" }, { model: "pcn", feedbackAlignment: true }]) expect(full(given).lrSchedule).toBe("constant");
    expect(full({ feedbackAlignment: true, lrSchedule: "constant" }).lrSchedule).toBe("constant");
  });

  it("gives Z-IL backprop's recipe for the same activation, optimiser and spiking", () => {
    for (const activation of ["relu", "softlif", "tanh"]) {
      expect(recipe({ model: "pcn", algo: "zil", activation })).toEqual(recipe({ activation }));
      expect(recipe({ model: "pcn", algo: "zil", activation, optimizer: "adam" })).toEqual(recipe({ activation, optimizer: "adam" }));
    }
    expect(recipe({ model: "pcn", algo: "zil", spiking: true })).toEqual(recipe({ spiking: true }));
  });

  it("with Adam: lr 0.001 and no momentum, the rest backprop's, whatever the family", () => {
    for (const given of [{}, { model: "pcn" }, { activation: "softlif" }]) {
      expect(recipe({ ...given, optimizer: "adam" })).toEqual({ lr: 0.001, momentum: 0, weightDecay: 0, batchSize: 128 });
    }
  });

  it("lets every given value stand", () => {
    const given = { lr: 0.3, momentum: 0.5, weightDecay: 0.01, batchSize: 7 };
    for (const family of [{}, { model: "pcn" }, { activation: "softlif" }]) expect(recipe({ ...family, ...given })).toEqual(given);
  });
});
