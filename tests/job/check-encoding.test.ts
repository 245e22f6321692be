// Poisson input spikes need inputs in [0, 1]: a job whose simulation would be handed other inputs
// (CIFAR-10, normalised per channel; any data set with values outside [0, 1]) is refused before it
// trains, not after. Current input takes any inputs.

import { beforeAll, describe, expect, it } from "vitest";
import type { Dataset } from "../../ts-wrapper/datasets/dataset.js";
import { runJob } from "../../ts-wrapper/job/run.js";
import { checkEncoding, resolveJob } from "../../ts-wrapper/job/spec.js";
import { init } from "../../ts-wrapper/runtime.js";
import type { Runtime } from "../../ts-wrapper/wasm/load.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

/** 8 samples of 4 inputs in [0, 1], two classes; `at` (when given) set to `value`. */
function toy(name: string, at?: number, value?: number): Dataset {
  const images = Float32Array.from({ length: 32 }, (_, i) => ((i * 7) % 11) / 10);
  if (at !== undefined) images[at] = value!;
  const labels = Uint8Array.from({ length: 8 }, (_, i) => i % 2);
  return { name, images, labels, count: 8, features: 4, classes: 2, shape: [4] };
}

const job = (encoding: "poisson" | "current") =>
  resolveJob({ layers: [4, 3, 2], spiking: true, epochs: 1, batchSize: 4, "simulation.encoding": encoding, "simulation.time": 0.02 });

describe("checkEncoding", () => {
  it("refuses Poisson input for cifar10 by name, naming the setting and the way out", () => {
    expect(() => checkEncoding({ encoding: "poisson" }, "cifar10")).toThrow(
      /^simulation\.encoding: cifar10 inputs are normalised per channel .*Poisson input spikes need inputs in \[0, 1\].*; use simulation\.encoding current instead$/,
    );
    expect(() => checkEncoding({ encoding: "current" }, "cifar10")).not.toThrow();
    expect(() => checkEncoding(undefined, "cifar10")).not.toThrow();
    for (const name of ["mnist", "fashion-mnist"]) expect(() => checkEncoding({ encoding: "poisson" }, name)).not.toThrow();
  });

  it("refuses Poisson input for data with a value outside [0, 1], naming the sample and the input", () => {
    expect(() => checkEncoding({ encoding: "poisson" }, toy("toy"))).not.toThrow();
    expect(() => checkEncoding({ encoding: "poisson" }, toy("toy", 13, -0.5))).toThrow(
      "simulation.encoding: Poisson input spikes need inputs in [0, 1], but toy sample 3, input 1 is -0.5; use simulation.encoding current instead",
    );
    expect(() => checkEncoding({ encoding: "poisson" }, toy("toy", 0, Number.NaN))).toThrow(/toy sample 0, input 0 is NaN/);
    expect(() => checkEncoding({ encoding: "current" }, toy("toy", 13, -0.5))).not.toThrow();
  });
});

describe("runJob", () => {
  it("refuses a Poisson-coded spiking job on inputs outside [0, 1] before training a batch", async () => {
    let batches = 0;
    const data = { train: toy("toy"), test: toy("toy", 5, 1.5) };
    await expect(runJob(job("poisson"), data, { onBatch: () => batches++ }, rt)).rejects.toThrow(/toy sample 1, input 1 is 1\.5; use simulation\.encoding current/);
    expect(batches).toBe(0);
  });

  it("runs the same job with current input", async () => {
    const run = await runJob(job("current"), { train: toy("toy"), test: toy("toy", 5, -1.5) }, {}, rt);
    try {
      expect(run.spiking).toMatchObject({ encoding: "current", count: 8 });
    } finally {
      run.model.free();
    }
  });
});
