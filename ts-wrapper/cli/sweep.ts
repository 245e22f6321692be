// bioplausible sweep: a fair comparison. Every row of a sweep config (experiment/sweep.ts) gets the
// same number of trials, each judged on the validation split alone; each row's best setting is then
// trained from several seeds on the whole training set and read once on the test set. Tasks run in
// local worker processes, or on machines pulling them from Redis (--queue). <out>/sweep.json holds
// every result as it comes, so a run stopped at any point carries on with --resume.

import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../experiment/config.js";
import { referenceRow } from "../experiment/compare.js";
import { runSweep, type SweepRow, type SweepTask, type TaskResult, type TaskRunner } from "../experiment/sweep-run.js";
import { resolveSweep, type Sweep } from "../experiment/sweep.js";
import { divergedText, renderSweepReport } from "../report/sweep.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { checkSameRun, checkWritable, writeFileAtomic } from "./files.js";
import { formatDuration } from "./progress.js";
import { DEFAULT_QUEUE, QueueRunner, queueUrl, sweepIdentity } from "./queue.js";
import { emitResult, info, percent, provenance, jsonFlag } from "./report.js";
import { TaskProcesses, type TaskOrder } from "./task-process.js";
import { startRuntime, threadsText } from "./threads.js";
import { VERSION } from "../version.js";

export const sweepFlags = {
  config: { type: "string", required: true, help: "sweep config (JSON): an experiment config with budget, trialSeeds, seeds, search and each row's space" },
  out: { type: "string", default: "sweep", help: "directory for sweep.json and report.html (created if missing)" },
  "data-dir": { type: "string", help: "directory with the data set's files, overriding the config's dataDir (a queue's workers may give their own)" },
  processes: { type: "int", min: 1, max: 256, help: "tasks run side by side in local worker processes (default: one per core, at most one per task)" },
  threads: { type: "int", min: 1, max: 256, help: "threads of each worker process (default: the cores shared between the processes); the results are the same bits at any count" },
  queue: { type: "string", help: "redis://HOST:PORT: put the tasks on this Redis for `bioplausible worker --queue` on any machine to run, instead of running them here" },
  "queue-name": { type: "string", default: DEFAULT_QUEUE, help: "the queue's name on that Redis" },
  "queue-timeout": { type: "int", min: 1, default: 60, help: "seconds Redis may be unreachable before the sweep stops (saving what it has; --resume carries it on)" },
  "checkpoint-every": { type: "int", min: 1, default: 200, help: "batches between checkpoints of the local tasks in training (in <out>/checkpoints/; a resumed sweep carries them on)" },
  resume: { type: "boolean", help: "carry on a sweep stopped before its end from <out>/sweep.json, to the same bits" },
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const sweepHelp = helpText("sweep", "Tune every row of a sweep config with the same budget on a validation split, then run each row's best setting from several seeds.", sweepFlags);

/** The state sweep.json keeps while a sweep runs, and the results it holds at the end. */
interface SweepFile {
  command: "sweep";
  complete: boolean;
  run: { sweep: unknown };
  results: TaskResult[];
}

export async function sweepCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, sweepFlags, "sweep");
  if (f.help) return void process.stdout.write(`${sweepHelp}\n`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(f.config, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--config: cannot read ${f.config}: ${code ?? (error as Error).message}`);
  }
  let sweep: Sweep;
  try {
    sweep = resolveSweep(raw, f.config);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config: ${error.message}`);
    throw error;
  }
  const url = f.queue !== undefined ? queueUrl(f.queue) : undefined;
  if (url && (f.processes !== undefined || f.threads !== undefined)) throw new UsageError(`--${f.processes !== undefined ? "processes" : "threads"}: a queue's workers choose their own (give it to bioplausible worker)`);
  try {
    mkdirSync(f.out, { recursive: true });
  } catch (error) {
    throw new UsageError(`--out: cannot create directory ${f.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const file = join(f.out, "sweep.json");
  const reportFile = join(f.out, "report.html");
  await checkWritable(file, "--out");
  await checkWritable(reportFile, "--out");

  const run = { sweep: raw };
  const done = new Map<string, TaskResult>();
  if (existsSync(file)) {
    const state = readState(file);
    if (f.resume) {
      const added = checkSameSweep(state.run, run, file);
      for (const result of state.results) done.set(result.key, result);
      info(`resuming the sweep in ${file}: ${done.size} tasks done${added ? `, ${added} row${added === 1 ? "" : "s"} added` : ""}`);
    } else {
      info(`${file} holds ${state.complete ? "a finished" : "an unfinished"} sweep; starting again (--resume carries an unfinished one on)`);
    }
  }

  const config = sweep.config;
  const data = { dataset: config.dataset, dataDir: f.dataDir ?? config.dataDir ?? null, trainSamples: config.trainSamples, spiking: { testSamples: config.spiking?.testSamples ?? null } };
  const checkpoints = join(f.out, "checkpoints");
  const order = (task: SweepTask): TaskOrder => url ? { task, data } : { task, data, checkpoint: { file: join(checkpoints, `${task.key.replace(/\//g, ".")}.ckpt`), every: f.checkpointEvery } };
  const tasks = sweep.rows.length * (sweep.budget * sweep.trialSeeds + sweep.seeds);
  const cores = availableParallelism();
  const processes = Math.min(f.processes ?? cores, tasks);
  const threads = f.threads ?? Math.max(1, Math.floor(cores / processes));
  let runner: TaskRunner & { close(): void | Promise<void> };
  if (url) runner = await QueueRunner.open(url, f.queueName, sweepIdentity(run), order, f.queueTimeout);
  else {
    mkdirSync(checkpoints, { recursive: true });
    runner = new TaskProcesses(processes, threads, order);
  }
  const where = url ? `the queue ${f.queueName} on ${url.protocol}//${url.host}` : `${processes} local process${processes === 1 ? "" : "es"} of ${threadsText(threads)}`;
  info(`sweep "${config.name}" (${f.config}): ${sweep.rows.length} rows × (${sweep.budget} ${sweep.search} trials${sweep.trialSeeds > 1 ? ` × ${sweep.trialSeeds} seeds` : ""} + ${sweep.seeds} seeds) = ${tasks} tasks on ${where}`);

  const runtime = await startRuntime(1);
  const started = performance.now();
  const before = done.size;
  const save = () => writeState(file, { command: "sweep", complete: false, run, results: [...done.values()] });
  let outcome;
  try {
    outcome = await runSweep(sweep, runtime, runner, done, save, ({ done: n, running, left, phase, event, last }) => {
      if (event === "started") return;
      if (event === "stale") return info(`${last}: its job resolves differently now than when it ran (a default has moved since): running it again`);
      const seconds = (performance.now() - started) / 1000;
      const rate = (n - before) / seconds;
      const eta = rate > 0 ? formatDuration((left + running) / rate) : "--:--";
      const what = last ? ` — ${last}${describe(done.get(last))}` : "";
      info(`sweep (${phase}): ${n}/${tasks} done, ${running} running, ${left} left, ETA ${eta}${what}`);
    });
  } finally {
    await runner.close();
  }
  try {
    rmdirSync(checkpoints); // each task removes its own checkpoint when it ends; the directory goes with the last
  } catch {
    // Not there (a queue's sweep), or holding something else: leave it.
  }
  const ordered = [...outcome.search, ...outcome.seeds].map((t) => done.get(t.key)!);
  const results = {
    command: "sweep", complete: true, run,
    name: config.name, dataset: config.dataset, seed: config.seed, budget: sweep.budget, trial_seeds: sweep.trialSeeds, seeds: sweep.seeds, search: sweep.search,
    reference: referenceRow(sweep.rows) ?? null,
    rows: outcome.rows,
    trials: outcome.search.map((t) => ({ row: t.row, trial: t.index, setting: t.setting, ...done.get(t.key)! })),
    runs: outcome.seeds.map((t) => ({ row: t.row, seed_index: t.index, setting: t.setting, ...done.get(t.key)! })),
    results: ordered,
    seconds: (performance.now() - started) / 1000,
    // The work in all, over every session of a resumed sweep and every process or worker.
    task_seconds: ordered.reduce((sum, t) => sum + t.seconds, 0),
    ...provenance(url ? [] : threads),
    version: VERSION,
  };
  writeFileAtomic(file, `${JSON.stringify(results, null, 1)}\n`);
  writeFileAtomic(reportFile, await renderSweepReport(results));
  info(`wrote ${file} and ${reportFile}`);
  const { results: _all, ...summary } = results;
  emitResult(f.json, summary, table(sweep, outcome.rows));
}

function describe(result: TaskResult | undefined): string {
  if (!result) return "";
  if (result.diverged !== undefined) return ": diverged";
  if (result.test_accuracy !== undefined) return `: test ${percent(result.test_accuracy)}`;
  return result.validation_accuracy !== undefined ? `: validation ${percent(result.validation_accuracy)}` : "";
}

function readState(file: string): SweepFile {
  let state: SweepFile;
  try {
    state = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`--out: cannot read ${file} (${(error as Error).message}); move it away to start a new sweep there`);
  }
  const valid = typeof state === "object" && state !== null && state.command === "sweep" && Array.isArray(state.results) &&
    state.results.every((r) => typeof r?.key === "string");
  if (!valid) throw new UsageError(`--out: ${file} is not a sweep's file (expected command "sweep" and its results); move it away to start a new sweep there`);
  return state;
}

/**
 * Whether the recorded sweep is this one, or this one less rows appended since: a row draws its
 * trials on its own stream, so the rows already run keep their trials, bests and seeds and only the
 * new rows run. Returns how many rows were added; anything else that differs is refused by name.
 */
function checkSameSweep(recorded: unknown, run: { sweep: unknown }, file: string): number {
  const rows = (run.sweep as { rows?: unknown }).rows;
  const had = (recorded as { sweep?: { rows?: unknown } } | null)?.sweep?.rows;
  const added = Array.isArray(rows) && Array.isArray(had) && had.length < rows.length ? rows.length - had.length : 0;
  const asIf = added ? { ...(recorded as object), sweep: { ...(recorded as { sweep: object }).sweep, rows: [...(had as unknown[]), ...(rows as unknown[]).slice(-added)] } } : recorded;
  checkSameRun(asIf, run, file);
  return added;
}

function writeState(file: string, state: SweepFile): void {
  writeFileAtomic(file, `${JSON.stringify(state)}\n`);
}

const pm = (s: { mean: number; std: number }) => `${(s.mean * 100).toFixed(2)} ± ${(s.std * 100).toFixed(2)}`;
const interval = (ci: [number, number]) => `[${(ci[0] * 100).toFixed(2)}, ${(ci[1] * 100).toFixed(2)}]`;

/** The table: per row its chosen setting, test accuracy over seeds, and its difference to the reference. */
export function table(sweep: Sweep, rows: SweepRow[]): string {
  const reference = rows.find((r) => !r.difference && rows.some((o) => o.difference?.against === r.name))?.name;
  const spiking = rows.some((r) => r.spiking_accuracy);
  const header = ["method", "best setting", "val acc", "test acc %", "95 % CI", ...(reference ? [`− ${reference} (95 % CI)`] : []), ...(spiking ? ["spiking %"] : [])];
  const cells = [header, ...rows.map((r) => [
    r.label, Object.entries(r.best.setting).map(([k, v]) => `${k}=${v}`).join(" ") || "(as given)", percent(r.best.validation_accuracy),
    pm(r.test_accuracy), interval(r.test_accuracy.ci95),
    ...(reference ? [r.difference ? `${(r.difference.test_accuracy.mean * 100).toFixed(2)} ${interval(r.difference.test_accuracy.ci95)}` : ""] : []),
    ...(spiking ? [r.spiking_accuracy ? pm(r.spiking_accuracy) : ""] : []),
  ])];
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const text = cells.map((row) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd());
  text.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const diverged = rows.flatMap((r) => {
    const text = divergedText(r, sweep.budget, sweep.seeds);
    return text ? [`${r.name}: ${text} diverged (the figures stand on the rest)`] : [];
  });
  return [
    `sweep "${sweep.config.name}": ${sweep.budget} ${sweep.search} trials per row chosen on validation${sweep.trialSeeds > 1 ? ` (the mean over ${sweep.trialSeeds} seeds each)` : ""}, then ${sweep.seeds} seeds (${sweep.config.seed}…${sweep.config.seed + sweep.seeds - 1}) on the whole training set; test accuracy mean ± std`,
    ...text, ...diverged,
  ].join("\n");
}
