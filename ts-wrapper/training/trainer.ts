// Mini-batch training: seeded shuffling each epoch, forward, loss, backward, optimiser step; a
// callback after every epoch with the epoch's mean loss and accuracy (and the test set's).

import type { Dataset } from "../datasets/dataset.js";
import { evaluate } from "../evaluation/metrics.js";
import { STREAM_SHUFFLE } from "../models/mlp.js";
import { BatchBuffer, checkShapes } from "./batches.js";
import { OUTPUT_LOSSES, type OutputLoss } from "./losses.js";
import { DivergenceError, type TrainableModel } from "./model.js";
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
  /** Evaluated after every epoch when given. */
  test?: Dataset;
  onEpoch?: (result: EpochResult) => void;
  /** After every batch: samples done so far in this epoch, of `total`. */
  onBatch?: (done: number, total: number, epoch: number) => void;
}

export interface EpochResult {
  epoch: number;
  /** Mean training loss over the epoch's batches, as trained (batch statistics, weights moving). */
  loss: number;
  accuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number;
}

export interface TrainResult {
  history: EpochResult[];
  seconds: number;
}

export function train(model: TrainableModel, data: Dataset, options: TrainOptions): TrainResult {
  const { epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs: must be an integer ≥ 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: must be an integer ≥ 1, got ${batchSize}`);
  if (batchSize < model.minTrainingBatch) {
    throw new RangeError(`batchSize: batch norm needs at least ${model.minTrainingBatch} samples per batch, got ${batchSize}`);
  }
  const schedule = options.lrSchedule ?? "constant";
  if (!LR_SCHEDULES.includes(schedule)) throw new RangeError(`lrSchedule: must be one of ${LR_SCHEDULES.join(", ")}, got ${schedule}`);
  const outputLoss = options.outputLoss ?? "ce";
  if (!OUTPUT_LOSSES.includes(outputLoss)) throw new RangeError(`outputLoss: must be one of ${OUTPUT_LOSSES.join(", ")}, got ${outputLoss}`);
  checkShapes(data, model.inputs, model.outputs);
  if (options.test) checkShapes(options.test, model.inputs, model.outputs);
  if (data.count === 0) throw new RangeError(`${data.name}: the training set is empty`);
  if (data.count < model.minTrainingBatch) {
    throw new RangeError(`${data.name}: the training set has ${data.count} samples; this model trains on batches of at least ${model.minTrainingBatch}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed: must be an integer in [0, 2^32), got ${seed}`);

  const rt = model.runtime;
  const { kernels, heap } = rt;
  const optimizer = new Optimizer(model.params, options);
  const batch = new BatchBuffer(rt, Math.min(batchSize, data.count), data.features, model.outputs);
  const rng = heap.alloc(16);
  const orderPtr = heap.alloc(data.count * 4);
  kernels.rngSeed(rng, seed, STREAM_SHUFFLE);
  const history: EpochResult[] = [];
  const started = performance.now();
  const totalSteps = epochs * Math.ceil(data.count / batch.capacity);
  let steps = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      kernels.rngPermutation(rng, data.count, orderPtr);
      const order = heap.u32(orderPtr, data.count).slice();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let start = 0, b = 1; start < data.count; start += batch.capacity, b++) {
        const n = batch.load(data, order, start);
        // Batch norm cannot normalise a last batch smaller than its minimum: skip it this epoch
        // (the shuffle gives that sample its turn in another epoch).
        if (n < model.minTrainingBatch) continue;
        seen += n;
        if (schedule === "cosine") optimizer.setLearningRate(options.lr * 0.5 * (1 + Math.cos((Math.PI * steps) / totalSteps)));
        steps++;
        let step;
        try {
          step = model.trainBatch(batch, n, outputLoss, optimizer);
        } catch (error) {
          if (!(error instanceof DivergenceError)) throw error;
          throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: ${error.message}`, { cause: error });
        }
        // Parameters are checked after every step (a pass over them, small next to a training step),
        // first, so the error names the tensor and element that stopped being finite; a non-finite loss
        // with finite parameters means finite weights too large for float32 activations.
        const bad = model.params.firstNonFinite();
        if (bad) throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: ${bad}; try a smaller --lr`);
        if (!Number.isFinite(step.loss)) {
          throw new DivergenceError(`training diverged in epoch ${epoch}, batch ${b}: the loss is ${step.loss}; try a smaller --lr`);
        }
        correct += kernels.countCorrect(n, model.outputs, step.logits, batch.labels);
        lossSum += step.loss * n;
        options.onBatch?.(Math.min(start + n, data.count), data.count, epoch);
      }
      const result: EpochResult = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: 0 };
      if (options.test) {
        const t = evaluate(model, options.test, { outputLoss });
        result.testLoss = t.loss;
        result.testAccuracy = t.accuracy;
      }
      result.seconds = (performance.now() - epochStart) / 1000;
      history.push(result);
      options.onEpoch?.(result);
    }
  } finally {
    heap.free(orderPtr);
    heap.free(rng);
    batch.free();
    optimizer.free();
  }
  return { history, seconds: (performance.now() - started) / 1000 };
}
