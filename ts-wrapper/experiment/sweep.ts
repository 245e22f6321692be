// A sweep's search (issue 15): an experiment config whose rows each say which of their settings to
// tune and over what, with one trial budget for every row so that every method gets the same
// tuning effort, how many seeds each trial trains from (their mean validation accuracy judges it),
// and how many seeds re-run each row's best setting. This file resolves the config and draws the
// trials; choosing the best by validation accuracy and the re-runs are the runner's.
//
//   { ...an experiment config (config.ts)..., "budget": 8, "trialSeeds": 1, "seeds": 5, "search": "random",
//     "rows": [{ "name": "bp", "model": "mlp", "space": { "lr": { "log": [0.005, 0.2] }, "momentum": [0.8, 0.9] } }] }
//
// A dimension is a list of values, or for a number setting { "log": [lo, hi] } / { "uniform":
// [lo, hi] }, or for an integer one { "int": [lo, hi] }. "random" (the default) draws each trial's
// values from the sweep's seed on the row's own stream (STREAMS.sweep + row index: appending a row
// changes no other row's trials); "grid" takes every combination of lists, which must number
// exactly the budget.

import { findSetting } from "../job/spec.js";
import { Rng, STREAMS } from "../ops/rng.js";
import type { Runtime } from "../wasm/load.js";
import { ConfigError, isRowSetting, resolveExperiment, type ExperimentConfig, type ResolvedRow } from "./config.js";

export type Dimension = { values: unknown[] } | { log: [number, number] } | { uniform: [number, number] } | { int: [number, number] };

export interface Sweep {
  config: ExperimentConfig;
  rows: ResolvedRow[];
  budget: number;
  /** Seeds each trial trains from; a trial is judged on the mean of their validation figures. */
  trialSeeds: number;
  seeds: number;
  search: "random" | "grid";
  /** Each row's dimensions, by setting key. */
  spaces: Record<string, Dimension>[];
  /** The raw config without the sweep's keys: what trials resolve against. */
  raw: Record<string, unknown>;
  source: string;
}

export interface Trial {
  row: string;
  /** Its place among the row's trials, from 0. */
  index: number;
  /** The values drawn, by setting key. */
  setting: Record<string, unknown>;
  options: ResolvedRow["options"];
}

/** Check a sweep config (its experiment and its search spaces); errors name `source` and the key. */
export function resolveSweep(raw: unknown, source: string): Sweep {
  const fail = (path: string, what: string): never => {
    throw new ConfigError(`${source}: ${path}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("(top level)", "must be a JSON object");
  const { budget = 8, trialSeeds = 1, seeds = 5, search = "random", rows: rawRows, ...rest } = raw as Record<string, unknown>;
  if (!Number.isInteger(budget) || (budget as number) < 1) fail("budget", `must be an integer ≥ 1 (trials per row), got ${JSON.stringify(budget)}`);
  if (!Number.isInteger(trialSeeds) || (trialSeeds as number) < 1) fail("trialSeeds", `must be an integer ≥ 1 (seeds per trial), got ${JSON.stringify(trialSeeds)}`);
  if (!Number.isInteger(seeds) || (seeds as number) < 1) fail("seeds", `must be an integer ≥ 1, got ${JSON.stringify(seeds)}`);
  if (search !== "random" && search !== "grid") fail("search", `must be "random" or "grid", got ${JSON.stringify(search)}`);
  if (!Array.isArray(rawRows) || rawRows.length === 0) fail("rows", "must be a non-empty array");
  const rowsRaw = (rawRows as unknown[]).map((r) => (typeof r === "object" && r !== null && !Array.isArray(r) ? { ...(r as Record<string, unknown>) } : r));
  const spacesRaw = rowsRaw.map((r) => {
    if (typeof r !== "object" || r === null) return undefined;
    const { space } = r as Record<string, unknown>;
    delete (r as Record<string, unknown>).space;
    return space;
  });
  const experiment = { ...rest, rows: rowsRaw };
  const { config, rows } = resolveExperiment(experiment, source);
  const spaces = spacesRaw.map((space, i) => {
    const at = `rows[${i}] (${rows[i].name}).space`;
    if (space === undefined) return {};
    if (typeof space !== "object" || space === null || Array.isArray(space)) fail(at, "must be an object of setting: values");
    const dims: Record<string, Dimension> = {};
    for (const [key, given] of Object.entries(space as Record<string, unknown>)) {
      const setting = findSetting(key);
      if (!setting || !isRowSetting(key)) fail(`${at}.${key}`, "not a setting a row can tune (model, pc and training settings)");
      dims[key] = dimension(given, setting!.type, (what) => fail(`${at}.${key}`, what));
    }
    if (search === "grid") {
      const points = Object.values(dims).reduce((n, d) => n * ("values" in d ? d.values.length : NaN), 1);
      if (Number.isNaN(points)) fail(at, "a grid takes lists of values only");
      if (points !== budget) fail(at, `the grid has ${points} settings and the budget is ${budget}: every row gets the same number of trials`);
    }
    return dims;
  });
  const sweep: Sweep = { config, rows, budget: budget as number, trialSeeds: trialSeeds as number, seeds: seeds as number, search: search as Sweep["search"], spaces, raw: experiment, source };
  // Every value a trial can take must make a valid row: the lists' values and the ranges' ends.
  spaces.forEach((dims, r) => {
    for (const [key, d] of Object.entries(dims)) {
      const candidates = "values" in d ? d.values : Object.values(d)[0];
      for (const value of candidates as unknown[]) resolveTrial(sweep, r, { [key]: value }, `rows[${r}] (${rows[r].name}).space.${key} = ${JSON.stringify(value)}`);
    }
  });
  return sweep;
}

function dimension(given: unknown, type: string, fail: (what: string) => never): Dimension {
  if (Array.isArray(given)) {
    if (given.length === 0) fail("an empty list");
    return { values: [...given] };
  }
  if (typeof given !== "object" || given === null) fail('must be a list of values, or { "log" | "uniform" | "int": [lo, hi] }');
  const entries = Object.entries(given as Record<string, unknown>);
  if (entries.length !== 1 || !["log", "uniform", "int"].includes(entries[0][0])) fail('must be a list of values, or { "log" | "uniform" | "int": [lo, hi] }');
  const [kind, range] = entries[0];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === "number" && Number.isFinite(v)) || !(range[0] < range[1])) {
    fail(`${kind}: must be [lo, hi] with finite numbers lo < hi`);
  }
  if (kind === "int" && (type !== "int" || !range.every(Number.isInteger))) fail("int: for an integer setting, with integer ends");
  if (kind !== "int" && type !== "number") fail(`${kind}: for a number setting; this one is ${type === "int" ? "an integer (use int)" : `a ${type} (use a list)`}`);
  if (kind === "log" && !(range[0] > 0)) fail("log: the range must be above 0");
  return { [kind]: [range[0], range[1]] } as Dimension;
}

/** The trial row r runs with `setting` over its own: resolved as the experiment resolves its rows. */
function resolveTrial(sweep: Sweep, r: number, setting: Record<string, unknown>, what: string): ResolvedRow["options"] {
  const rows = sweep.raw.rows as Record<string, unknown>[];
  try {
    return resolveExperiment({ ...sweep.raw, rows: [{ ...rows[r], ...setting }] }, sweep.source).rows[0].options;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${sweep.source}: ${what}: ${error.message.slice(sweep.source.length + 2)}`);
  }
}

/** Every row's `budget` trials: the grid's combinations in order, or draws from the seed. */
export function drawTrials(rt: Runtime, sweep: Sweep): Trial[][] {
  return sweep.rows.map((row, r) => {
    const dims = Object.entries(sweep.spaces[r]).sort(([a], [b]) => (a < b ? -1 : 1));
    const settings: Record<string, unknown>[] = [];
    if (sweep.search === "grid") {
      for (let t = 0; t < sweep.budget; t++) {
        let rest = t;
        const setting: Record<string, unknown> = {};
        for (let k = dims.length - 1; k >= 0; k--) {
          const values = (dims[k][1] as { values: unknown[] }).values;
          setting[dims[k][0]] = values[rest % values.length];
          rest = Math.floor(rest / values.length);
        }
        settings.push(setting);
      }
    } else {
      const rng = new Rng(rt, sweep.config.seed, STREAMS.sweep + r);
      try {
        for (let t = 0; t < sweep.budget; t++) {
          settings.push(Object.fromEntries(dims.map(([key, d]) => [key, draw(d, rng.nextU32() / 2 ** 32)])));
        }
      } finally {
        rng.free();
      }
    }
    return settings.map((setting, index) => ({
      row: row.name, index, setting, options: resolveTrial(sweep, r, setting, `rows[${r}] (${row.name}) trial ${index} ${JSON.stringify(setting)}`),
    }));
  });
}

// u in [0, 1). Drawn numbers keep 4 significant digits: settings a report can print and a user retype.
function draw(d: Dimension, u: number): unknown {
  if ("values" in d) return d.values[Math.floor(u * d.values.length)];
  if ("int" in d) return d.int[0] + Math.floor(u * (d.int[1] - d.int[0] + 1));
  const x = "log" in d ? Math.exp(Math.log(d.log[0]) + u * (Math.log(d.log[1]) - Math.log(d.log[0]))) : d.uniform[0] + u * (d.uniform[1] - d.uniform[0]);
  const [lo, hi] = "log" in d ? d.log : d.uniform;
  return Math.min(hi, Math.max(lo, Number(x.toPrecision(4))));
}
