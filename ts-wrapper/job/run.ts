// One training job: build the model of a resolved spec, train it, evaluate it, and — for a soft-LIF
// network — convert it to spiking neurons and simulate it. `bioplausible train` runs one job, a
// comparison a table of them.

import type { Dataset } from "../datasets/dataset.js";
import { OptionError } from "../errors.js";
import { evaluate, type Evaluation } from "../evaluation/metrics.js";
import { evaluateSpiking, type SpikingRecord } from "../evaluation/spiking.js";
import { parameterFloats } from "../models/arch.js";
import { fuseBatchNorm } from "../models/fuse.js";
import { layerOptions, MLP } from "../models/mlp.js";
import { PCN } from "../models/pcn.js";
import type { Checkpoint } from "../training/checkpoint.js";
import { train, type EpochResult } from "../training/trainer.js";
import type { Runtime } from "../wasm/load.js";
import { holdOut } from "../training/validation.js";
import { checkEncoding, validationCount, type JobSpec } from "./spec.js";

export interface JobHooks {
  onBatch?: (done: number, total: number, epoch: number) => void;
  onEpoch?: (result: EpochResult) => void;
  /** Before the spiking simulation of `count` samples, and after each batch of it. */
  onSpikingStart?: (count: number, rate?: Evaluation) => void;
  onSpikingBatch?: (done: number) => void;
  /** Checkpoints of the training, every `every` batches and at each epoch's end. */
  checkpoint?: { every?: number; save: (checkpoint: Checkpoint) => void };
  /** Carry the training on from this checkpoint of the same job. */
  resume?: Checkpoint;
}

export interface JobRun {
  model: MLP | PCN;
  /** The rate network as saved and simulated: the PCN's MLP, with batch norm folded for spiking. */
  network: MLP;
  history: EpochResult[];
  seconds: number;
  /** Samples trained on, and held out for validation (0: none). */
  samples: { train: number; validation: number };
  /** The rate network on the validation split, when there is one. */
  validation?: Evaluation;
  /** The rate network on the test set, when one was given. */
  test?: Evaluation;
  spiking?: SpikingRecord;
  paramsSha256: string;
}

export function buildModel(options: JobSpec, runtime?: Runtime): MLP | PCN {
  const { activation, neuron, seed, feedbackAlignment, directFeedbackAlignment, noise } = options;
  const common = { ...layerOptions(options), activation, neuron, seed, runtime, ...(feedbackAlignment ? { feedbackAlignment } : {}), ...(directFeedbackAlignment ? { directFeedbackAlignment } : {}) };
  return options.pc ? new PCN({ ...common, ...options.pc }) : new MLP({ ...common, batchNorm: options.batchNorm, ...(noise ? { noise } : {}) });
}

/**
 * Train and evaluate one job. The job's validation split (validationCount) is held out of
 * `data.train` by a draw from its seed and evaluated after every epoch, as the test set is.
 * `spikingTest` (default: the test set) is what the spiking network simulates; a Poisson-coded
 * simulation of inputs outside [0, 1] is refused before any training. The caller frees `run.model`
 * and, when it differs, `run.network`.
 */
export async function runJob(options: JobSpec, data: { train: Dataset; test?: Dataset; spikingTest?: Dataset }, hooks: JobHooks = {}, runtime?: Runtime): Promise<JobRun> {
  const spikingSet = data.spikingTest ?? data.test;
  if (options.spiking && !spikingSet) throw new Error("runJob: a spiking job needs a test set (or spikingTest) to simulate");
  // Inputs the simulation cannot take are refused before the training, not after it.
  if (spikingSet) checkEncoding(options.spiking, spikingSet);
  const held = validationCount(options, data.train.count);
  if (held >= data.train.count) {
    throw new OptionError("validation", `must hold out fewer than the ${data.train.count} training samples, got ${held}`);
  }
  const model = buildModel(options, runtime);
  try {
    const { train: trainSet, validation } = held > 0 ? holdOut(model.runtime, data.train, held, options.seed) : { train: data.train, validation: undefined };
    const { epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, outputLoss, seed } = options;
    const result = train(model, trainSet, {
      epochs, batchSize, lr, lrSchedule, momentum, optimizer, weightDecay, outputLoss, seed, validation, test: data.test,
      onBatch: hooks.onBatch, onEpoch: hooks.onEpoch, checkpoint: hooks.checkpoint, resume: hooks.resume,
    });
    const rate = model instanceof PCN ? model.mlp : model;
    // A spiking network has no batch norm: the network it converts from has it folded in.
    const network = options.spiking && options.batchNorm ? fuseBatchNorm(rate) : rate;
    const test = data.test ? evaluate(network, data.test, { outputLoss }) : undefined;
    const validated = validation ? evaluate(network, validation, { outputLoss }) : undefined;
    let spiking: SpikingRecord | undefined;
    if (options.spiking) {
      hooks.onSpikingStart?.(spikingSet!.count, test ?? validated);
      spiking = evaluateSpiking(network, spikingSet!, options.spiking, hooks.onSpikingBatch);
    }
    return {
      model, network, history: result.history, seconds: result.seconds, samples: { train: trainSet.count, validation: held },
      ...(validated ? { validation: validated } : {}), ...(test ? { test } : {}), spiking, paramsSha256: await network.params.sha256(),
    };
  } catch (error) {
    model.free();
    throw error;
  }
}

/** Bytes of a job's parameters, and of a checkpoint of its training (parameters and optimiser buffers). */
export function jobBytes(options: JobSpec): { params: number; checkpoint: number } {
  const floats = parameterFloats(options, options.batchNorm);
  const buffers = options.optimizer === "adam" ? 2 : options.momentum > 0 ? 1 : 0;
  return { params: 4 * floats, checkpoint: 4 * floats * (1 + buffers) };
}

/** One epoch of training as results record it (snake_case keys). */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  validation_loss?: number;
  validation_accuracy?: number;
  test_loss?: number;
  test_accuracy?: number;
  seconds: number;
}

/** Epochs as results record them. */
export function epochRecords(history: EpochResult[]): EpochRecord[] {
  return history.map((e) => ({
    epoch: e.epoch, loss: e.loss, accuracy: e.accuracy,
    ...(e.validationAccuracy !== undefined ? { validation_loss: e.validationLoss, validation_accuracy: e.validationAccuracy } : {}),
    test_loss: e.testLoss, test_accuracy: e.testAccuracy, seconds: e.seconds,
  }));
}
