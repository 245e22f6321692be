// Spiking evaluation of a soft-LIF rate network: convert it, simulate a data set, and measure the
// accuracy at each presentation time with the layers' firing rates, the readout's unresolved ties,
// and what the answer costs (energy.ts) beside the rate network's.

import type { Dataset } from "../datasets/dataset.js";
import type { MLP } from "../models/mlp.js";
import { FixedPointSNN, type Quantization } from "../models/fixed-point.js";
import { resolveSimulation, SNN, type SimulationOptions } from "../models/snn.js";
import { energyNj, INTEGER_ENERGY, multiplyAccumulates, OPERATION_ENERGY } from "./energy.js";

/** The spiking evaluation of a converted network, as results record it (snake_case keys). */
export interface SpikingRecord {
  /** Presentation time and simulation step, in seconds. */
  time: number;
  dt: number;
  encoding: string;
  readout: string;
  synapse: string;
  tau_s: number;
  spike_seed: number;
  /** Poisson input: the shortest interval of a pixel's spikes (rate x/period), in seconds. */
  poisson_period: number;
  /** Accuracy at each readout time, keyed by milliseconds ("10", "20", …). */
  accuracy_by_time_ms: Record<string, number>;
  /** Accuracy at the full presentation time. */
  accuracy: number;
  /** The share of samples the readout left tied at each readout time (counted as wrong), keyed as accuracy_by_time_ms. */
  unresolved_by_time_ms: Record<string, number>;
  /** Synaptic operations per sample into each weight layer up to each readout time (energy.ts). */
  synaptic_operations_by_time_ms: Record<string, number[]>;
  /** The rate network's multiply-accumulates per sample, per weight layer. */
  rate_multiply_accumulates: number[];
  /**
   * Estimated arithmetic energy per sample in nJ (energy.ts): the spiking network's at each readout
   * time (an add per synaptic operation; with current input, the first layer's W·x as multiply-
   * accumulates once), and the rate network's (always 32-bit float). A fixed-point run counts its
   * own operations at integer energies (INTEGER_ENERGY), as `source`, `add_pj` and `mac_pj` say.
   */
  energy_nj: { source: string; add_pj: number; mac_pj: number; spiking_by_time_ms: Record<string, number>; rate: number };
  /** Mean firing rate (Hz) per layer, input first (0 for current input). */
  firing_rates_hz: number[];
  events: number;
  seconds: number;
  images_per_s: number;
  /** Test samples simulated. */
  count: number;
  /** Present when the network ran in fixed point (models/fixed-point.ts): int8 or int8-channel. */
  quantization?: Quantization;
}

/** Milliseconds as a key: 0.2 s → "200", 0.0005 s → "0.5". */
export function millisecondsKey(seconds: number): string {
  return String(Math.round(seconds * 1e6) / 1e3);
}

/** `quantization`: simulate the network in fixed point instead (int8 weights, integer state). */
export function evaluateSpiking(mlp: MLP, data: Dataset, options: SimulationOptions, onBatch?: (done: number) => void, quantization?: Quantization): SpikingRecord {
  const snn = quantization ? new FixedPointSNN(mlp, quantization, options) : SNN.fromMLP(mlp);
  try {
    const sim = resolveSimulation(options, mlp.config.neuron!);
    const started = performance.now();
    const run = snn instanceof FixedPointSNN
      ? snn.simulate(data.images, data.count, { readoutTimes: sim.readoutTimes, seed: sim.seed, batchSize: sim.batchSize, time: sim.time }, onBatch)
      : snn.simulate(data.images, data.count, sim, onBatch);
    const seconds = (performance.now() - started) / 1000;
    const perSample = (v: number) => (data.count ? v / data.count : 0);
    const macs = multiplyAccumulates(mlp);
    const inputMacs = sim.encoding === "current" ? macs[0] : 0;
    const ops = quantization ? INTEGER_ENERGY : OPERATION_ENERGY;
    const accuracy_by_time_ms: Record<string, number> = {};
    const unresolved_by_time_ms: Record<string, number> = {};
    const synaptic_operations_by_time_ms: Record<string, number[]> = {};
    const spiking_by_time_ms: Record<string, number> = {};
    run.readoutTimes.forEach((t, k) => {
      const key = millisecondsKey(t);
      let correct = 0;
      run.predictions[k].forEach((c, i) => (correct += c === data.labels[i] ? 1 : 0));
      accuracy_by_time_ms[key] = perSample(correct);
      unresolved_by_time_ms[key] = perSample(run.unresolved[k]);
      synaptic_operations_by_time_ms[key] = run.synapticOperations[k].map(perSample);
      spiking_by_time_ms[key] = energyNj(synaptic_operations_by_time_ms[key].reduce((a, b) => a + b, 0), inputMacs, ops);
    });
    return {
      time: sim.time, dt: sim.dt, encoding: sim.encoding, readout: sim.readout, synapse: sim.synapse, tau_s: sim.tauS, spike_seed: sim.seed,
      poisson_period: sim.poissonPeriod,
      accuracy_by_time_ms, accuracy: accuracy_by_time_ms[millisecondsKey(sim.time)] ?? 0, unresolved_by_time_ms,
      synaptic_operations_by_time_ms, rate_multiply_accumulates: macs,
      energy_nj: {
        source: ops.source, add_pj: ops.addPj, mac_pj: ops.macPj,
        spiking_by_time_ms, rate: energyNj(0, macs.reduce((a, b) => a + b, 0)),
      },
      firing_rates_hz: run.firingRates,
      events: run.events, seconds, images_per_s: seconds > 0 ? data.count / seconds : 0, count: data.count,
      ...(quantization ? { quantization } : {}),
    };
  } finally {
    snn.free();
  }
}
