// The job settings as command-line flags, derived from the run spec (job/spec.ts): their FlagSpecs
// and help, the settings a parsed command line gives, and an OptionError worded as a flag.

import { OptionError } from "../errors.js";
import { RuleError, setting, SETTINGS, type GivenSettings, type Namer, type Setting } from "../job/spec.js";
import { camelCase, UsageError, type FlagSpec } from "./args.js";

const FLAG_TYPE: Record<Setting["type"], FlagSpec["type"]> = { int: "int", number: "number", string: "string", boolean: "boolean", widths: "list", times: "list" };

/** FlagSpecs of the settings of `groups`; `help` overrides a setting's help by key. */
export function settingFlags(groups: Setting["group"][], help: Record<string, string> = {}): Record<string, FlagSpec> {
  return Object.fromEntries(SETTINGS.filter((s) => groups.includes(s.group)).map((s) => [s.flag, {
    type: FLAG_TYPE[s.type], ...(s.choices ? { choices: s.choices } : {}),
    ...(s.min !== undefined ? { min: s.min } : {}), ...(s.minExclusive ? { minExclusive: true } : {}), ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.aliases ? { aliases: s.aliases } : {}),
    help: `${help[s.key] ?? s.help}${describeDefault(s)}`,
  } satisfies FlagSpec]));
}

function describeDefault(s: Setting): string {
  const text = s.defaultText ?? (s.type === "boolean" || s.default === undefined ? undefined : String(s.default));
  return text === undefined ? "" : ` (default ${text})`;
}

/** The settings of `groups` a parsed command line gives (flags left out are not given). */
export function givenSettings(parsed: Record<string, unknown>, groups: Setting["group"][]): GivenSettings {
  const given: GivenSettings = {};
  for (const s of SETTINGS) {
    if (!groups.includes(s.group)) continue;
    const value = parsed[camelCase(s.flag)];
    if (value === undefined || value === false) continue;
    // Times are given in milliseconds.
    given[s.key] = s.type === "times" ? (value as number[]).map((ms) => ms / 1000) : value;
  }
  return given;
}

/** A setting as the command line spells it: `--batch-size`; `names` overrides some by key. */
export function flagNamer(names: Record<string, string> = {}): Namer {
  return (key) => names[key] ?? `--${setting(key).flag}`;
}

/** An OptionError from the library as a usage error naming the flag. */
export function asUsageError(error: OptionError, name: Namer = flagNamer()): UsageError {
  const reason = error instanceof RuleError ? error.words(name) : error.reason;
  return new UsageError(`${name(error.option)}: ${reason}`);
}

/** Runs `work`, turning an OptionError into a usage error naming the flag. */
export function withFlags<T>(work: () => T, name: Namer = flagNamer()): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof OptionError) throw asUsageError(error, name);
    throw error;
  }
}
