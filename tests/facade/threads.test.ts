// Whole jobs on 1, 2, 3 and 4 threads end with the same parameters, bit for bit (params_sha256),
// and a spiking job with the same spikes: every model family, at shapes large enough that the
// kernels really are shared between threads (each job checks that calls were split).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, PCN, type Dataset, type Runtime } from "../../ts-wrapper/index.js";
import { runJob } from "../../ts-wrapper/job/run.js";
import { resolveJob, type GivenSettings } from "../../ts-wrapper/job/spec.js";
import { Lcg } from "../helpers/lcg.js";

/** 28×28 images in [0, 1]: a bright bar whose row band is the class, over dim noise. */
function bars(count: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = label;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      images[i * 784 + p] = Math.floor(row / 2.8) === label ? gen.range(0.6, 1) : gen.range(0, 0.2);
    }
  }
  return { name: "bars", images, labels, count, features: 784, classes: 10, shape: [1, 28, 28] };
}

const data = { train: bars(160, 3), test: bars(40, 4) };

const JOBS: Record<string, GivenSettings> = {
  "MLP, SGD with momentum": { layers: [784, 256, 10], epochs: 1, batchSize: 64, lr: 0.05 },
  "MLP, Adam with batch norm": { layers: [784, 256, 10], batchNorm: true, optimizer: "adam", epochs: 1, batchSize: 64 },
  "PCN, inference learning": { model: "pcn", algo: "il", T: 4, layers: [784, 256, 10], epochs: 1, batchSize: 64 },
  "PCN, Z-IL": { model: "pcn", algo: "zil", layers: [784, 256, 10], epochs: 1, batchSize: 64 },
  "PCN, incremental PC": { model: "pcn", algo: "ipc", T: 4, layers: [784, 256, 10], epochs: 1, batchSize: 64 },
  "conv net, backprop": { arch: "conv8k5p2,avgpool2,fc10", epochs: 1, batchSize: 32 },
  "soft-LIF MLP run as Poisson spikes": {
    layers: [784, 256, 10], spiking: true, "neuron.preset": "mnist", epochs: 2, batchSize: 32, "simulation.time": 0.1, "simulation.batchSize": 20,
  },
};

interface Outcome {
  sha: string;
  spiking?: unknown;
  split: number;
}

async function outcomes(threads: number): Promise<Record<string, Outcome>> {
  const rt: Runtime = await init({ threads });
  try {
    const found: Record<string, Outcome> = {};
    for (const [name, settings] of Object.entries(JOBS)) {
      const before = total(rt.parallelCalls());
      const run = await runJob(resolveJob(settings, { inputShape: [1, 28, 28] }), data, {}, rt);
      const { seconds: _s, images_per_s: _r, ...spiking } = run.spiking ?? { seconds: 0, images_per_s: 0 };
      found[name] = { sha: run.paramsSha256, spiking: run.spiking ? spiking : undefined, split: total(rt.parallelCalls()) - before };
      if (run.network !== (run.model instanceof PCN ? run.model.mlp : run.model)) run.network.free();
      run.model.free();
    }
    return found;
  } finally {
    rt.close();
  }
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((s, n) => s + n, 0);

let reference: Record<string, Outcome>;

beforeAll(async () => {
  reference = await outcomes(1);
}, 300_000);

describe.each([2, 3, 4])("%i threads", (threads) => {
  let found: Record<string, Outcome>;
  beforeAll(async () => {
    found = await outcomes(threads);
  }, 300_000);
  afterAll(() => void (found = {}));

  it.each(Object.keys(JOBS))("%s: the same params_sha256 (and spikes) as on one thread", (name) => {
    expect(reference[name].sha).toMatch(/^[0-9a-f]{64}$/);
    expect(reference[name].split).toBe(0);
    expect(found[name].split, "kernel calls shared between threads").toBeGreaterThan(0);
    expect(found[name].sha).toBe(reference[name].sha);
    expect(found[name].spiking).toEqual(reference[name].spiking);
  });
});

it("a spiking job really spikes, so the comparison of its spikes means something", () => {
  const spiking = reference["soft-LIF MLP run as Poisson spikes"].spiking as { events: number; firing_rates_hz: number[] };
  expect(spiking.events).toBeGreaterThan(0);
  expect(spiking.firing_rates_hz.every((r) => r > 0)).toBe(true);
});
