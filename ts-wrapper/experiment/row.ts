// One row of an experiment: build a model from resolved options, train it, evaluate it, and — for a
// soft-LIF network — convert it to spiking neurons and simulate it. `train` runs one row, `compare`
// a table of them.

import type { Dataset } from "../datasets/dataset.js";
import { evaluate, type Evaluation } from "../evaluation/metrics.js";
import { evaluateSpiking } from "../evaluation/spiking.js";
import type { ActivationName } from "../models/activations.js";
import { fuseBatchNorm } from "../models/fuse.js";
import { MLP } from "../models/mlp.js";
import type { NeuronParams } from "../models/neuron.js";
import { PCN, type PCAlgorithm } from "../models/pcn.js";
import type { Simulation } from "../models/snn.js";
import type { Checkpoint } from "../training/checkpoint.js";
import type { OutputLoss } from "../training/losses.js";
import type { OptimizerName } from "../training/optimizers.js";
import { train, type EpochResult, type LRSchedule } from "../training/trainer.js";
import type { Runtime } from "../wasm/load.js";
import type { EpochRecord, SpikingRecord } from "./results.js";

export interface RowOptions {
  model: "mlp" | "pcn";
  layers: number[];
  activation: ActivationName;
  /** The soft-LIF neurons' parameters (soft-LIF activations only). */
  neuron?: NeuronParams;
  batchNorm: boolean;
  feedbackAlignment: boolean;
  /** Predictive coding's schedule (pcn only). */
  pc?: { algo: PCAlgorithm; T: number; gamma: number; tolerance: number };
  epochs: number;
  batchSize: number;
  lr: number;
  lrSchedule: LRSchedule;
  momentum: number;
  optimizer: OptimizerName;
  weightDecay: number;
  outputLoss: OutputLoss;
  seed: number;
  /** Convert to spiking neurons and simulate the test set this way (soft-LIF only). */
  spiking?: Simulation;
}

/** The learning rate a row gets when none is given. */
export function defaultLearningRate(model: "mlp" | "pcn", optimizer: OptimizerName, algo?: PCAlgorithm): number {
  if (optimizer === "adam") return 0.001;
  // Inference learning's relaxed errors are smaller than backprop's: it takes a larger step.
  return model === "pcn" && (algo ?? "il") === "il" ? 0.2 : 0.05;
}

export interface RowHooks {
  onBatch?: (done: number, total: number, epoch: number) => void;
  onEpoch?: (result: EpochResult) => void;
  /** Before the spiking simulation of `count` samples, and after each batch of it. */
  onSpikingStart?: (count: number, rate: Evaluation) => void;
  onSpikingBatch?: (done: number) => void;
  /** Checkpoints of the training, every `every` batches and at each epoch's end. */
  checkpoint?: { every?: number; save: (checkpoint: Checkpoint) => void };
  /** Carry the training on from this checkpoint of the same row. */
  resume?: Checkpoint;
}

export interface RowRun {
  model: MLP | PCN;
  /** The rate network as saved and simulated: the PCN's MLP, with batch norm folded for spiking. */
  network: MLP;
  history: EpochResult[];
  seconds: number;
  /** The rate network on the test set. */
  test: Evaluation;
  spiking?: SpikingRecord;
  paramsSha256: string;
}

export function buildModel(options: RowOptions, runtime?: Runtime): MLP | PCN {
  const { layers, activation, neuron, seed, feedbackAlignment } = options;
  const common = { layers, activation, neuron, seed, runtime, ...(feedbackAlignment ? { feedbackAlignment } : {}) };
  return options.pc ? new PCN({ ...common, ...options.pc }) : new MLP({ ...common, batchNorm: options.batchNorm });
}

/**
 * Train and evaluate one row. `spikingTest` (default: the test set) is what the spiking network
 * simulates. The caller frees `run.model` and, when it differs, `run.network`.
 */
export async function runRow(options: RowOptions, data: { train: Dataset; test: Dataset; spikingTest?: Dataset }, hooks: RowHooks = {}, runtime?: Runtime): Promise<RowRun> {
  const model = buildModel(options, runtime);
  try {
    const { epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, outputLoss, seed } = options;
    const result = train(model, data.train, {
      epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, outputLoss, seed, test: data.test,
      onBatch: hooks.onBatch, onEpoch: hooks.onEpoch, checkpoint: hooks.checkpoint, resume: hooks.resume,
    });
    const rate = model instanceof PCN ? model.mlp : model;
    // A spiking network has no batch norm: the network it converts from has it folded in.
    const network = options.spiking && options.batchNorm ? fuseBatchNorm(rate) : rate;
    const test = evaluate(network, data.test, { outputLoss });
    let spiking: SpikingRecord | undefined;
    if (options.spiking) {
      const samples = data.spikingTest ?? data.test;
      hooks.onSpikingStart?.(samples.count, test);
      spiking = evaluateSpiking(network, samples, options.spiking, hooks.onSpikingBatch);
    }
    return { model, network, history: result.history, seconds: result.seconds, test, spiking, paramsSha256: await network.params.sha256() };
  } catch (error) {
    model.free();
    throw error;
  }
}

/** Bytes of a row's parameters, and of a checkpoint of its training (parameters and optimiser buffers). */
export function rowBytes(options: RowOptions): { params: number; checkpoint: number } {
  const { layers } = options;
  let floats = 0;
  for (let i = 1; i < layers.length; i++) {
    floats += layers[i - 1] * layers[i] + layers[i];
    // Batch norm's γ, β, running mean and variance on every hidden layer.
    if (options.batchNorm && i < layers.length - 1) floats += 4 * layers[i];
  }
  const buffers = options.optimizer === "adam" ? 2 : options.momentum > 0 ? 1 : 0;
  return { params: 4 * floats, checkpoint: 4 * floats * (1 + buffers) };
}

/** Epochs as results.json records them. */
export function epochRecords(history: EpochResult[]): EpochRecord[] {
  return history.map((e) => ({
    epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, test_loss: e.testLoss, test_accuracy: e.testAccuracy, seconds: e.seconds,
  }));
}
