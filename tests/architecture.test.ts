// The structure docs/architecture.md describes, checked on the sources: imports flow one way through
// the layers with no cycle, only the ops layer and the wasm bridge call kernels, and the library
// below the CLI words its errors without command-line flags.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../ts-wrapper");

/** The layers, bottom first: a file may import its own layer and those below it. */
const LAYERS: string[][] = [
  ["version.ts", "errors.ts", "safetensors.ts", "platform", "datasets"],
  ["wasm"],
  ["runtime.ts", "tensor.ts"],
  ["ops"],
  ["params.ts", "batch.ts"],
  ["layers"],
  ["models"],
  ["nir"],
  ["evaluation"],
  ["training"],
  ["bench.ts", "job"],
  ["experiment"],
  ["report"],
  ["cli"],
  ["index.ts"],
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

const SOURCES = files(ROOT).map((f) => relative(ROOT, f));

function layerOf(file: string): number {
  const top = file.split("/")[0];
  const i = LAYERS.findIndex((names) => names.includes(top));
  if (i < 0) throw new Error(`ts-wrapper/${file} is in no layer of tests/architecture.test.ts`);
  return i;
}

/** Relative imports (static, dynamic and type-only) of a source file, as paths under ts-wrapper/. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return found.map((spec) => relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).replace(/\.js$/, ".ts"));
}

describe("the layers of ts-wrapper/", () => {
  it("every source file sits in a layer and imports only existing files", () => {
    for (const file of SOURCES) {
      layerOf(file);
      for (const target of imports(file)) expect(SOURCES, `${file} imports ${target}`).toContain(target);
    }
  });

  it("imports flow one way: no file imports a layer above its own", () => {
    const upward = SOURCES.flatMap((file) => imports(file).filter((t) => layerOf(t) > layerOf(file)).map((t) => `${file} → ${t}`));
    expect(upward).toEqual([]);
  });

  it("no import cycle, between files or between directories", () => {
    const unit = (f: string) => (f.includes("/") ? f.split("/")[0] : f);
    const graphs = [
      new Map(SOURCES.map((f) => [f, imports(f)])),
      new Map([...new Set(SOURCES.map(unit))].map((u) => [u, [...new Set(SOURCES.filter((f) => unit(f) === u).flatMap(imports).map(unit))].filter((t) => t !== u)])),
    ];
    for (const graph of graphs) {
      const state = new Map<string, "open" | "done">();
      const cycles: string[] = [];
      const visit = (node: string, path: string[]) => {
        if (state.get(node) === "done") return;
        if (state.get(node) === "open") return void cycles.push([...path.slice(path.indexOf(node)), node].join(" → "));
        state.set(node, "open");
        for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
        state.set(node, "done");
      };
      for (const node of graph.keys()) visit(node, []);
      expect(cycles).toEqual([]);
    }
  });

  it("only ops/ and wasm/ touch the kernels", () => {
    const callers = SOURCES.filter((f) => !/^(ops|wasm)\//.test(f) && /kernels\./.test(readFileSync(join(ROOT, f), "utf8")));
    expect(callers).toEqual([]);
  });

  it("no library message below the CLI names a command-line flag", () => {
    // String and template literals holding "--word", outside comments. The run spec's help texts
    // are exempt: they are the CLI's --help by design (its errors name setting keys).
    const literal = /(["`])(?:(?!\1)[^\\\n]|\\.)*?--[a-z][a-z-]*(?:(?!\1)[^\\\n]|\\.)*\1/g;
    const offenders = SOURCES.filter((f) => /^(models|nir|training|datasets|evaluation|layers|ops|job|experiment)\//.test(f)).flatMap((f) =>
      readFileSync(join(ROOT, f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").split("\n")
        .filter((line) => !/^\s*\/\//.test(line) && !/^\s*(help|defaultText):|\b(help|defaultText): ["`]/.test(line))
        .flatMap((line) => [...line.matchAll(literal)].map((m) => `${f}: ${m[0]}`)));
    expect(offenders).toEqual([]);
  });
});
