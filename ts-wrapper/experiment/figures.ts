// The data behind the report's figures that are not training curves: the thesis's figure 3 (rate
// curves of one neuron, theory against simulation), a spike raster of one digit, and how far Z-IL's
// and IL's weights are from backprop's.

import type { MLP } from "../models/mlp.js";
import type { NeuronParams } from "../models/neuron.js";
import { SNN, type Simulation } from "../models/snn.js";
import { activationForward, neuronBlock } from "../ops/activation.js";
import { lifRate, lifStep } from "../ops/spiking.js";
import { Matrix } from "../tensor.js";
import type { Runtime } from "../wasm/load.js";
import type { RateCurves, Raster, WeightDifference } from "./results.js";

const CURRENT_MAX = 4;
const CURRENT_POINTS = 201;
const SIMULATED_SECONDS = 1;
const SIMULATION_DT = 0.001;

/**
 * LIF and soft-LIF rates over j ∈ [0, 4]; the rate of simulated LIF neurons held at each current
 * for 1 s at dt 1 ms (spikes counted); the scaled soft-LIF activation against ReLU on z ∈ [0, 10].
 */
export function rateCurves(rt: Runtime, neuron: NeuronParams): RateCurves {
  const n = CURRENT_POINTS;
  const current = Array.from({ length: n }, (_, i) => (CURRENT_MAX * i) / (n - 1));
  const z = Array.from({ length: n }, (_, i) => (10 * i) / (n - 1));
  const [j, out, voltage, refractory, spikes] = Array.from({ length: 5 }, () => new Matrix(rt, 1, n));
  // The soft-LIF curves come from the activation that trains: amplitude·r(gain·z), read as r(j) with
  // amplitude and gain 1. A smoothing of 0 would draw the LIF rate again, so the figure keeps a hair of it.
  const smoothing = Math.max(neuron.smoothing, 1e-6);
  const rate = neuronBlock(rt, { ...neuron, amplitude: 1, gain: 1, smoothing });
  const scaledRate = neuronBlock(rt, { ...neuron, smoothing });
  const softlif = rt.layout.activation.softlif;
  try {
    j.set(current);
    lifRate(neuron, j, out);
    const lif = Array.from(out.view());
    activationForward(softlif, j, out, rate);
    const soft = Array.from(out.view());
    const counts = new Array<number>(n).fill(0);
    const steps = Math.round(SIMULATED_SECONDS / SIMULATION_DT);
    for (let t = 0; t < steps; t++) {
      lifStep(neuron, SIMULATION_DT, 1, { current: j, voltage, refractory, spikes });
      spikes.view().forEach((s, i) => (counts[i] += s !== 0 ? 1 : 0));
    }
    j.set(z);
    activationForward(softlif, j, out, scaledRate);
    const scaled = Array.from(out.view());
    return {
      current, lif, softlif: soft, simulated: counts.map((c) => c / SIMULATED_SECONDS), simulated_seconds: SIMULATED_SECONDS,
      z, scaled, relu: z.map((v) => Math.max(v, 0)), neuron: { ...neuron },
    };
  } finally {
    for (const m of [j, out, voltage, refractory, spikes]) m.free();
    rate.free();
    scaledRate.free();
  }
}

/**
 * Every spike of test sample `sample` through a soft-LIF network converted to spiking neurons (a
 * few channels of each convolutional layer).
 */
export function spikeRaster(network: MLP, row: string, images: Float32Array, labels: Uint8Array, sample: number, simulation: Simulation): Raster {
  const snn = SNN.fromMLP(network);
  try {
    const run = snn.raster(images.subarray(sample * snn.inputs, (sample + 1) * snn.inputs), simulation);
    const ms = simulation.dt * 1000;
    const layers = run.bands.map(({ name, neurons, spikes }) => {
      const pairs: [number, number][] = [];
      for (let i = 0; i < spikes.length; i += 2) pairs.push([Math.round(spikes[i] * ms * 1000) / 1000, spikes[i + 1]]);
      return { name, neurons, spikes: pairs };
    });
    return { row, sample, label: labels[sample], prediction: run.prediction, dt: simulation.dt, time: simulation.time, layers };
  } finally {
    snn.free();
  }
}

/** Per weight layer: max |W_zil − W_bp|, max |W_il − W_bp| and max |W_bp|, from weight snapshots. */
export function weightDifferences(backprop: Map<string, Float32Array>, zil: Map<string, Float32Array>, il: Map<string, Float32Array>): WeightDifference[] {
  const maxAbsDiff = (a: Float32Array, b?: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b ? b[i] : 0))), 0);
  return [...backprop.keys()].filter((name) => name.endsWith(".weight")).map((layer) => {
    const bp = backprop.get(layer)!;
    return {
      layer,
      zil_max_abs: maxAbsDiff(bp, zil.get(layer)),
      il_max_abs: maxAbsDiff(bp, il.get(layer)),
      backprop_max_abs: maxAbsDiff(bp),
    };
  });
}
