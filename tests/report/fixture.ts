// Synthetic but valid CompareResults for the report tests: a tiny one whose every number is
// written out, and a realistic one (7 rows, 784-256-256-10, a raster of several thousand spikes)
// generated deterministically for the visual check in scripts/screenshot-report.mjs.

import { createHash } from "node:crypto";
import type { CompareResults, EpochRecord, Raster, RateCurves, RowResult, SpikingRecord } from "../../ts-wrapper/experiment/results.js";

const NEURON = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.05 };

function lifRate(j: number, tauRc = NEURON.tauRc, tRef = NEURON.tRef): number {
  return j > 1 ? 1 / (tRef - tauRc * Math.log1p(-1 / j)) : 0;
}

function softLifRate(j: number, tauRc = NEURON.tauRc, tRef = NEURON.tRef, g = NEURON.smoothing): number {
  const x = j - 1;
  const rho = x / g > 30 ? x : g * Math.log1p(Math.exp(x / g));
  return rho > 0 ? 1 / (tRef + tauRc * Math.log1p(1 / rho)) : 0;
}

/** Rate curves from the closed forms (SCIENCE.md §2); "simulated" is the rate truncated to whole spikes per second. */
export function rateCurves(points = 61): RateCurves {
  const current = Array.from({ length: points }, (_, i) => (i * 4) / (points - 1));
  const z = Array.from({ length: points }, (_, i) => (i * 10) / (points - 1));
  return {
    current,
    lif: current.map((j) => lifRate(j)),
    softlif: current.map((j) => softLifRate(j)),
    simulated: current.map((j) => Math.floor(lifRate(j))),
    simulated_seconds: 1,
    z,
    scaled: z.map((v) => NEURON.amplitude * softLifRate(1 + NEURON.gain * v)),
    relu: z.map((v) => Math.max(0, v)),
    neuron: { ...NEURON },
  };
}

function history(epochs: number, final: number, firstLoss: number, seconds: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, e) => {
    const progress = 1 - Math.exp(-(e + 1) / 1.6);
    const accuracy = final - (1 - progress) * 0.12;
    return {
      epoch: e + 1,
      loss: firstLoss * Math.exp(-e / 2.5) + firstLoss * 0.05,
      accuracy: accuracy + 0.004,
      test_loss: firstLoss * Math.exp(-e / 3) + firstLoss * 0.08,
      test_accuracy: accuracy,
      seconds,
    };
  });
}

function spiking(accuracy: number, byTime: Record<string, number>, rates: number[], count = 10000): SpikingRecord {
  return {
    time: 0.2,
    dt: 0.001,
    encoding: "poisson",
    readout: "count",
    synapse: "lowpass",
    tau_s: 0.005,
    spike_seed: 1,
    poisson_period: 0.002,
    accuracy_by_time_ms: byTime,
    accuracy,
    unresolved_by_time_ms: Object.fromEntries(Object.keys(byTime).map((ms) => [ms, 2 / Number(ms)])),
    // Made-up figures of a 784-256-256-10 network: operations grow with the presentation time.
    synaptic_operations_by_time_ms: Object.fromEntries(Object.keys(byTime).map((ms) => [ms, [2560, 1280, 100].map((v) => v * Number(ms))])),
    rate_multiply_accumulates: [200704, 65536, 2560],
    energy_nj: {
      source: "Horowitz, ISSCC 2014: 45 nm, 32-bit float", add_pj: 0.9, mac_pj: 4.6,
      spiking_by_time_ms: Object.fromEntries(Object.keys(byTime).map((ms) => [ms, 3.546 * Number(ms)])), rate: 1256.5,
    },
    firing_rates_hz: rates,
    events: 123456789,
    seconds: 42.5,
    images_per_s: count / 42.5,
    count,
  };
}

function row(name: string, label: string, description: string, accuracy: number, extra: Partial<RowResult> = {}, epochs = 10, firstLoss = 0.6, secondsPerEpoch = 3.2): RowResult {
  return {
    name,
    label,
    description,
    test_accuracy: accuracy,
    test_loss: firstLoss * 0.1,
    epochs,
    seconds: secondsPerEpoch * epochs,
    seconds_per_epoch: secondsPerEpoch,
    params_sha256: createHash("sha256").update(name).digest("hex"),
    history: history(epochs, accuracy, firstLoss, secondsPerEpoch),
    config: { model: name.startsWith("pc") ? "pcn" : "mlp", layers: [784, 256, 256, 10] },
    ...extra,
  };
}

function energyTrace(steps: number, start: number, end: number): number[] {
  return Array.from({ length: steps }, (_, t) => end + (start - end) * Math.exp(-t / 2.2));
}

/** A small deterministic PRNG (mulberry32) for the synthetic raster. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 28×28 "7": a bar across the top and a stroke down to the bottom left, intensities in [0, 1]. */
function seven(): number[] {
  const img = new Array<number>(784).fill(0);
  const ink = (r: number, c: number, v: number) => {
    if (r >= 0 && r < 28 && c >= 0 && c < 28) img[r * 28 + c] = Math.max(img[r * 28 + c], v);
  };
  for (let c = 6; c <= 21; c++) for (let r = 5; r <= 7; r++) ink(r, c, r === 6 ? 1 : 0.6);
  for (let r = 7; r <= 23; r++) {
    const c = Math.round(21 - (r - 7) * 0.55);
    ink(r, c, 1);
    ink(r, c - 1, 0.7);
    ink(r, c + 1, 0.4);
  }
  return img;
}

/** A raster of the 784-256-256-10 network on one "7": Poisson input, regular LIF-like hidden spikes. */
export function realisticRaster(): Raster {
  const rand = prng(7);
  const time = 0.2;
  const dt = 0.001;
  const steps = Math.round(time / dt);
  const input: [number, number][] = [];
  const img = seven();
  for (let step = 0; step < steps; step++) {
    for (let n = 0; n < 784; n++) if (img[n] > 0 && rand() < (img[n] * dt) / NEURON.tRef) input.push([step + 1, n]);
  }
  const regular = (neurons: number, rateOf: (n: number) => number): [number, number][] => {
    const spikes: [number, number][] = [];
    for (let n = 0; n < neurons; n++) {
      const rate = rateOf(n);
      if (rate <= 0) continue;
      const period = 1000 / rate;
      for (let t = 4 + rand() * period; t <= time * 1000; t += period * (0.9 + 0.2 * rand())) spikes.push([Math.round(t * 10) / 10, n]);
    }
    return spikes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  };
  const hidden = () => (rand() < 0.45 ? 0 : -Math.log(1 - rand()) * 28);
  return {
    row: "pc-snn",
    sample: 0,
    label: 7,
    prediction: 7,
    dt,
    time,
    layers: [
      { name: "input", neurons: 784, spikes: input.sort((a, b) => a[0] - b[0] || a[1] - b[1]) },
      { name: "hidden 1", neurons: 256, spikes: regular(256, hidden) },
      { name: "hidden 2", neurons: 256, spikes: regular(256, hidden) },
      { name: "output", neurons: 10, spikes: regular(10, (n) => (n === 7 ? 140 : n === 9 ? 35 : n === 1 ? 12 : 0)) },
    ],
  };
}

const PROVENANCE = {
  version: "0.1.0",
  runtime: { name: "node", version: "20.20.2", v8: "11.3.244.8-node.33", platform: "linux", arch: "x64" },
};

/** The realistic fixture: the seven rows of the full comparison on MNIST. */
export function realisticResults(): CompareResults {
  const times = (a: number[]) => Object.fromEntries(["10", "20", "50", "100", "200"].map((t, i) => [t, a[i]]));
  const rows: RowResult[] = [
    row("backprop", "Backprop MLP", "784-256-256-10 ReLU network trained by backpropagation with SGD and cross-entropy.", 0.9812, {}, 10, 0.55, 2.1),
    row("pc-il", "PC (IL)", "Predictive-coding network trained by inference learning (T = 20, γ = 0.1), squared-error output.", 0.9784, { energy_trace: energyTrace(20, 2.4, 0.031) }, 10, 0.09, 14.8),
    row("pc-zil", "PC (Z-IL)", "Predictive coding with zero-divergence inference learning: exactly backprop's updates.", 0.9809, { energy_trace: energyTrace(20, 1.9, 0.62) }, 10, 0.09, 16.3),
    row("backprop-snn", "Backprop → spiking", "Soft-LIF network trained by backprop, then run as spiking LIF neurons.", 0.9795, {
      spiking: spiking(0.9771, times([0.412, 0.781, 0.9502, 0.9716, 0.9771]), [0, 38.2, 21.4, 9.6]),
    }, 10, 0.6, 2.4),
    row("pc-snn", "PC (IL) → spiking", "Soft-LIF predictive-coding network trained by inference learning, then run as spiking LIF neurons.", 0.9751, {
      energy_trace: energyTrace(20, 3.1, 0.048),
      spiking: spiking(0.9702, times([0.355, 0.722, 0.9377, 0.9655, 0.9702]), [0, 41.7, 24.9, 11.2]),
    }, 10, 0.1, 15.6),
    row("backprop-fa", "Backprop, feedback alignment", "Backprop with fixed random feedback weights instead of the transposed forward weights.", 0.9683, {}, 10, 0.62, 2.2),
    row("pc-fa", "PC (IL), feedback alignment", "Inference learning with fixed random feedback weights.", 0.9617, { energy_trace: energyTrace(20, 2.8, 0.12) }, 10, 0.11, 15.1),
  ];
  return {
    command: "compare",
    config: { scale: "full", dataset: "mnist", layers: [784, 256, 256, 10], epochs: 10, batch_size: 64, seed: 1, spiking: { time: 0.2, dt: 0.001 } },
    scale: "full",
    seed: 1,
    dataset: "mnist",
    train_samples: 60000,
    test_samples: 10000,
    seconds: 1234.5,
    rows,
    figures: {
      rate_curves: rateCurves(),
      raster: realisticRaster(),
      weight_differences: [
        { layer: "W1 (784→256)", zil_max_abs: 0, il_max_abs: 0.0431, backprop_max_abs: 0.412 },
        { layer: "W2 (256→256)", zil_max_abs: 0, il_max_abs: 0.0655, backprop_max_abs: 0.538 },
        { layer: "W3 (256→10)", zil_max_abs: 0, il_max_abs: 0.1214, backprop_max_abs: 0.871 },
      ],
    },
    ...PROVENANCE,
  };
}

/** The tiny fixture: three rows (one label needs escaping), three epochs, a raster of 8 spikes. */
export function smallResults(): CompareResults {
  const rows: RowResult[] = [
    row("backprop", "Backprop MLP", "A plain MLP.", 0.91, {}, 3, 0.8, 0.5),
    row("pc-zil", `PC <Z-IL> & "friends"`, "Z-IL with <b>markup</b> in its description.", 0.9, { energy_trace: [4, 1, 0.5, 0.25, 0.2] }, 3, 0.2, 1.5),
    row("pc-snn", "PC → spiking", "Converted.", 0.88, {
      energy_trace: [3, 2, 1.5, 1.2, 1.1],
      spiking: spiking(0.86, { "10": 0.4, "50": 0.8, "100": 0.86 }, [0, 30.5, 12.25], 100),
    }, 3, 0.3, 1.2),
  ];
  const raster: Raster = {
    row: "pc-snn",
    sample: 3,
    label: 2,
    prediction: 1,
    dt: 0.001,
    time: 0.1,
    layers: [
      { name: "input", neurons: 6, spikes: [] },
      { name: "hidden", neurons: 5, spikes: [[1, 0], [12, 4], [30, 2], [55.5, 2], [90, 3]] },
      { name: "output", neurons: 3, spikes: [[20, 1], [60, 1], [80, 0]] },
    ],
  };
  return {
    command: "compare",
    config: { scale: "test", note: "</script><b>not markup</b>" },
    scale: "test",
    seed: 5,
    dataset: "mnist",
    train_samples: 600,
    test_samples: 100,
    seconds: 12.25,
    rows,
    figures: {
      rate_curves: rateCurves(11),
      raster,
      weight_differences: [
        { layer: "W1", zil_max_abs: 0, il_max_abs: 0.02, backprop_max_abs: 0.3 },
        { layer: "W2", zil_max_abs: 0, il_max_abs: 0.05, backprop_max_abs: 0.5 },
      ],
    },
    ...PROVENANCE,
  };
}
