// Property-based fuzzing of command lines with fast-check. The flag parser, for every command's
// flags, on random and near-miss argument lists: either values of the declared types within their
// bounds, or a UsageError naming the flag or argument — never another error. Then whole commands,
// in process, on a small fixture: an exit code of 0, 1 or 2 with one "bioplausible: " line on
// stderr for a failure, and never an error the program did not mean (a TypeError, a NaN).
// Runs: FUZZ_RUNS (default 10 000 per command for the parser); seed: FUZZ_SEED.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseFlags, UsageError, type FlagSpec } from "../../ts-wrapper/cli/args.js";
import { benchFlags } from "../../ts-wrapper/cli/bench.js";
import { compareFlags } from "../../ts-wrapper/cli/compare.js";
import { evalFlags } from "../../ts-wrapper/cli/eval.js";
import { main } from "../../ts-wrapper/cli/main.js";
import { trainFlags } from "../../ts-wrapper/cli/train.js";
import { makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const COMMANDS: [string, Record<string, FlagSpec>, { positionals?: number; minPositionals?: number }][] = [
  ["train", trainFlags, {}],
  ["eval", evalFlags, { positionals: 1, minPositionals: 1 }],
  ["bench", benchFlags, {}],
  ["compare", compareFlags, {}],
];

/** Values a flag might be given: good ones of every type, and the near misses. */
const value = fc.oneof(
  fc.constantFrom("0", "1", "2", "-1", "0.5", "1e-3", "1e999", "-0", "NaN", "Infinity", "0x10", "1_000", " 3", "", "--", "-", "true", "false",
    "784,16,10", "784,,10", "3,0", "1.5,2", "9007199254740993", "relu", "softlif", "pcn", "il", "adam", "cosine", "poisson", "count", "ü"),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.double().map(String),
);

/** An argument list of this command's flags (spelled right, --no-, with =, or misspelled), values and strays. */
function argv(spec: Record<string, FlagSpec>): fc.Arbitrary<string[]> {
  const names = Object.keys(spec);
  const flag = fc.oneof(
    fc.constantFrom(...names).map((n) => `--${n}`),
    fc.constantFrom(...names).map((n) => `--no-${n}`),
    fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => `--${n}=${v}`),
    fc.constantFrom("--frobnicate", "-x", "---lr", "--LR", "--", "--constructor", "--__proto__", "--toString"),
  );
  return fc.array(fc.oneof({ weight: 3, arbitrary: flag }, { weight: 3, arbitrary: value }), { maxLength: 8 });
}

/** The oracle for parseFlags: a UsageError, or every flag's value of its declared type and bounds. */
function checkParse(command: string, spec: Record<string, FlagSpec>, options: object, args: string[]): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseFlags(args, spec, command, options) as Record<string, unknown>;
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^(--[A-Za-z0-9-]+: |unknown flag |unexpected argument |'[a-z]+' needs )/);
    return;
  }
  if (parsed.help) return;
  for (const [name, flag] of Object.entries(spec)) {
    const v = parsed[name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
    if (v === undefined) {
      expect(flag.default === undefined && !flag.required).toBe(true);
      continue;
    }
    const inBounds = (n: number) =>
      (flag.min === undefined || (flag.minExclusive ? n > flag.min : n >= flag.min)) && (flag.max === undefined || n <= flag.max);
    switch (flag.type) {
      case "boolean":
        expect(typeof v).toBe("boolean");
        break;
      case "int":
        expect(Number.isSafeInteger(v) && inBounds(v as number), `--${name} = ${v}`).toBe(true);
        break;
      case "number":
        expect(typeof v === "number" && Number.isFinite(v) && inBounds(v), `--${name} = ${v}`).toBe(true);
        break;
      case "list":
        expect(Array.isArray(v) && (v as number[]).every((n) => Number.isSafeInteger(n) && n >= 1), `--${name} = ${v}`).toBe(true);
        break;
      case "string":
        expect(typeof v).toBe("string");
        if (flag.choices) expect(flag.choices).toContain(v);
    }
  }
}

describe.each(COMMANDS)("fuzz: parseFlags for %s", (command, spec, options) => {
  it("typed values within bounds, or a UsageError naming the flag", () => {
    fc.assert(fc.property(argv(spec), (args) => checkParse(command, spec, options, args)), { numRuns: RUNS, seed: SEED });
  });
});

// Whole commands, in process. Each case trains for real, so there are fewer of them; the fixed
// tail keeps every run on the small fixture and its output in a temporary directory, while the
// random head still reaches every flag's checks.
describe("fuzz: bioplausible train, eval and compare command lines", () => {
  let dir: string;
  let tail: Record<string, string[]>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bioplausible-args-fuzz-"));
    const data = writeIdxDir(join(dir, "data"), makeIdxFixture({ train: 96, test: 32, side: 8, seed: 2 }));
    const config = join(dir, "tiny.json");
    writeFileSync(config, JSON.stringify({
      name: "tiny", dataDir: data, layers: [64, 8, 10], epochs: 1, spiking: { time: 0.02, testSamples: 8 },
      rows: [{ name: "bp", model: "mlp" }, { name: "snn", model: "mlp", activation: "softlif", spiking: true }],
    }));
    tail = {
      // The last of a repeated flag wins: checkpoints stay in the temporary directory too.
      train: ["--data-dir", data, "--out", join(dir, "m.safetensors"), "--checkpoint", join(dir, "m.ckpt"), "--epochs", "1"],
      eval: ["--data-dir", data],
      compare: ["--config", config, "--out", join(dir, "results")],
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exit 0, or 1 or 2 with one line naming the problem", async () => {
    const small = fc.constantFrom("1", "2", "0.01", "0.02", "8", "16", "64,8,10", "64,10");
    const commands = fc.constantFrom("train", "eval", "compare");
    const line = commands.chain((command) => {
      const spec = command === "train" ? trainFlags : command === "eval" ? evalFlags : compareFlags;
      // Mostly values a run can finish quickly with; some anything at all.
      const head = fc.array(fc.oneof(fc.constantFrom(...Object.keys(spec)).map((n) => `--${n}`), small, small, value), { maxLength: 8 });
      const model = command === "eval" ? [join(dir, "m.safetensors")] : [];
      return head.map((args) => [command, ...model, ...args]);
    });
    const codes: Record<number, number> = {};
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      // A model for eval to read.
      expect(await main(["train", ...tail.train])).toBe(0);
      await fc.assert(
        fc.asyncProperty(line, async ([command, ...args]) => {
          stderr.mockClear();
          const code = await main([command, ...args, ...tail[command]]);
          const errors = stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.startsWith("bioplausible: "));
          codes[code] = (codes[code] ?? 0) + 1;
          if (code === 0) return;
          expect([1, 2], `${command} ${args.join(" ")}`).toContain(code);
          expect(errors, `${command} ${args.join(" ")}`).toHaveLength(1);
          // What the program says itself (user input it quotes removed) has no sign of an accident.
          const own = errors[0].replace(/"(?:[^"\\]|\\.)*"/g, '""');
          expect(own, errors[0]).not.toMatch(/TypeError|Cannot read|is not a function|is not defined|undefined|NaN/);
        }),
        { numRuns: Math.max(1, Math.round(RUNS / 20)), seed: SEED },
      );
      // The property means something only if both successes and failures occur.
      expect(codes[0] ?? 0, JSON.stringify(codes)).toBeGreaterThan(0);
      expect((codes[1] ?? 0) + (codes[2] ?? 0), JSON.stringify(codes)).toBeGreaterThan(0);
      console.info(`args.fuzz: exit codes ${JSON.stringify(codes)}`);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }, 600_000);
});
