// Property-based fuzzing of sweep configs (resolveSweep, drawTrials) with fast-check: any JSON
// value, and the shipped sweep configs with their sweep keys and search spaces replaced by random
// JSON, deleted or added, must either fail with a ConfigError naming the file, or give every row
// `budget` trials whose drawn values lie in their dimensions and make rows a trainer can take.
// Runs: FUZZ_RUNS / 10 (default 1 000 per property: every candidate value is resolved as a row); seed: FUZZ_SEED.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { mutate } from "../helpers/mutate.js";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../ts-wrapper/experiment/config.js";
import { drawTrials, resolveSweep, type Sweep } from "../../ts-wrapper/experiment/sweep.js";
import { init, type Runtime } from "../../ts-wrapper/index.js";

const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_RUNS ?? 10_000) / 10));
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
const FILE = "fuzz/odd ü sweep.json";
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8"));
const SHIPPED = [load("sweep-quick.json"), load("sweep-thesis.json")];

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

function check(raw: unknown): void {
  let sweep: Sweep;
  try {
    sweep = resolveSweep(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(`${FILE}: `)).toBe(true);
    return;
  }
  expect(Number.isInteger(sweep.budget) && sweep.budget >= 1).toBe(true);
  expect(Number.isInteger(sweep.seeds) && sweep.seeds >= 1).toBe(true);
  expect(Number.isInteger(sweep.trialSeeds) && sweep.trialSeeds >= 1).toBe(true);
  const trials = drawTrials(rt, sweep);
  expect(trials).toHaveLength(sweep.rows.length);
  trials.forEach((row, r) => {
    expect(row).toHaveLength(sweep.budget);
    for (const trial of row) {
      for (const [key, value] of Object.entries(trial.setting)) {
        const d = sweep.spaces[r][key] as Record<string, unknown>;
        if ("values" in d) expect(d.values).toContainEqual(value);
        else {
          const [lo, hi] = Object.values(d)[0] as [number, number];
          expect(value as number).toBeGreaterThanOrEqual(lo);
          expect(value as number).toBeLessThanOrEqual(hi);
          if ("int" in d) expect(Number.isInteger(value)).toBe(true);
        }
      }
      const o = trial.options;
      expect(Number.isFinite(o.lr) && o.lr > 0).toBe(true);
      expect(o.momentum >= 0 && o.momentum < 1).toBe(true);
      expect(Number.isInteger(o.batchSize) && o.batchSize >= 1).toBe(true);
      if (o.pc) expect(Number.isInteger(o.pc.T) && o.pc.T >= 1 && o.pc.gamma > 0).toBe(true);
    }
  });
}

const json = fc.jsonValue({ maxDepth: 4 });
const oddValue = fc.oneof(
  json,
  fc.constantFrom(0, -1, 1.5, 1e300, -1e-300, 2 ** 32, "", "grid", "random", null, true, [], {}, [0.1], [1, 2], [0.01, 0.1], "__proto__"),
  fc.constantFrom("log", "uniform", "int", "values").chain((kind) => fc.tuple(oddValue0(), oddValue0()).map((range) => ({ [kind]: range }))),
);
function oddValue0() {
  return fc.oneof(fc.double(), fc.integer({ min: -3, max: 300 }), fc.constantFrom(0, 1e-9, 0.5, 0.999999, 1, 2, 64));
}

const SPACE_KEYS = ["lr", "momentum", "gamma", "T", "batchSize", "weightDecay", "lrSchedule", "optimizer", "algo", "seed", "layers", "model", "spiking", "bogus"];

function paths(config: Record<string, any>): fc.Arbitrary<(string | number)[]> {
  return fc.oneof(
    fc.constantFrom("budget", "trialSeeds", "seeds", "search", "rows", "unknownKey").map((k) => [k]),
    fc.tuple(fc.nat({ max: config.rows.length }), fc.constantFrom("space", "name", "model")).map(([i, k]) => ["rows", i, k]),
    fc.tuple(fc.nat({ max: config.rows.length - 1 }), fc.constantFrom(...SPACE_KEYS)).map(([i, k]) => ["rows", i, "space", k]),
  );
}

const options = { numRuns: RUNS, seed: SEED };

describe("fuzz: resolveSweep", () => {
  it("the shipped sweep configs resolve and draw (the oracle accepts good input)", () => {
    for (const config of SHIPPED) check(config);
    for (const config of SHIPPED) expect(() => resolveSweep(config, FILE)).not.toThrow();
  });

  it("any JSON value: a ConfigError naming the file, or usable trials", () => {
    fc.assert(fc.property(json, (raw) => check(raw)), options);
  });

  it("the shipped sweep configs with up to three values replaced, deleted or added", () => {
    const mutation = (config: Record<string, any>) =>
      fc.array(fc.tuple(paths(config), fc.option(oddValue, { nil: undefined, freq: 5 })), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.constantFrom(...SHIPPED).chain((config) => mutation(config).map((changes) => ({ config, changes }))), ({ config, changes }) => {
        let raw: unknown = config;
        for (const [path, value] of changes) raw = mutate(raw as Record<string, any>, path, value);
        check(raw);
      }),
      options,
    );
  });
});
