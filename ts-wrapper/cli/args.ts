// A small, dependency-free flag parser for the `bioplausible` CLI.
//
// Decisions:
// - Spec keys are the kebab-case flag names; results use camelCase keys (`batch-size` → `batchSize`).
// - A repeated flag takes its last value, so `npm start -- --model pcn` overrides the script's own flag.
// - `--help` / `-h` is always accepted: it sets `help: true` and skips all other validation, so help
//   works however broken the rest of the line is.
// - A value may start with "-" (`--lr -1` reaches the range check), but not with "--": `--out --json`
//   is a missing value, not a file named "--json".
// - `--` ends the flags; everything after it is positional.
// - A flag's aliases (its earlier names) are accepted as the flag itself.

import { rangeText } from "../job/spec.js";

export interface FlagSpec {
  type: "string" | "number" | "int" | "boolean" | "list";
  default?: unknown;
  /** Allowed values for a "string" flag. */
  choices?: readonly string[];
  /** Bounds for "number" and "int" flags. */
  min?: number;
  minExclusive?: boolean;
  max?: number;
  /** Makes the flag mandatory (only meaningful without a default). */
  required?: boolean;
  /** Earlier names of the flag that still work. */
  aliases?: readonly string[];
  help: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type ValueOf<F extends FlagSpec> = F["type"] extends "boolean"
  ? boolean
  : F["type"] extends "list"
    ? number[]
    : F["type"] extends "number" | "int"
      ? number
      : F extends { choices: readonly (infer C extends string)[] }
        ? C
        : string;

// Booleans are false when absent; other flags are undefined unless they have a default or are required.
type FlagResult<F extends FlagSpec> = F["type"] extends "boolean"
  ? boolean
  : F extends { default: {} } | { required: true }
    ? ValueOf<F>
    : ValueOf<F> | undefined;

export type ParsedFlags<S extends Record<string, FlagSpec>> = {
  -readonly [K in keyof S & string as CamelCase<K>]: FlagResult<S[K]>;
} & { _: string[]; help: boolean };

export interface ParseOptions {
  /** How many positional arguments may follow the command (default 0). */
  positionals?: number;
  /** How many of them are required (default 0). */
  minPositionals?: number;
}

export function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function convert(flag: string, spec: FlagSpec, raw: string): unknown {
  const bad = (what: string): never => {
    throw new UsageError(`--${flag}: ${what}`);
  };
  switch (spec.type) {
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) {
        bad(`must be one of ${spec.choices.join(", ")}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    case "number":
    case "int": {
      const isInt = spec.type === "int";
      if (!(isInt ? INTEGER : NUMBER).test(raw.trim())) {
        bad(`expected ${isInt ? "an integer" : "a finite number"}, got ${JSON.stringify(raw)}`);
      }
      const value = Number(raw);
      if (!Number.isFinite(value) || (isInt && !Number.isSafeInteger(value))) {
        bad(`${JSON.stringify(raw)} is out of range`);
      }
      const tooLow = spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min);
      const tooHigh = spec.max !== undefined && value > spec.max;
      if (tooLow || tooHigh) bad(`must be ${isInt ? "an integer " : ""}${rangeText(spec)}, got ${value}`);
      return value === 0 ? 0 : value; // no -0 from "-0"
    }
    case "list":
      return raw.split(",").map((item) => {
        const n = Number(item);
        if (!/^\d+$/.test(item.trim()) || !Number.isSafeInteger(n) || n < 1) {
          bad(`expected comma-separated positive integers, got ${JSON.stringify(item)} in ${JSON.stringify(raw)}`);
        }
        return n;
      });
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      return bad(`is a switch: use --${flag} or --no-${flag}, got ${JSON.stringify(raw)}`);
  }
}

export function parseFlags<S extends Record<string, FlagSpec>>(
  argv: string[],
  spec: S,
  command: string,
  options: ParseOptions = {},
): ParsedFlags<S> {
  const seeHelp = `(see bioplausible ${command} --help)`;
  const result: Record<string, unknown> = { _: [], help: false };
  const positionals: string[] = [];

  const flagsEnd = argv.indexOf("--");
  const flagPart = flagsEnd < 0 ? argv : argv.slice(0, flagsEnd);
  if (flagPart.some((a) => a === "--help" || a === "-h")) result.help = true;

  const given = new Map<string, unknown>();
  const aliases = new Map(Object.entries(spec).flatMap(([name, flag]) => (flag.aliases ?? []).map((alias) => [alias, name] as const)));
  if (!result.help) {
    for (let i = 0; i < flagPart.length; i++) {
      const arg = flagPart[i]!;
      if (!arg.startsWith("-") || arg === "-") {
        positionals.push(arg);
        continue;
      }
      if (!arg.startsWith("--")) throw new UsageError(`unknown flag ${arg} for '${command}' ${seeHelp}`);
      const eq = arg.indexOf("=");
      let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      name = aliases.get(name) ?? name;
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);

      let negated = false;
      const positive = name.slice(3);
      if (!Object.hasOwn(spec, name) && name.startsWith("no-") && Object.hasOwn(spec, positive) && spec[positive]!.type === "boolean") {
        name = positive;
        negated = true;
      }
      const flag = Object.hasOwn(spec, name) ? spec[name]! : undefined;
      if (!flag) throw new UsageError(`unknown flag --${name} for '${command}' ${seeHelp}`);

      if (flag.type === "boolean") {
        if (negated && inline !== undefined) throw new UsageError(`--no-${name}: takes no value, got ${JSON.stringify(inline)}`);
        given.set(name, negated ? false : inline === undefined ? true : convert(name, flag, inline));
        continue;
      }
      let raw = inline;
      if (raw === "") throw new UsageError(`--${name}: missing value (expected ${placeholder(flag)})`);
      if (raw === undefined) {
        const next = flagPart[i + 1];
        if (next === undefined || next.startsWith("--")) {
          throw new UsageError(`--${name}: missing value (expected ${placeholder(flag)})`);
        }
        raw = next;
        i++;
      }
      given.set(name, convert(name, flag, raw));
    }
    if (flagsEnd >= 0) positionals.push(...argv.slice(flagsEnd + 1));

    const max = options.positionals ?? 0;
    if (positionals.length > max) {
      const extra = positionals[max]!;
      throw new UsageError(`unexpected argument ${JSON.stringify(extra)} for '${command}' ${seeHelp}`);
    }
    const min = options.minPositionals ?? 0;
    if (positionals.length < min) {
      throw new UsageError(`'${command}' needs ${min} argument${min === 1 ? "" : "s"}, got ${positionals.length} ${seeHelp}`);
    }
  }

  for (const [name, flag] of Object.entries(spec)) {
    let value = given.has(name) ? given.get(name) : flag.default;
    if (Array.isArray(value)) value = [...value];
    if (value === undefined && flag.type === "boolean") value = false;
    if (value === undefined && flag.required && !result.help) throw new UsageError(`--${name}: required ${seeHelp}`);
    result[camelCase(name)] = value;
  }
  result._ = positionals;
  return result as ParsedFlags<S>;
}

function placeholder(flag: FlagSpec): string {
  switch (flag.type) {
    case "string":
      return flag.choices ? `<${flag.choices.join("|")}>` : "<string>";
    case "number":
      return "<number>";
    case "int":
      return "<int>";
    case "list":
      return "<n,n,...>";
    case "boolean":
      return "";
  }
}

function describeDefault(flag: FlagSpec): string {
  const d = flag.default;
  if (d === undefined || (flag.type === "boolean" && d !== true)) return "";
  return ` (default: ${Array.isArray(d) ? d.join(",") : String(d)})`;
}

export function helpText(
  command: string,
  summary: string,
  spec: Record<string, FlagSpec>,
  usageArgs = "",
): string {
  const rows: [string, string][] = Object.entries(spec).map(([name, flag]) => {
    const left = `--${name}${flag.type === "boolean" ? "" : ` ${placeholder(flag)}`}`;
    const notes = `${flag.required ? " (required)" : ""}${describeDefault(flag)}`;
    return [left, `${flag.help}${notes}`];
  });
  rows.push(["--help", "show this help"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const usage = `Usage: bioplausible ${command}${usageArgs ? ` ${usageArgs}` : ""} [flags]`;
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
  return [usage, "", summary, "", "Flags:", ...lines, ""].join("\n");
}
