// The shape of a comparison run's results.json (`bioplausible compare`): what the report draws
// and what a replay checks. Keys are snake_case, as every JSON result of the CLI.

import type { SpikingRecord } from "../evaluation/spiking.js";
import type { EpochRecord } from "../job/run.js";
import type { NeuronParams } from "../models/neuron.js";

export type { EpochRecord, SpikingRecord };

export interface RowResult {
  /** Short id, e.g. "backprop", "pc-il", "pc-snn". */
  name: string;
  /** Human label, e.g. "Backprop MLP", "PC (IL) → spiking". */
  label: string;
  /** What the row is, in one sentence for the report's table. */
  description: string;
  /** The rate (non-spiking) network's test accuracy, a fraction. */
  test_accuracy: number;
  test_loss: number;
  /** The same on the validation split held out of the training set (absent without one). */
  validation_accuracy?: number;
  validation_loss?: number;
  /** Samples trained on and held out. */
  train_samples?: number;
  validation_samples?: number;
  epochs: number;
  /** Training time in seconds, and per epoch. */
  seconds: number;
  seconds_per_epoch: number;
  params_sha256: string;
  history: EpochRecord[];
  /** Present for rows converted to spiking networks. */
  spiking?: SpikingRecord;
  /**
   * Present for predictive-coding rows: the energy (mean over the batch) at the start of each
   * inference step of the last training batch's relaxation, its labels clamped — T values for IL,
   * one per layer for Z-IL; entry 0 is the feedforward state.
   */
  energy_trace?: number[];
  /** The row's full resolved options (model, layers, activation, optimizer, …). */
  config: Record<string, unknown>;
}

/** The thesis's figure 3: rate curves of one LIF neuron (preset of the run). */
export interface RateCurves {
  /** Input currents j. */
  current: number[];
  /** LIF rate r(j) (Hz) and soft-LIF rate r_ρ(j) (Hz) at each current. */
  lif: number[];
  softlif: number[];
  /** Rate of a simulated LIF neuron at each constant current: spikes / `simulated_seconds` at dt 1 ms. */
  simulated: number[];
  simulated_seconds: number;
  /** Scaled rate amplitude·r_ρ(z) and ReLU(z) on z ∈ [0, 10]. */
  z: number[];
  scaled: number[];
  relu: number[];
  neuron: NeuronParams;
}

/** Spikes of one test digit through every layer of a converted network. */
export interface Raster {
  /** The `name` of the row whose network this is. */
  row: string;
  /** Test sample index, its label and the network's prediction at the end. */
  sample: number;
  label: number;
  prediction: number;
  /** Simulation step and presentation time, in seconds. */
  dt: number;
  time: number;
  /** Input layer first (empty for current input), then hidden layers, then output. */
  layers: { name: string; neurons: number; spikes: [number, number][] /* [time in ms, neuron] */ }[];
}

/** Z-IL against backprop from the same seed: per weight layer, how far the weights differ. */
export interface WeightDifference {
  layer: string;
  /** max |W_zil − W_backprop| and the same for IL (for contrast), after training. */
  zil_max_abs: number;
  il_max_abs: number;
  /** max |W_backprop| of the layer, for scale. */
  backprop_max_abs: number;
}

export interface CompareResults {
  command: "compare";
  /** The experiment config as resolved (replaying it reproduces this run bit for bit). */
  config: Record<string, unknown>;
  /** Its name, e.g. "quick" or "full": the scale the run stands for. */
  scale: string;
  seed: number;
  dataset: string;
  /** The training set (after trainSamples), of which validation_samples were held out from every row's training. */
  train_samples: number;
  validation_samples?: number;
  test_samples: number;
  seconds: number;
  rows: RowResult[];
  figures: {
    rate_curves: RateCurves;
    raster?: Raster;
    weight_differences?: WeightDifference[];
  };
  version: string;
  runtime: Record<string, unknown>;
}
