// Mini-batch training: seeded shuffling each epoch, forward, loss, backward, optimiser step; a
// callback after every epoch with the epoch's mean loss and accuracy (and the test set's).

import { BatchBuffer, checkShapes } from "../batch.js";
import type { Dataset } from "../datasets/dataset.js";
import { DivergenceError, OptionError } from "../errors.js";
import { evaluate } from "../evaluation/metrics.js";
import { countCorrect, OUTPUT_LOSSES, type OutputLoss } from "../ops/loss.js";
import { Rng, STREAMS } from "../ops/rng.js";
import { Bytes } from "../tensor.js";
import type { Checkpoint, EpochResult, TrainingState } from "./checkpoint.js";

export type { EpochResult };
import type { TrainableModel } from "./model.js";
import { Optimizer, type OptimizerOptions } from "./optimizers.js";

export const LR_SCHEDULES = ["constant", "cosine"] as const;
export type LRSchedule = (typeof LR_SCHEDULES)[number];

export interface TrainOptions extends OptimizerOptions {
  epochs: number;
  /** "cosine" anneals the learning rate from lr to 0 over all steps: lr·½(1 + cos(π·step/steps)). */
  lrSchedule?: LRSchedule;
  batchSize: number;
  /** Seed of the shuffling stream (the model's init has its own). */
  seed?: number;
  outputLoss?: OutputLoss;
  /** Evaluated after every epoch when given: the samples held out of the training set to choose settings by. */
  validation?: Dataset;
  /** Evaluated after every epoch when given. */
  test?: Dataset;
  onEpoch?: (result: EpochResult) => void;
  /** After every batch: samples done so far in this epoch, of `total`. */
  onBatch?: (done: number, total: number, epoch: number) => void;
  /** Called with a checkpoint every `every` batches and at the end of every epoch. */
  checkpoint?: { every?: number; save: (checkpoint: Checkpoint) => void };
  /** Carry on from this checkpoint of the same run (same model, data and options). */
  resume?: Checkpoint;
}

export interface TrainResult {
  history: EpochResult[];
  seconds: number;
}

/** What trainSteps() yields after every optimiser step. */
export interface BatchResult {
  epoch: number;
  /** The batch's place in its epoch, from 1. */
  batch: number;
  /** Samples in this batch, and how many of them the model got right before the step. */
  samples: number;
  correct: number;
  /** The batch's mean loss. */
  loss: number;
  /** Samples of this epoch done so far, of `total`. */
  done: number;
  total: number;
  /** Batches trained so far in the run. */
  step: number;
}

/** Trains to the end and returns the history: trainSteps() run to completion. */
export function train(model: TrainableModel, data: Dataset, options: TrainOptions): TrainResult {
  const steps = trainSteps(model, data, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The training loop as a generator: it yields after every batch, so that a caller can stop between
 * batches (return() frees its buffers) or let an event loop run — a browser worker drawing a
 * learning curve does both. Its return value is train()'s result.
 */
export function* trainSteps(model: TrainableModel, data: Dataset, options: TrainOptions): Generator<BatchResult, TrainResult, void> {
  const { epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new OptionError("epochs", `must be an integer ≥ 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError("batchSize", `must be an integer ≥ 1, got ${batchSize}`);
  if (batchSize < model.minTrainingBatch) {
    throw new OptionError("batchSize", `batch norm needs at least ${model.minTrainingBatch} samples per batch, got ${batchSize}`);
  }
  const schedule = options.lrSchedule ?? "constant";
  if (!LR_SCHEDULES.includes(schedule)) throw new OptionError("lrSchedule", `must be one of ${LR_SCHEDULES.join(", ")}, got ${schedule}`);
  const outputLoss = options.outputLoss ?? "ce";
  if (!OUTPUT_LOSSES.includes(outputLoss)) throw new OptionError("outputLoss", `must be one of ${OUTPUT_LOSSES.join(", ")}, got ${outputLoss}`);
  checkShapes(data, model.inputs, model.outputs);
  if (options.test) checkShapes(options.test, model.inputs, model.outputs);
  if (options.validation) checkShapes(options.validation, model.inputs, model.outputs);
  if (data.count === 0) throw new RangeError(`${data.name}: the training set is empty`);
  if (data.count < model.minTrainingBatch) {
    throw new RangeError(`${data.name}: the training set has ${data.count} samples; this model trains on batches of at least ${model.minTrainingBatch}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new OptionError("seed", `must be an integer in [0, 2^32), got ${seed}`);

  const every = options.checkpoint?.every ?? 0;
  if (!Number.isInteger(every) || every < 0) throw new OptionError("checkpoint.every", `must be an integer ≥ 0 (0: only at the end of each epoch), got ${every}`);

  const rt = model.runtime;
  const capacity = Math.min(batchSize, data.count);
  const batchesPerEpoch = Math.ceil(data.count / capacity);
  // Batches trained per epoch: a last batch smaller than the model's minimum is skipped.
  const trainedPerEpoch = batchesPerEpoch - (data.count - (batchesPerEpoch - 1) * capacity < model.minTrainingBatch ? 1 : 0);
  const totalSteps = epochs * batchesPerEpoch;
  // Where this call starts: the beginning, or the place a checkpoint recorded.
  let at: TrainingState = {
    epoch: 1, batch: 0, steps: 0, optimizerSteps: 0, shuffle: "", lossSum: 0, correct: 0, seen: 0, seconds: 0, epochSeconds: 0, history: [],
  };
  const resumeFrom = options.resume?.file !== undefined ? `resume from ${options.resume.file}` : "resume";
  if (options.resume) {
    at = options.resume.state;
    checkResumeState(at, { epochs, batchesPerEpoch, trainedPerEpoch, capacity }, resumeFrom);
  }
  const history: EpochResult[] = [];
  let started = performance.now();
  let optimizer: Optimizer | undefined;
  let batch: BatchBuffer | undefined;
  let rng: Rng | undefined;
  let orderBlock: Bytes | undefined;
  try {
    optimizer = new Optimizer(model.params, options);
    batch = new BatchBuffer(rt, capacity, data.features, model.outputs);
    const shuffler = (rng = new Rng(rt, seed, STREAMS.shuffle));
    const orderBytes = (orderBlock = new Bytes(rt, data.count * 4));
    const shuffleState = () => shuffler.save();
    if (options.resume) {
      model.params.load(new Map(options.resume.params.map((t) => [t.name, t])), resumeFrom);
      optimizer.restore({ steps: at.optimizerSteps, buffers: options.resume.optimizer }, resumeFrom);
      if (model.restoreCheckpointState) model.restoreCheckpointState(at.model, resumeFrom);
      shuffler.restore(at.shuffle);
      history.push(...at.history);
      started -= at.seconds * 1000;
    }
    let steps = at.steps;
    for (let epoch = at.epoch; epoch <= epochs; epoch++) {
      const resumed = epoch === at.epoch;
      const epochStart = performance.now() - (resumed ? at.epochSeconds * 1000 : 0);
      const shuffle = shuffleState();
      shuffler.permutation(data.count, orderBytes);
      const order = orderBytes.u32(data.count).slice();
      let lossSum = resumed ? at.lossSum : 0;
      let correct = resumed ? at.correct : 0;
      let seen = resumed ? at.seen : 0;
      const opt = optimizer;
      const checkpoint = (state: Pick<TrainingState, "epoch" | "batch" | "shuffle" | "lossSum" | "correct" | "seen" | "epochSeconds">) => {
        const { steps: optimizerSteps, buffers } = opt.snapshot();
        options.checkpoint!.save({
          state: {
            ...state, steps, optimizerSteps, seconds: (performance.now() - started) / 1000, history: history.map((e) => ({ ...e })),
            ...(model.checkpointState ? { model: model.checkpointState() } : {}),
          },
          params: model.params.toTensors(),
          optimizer: buffers,
        });
      };
      for (let start = 0, b = 1; start < data.count; start += batch.capacity, b++) {
        if (resumed && b <= at.batch) continue;
        const n = batch.load(data, order, start);
        // Batch norm cannot normalise a last batch smaller than its minimum: skip it this epoch
        // (the shuffle gives that sample its turn in another epoch).
        if (n < model.minTrainingBatch) continue;
        seen += n;
        if (schedule === "cosine") optimizer.setLearningRate(options.lr * 0.5 * (1 + Math.cos((Math.PI * steps) / totalSteps)));
        steps++;
        let step;
        const staged = batch.rows(n);
        try {
          step = model.trainBatch(staged, outputLoss, optimizer);
        } catch (error) {
          if (!(error instanceof DivergenceError)) throw error;
          throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: ${error.message}`, error.option, { cause: error });
        }
        // Parameters are checked after every step (a pass over them, small next to a training step),
        // first, so the error names the tensor and element that stopped being finite; a non-finite loss
        // with finite parameters means finite weights too large for float32 activations.
        const bad = model.params.firstNonFinite();
        if (bad) throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: ${bad}`, "lr");
        if (!Number.isFinite(step.loss)) {
          throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: the loss is ${step.loss}`, "lr");
        }
        const right = countCorrect(step.logits, staged.labels);
        correct += right;
        lossSum += step.loss * n;
        const done = Math.min(start + n, data.count);
        options.onBatch?.(done, data.count, epoch);
        // The epoch's last batch is followed by the end-of-epoch checkpoint instead.
        if (every && b % every === 0 && b < batchesPerEpoch) {
          checkpoint({ epoch, batch: b, shuffle, lossSum, correct, seen, epochSeconds: (performance.now() - epochStart) / 1000 });
        }
        yield { epoch, batch: b, samples: n, correct: right, loss: step.loss, done, total: data.count, step: steps };
      }
      const result: EpochResult = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: 0 };
      if (options.validation) {
        const v = evaluate(model, options.validation, { outputLoss });
        result.validationLoss = v.loss;
        result.validationAccuracy = v.accuracy;
      }
      if (options.test) {
        const t = evaluate(model, options.test, { outputLoss });
        result.testLoss = t.loss;
        result.testAccuracy = t.accuracy;
      }
      result.seconds = (performance.now() - epochStart) / 1000;
      history.push(result);
      if (options.checkpoint) checkpoint({ epoch: epoch + 1, batch: 0, shuffle: shuffleState(), lossSum: 0, correct: 0, seen: 0, epochSeconds: 0 });
      options.onEpoch?.(result);
    }
  } finally {
    orderBlock?.free();
    rng?.free();
    batch?.free();
    optimizer?.free();
  }
  return { history, seconds: (performance.now() - started) / 1000 };
}

/**
 * A checkpoint's place and sums must be ones this run passes through: its clocks agree with the
 * epoch and batch, its sums with the samples seen. Anything else is a checkpoint of another run (or
 * a damaged one), and resuming from it would train silently differently.
 */
function checkResumeState(
  s: TrainingState, run: { epochs: number; batchesPerEpoch: number; trainedPerEpoch: number; capacity: number }, source: string,
): void {
  const fail = (what: string): never => {
    throw new RangeError(`${source}: ${what}`);
  };
  if (s.epoch > run.epochs + 1 || s.batch >= run.batchesPerEpoch || (s.epoch === run.epochs + 1 && s.batch !== 0)) {
    fail(`the checkpoint is at epoch ${s.epoch}, batch ${s.batch}, which this run of ${run.epochs} epochs of ${run.batchesPerEpoch} batches never reaches`);
  }
  // Every batch before the last is full, and mid-epoch checkpoints come before the last.
  const steps = (s.epoch - 1) * run.trainedPerEpoch + s.batch;
  if (s.steps !== steps) fail(`the checkpoint has taken ${s.steps} steps, but epoch ${s.epoch}, batch ${s.batch} of this run comes after ${steps}`);
  if (s.seen !== s.batch * run.capacity) fail(`the checkpoint has seen ${s.seen} samples of its epoch, but ${s.batch} batches of ${run.capacity} hold ${s.batch * run.capacity}`);
  if (s.correct > s.seen) fail(`the checkpoint counts ${s.correct} correct of ${s.seen} samples`);
  if (s.lossSum < 0) fail(`the checkpoint's loss sum is negative (${s.lossSum})`);
  if (!/^[0-9a-f]{32}$/.test(s.shuffle)) fail("the checkpoint's shuffling state is not 32 hex digits");
  s.history.forEach((e, i) => {
    if (e?.epoch !== i + 1 || !(e.loss >= 0) || !(e.accuracy >= 0 && e.accuracy <= 1)) fail(`the checkpoint's history entry ${i} is not a finished epoch ${i + 1}`);
  });
}