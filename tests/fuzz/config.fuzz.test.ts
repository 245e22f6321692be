// Property-based fuzzing of experiment configs (resolveExperiment) with fast-check: any JSON value,
// and the shipped configs with keys replaced by random JSON, deleted or added, must either resolve
// to rows a trainer can take or fail with a ConfigError naming the file — never another error.
// Runs: FUZZ_RUNS (default 10 000 per property); seed: FUZZ_SEED.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { mutate } from "../helpers/mutate.js";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveExperiment } from "../../ts-wrapper/experiment/config.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FILE = "fuzz/odd ü config.json";
const QUICK = JSON.parse(readFileSync(new URL("../../examples/compare-quick.json", import.meta.url), "utf8"));
const FULL = JSON.parse(readFileSync(new URL("../../examples/compare-full.json", import.meta.url), "utf8"));

/** The oracle: a ConfigError naming the file, or resolved rows whose every option is usable. */
function check(raw: unknown): void {
  let resolved;
  try {
    resolved = resolveExperiment(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(`${FILE}: `)).toBe(true);
    return;
  }
  const { config, rows } = resolved;
  expect(rows.length).toBeGreaterThan(0);
  expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  for (const { name, label, options: o } of rows) {
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(typeof label).toBe("string");
    expect(o.layers).toEqual(config.layers);
    expect(o.layers.every((w) => Number.isInteger(w) && w >= 1)).toBe(true);
    for (const v of [o.epochs, o.batchSize]) expect(Number.isInteger(v) && v >= 1).toBe(true);
    expect(Number.isFinite(o.lr) && o.lr > 0).toBe(true);
    expect(o.momentum >= 0 && o.momentum < 1).toBe(true);
    expect(Number.isFinite(o.weightDecay) && o.weightDecay >= 0).toBe(true);
    expect(Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32).toBe(true);
    if (o.pc) expect(Number.isInteger(o.pc.T) && o.pc.T >= 1 && o.pc.gamma > 0 && o.pc.tolerance >= 0).toBe(true);
    if (o.spiking) {
      expect(o.activation).toBe("softlif");
      // t_ref = 0 (NIR's neuron) fires at most once a step at any dt; else dt must be below t_ref.
      expect(o.spiking.dt > 0 && o.spiking.time > 0 && (o.neuron!.tRef === 0 || o.spiking.dt < o.neuron!.tRef)).toBe(true);
    }
    if (o.activation === "softlif") {
      const { voltageFloor, ...numbers } = o.neuron!;
      expect(Object.values(numbers).every((v) => Number.isFinite(v)) && numbers.tRef >= 0).toBe(true);
      expect(voltageFloor === undefined || typeof voltageFloor === "boolean").toBe(true);
    }
  }
}

/** JSON values, including the awkward ones: huge and tiny numbers, odd strings, deep nesting. */
const json = fc.jsonValue({ maxDepth: 4 });
const oddValue = fc.oneof(
  json,
  fc.constantFrom(0, -1, 1.5, 1e300, -1e-300, 2 ** 32, 2 ** 53 + 1, "", "NaN", "1e999", null, true, [], {}, "__proto__"),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** A path into a config: a top-level key, a key of one of its rows, or of neuron / spiking. */
function paths(config: Record<string, any>): fc.Arbitrary<(string | number)[]> {
  const top = Object.keys(config).concat(["seed", "dataDir", "trainSamples", "unknownKey"]);
  const rowKeys = ["name", "label", "model", "activation", "batchNorm", "feedbackAlignment", "algo", "T", "gamma", "tolerance", "epochs",
    "batchSize", "lr", "lrSchedule", "momentum", "optimizer", "weightDecay", "outputLoss", "spiking", "bogus"];
  return fc.oneof(
    fc.constantFrom(...top).map((k) => [k]),
    fc.tuple(fc.nat({ max: config.rows.length }), fc.constantFrom(...rowKeys)).map(([i, k]) => ["rows", i, k]),
    fc.constantFrom("preset", "tauRc", "tRef", "amplitude", "gain", "smoothing", "x").map((k) => ["neuron", k]),
    fc.constantFrom("time", "dt", "encoding", "readout", "synapse", "tauS", "seed", "testSamples", "checkpoints", "batchSize", "y").map((k) => ["spiking", k]),
  );
}

const options = { numRuns: RUNS, seed: SEED };

describe("fuzz: resolveExperiment", () => {
  it("the shipped configs resolve (the oracle accepts good input)", () => {
    for (const config of [QUICK, FULL]) expect(() => resolveExperiment(config, FILE)).not.toThrow();
    check(QUICK);
  });

  it("any JSON value: a ConfigError naming the file, or a usable config", () => {
    fc.assert(fc.property(json, (raw) => check(raw)), options);
  });

  it("the shipped configs with up to three values replaced, deleted or added", () => {
    const mutation = (config: Record<string, any>) =>
      fc.array(fc.tuple(paths(config), fc.option(oddValue, { nil: undefined, freq: 5 })), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.constantFrom(QUICK, FULL).chain((config) => mutation(config).map((changes) => ({ config, changes }))), ({ config, changes }) => {
        let raw: unknown = config;
        for (const [path, value] of changes) raw = mutate(raw as Record<string, any>, path, value);
        check(raw);
      }),
      options,
    );
  });
});
