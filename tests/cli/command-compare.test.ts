// `bioplausible compare` end to end on a small IDX fixture: the table, results.json, report.html,
// replaying a results.json bit for bit, and config errors that name the file and the key.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";
import { lastJson, runCli, tempDir, type CliResult } from "./e2e-cli.js";

let tmp: ReturnType<typeof tempDir>;
let config: string;
let out: string;
let run: CliResult;

/** Every kind of row of examples/compare-quick.json, shrunk to the 8×8 fixture. */
function smallConfig(dataDir: string): Record<string, unknown> {
  const quick = JSON.parse(readFileSync(new URL("../../examples/compare-quick.json", import.meta.url), "utf8"));
  return {
    ...quick, name: "tiny", dataDir, layers: [64, 16, 10], epochs: 2,
    spiking: { ...quick.spiking, time: 0.05, testSamples: 40 },
    rows: quick.rows.map((row: Record<string, unknown>) => ({ ...row, batchSize: 16 })),
  };
}

beforeAll(async () => {
  tmp = tempDir("compare");
  const dataDir = writeIdxDir(join(tmp.dir, "raw"), makeIdxFixture({ train: 160, test: 60, side: 8, classes: 10, seed: 5 }));
  config = join(tmp.dir, "tiny.json");
  writeFileSync(config, JSON.stringify(smallConfig(dataDir)));
  out = join(tmp.dir, "out");
  run = await runCli(["compare", "--config", config, "--out", out, "--json"], { timeout: 120_000 });
}, 120_000);

afterAll(() => tmp?.cleanup());

describe("compare", () => {
  it("runs every row of the config and writes results.json and report.html", () => {
    expect(run.code, run.stderr).toBe(0);
    const json = lastJson(run);
    const written = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(written.rows.map((r: { params_sha256: string }) => r.params_sha256)).toEqual(json.rows.map((r: { params_sha256: string }) => r.params_sha256));
    expect(json.rows.map((r: { name: string }) => r.name)).toEqual(["backprop", "pc-il", "pc-zil", "backprop-snn", "pc-snn", "backprop-fa", "pc-il-fa"]);
    expect(json).toMatchObject({ command: "compare", scale: "tiny", seed: 0, train_samples: 160, test_samples: 60 });
    for (const row of json.rows) {
      expect(row.history).toHaveLength(2);
      expect(row.params_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(row.test_accuracy).toBeGreaterThanOrEqual(0);
    }
    const byName = Object.fromEntries(json.rows.map((r: { name: string }) => [r.name, r]));
    // Z-IL from the same seed with backprop's settings: backprop's weights exactly.
    expect(byName["pc-zil"].params_sha256).toBe(byName.backprop.params_sha256);
    expect(json.figures.weight_differences.every((d: { zil_max_abs: number }) => d.zil_max_abs === 0)).toBe(true);
    expect(json.figures.weight_differences.some((d: { il_max_abs: number }) => d.il_max_abs > 0)).toBe(true);
    // Spiking rows simulate the first 40 test samples for 0.05 s; PC rows record their energy.
    for (const name of ["backprop-snn", "pc-snn"]) {
      expect(byName[name].spiking).toMatchObject({ time: 0.05, count: 40 });
      expect(Object.keys(byName[name].spiking.accuracy_by_time_ms)).toEqual(["5", "10", "20", "50"]);
    }
    expect(byName["pc-il"].energy_trace).toHaveLength(20);
    expect(byName.backprop.energy_trace).toBeUndefined();
    expect(json.figures.raster.row).toBe("backprop-snn");
    expect(json.figures.raster.layers.map((l: { neurons: number }) => l.neurons)).toEqual([64, 16, 10]);
    expect(json.version).toBeTypeOf("string");
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(6);
  });

  it("prints the table with a row per method when not --json", async () => {
    const r = await runCli(["compare", "--config", config, "--out", join(tmp.dir, "out-human")], { timeout: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    // A twelfth of the 160 training samples is held out (the default validation split); one seed.
    expect(r.stdout).toMatch(/^tiny scale: mnist, 160 training samples \(13 held out for validation\), one seed \(0\)/);
    for (const label of ["Backprop MLP", "PC, inference learning", "PC, Z-IL", "Backprop → spiking", "PC → spiking", "Backprop, feedback alignment", "PC (IL), feedback alignment"]) {
      expect(r.stdout).toContain(label);
    }
    expect(r.stdout).toMatch(/spike 50 ms/);
  }, 120_000);

  it("replays a results.json bit for bit, and fails naming a row whose parameters differ", async () => {
    const results = join(out, "results.json");
    const again = await runCli(["compare", "--config", results, "--out", join(tmp.dir, "replay"), "--json"], { timeout: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson(again).replay).toEqual({ of: results, identical: true, mismatches: [] });
    const tampered = JSON.parse(readFileSync(results, "utf8"));
    tampered.rows[1].params_sha256 = "0".repeat(64);
    const file = join(tmp.dir, "tampered.json");
    writeFileSync(file, JSON.stringify(tampered));
    const bad = await runCli(["compare", "--config", file, "--out", join(tmp.dir, "replay2")], { timeout: 120_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`replay of ${file} differs: params_sha256 of pc-il changed`);
    // A row recorded under another recipe (as a run from before a default moved would be) stops
    // the replay before any training, naming the row and the setting.
    const older = JSON.parse(readFileSync(results, "utf8"));
    older.rows[0].config.momentum = 0.5;
    const olderFile = join(tmp.dir, "older.json");
    writeFileSync(olderFile, JSON.stringify(older));
    const moved = await runCli(["compare", "--config", olderFile, "--out", join(tmp.dir, "replay3")], { timeout: 120_000 });
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain(`row ${older.rows[0].name} ran with momentum 0.5 but resolves to ${JSON.stringify(lastJson(again).rows[0].config.momentum)} now (a default has moved since)`);
    expect(existsSync(join(tmp.dir, "replay3", "results.json"))).toBe(false);
  }, 240_000);

  it.each([
    [{ rows: [] }, "rows: must be a non-empty array"],
    [{ rows: [{ name: "x", model: "cnn" }] }, "rows[0] (x).model: must be one of mlp, pcn"],
    [{ rows: [{ name: "x", model: "mlp", lr: -1 }] }, "rows[0] (x).lr: must be greater than 0, got -1"],
    [{ rows: [{ name: "x", model: "mlp", activation: "relu", spiking: true }] }, "rows[0] (x).spiking: a spiking network converts from softlif neurons, but activation is relu"],
    [{ rows: [{ name: "x", model: "mlp", T: 5 }] }, "rows[0] (x).T: only for model pcn"],
    [{ rows: [{ name: "x", model: "mlp" }, { name: "x", model: "pcn" }] }, "rows[1].name: \"x\" is used twice"],
    [{ spiking: { dt: 0.01 } }, "spiking.dt: must be below the refractory period"],
    [{ epochs: 0 }, "epochs: must be an integer ≥ 1, got 0"],
    [{ colour: "red" }, "colour: unknown key"],
  ])("rejects a config with %j before any work (exit 2)", async (change, message) => {
    const broken = join(tmp.dir, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...JSON.parse(readFileSync(config, "utf8")), ...change }));
    const r = await runCli(["compare", "--config", broken, "--out", join(tmp.dir, "never")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toContain(`bioplausible: --config: ${broken}: ${message}`);
    expect(r.stdout).toBe("");
  });

  it("rejects a missing or non-JSON config file", async () => {
    const missing = await runCli(["compare", "--config", join(tmp.dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--config: cannot read");
    const text = join(tmp.dir, "text.json");
    writeFileSync(text, "not json");
    const garbled = await runCli(["compare", "--config", text]);
    expect(garbled.code).toBe(2);
    expect(garbled.stderr).toContain(`--config: cannot read ${text}`);
  });
});

describe("compare with a row that diverges", () => {
  it("exits 1 naming the row, its place in the table and the epoch", async () => {
    const file = join(tmp.dir, "diverge.json");
    const cfg = JSON.parse(readFileSync(config, "utf8"));
    cfg.rows = [cfg.rows[0], { name: "wild", model: "pcn", gamma: 50, batchSize: 16 }];
    writeFileSync(file, JSON.stringify(cfg));
    const r = await runCli(["compare", "--config", file, "--out", join(tmp.dir, "diverged")], { timeout: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").pop()).toMatch(/^bioplausible: row wild \(2\/2\): training diverged in epoch 1/);
  });
});
