// The validation split of a job: how many samples the default holds out (a twelfth, at most
// 5000), that runJob trains on exactly the rest and evaluates the held-out ones after every epoch,
// that the split is the seed's (the same samples for every row of a comparison, so Z-IL stays
// backprop bit for bit), and that configs take it experiment-wide only.

import { beforeAll, describe, expect, it } from "vitest";
import { init, resolveExperiment, resolveJob, runJob, type Dataset, type Runtime } from "../../ts-wrapper/index.js";
import { validationCount } from "../../ts-wrapper/job/spec.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

/** n samples of 6 features, 3 classes: the class is the largest of the first three features. */
function blobs(n: number): Dataset {
  const gen = new Lcg(n);
  const images = Float32Array.from({ length: n * 6 }, () => gen.uniform());
  const labels = Uint8Array.from({ length: n }, (_, i) => {
    const x = images.subarray(i * 6, i * 6 + 3);
    return x.indexOf(Math.max(...x));
  });
  return { name: `blobs-${n}`, images, labels, count: n, features: 6, classes: 3, shape: [6] };
}

describe("validationCount", () => {
  it.each([
    [60000, undefined, 5000], [24000, undefined, 2000], [200, undefined, 16], [11, undefined, 0], [60000, 0, 0], [60000, 123, 123],
  ])("%i training samples, validation %s: %i held out", (count, validation, held) => {
    expect(validationCount({ validation }, count)).toBe(held);
  });
});

describe("runJob with a validation split", () => {
  const job = (validation?: number) => resolveJob({ model: "mlp", layers: [6, 8, 3], epochs: 2, batchSize: 10, seed: 3, ...(validation !== undefined ? { validation } : {}) });

  it("trains on the rest and scores the held-out samples after every epoch; the default holds out a twelfth", async () => {
    const data = { train: blobs(240), test: blobs(50) };
    const run = await runJob(job(), data, {}, rt);
    try {
      expect(run.samples).toEqual({ train: 220, validation: 20 });
      expect(run.history).toHaveLength(2);
      for (const epoch of run.history) {
        // Fractions of 20 held-out and 50 test samples.
        expect(Math.abs(epoch.validationAccuracy! * 20 - Math.round(epoch.validationAccuracy! * 20))).toBeLessThan(1e-9);
        expect(Math.abs(epoch.testAccuracy! * 50 - Math.round(epoch.testAccuracy! * 50))).toBeLessThan(1e-9);
      }
      expect(run.validation!.count).toBe(20);
      expect(run.validation!.accuracy).toBe(run.history[1].validationAccuracy);
    } finally {
      run.model.free();
    }
  });

  it("validation 0 trains on everything and reports no validation figure", async () => {
    const run = await runJob(job(0), { train: blobs(240), test: blobs(50) }, {}, rt);
    try {
      expect(run.samples).toEqual({ train: 240, validation: 0 });
      expect(run.validation).toBeUndefined();
      expect(run.history[0].validationAccuracy).toBeUndefined();
    } finally {
      run.model.free();
    }
  });

  it("the split is the seed's: Z-IL and backprop hold out the same samples and still end with the same parameters", async () => {
    const data = { train: blobs(240), test: blobs(50) };
    const common = { layers: [6, 8, 3], epochs: 1, batchSize: 10, seed: 3, lr: 0.1, momentum: 0 };
    const bp = await runJob(resolveJob({ model: "mlp", ...common }), data, {}, rt);
    const zil = await runJob(resolveJob({ model: "pcn", algo: "zil", ...common }), data, {}, rt);
    try {
      expect(zil.paramsSha256).toBe(bp.paramsSha256);
      expect(zil.validation!.accuracy).toBe(bp.validation!.accuracy);
    } finally {
      bp.model.free();
      zil.model.free();
    }
  });

  it("refuses to hold out the whole training set, naming validation", async () => {
    await expect(runJob(job(240), { train: blobs(240), test: blobs(50) }, {}, rt)).rejects.toThrow(/validation: must hold out fewer than the 240 training samples, got 240/);
  });
});

describe("experiment configs", () => {
  const base = { name: "t", seed: 0, dataset: "mnist", epochs: 1, layers: [784, 16, 10], rows: [{ name: "bp", model: "mlp" }, { name: "il", model: "pcn" }] };

  it("take validation at the top level, for every row", () => {
    const { config, rows } = resolveExperiment({ ...base, validation: 1000 }, "t.json");
    expect(config.validation).toBe(1000);
    expect(rows.map((r) => r.options.validation)).toEqual([1000, 1000]);
    expect(resolveExperiment(base, "t.json").rows[0].options.validation).toBeUndefined();
  });

  it.each([
    [{ validation: -1 }, /t\.json: validation: /],
    [{ validation: 2.5 }, /t\.json: validation: /],
    [{ rows: [{ name: "bp", model: "mlp", validation: 100 }] }, /t\.json: rows\[0\]\.validation: unknown key/],
  ])("refuse %j, naming the key", (change, error) => {
    expect(() => resolveExperiment({ ...base, ...change }, "t.json")).toThrow(error);
  });
});
