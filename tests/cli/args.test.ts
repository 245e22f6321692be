import { describe, expect, expectTypeOf, it } from "vitest";
import { camelCase, helpText, parseFlags, UsageError, type FlagSpec } from "../../ts-wrapper/cli/args.js";

const train = {
  model: { type: "string", choices: ["mlp", "pcn", "snn"], default: "mlp", help: "model family" },
  layers: { type: "list", default: [784, 256, 256, 10], help: "layer sizes" },
  epochs: { type: "int", default: 1, min: 1, help: "passes over the training set" },
  "batch-size": { type: "int", default: 128, min: 1, help: "samples per step" },
  lr: { type: "number", default: 0.01, min: 0, minExclusive: true, help: "learning rate" },
  dropout: { type: "number", default: 0, min: 0, max: 1, help: "dropout probability" },
  out: { type: "string", help: "where to save the model" },
  json: { type: "boolean", help: "print results as JSON" },
  shuffle: { type: "boolean", default: true, help: "shuffle each epoch" },
} satisfies Record<string, FlagSpec>;

const parse = (...argv: string[]) => parseFlags(argv, train, "train");

/** The UsageError message thrown by parsing argv. */
function usageError(argv: string[], spec: Record<string, FlagSpec> = train, options = {}): string {
  try {
    parseFlags(argv, spec, "train", options);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect(e).toBeInstanceOf(Error);
    return (e as Error).message;
  }
  throw new Error(`parsing ${JSON.stringify(argv)} did not throw`);
}

describe("parseFlags", () => {
  it("returns defaults, with false for absent switches and undefined for absent optional flags", () => {
    expect(parse()).toEqual({
      _: [],
      help: false,
      model: "mlp",
      layers: [784, 256, 256, 10],
      epochs: 1,
      batchSize: 128,
      lr: 0.01,
      dropout: 0,
      out: undefined,
      json: false,
      shuffle: true,
    });
  });

  it("does not share the default list between calls", () => {
    parse().layers.push(5);
    expect(parse().layers).toEqual([784, 256, 256, 10]);
  });

  it("accepts --flag value and --flag=value, with camelCase keys for kebab-case flags", () => {
    const a = parse("--model", "pcn", "--batch-size", "64", "--lr=0.5", "--layers=784,10", "--out", "m.safetensors");
    expect(a).toMatchObject({ model: "pcn", batchSize: 64, lr: 0.5, layers: [784, 10], out: "m.safetensors" });
    expect(parse("--dropout=1", "--lr", "1e-3", "--epochs", "+3")).toMatchObject({ dropout: 1, lr: 0.001, epochs: 3 });
    expect(parse("--out=a=b.safetensors").out).toBe("a=b.safetensors");
  });

  it("parses switches as --flag, --no-flag and --flag=true|false", () => {
    expect(parse("--json", "--no-shuffle")).toMatchObject({ json: true, shuffle: false });
    expect(parse("--json=false", "--shuffle=true")).toMatchObject({ json: false, shuffle: true });
    expect(usageError(["--json=yes"])).toBe('--json: is a switch: use --json or --no-json, got "yes"');
    expect(usageError(["--no-json=1"])).toBe('--no-json: takes no value, got "1"');
    expect(usageError(["--no-epochs"])).toBe("unknown flag --no-epochs for 'train' (see bioplausible train --help)");
  });

  it("lets the last of a repeated flag win", () => {
    expect(parse("--model", "mlp", "--model", "snn").model).toBe("snn");
  });

  it("types the result from the spec", () => {
    const a = parse();
    expectTypeOf(a.model).toEqualTypeOf<string>();
    expectTypeOf(a.layers).toEqualTypeOf<number[]>();
    expectTypeOf(a.batchSize).toEqualTypeOf<number>();
    expectTypeOf(a.out).toEqualTypeOf<string | undefined>();
    expectTypeOf(a.json).toEqualTypeOf<boolean>();
    expectTypeOf(a._).toEqualTypeOf<string[]>();
    const inline = parseFlags(["--data-dir", "d"], { seed: { type: "int", help: "seed" }, "data-dir": { type: "string", required: true, help: "d" } }, "x", {
      minPositionals: 0,
    });
    expectTypeOf(inline.seed).toEqualTypeOf<number | undefined>();
    expectTypeOf(inline.dataDir).toEqualTypeOf<string>();
  });

  it("converts kebab-case to camelCase", () => {
    expect(camelCase("batch-size")).toBe("batchSize");
    expect(camelCase("tau-rc")).toBe("tauRc");
    expect(camelCase("lr")).toBe("lr");
  });

  describe("errors name the flag and what is wrong", () => {
    const cases: [string, string[], string][] = [
      ["an unknown flag", ["--foo", "1"], "unknown flag --foo for 'train' (see bioplausible train --help)"],
      ["an unknown flag=value", ["--foo=1"], "unknown flag --foo for 'train' (see bioplausible train --help)"],
      ["a short flag", ["-x"], "unknown flag -x for 'train' (see bioplausible train --help)"],
      ["a choice not offered", ["--model", "foo"], '--model: must be one of mlp, pcn, snn, got "foo"'],
      ["a number at or below an exclusive minimum", ["--lr", "-1"], "--lr: must be greater than 0, got -1"],
      ["zero for an exclusive minimum", ["--lr=0"], "--lr: must be greater than 0, got 0"],
      ["an integer below its minimum", ["--batch-size", "0"], "--batch-size: must be an integer ≥ 1, got 0"],
      ["a number above its maximum", ["--dropout", "1.5"], "--dropout: must be ≥ 0 and ≤ 1, got 1.5"],
      ["a non-integer for an integer", ["--epochs", "abc"], '--epochs: expected an integer, got "abc"'],
      ["a fraction for an integer", ["--epochs", "2.5"], '--epochs: expected an integer, got "2.5"'],
      ["an unsafe integer", ["--epochs", "99999999999999999999"], '--epochs: "99999999999999999999" is out of range'],
      ["a non-number", ["--lr", "fast"], '--lr: expected a finite number, got "fast"'],
      ["NaN", ["--lr", "NaN"], '--lr: expected a finite number, got "NaN"'],
      ["Infinity", ["--lr=Infinity"], '--lr: expected a finite number, got "Infinity"'],
      ["an overflowing number", ["--lr", "1e999"], '--lr: "1e999" is out of range'],
      ["hex", ["--epochs", "0x10"], '--epochs: expected an integer, got "0x10"'],
      ["an empty number", ["--lr="], "--lr: missing value (expected <number>)"],
      ["a missing value at the end", ["--epochs"], "--epochs: missing value (expected <int>)"],
      ["a flag where a value belongs", ["--out", "--json"], "--out: missing value (expected <string>)"],
      ["a missing choice", ["--model"], "--model: missing value (expected <mlp|pcn|snn>)"],
      ["a zero layer", ["--layers", "784,0,10"], '--layers: expected comma-separated positive integers, got "0" in "784,0,10"'],
      ["an empty layer", ["--layers", "784,,10"], '--layers: expected comma-separated positive integers, got "" in "784,,10"'],
      ["a fractional layer", ["--layers", "784,2.5"], '--layers: expected comma-separated positive integers, got "2.5" in "784,2.5"'],
      ["a negative layer", ["--layers=-3"], '--layers: expected comma-separated positive integers, got "-3" in "-3"'],
      ["a positional", ["extra"], "unexpected argument \"extra\" for 'train' (see bioplausible train --help)"],
      ["a positional after --", ["--", "--epochs"], "unexpected argument \"--epochs\" for 'train' (see bioplausible train --help)"],
    ];
    for (const [what, argv, message] of cases) {
      it(what, () => expect(usageError(argv)).toBe(message));
    }

    it("a required flag that is absent", () => {
      const spec = { model: { type: "string", required: true, help: "model file" } } satisfies Record<string, FlagSpec>;
      expect(usageError([], spec)).toBe("--model: required (see bioplausible train --help)");
      expect(parseFlags(["--model", "m.safetensors"], spec, "train").model).toBe("m.safetensors");
    });
  });

  describe("positionals", () => {
    const spec = { json: { type: "boolean", help: "JSON output" } } satisfies Record<string, FlagSpec>;
    it("are returned in _ when allowed, in any position and after --", () => {
      expect(parseFlags(["a.safetensors", "--json"], spec, "eval", { positionals: 1 })).toEqual({
        _: ["a.safetensors"],
        help: false,
        json: true,
      });
      expect(parseFlags(["--json", "--", "--weird-name"], spec, "eval", { positionals: 1 })._).toEqual(["--weird-name"]);
      expect(parseFlags(["-"], spec, "eval", { positionals: 1 })._).toEqual(["-"]);
    });
    it("beyond the allowed count or below the required count are errors", () => {
      expect(usageError(["a", "b"], spec, { positionals: 1 })).toBe(
        "unexpected argument \"b\" for 'train' (see bioplausible train --help)",
      );
      expect(usageError([], spec, { positionals: 1, minPositionals: 1 })).toBe(
        "'train' needs 1 argument, got 0 (see bioplausible train --help)",
      );
    });
  });

  it("--help and -h win over any other problem on the line", () => {
    for (const h of ["--help", "-h"]) {
      const a = parse("--foo", "--lr", "-1", h, "stray");
      expect(a.help).toBe(true);
      expect(a.model).toBe("mlp");
    }
    const spec = { model: { type: "string", required: true, help: "m" } } satisfies Record<string, FlagSpec>;
    expect(parseFlags(["--help"], spec, "eval").help).toBe(true);
    // After --, "--help" is just a positional.
    expect(usageError(["--", "--help"])).toMatch(/^unexpected argument "--help"/);
  });
});

describe("helpText", () => {
  it("lists every flag with its type, help and default, aligned", () => {
    const text = helpText("train", "Train a model on a dataset.", train);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Usage: bioplausible train [flags]");
    expect(text).toContain("Train a model on a dataset.");
    const flagLines = lines.filter((l) => l.startsWith("  --"));
    expect(flagLines).toEqual([
      "  --model <mlp|pcn|snn>  model family (default: mlp)",
      "  --layers <n,n,...>     layer sizes (default: 784,256,256,10)",
      "  --epochs <int>         passes over the training set (default: 1)",
      "  --batch-size <int>     samples per step (default: 128)",
      "  --lr <number>          learning rate (default: 0.01)",
      "  --dropout <number>     dropout probability (default: 0)",
      "  --out <string>         where to save the model",
      "  --json                 print results as JSON",
      "  --shuffle              shuffle each epoch (default: true)",
      "  --help                 show this help",
    ]);
  });

  it("shows positional arguments and required flags", () => {
    const text = helpText("eval", "Evaluate.", { data: { type: "string", required: true, help: "data dir" } }, "<model.safetensors>");
    expect(text.split("\n")[0]).toBe("Usage: bioplausible eval <model.safetensors> [flags]");
    expect(text).toContain("  --data <string>  data dir (required)");
  });
});
