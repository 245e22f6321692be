// `bioplausible export --format nir`, `import` and `eval` on a NIR file, end to end: a trained
// spiking model exports (its refractory period dropped only when asked), imports back to a spiking
// model file with the same weight bits, and the NIR file and the imported file simulate to the same
// spikes; bad outputs, non-NIR files and graphs bioplausible cannot run fail naming the culprit.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors, writeNir, type NirGraph, type NirTensor } from "../../ts-wrapper/index.js";
import { fixtureDir, lastJson, runCli, type CliResult } from "./e2e-cli.js";

const fx = fixtureDir("nir", "data", { train: 120, test: 40, side: 8, classes: 10, seed: 11 });
// A short presentation: the spiking runs are few samples of 50 ms.
const SIM = ["--time", "0.05", "--readout-ms", "20,50"];
const LIMIT = ["--limit", "20"];

let snn: string; // train --model snn: soft-LIF with t_ref = 0.004 s
let relu: string;
let trained: CliResult;
let nir: string;

/** The last stderr line, where a failing command says why. */
const why = (r: CliResult) => r.stderr.trim().split("\n").pop();

beforeAll(async () => {
  snn = join(fx.tmp, "snn.safetensors");
  relu = join(fx.tmp, "relu.safetensors");
  nir = join(fx.tmp, "snn.nir");
  const common = ["--data-dir", fx.data, "--layers", "64,16,10", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01", "--json"];
  let plain: CliResult;
  [trained, plain] = await Promise.all([
    runCli(["train", ...common, "--model", "snn", "--epochs", "5", "--validation", "0", ...SIM, "--out", snn], { timeout: 60_000 }),
    runCli(["train", ...common, "--epochs", "1", "--out", relu]),
  ]);
  expect(trained.code, trained.stderr).toBe(0);
  expect(plain.code, plain.stderr).toBe(0);
}, 90_000);

describe("export --format nir", () => {
  it("refuses a network with a refractory period without --drop-refractory (exit 2), writing nothing", async () => {
    const r = await runCli(["export", snn, "--format", "nir", "--out", nir]);
    expect(r.code, r.stderr).toBe(2);
    expect(why(r)).toMatch(/^bioplausible: --drop-refractory: NIR's LIF has no refractory period and this network's is 0\.004 s: drop it to export/);
    expect(r.stdout).toBe("");
    expect(existsSync(nir)).toBe(false);
  });

  it("with --drop-refractory writes a NIR file and warns what it dropped", async () => {
    const r = await runCli(["export", snn, "--out", nir, "--drop-refractory", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the refractory period \(0\.004 s\) is dropped/);
    expect(r.stderr).toMatch(/warning: the voltage floor at 0 is dropped/);
    const bytes = readFileSync(nir);
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x48, 0x44, 0x46]); // \x89HDF
    const json = lastJson(r);
    expect(json).toMatchObject({ command: "export", model: snn, out: nir, format: "nir", bytes: bytes.length });
    expect(json.nodes[0]).toBe("input");
    expect(json.nodes.at(-1)).toBe("output");
    // Two weight layers, each with its low-pass (CubaLIF) neurons.
    expect(json.nodes).toHaveLength(6);
    expect(json.warnings).toHaveLength(2);
    // The model file's recorded simulation is what was exported.
    expect(json.simulation).toMatchObject({ time: 0.05, synapse: "lowpass", encoding: "poisson", poissonPeriod: 0.004 });
  });

  it("names --synapse for the alpha synapse, which NIR has not", async () => {
    const out = join(fx.tmp, "alpha.nir");
    const r = await runCli(["export", snn, "--out", out, "--drop-refractory", "--synapse", "alpha"]);
    expect(r.code).toBe(2);
    expect(why(r)).toMatch(/^bioplausible: --synapse: NIR has no alpha synapse/);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a model that does not spike, naming the file", async () => {
    const r = await runCli(["export", relu, "--out", join(fx.tmp, "relu.nir")]);
    expect(r.code).toBe(2);
    expect(why(r)).toBe(`bioplausible: ${relu} has relu hidden activations; only a soft-LIF network exports as spiking neurons (train with --model snn)`);
  });

  it("fails cleanly naming --out for a directory or a directory that does not exist", async () => {
    const dir = join(fx.tmp, "a-directory");
    mkdirSync(dir, { recursive: true });
    const r = await runCli(["export", snn, "--out", dir, "--drop-refractory"]);
    expect(r.code).toBe(2);
    expect(why(r)).toBe(`bioplausible: --out: ${dir} is a directory; give a file name`);
    const missing = join(fx.tmp, "no-such-dir", "net.nir");
    const m = await runCli(["export", snn, "--out", missing, "--drop-refractory"]);
    expect(m.code).toBe(2);
    expect(why(m)).toMatch(/^bioplausible: --out: cannot write .*net\.nir: directory .*no-such-dir does not exist or is not writable$/);
    const self = await runCli(["export", snn, "--out", snn, "--drop-refractory"]);
    expect(self.code).toBe(2);
    expect(why(self)).toBe(`bioplausible: --out: ${snn} is the model file being exported; give another file`);
  });

  it("--help lists its flags: the simulation a NIR file keeps, not the evaluation's", async () => {
    const r = await runCli(["export", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--format", "--out", "--drop-refractory", "--synapse", "--tau-s", "--time", "--dt", "--json"]) expect(r.stdout).toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
    for (const flag of ["--spiking", "--readout-ms", "--spike-seed"]) expect(r.stdout).not.toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
  });
});

describe("import and eval of a NIR file", () => {
  let imported: string;
  let importJson: Record<string, any>;
  beforeAll(async () => {
    if (!existsSync(nir)) {
      const e = await runCli(["export", snn, "--out", nir, "--drop-refractory"]);
      expect(e.code, e.stderr).toBe(0);
    }
    imported = join(fx.tmp, "imported.safetensors");
    const r = await runCli(["import", nir, "--out", imported, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    importJson = lastJson(r);
  });

  it("import writes a spiking model file with the trained weights bit for bit", () => {
    expect(importJson).toMatchObject({ command: "import", nir, out: imported, layers: [64, 16, 10], arch: null, approximations: [] });
    expect(importJson.simulation).toMatchObject({ time: 0.05, dt: 0.001, synapse: "lowpass", encoding: "poisson", poissonPeriod: 0.004, readout: "count" });
    // The file's float64 products divide back exactly to our float32 weights.
    expect(importJson.params_sha256).toBe(lastJson(trained).params_sha256);
    const { metadata } = decodeSafetensors(readFileSync(imported), imported);
    expect(metadata.model).toBe("snn");
    expect(JSON.parse(metadata.imported_from)).toBe(nir);
    expect(JSON.parse(metadata.config).neuron).toMatchObject({ tRef: 0, voltageFloor: false });
  });

  it("eval --spiking on the NIR file and on the imported file gives the same spikes", async () => {
    // Import is exact, and eval reads a NIR file as import does: the same network and simulation
    // (the file's own, as eval --spiking's defaults), so the same seeded spikes.
    const [a, b] = await Promise.all([
      runCli(["eval", nir, "--data-dir", fx.data, "--spiking", "--json", ...LIMIT], { timeout: 60_000 }),
      runCli(["eval", imported, "--data-dir", fx.data, "--spiking", "--json", ...LIMIT], { timeout: 60_000 }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const fromNir = lastJson(a), fromFile = lastJson(b);
    expect(fromNir).toMatchObject({ kind: "snn", format: "nir", approximations: [], count: 20 });
    expect(fromFile.kind).toBe("snn");
    expect(fromNir.params_sha256).toBe(importJson.params_sha256);
    expect(fromFile.params_sha256).toBe(importJson.params_sha256);
    expect(fromNir.accuracy).toBe(fromFile.accuracy);
    expect(fromNir.confusion).toEqual(fromFile.confusion);
    const timeless = ({ seconds: _s, images_per_s: _i, ...rest }: Record<string, unknown>) => rest;
    expect(timeless(fromNir.spiking)).toEqual(timeless(fromFile.spiking));
    expect(fromNir.spiking).toMatchObject({ time: 0.05, synapse: "lowpass", poisson_period: 0.004, count: 20 });
    expect(fromNir.spiking.synaptic_operations_by_time_ms["50"].every((n: number) => n > 0)).toBe(true);
    // Without its refractory period the network still classifies the fixture (which it learns fully).
    expect(fromNir.spiking.accuracy).toBeGreaterThan(0.5);
  });

  it("eval without --spiking reports the rate network", async () => {
    const r = await runCli(["eval", nir, "--data-dir", fx.data, "--json", ...LIMIT]);
    expect(r.code, r.stderr).toBe(0);
    const json = lastJson(r);
    expect(json).toMatchObject({ kind: "snn", format: "nir", count: 20 });
    expect(json.spiking).toBeUndefined();
  });

  it("import of a file that is not HDF5 fails naming the file", async () => {
    const r = await runCli(["import", snn, "--out", join(fx.tmp, "x.safetensors")]);
    expect(r.code).toBe(1);
    expect(why(r)).toBe(`bioplausible: ${snn}: not an HDF5 file (no HDF5 signature), so not a NIR graph`);
    expect(existsSync(join(fx.tmp, "x.safetensors"))).toBe(false);
  });

  it("eval and import of a graph with a node type bioplausible does not run fail naming the node", async () => {
    const full = (shape: number[], v: number): NirTensor => ({ shape, data: new Float64Array(shape.reduce((n, d) => n * d, 1)).fill(v) });
    const graph: NirGraph = {
      nodes: {
        input: { type: "Input", params: { shape: { shape: [1], data: Float64Array.of(64) } } },
        fc: { type: "Linear", params: { weight: full([10, 64], 0.01) } },
        wait: { type: "Delay", params: { delay: full([10], 0.002) } },
        lif: { type: "LIF", params: { tau: full([10], 0.02), r: full([10], 1), v_leak: full([10], 0), v_threshold: full([10], 1), v_reset: full([10], 0) } },
        output: { type: "Output", params: { shape: { shape: [1], data: Float64Array.of(10) } } },
      },
      edges: [["input", "fc"], ["fc", "wait"], ["wait", "lif"], ["lif", "output"]],
      metadata: {},
    };
    const bad = join(fx.tmp, "delay.nir");
    writeFileSync(bad, await writeNir(graph));
    expect(statSync(bad).size).toBeGreaterThan(0);
    const e = await runCli(["eval", bad, "--data-dir", fx.data, "--spiking"]);
    expect(e.code).toBe(1);
    expect(why(e)).toMatch(new RegExp(`^bioplausible: ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: node "wait" \\(Delay\\): a node type bioplausible does not run`));
    const i = await runCli(["import", bad, "--out", join(fx.tmp, "delay.safetensors")]);
    expect(i.code).toBe(1);
    expect(why(i)).toContain(`node "wait" (Delay)`);
  });
});
