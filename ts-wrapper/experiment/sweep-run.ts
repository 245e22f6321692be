// Running a sweep (issue 15): every row's trials, each trained on the training set less the
// validation split and judged by validation accuracy alone; then each row's best setting trained
// again from `seeds` seeds on the whole training set and read once on the test set. The work is a
// list of tasks, each a whole job that gives the same bits wherever it runs, so a runner may run
// them in this process, in worker processes or on machines pulling from a queue, in any order:
// the results are keyed by task and the sweep's figures read them in the tasks' order.

import type { Dataset } from "../datasets/dataset.js";
import { DivergenceError } from "../errors.js";
import type { SpikingRecord } from "../evaluation/spiking.js";
import { epochRecords, runJob, type EpochRecord, type JobHooks } from "../job/run.js";
import { recordJob, type JobSpec } from "../job/spec.js";
import { PCN } from "../models/pcn.js";
import type { Runtime } from "../wasm/load.js";
import { experimentData, referenceRow } from "./compare.js";
import { pairedDifference, summarize, type SeedSummary } from "./stats.js";
import { drawTrials, type Sweep, type Trial } from "./sweep.js";

/** One job of a sweep: a trial of a row's search, or a seed's run of its best setting. */
export interface SweepTask {
  /** Unique in the sweep: "<row>/trial-<i>" (a trial's further seeds: "<row>/trial-<i>/seed-<k>") or "<row>/seed-<k>". */
  key: string;
  row: string;
  kind: "trial" | "seed";
  /** The trial's place in its row's search, or the seed's among the re-runs. */
  index: number;
  /** The values the search chose (for a seed's run: its row's best). */
  setting: Record<string, unknown>;
  spec: JobSpec;
}

/** What a task produced: figures on the split it was judged on, or the divergence that ended it. */
export interface TaskResult {
  key: string;
  seed: number;
  params_sha256?: string;
  /** Why training stopped (a trial that diverges loses its row's search; it is no failure of the sweep). */
  diverged?: string;
  validation_accuracy?: number;
  validation_loss?: number;
  test_accuracy?: number;
  test_loss?: number;
  spiking?: SpikingRecord;
  train_samples: number;
  validation_samples: number;
  seconds: number;
  history: EpochRecord[];
  /** The job as it ran (recordJob): a resumed sweep runs a task again whose job now resolves otherwise. Absent in older files. */
  job?: Record<string, unknown>;
}

/** The data of a sweep's tasks, as loaded by whoever runs them. */
export interface SweepData {
  train: Dataset;
  test: Dataset;
}

/** Runs tasks somewhere and hands back each result as it comes (in any order). */
export interface TaskRunner {
  run(tasks: SweepTask[], events: { started(task: SweepTask): void; finished(result: TaskResult): void }): Promise<void>;
}

/** A row of the sweep's report: the setting chosen, and its figures over seeds. */
export interface SweepRow {
  name: string;
  label: string;
  /** The chosen trial; its validation figures are the mean over its trial seeds. */
  best: { trial: number; setting: Record<string, unknown>; validation_accuracy: number; validation_loss: number };
  /** The rate network's test accuracy over the seeds (a spiking row's simulation is `spiking_accuracy`). */
  test_accuracy: SeedSummary;
  test_loss: SeedSummary;
  spiking_accuracy?: SeedSummary;
  /** Test accuracy minus the reference row's, seed by seed. */
  difference?: { against: string; test_accuracy: SeedSummary };
  /** Training loss and test accuracy after each epoch, mean and std over seeds. */
  curves: { epoch: number; loss: { mean: number; std: number }; test_accuracy: { mean: number; std: number } }[];
  /** Seeds whose run diverged (left out of the figures). */
  diverged: number;
  /** Search trials that diverged: a row whose space is mostly unstable had fewer real trials. */
  trials_diverged: number;
}

/** The key of trial `index`'s run from its k-th seed: the first keeps the plain key a one-seed trial has. */
export function trialKey(row: string, index: number, k = 0): string {
  return k === 0 ? `${row}/trial-${index}` : `${row}/trial-${index}/seed-${k}`;
}

/**
 * Every row's trials as tasks, each from `trialSeeds` seeds (the sweep's seed, then the next ones).
 * A trial never simulates spikes: it is judged on the rate network.
 */
export function searchTasks(sweep: Sweep, trials: Trial[][]): SweepTask[] {
  return trials.flat().flatMap((t) => {
    const { spiking: _s, ...spec } = t.options;
    return Array.from({ length: sweep.trialSeeds }, (_, k): SweepTask => ({
      key: trialKey(t.row, t.index, k), row: t.row, kind: "trial", index: t.index, setting: t.setting, spec: { ...(spec as JobSpec), seed: spec.seed + k },
    }));
  });
}

/** A trial's runs, one per trial seed; a missing one is an error naming it. */
function trialRuns(sweep: Sweep, row: string, index: number, results: Map<string, TaskResult>): TaskResult[] {
  return Array.from({ length: sweep.trialSeeds }, (_, k) => {
    const result = results.get(trialKey(row, index, k));
    if (!result) throw new Error(`sweep: no result for ${row} trial ${index}${k ? ` from its seed ${k}` : ""}`);
    return result;
  });
}

/** A trial's score: the mean validation accuracy and loss over its seeds, or undefined if any seed diverged. */
export function trialScore(runs: TaskResult[]): { accuracy: number; loss: number } | undefined {
  if (runs.some((r) => r.diverged !== undefined)) return undefined;
  const mean = (pick: (r: TaskResult) => number) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  return { accuracy: mean((r) => r.validation_accuracy!), loss: mean((r) => r.validation_loss!) };
}

/** Each row's best trial re-run from `seeds` seeds (the sweep's seed, then the next ones) on the whole training set. */
export function seedTasks(sweep: Sweep, trials: Trial[][], best: number[]): SweepTask[] {
  return sweep.rows.flatMap((row, r) => {
    const trial = trials[r][best[r]];
    return Array.from({ length: sweep.seeds }, (_, k): SweepTask => ({
      key: `${row.name}/seed-${k}`, row: row.name, kind: "seed", index: k, setting: trial.setting,
      spec: { ...trial.options, seed: sweep.config.seed + k, validation: 0 },
    }));
  });
}

/** The best trial of each row: the highest validation accuracy, then the lowest validation loss, then the first. */
export function chooseBest(sweep: Sweep, trials: Trial[][], results: Map<string, TaskResult>): number[] {
  return sweep.rows.map((row, r) => {
    let best = -1;
    let score: [number, number] = [-Infinity, Infinity];
    for (const trial of trials[r]) {
      const scored = trialScore(trialRuns(sweep, row.name, trial.index, results));
      if (!scored) continue;
      const { accuracy, loss } = scored;
      if (accuracy > score[0] || (accuracy === score[0] && loss < score[1])) [best, score] = [trial.index, [accuracy, loss]];
    }
    if (best < 0) throw new Error(`sweep: every one of the ${trials[r].length} trials of row ${row.name} diverged; narrow its space (lower learning rates, say)`);
    return best;
  });
}

/** Run one task on loaded data. A divergence is a result; any other failure is thrown, naming the task. */
export async function runTask(task: SweepTask, data: SweepData, config: SweepTaskData, runtime?: Runtime, hooks: JobHooks = {}): Promise<TaskResult> {
  const { train, spikingTest } = experimentData(config, data);
  const seed = task.spec.seed;
  const started = performance.now();
  try {
    const run = await runJob(task.spec, task.kind === "trial" ? { train } : { train, test: data.test, spikingTest }, hooks, runtime);
    try {
      return {
        key: task.key, seed, params_sha256: run.paramsSha256,
        ...(run.validation ? { validation_accuracy: run.validation.accuracy, validation_loss: run.validation.loss } : {}),
        ...(run.test ? { test_accuracy: run.test.accuracy, test_loss: run.test.loss } : {}),
        ...(run.spiking ? { spiking: run.spiking } : {}),
        train_samples: run.samples.train, validation_samples: run.samples.validation, seconds: run.seconds, history: epochRecords(run.history),
      };
    } finally {
      if (run.network !== (run.model instanceof PCN ? run.model.mlp : run.model)) run.network.free();
      run.model.free();
    }
  } catch (error) {
    if (error instanceof DivergenceError) return { key: task.key, seed, diverged: error.message, train_samples: 0, validation_samples: 0, seconds: (performance.now() - started) / 1000, history: [] };
    throw new Error(`${task.key}: ${(error as Error).message}`, { cause: error });
  }
}

/** What a task needs of the experiment besides its spec: which data, and how much of it. */
export interface SweepTaskData {
  dataset: Sweep["config"]["dataset"];
  dataDir?: string | null;
  trainSamples?: number | null;
  spiking?: { testSamples?: number | null };
}

/** Runs tasks one after another in this process. */
export function inProcessRunner(config: SweepTaskData, data: SweepData, runtime?: Runtime): TaskRunner {
  return {
    async run(tasks, events) {
      for (const task of tasks) {
        events.started(task);
        events.finished(await runTask(task, data, config, runtime));
      }
    },
  };
}

/** What a progress report is about. */
export type SweepEvent = "phase" | "started" | "finished" | "stale";

export interface SweepProgress {
  /** After a phase starts, a task starts or finishes, or a done task is found stale and will run again (`last`: its key). */
  (state: { done: number; running: number; left: number; phase: "search" | "seeds"; event: SweepEvent; last?: string }): void;
}

/**
 * The whole sweep: the search, the choice, the seeds' runs. `done` holds results of an earlier run
 * of the same sweep (they are not run again) and gains every new one; `save` is called after each.
 */
export async function runSweep(sweep: Sweep, runtime: Runtime, runner: TaskRunner, done: Map<string, TaskResult>, save: () => void, progress?: SweepProgress) {
  const trials = drawTrials(runtime, sweep);
  const search = searchTasks(sweep, trials);
  const total = search.length + sweep.rows.length * sweep.seeds;
  let running = 0;
  const report = (phase: "search" | "seeds", event: SweepEvent, last?: string) =>
    progress?.({ done: done.size, running, left: total - done.size - running, phase, event, ...(last ? { last } : {}) });
  const phase = async (tasks: SweepTask[], name: "search" | "seeds") => {
    // A result of an earlier run whose job no longer resolves the same (a default moved since) is
    // not this sweep's: it runs again rather than mix two recipes in one table.
    for (const t of tasks) {
      const job = done.get(t.key)?.job;
      if (job && JSON.stringify(job) !== JSON.stringify(recordJob(t.spec))) {
        done.delete(t.key);
        report(name, "stale", t.key);
      }
    }
    const todo = tasks.filter((t) => !done.has(t.key));
    report(name, "phase");
    await runner.run(todo, {
      started: () => {
        running++;
        report(name, "started");
      },
      finished: (result) => {
        const task = todo.find((t) => t.key === result.key);
        if (!task) throw new Error(`sweep: a result for ${result.key}, which was not asked for`);
        running = Math.max(0, running - 1);
        done.set(result.key, { ...result, job: recordJob(task.spec) });
        save();
        report(name, "finished", result.key);
      },
    });
    const missing = todo.filter((t) => !done.has(t.key));
    if (missing.length) throw new Error(`sweep: the runner ended without results for ${missing.map((t) => t.key).join(", ")}`);
  };
  await phase(search, "search");
  const best = chooseBest(sweep, trials, done);
  const seeds = seedTasks(sweep, trials, best);
  await phase(seeds, "seeds");
  return { trials, search, seeds, best, rows: summarizeSweep(sweep, trials, best, done) };
}

/** Each row's report: its best setting, its test figures over seeds, its difference to the reference row. */
export function summarizeSweep(sweep: Sweep, trials: Trial[][], best: number[], results: Map<string, TaskResult>): SweepRow[] {
  const runsOf = (name: string) => Array.from({ length: sweep.seeds }, (_, k) => results.get(`${name}/seed-${k}`)!);
  const reference = referenceRow(sweep.rows);
  const finite = (runs: TaskResult[]) => runs.filter((r) => r.diverged === undefined);
  const refRuns = reference ? runsOf(reference) : [];
  return sweep.rows.map((row, r): SweepRow => {
    const runs = runsOf(row.name);
    const ok = finite(runs);
    if (ok.length === 0) throw new Error(`sweep: every seed's run of row ${row.name} diverged`);
    const chosen = trialScore(trialRuns(sweep, row.name, best[r], results))!;
    const trialsDiverged = trials[r].filter((t) => !trialScore(trialRuns(sweep, row.name, t.index, results))).length;
    const spiking = ok.every((run) => run.spiking) ? summarize(ok.map((run) => run.spiking!.accuracy)) : undefined;
    // Pairs where neither run diverged.
    const pairs = runs.map((run, k) => [run, refRuns[k]] as const).filter(([a, b]) => a.diverged === undefined && b?.diverged === undefined);
    const difference = reference && reference !== row.name && pairs.length
      ? { against: reference, test_accuracy: pairedDifference(pairs.map(([a]) => a.test_accuracy!), pairs.map(([, b]) => b.test_accuracy!)) }
      : undefined;
    const epochs = Math.min(...ok.map((run) => run.history.length));
    const curves = Array.from({ length: epochs }, (_, e) => {
      const band = (pick: (h: EpochRecord) => number | undefined) => {
        const { mean, std } = summarize(ok.map((run) => pick(run.history[e]) ?? NaN));
        return { mean, std };
      };
      return { epoch: e + 1, loss: band((h) => h.loss), test_accuracy: band((h) => h.test_accuracy) };
    });
    return {
      name: row.name, label: row.label,
      best: { trial: best[r], setting: trials[r][best[r]].setting, validation_accuracy: chosen.accuracy, validation_loss: chosen.loss },
      test_accuracy: summarize(ok.map((run) => run.test_accuracy!)), test_loss: summarize(ok.map((run) => run.test_loss!)),
      ...(spiking ? { spiking_accuracy: spiking } : {}), ...(difference ? { difference } : {}), curves, diverged: runs.length - ok.length, trials_diverged: trialsDiverged,
    };
  });
}
