// The comparison of the thesis (SCIENCE.md §4): every row of an experiment trained and evaluated
// from one seed on one data set, and the figures of the report.

import { subset, type Dataset } from "../datasets/dataset.js";
import { DivergenceError } from "../errors.js";
import { resolveNeuron } from "../models/neuron.js";
import { PCN } from "../models/pcn.js";
import type { Runtime } from "../wasm/load.js";
import type { ExperimentConfig, ResolvedRow } from "./config.js";
import { rateCurves, spikeRaster, weightDifferences } from "./figures.js";
import type { CompareResults, Raster, RowResult } from "./results.js";
import type { Checkpoint } from "../training/checkpoint.js";
import { epochRecords, runJob } from "../job/run.js";
import { recordJob, validationCount, type JobSpec } from "../job/spec.js";

/** A finished row as a later run needs it: its results and what the figures take from it. */
export interface FinishedRow {
  result: RowResult;
  /** Its weight matrices, by tensor name (for the weight-difference figure). */
  weights: Map<string, Float32Array>;
  /** The spike raster, when this row drew it. */
  raster?: Raster;
}

/** Checkpoints of a comparison: whole rows as they finish, and the training of the row in progress. */
export interface CompareCheckpoints {
  /** Batches between training checkpoints (each epoch's end always makes one). */
  every?: number;
  /** Rows finished by an earlier run of the same experiment, in table order. */
  done?: FinishedRow[];
  /** The training checkpoint of the row after them. */
  resume?: Checkpoint;
  /** Seconds the earlier runs had taken when they finished their last row. */
  elapsed?: number;
  saveTraining(row: string, checkpoint: Checkpoint): void;
  /** Row `index` has finished, `elapsed` seconds into the comparison. */
  saveRow(row: FinishedRow, index: number, elapsed: number): void;
}

export interface CompareProgress {
  /** Work done so far as a fraction of the whole run, and what is running. */
  (fraction: number, doing: string): void;
}

/** Relative cost of one training sample of a row, for the progress display's ETA only. */
function sampleCost(o: JobSpec): number {
  const softlif = o.activation === "softlif" ? 2 : 1;
  if (!o.pc) return softlif;
  const steps = o.pc.algo === "zil" ? o.layers.length - 1 : o.pc.T;
  return softlif * (1 + steps / 4);
}
// A simulated sample costs about this many training samples of a ReLU MLP per second of presentation.
const SPIKING_COST_PER_SECOND = 60;

/** An experiment's training data (its first trainSamples) and the test samples its spiking rows simulate. */
export function experimentData(
  config: { trainSamples?: number | null; spiking?: { testSamples?: number | null } }, data: { train: Dataset; test: Dataset },
): { train: Dataset; spikingTest: Dataset } {
  const train = config.trainSamples ? subset(data.train, config.trainSamples) : data.train;
  const spikingCount = Math.min(config.spiking?.testSamples ?? data.test.count, data.test.count);
  return { train, spikingTest: spikingCount < data.test.count ? subset(data.test, spikingCount) : data.test };
}

/** The row others are measured against: the first backprop row with the plain setup. */
export function referenceRow(rows: ResolvedRow[]): string | undefined {
  return rows.find((row) => plain(row.options) && !row.options.pc)?.name;
}

const plain = (o: JobSpec) => o.activation !== "softlif" && !o.feedbackAlignment && !o.directFeedbackAlignment && !o.batchNorm;

export async function runComparison(
  config: ExperimentConfig, rows: ResolvedRow[], data: { train: Dataset; test: Dataset }, runtime: Runtime, progress?: CompareProgress,
  checkpoints?: CompareCheckpoints,
): Promise<Omit<CompareResults, "version" | "runtime">> {
  const started = performance.now() - (checkpoints?.elapsed ?? 0) * 1000;
  const { train, spikingTest } = experimentData(config, data);
  const spikingCount = spikingTest.count;
  const work = rows.map(({ options: o }) => o.epochs * train.count * sampleCost(o) + (o.spiking ? spikingCount * o.spiking.time * SPIKING_COST_PER_SECOND : 0));
  const total = work.reduce((a, b) => a + b, 0);
  let before = 0;

  const finished = [...(checkpoints?.done ?? [])];
  const results: RowResult[] = [];
  const snapshots = new Map<string, Map<string, Float32Array>>();
  let raster: CompareResults["figures"]["raster"];
  for (const [r, row] of rows.entries()) {
    const o = row.options;
    const doing = (what: string) => `${row.name} (${r + 1}/${rows.length}) ${what}`;
    const cost = sampleCost(o);
    const report = (units: number, what: string) => progress?.((before + units) / total, doing(what));
    const done = finished[r];
    if (done) {
      if (done.result.name !== row.name) throw new Error(`resume: row ${r + 1} of the checkpoint is ${done.result.name}, the experiment's is ${row.name}`);
      results.push(done.result);
      snapshots.set(row.name, done.weights);
      raster ??= done.raster;
      before += work[r];
      continue;
    }
    report(0, "");
    const resume = r === finished.length ? checkpoints?.resume : undefined;
    let run;
    try {
      run = await runJob(o, { train, test: data.test, spikingTest }, {
        ...(checkpoints ? { checkpoint: { every: checkpoints.every, save: (c: Checkpoint) => checkpoints.saveTraining(row.name, c) } } : {}),
        resume,
        onBatch: (done, _total, epoch) => report(((epoch - 1) * train.count + done) * cost, `epoch ${epoch}/${o.epochs}`),
        onSpikingBatch: (done) => report(o.epochs * train.count * cost + done * o.spiking!.time * SPIKING_COST_PER_SECOND, `spiking ${done}/${spikingCount}`),
      }, runtime);
    } catch (error) {
      const where = `row ${row.name} (${r + 1}/${rows.length}): ${(error as Error).message}`;
      // A divergence keeps its kind and the option to lower, which the CLI words as a flag.
      if (error instanceof DivergenceError) throw new DivergenceError(where, error.option, { cause: error });
      throw new Error(where, { cause: error });
    }
    try {
      const energy = run.model instanceof PCN ? [...run.model.energyTrace] : undefined;
      results.push({
        name: row.name, label: row.label, description: row.description,
        test_accuracy: run.test!.accuracy, test_loss: run.test!.loss,
        ...(run.validation ? { validation_accuracy: run.validation.accuracy, validation_loss: run.validation.loss } : {}),
        train_samples: run.samples.train, validation_samples: run.samples.validation, epochs: o.epochs, seconds: run.seconds,
        seconds_per_epoch: run.seconds / o.epochs, params_sha256: run.paramsSha256, history: epochRecords(run.history),
        ...(run.spiking ? { spiking: run.spiking } : {}), ...(energy ? { energy_trace: energy } : {}),
        config: recordJob(o),
      });
      const weights = new Map(run.network.linearLayers.map((l) => [l.weight, run.network.params.view(l.weight).slice()]));
      snapshots.set(row.name, weights);
      const drew = o.spiking && !raster;
      if (drew) raster = spikeRaster(run.network, row.name, data.test.images, data.test.labels, 0, o.spiking!);
      checkpoints?.saveRow({ result: results[results.length - 1], weights, ...(drew ? { raster } : {}) }, r, (performance.now() - started) / 1000);
    } finally {
      if (run.network !== (run.model instanceof PCN ? run.model.mlp : run.model)) run.network.free();
      run.model.free();
    }
    before += work[r];
  }
  progress?.(1, "figures");

  // Z-IL against backprop (and IL, for contrast): the first rows of each kind with the plain setup.
  const find = (test: (o: JobSpec) => boolean) => rows.find((row) => plain(row.options) && test(row.options))?.name;
  const bp = referenceRow(rows), zil = find((o) => o.pc?.algo === "zil"), il = find((o) => o.pc?.algo === "il");
  const weight_differences = bp && zil && il ? weightDifferences(snapshots.get(bp)!, snapshots.get(zil)!, snapshots.get(il)!) : undefined;

  return {
    command: "compare",
    config: config as unknown as Record<string, unknown>,
    scale: config.name,
    seed: config.seed,
    dataset: config.dataset,
    train_samples: train.count,
    validation_samples: validationCount(config, train.count),
    test_samples: data.test.count,
    seconds: (performance.now() - started) / 1000,
    rows: results,
    figures: {
      rate_curves: rateCurves(runtime, resolveNeuron(config.neuron)),
      ...(raster ? { raster } : {}),
      ...(weight_differences ? { weight_differences } : {}),
    },
  };
}
