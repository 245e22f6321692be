// bioplausible sweep run locally: the same sweep.json hashes from one process or two; each row's
// best is its highest validation accuracy; a seed's run is the job `train` runs with that setting;
// the figures over seeds are the mean, the sample std and the t interval of the runs' test figures.

import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lines, runCli, runKilled, tempDir } from "../cli/e2e-cli.js";
import { hashes, writeSweep } from "./fixture.js";

let tmp: ReturnType<typeof tempDir>;
let config: string;
const read = (out: string) => JSON.parse(readFileSync(join(out, "sweep.json"), "utf8"));

beforeAll(() => {
  tmp = tempDir("sweep-local");
  config = writeSweep(tmp.dir);
});
afterAll(() => tmp?.cleanup());

describe("sweep, local processes", () => {
  let one: ReturnType<typeof read>;
  let last: Record<string, any>;

  it("gives the same results with one process and with two", async () => {
    const a = await runCli(["sweep", "--config", config, "--out", join(tmp.dir, "p1"), "--processes", "1", "--json"], { timeout: 240_000 });
    expect(a.stderr).toMatch(/on 1 local process of \d+ threads?\n/);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(["sweep", "--config", config, "--out", join(tmp.dir, "p2"), "--processes", "2", "--json"], { timeout: 240_000 });
    expect(b.code, b.stderr).toBe(0);
    one = read(join(tmp.dir, "p1"));
    const two = read(join(tmp.dir, "p2"));
    expect(one.results).toHaveLength(3 * (2 + 2));
    expect(one.results.every((r: { params_sha256?: string }) => /^[0-9a-f]{64}$/.test(r.params_sha256 ?? ""))).toBe(true);
    expect(hashes(two)).toEqual(hashes(one));
    expect(two.rows.map((r: { best: unknown }) => r.best)).toEqual(one.rows.map((r: { best: unknown }) => r.best));
    last = JSON.parse(lines(a.stdout).at(-1)!);
    expect(readFileSync(join(tmp.dir, "p1", "report.html"), "utf8")).toContain("<svg");
    expect(existsSync(join(tmp.dir, "p1", "checkpoints"))).toBe(false);
  }, 500_000);

  it("chooses each row's best by validation accuracy, and reads the test set only in the seeds' runs", () => {
    for (const row of one.rows) {
      const trials = one.trials.filter((t: { row: string }) => t.row === row.name);
      expect(trials).toHaveLength(2);
      for (const t of trials) expect(t.test_accuracy).toBeUndefined();
      const top = Math.max(...trials.map((t: { validation_accuracy: number }) => t.validation_accuracy));
      expect(row.best.validation_accuracy).toBe(top);
      expect(trials[row.best.trial].validation_accuracy).toBe(top);
      expect(trials[row.best.trial].setting).toEqual(row.best.setting);
      const runs = one.runs.filter((r: { row: string }) => r.row === row.name);
      expect(runs.map((r: { seed: number }) => r.seed)).toEqual([3, 4]);
      for (const r of runs) {
        expect(r.validation_samples).toBe(0);
        expect(r.train_samples).toBe(3000);
        expect(r.setting).toEqual(row.best.setting);
      }
    }
    // The snn row's seeds ran the simulation; its trials did not.
    expect(one.runs.filter((r: { row: string }) => r.row === "snn").every((r: { spiking?: unknown }) => r.spiking)).toBe(true);
    expect(one.trials.some((t: { spiking?: unknown }) => t.spiking)).toBe(false);
  });

  it("summarises the seeds: mean, sample std, 95 % t interval, paired differences to backprop", () => {
    const T975_1 = 12.706204736174707; // Student's t, 1 degree of freedom: tan(0.475π)
    expect(Math.tan(0.475 * Math.PI)).toBeCloseTo(T975_1, 12);
    for (const row of last.rows) {
      const values = one.runs.filter((r: { row: string }) => r.row === row.name).map((r: { test_accuracy: number }) => r.test_accuracy);
      const mean = (values[0] + values[1]) / 2;
      const std = Math.abs(values[0] - values[1]) / Math.SQRT2;
      expect(row.test_accuracy.values).toEqual(values);
      expect(row.test_accuracy.mean).toBeCloseTo(mean, 14);
      expect(row.test_accuracy.std).toBeCloseTo(std, 14);
      expect(row.test_accuracy.ci95[1] - mean).toBeCloseTo((T975_1 * std) / Math.SQRT2, 9);
      if (row.name === "bp") expect(row.difference).toBeUndefined();
      else {
        const ref = one.runs.filter((r: { row: string }) => r.row === "bp").map((r: { test_accuracy: number }) => r.test_accuracy);
        expect(row.difference.against).toBe("bp");
        expect(row.difference.test_accuracy.values).toEqual(values.map((v: number, k: number) => v - ref[k]));
      }
    }
    expect(last.reference).toBe("bp");
  });

  it("runs each seed as the train command runs that job", async () => {
    const row = one.rows.find((r: { name: string }) => r.name === "bp");
    const run = one.runs.find((r: { row: string; seed_index: number }) => r.row === "bp" && r.seed_index === 1);
    const setting = Object.entries(row.best.setting).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const t = await runCli([
      "train", "--limit", "3000", "--layers", "784,24,10", "--epochs", "1", "--batch-size", "16", "--seed", "4", "--validation", "0", ...setting, "--json",
    ], { timeout: 120_000 });
    expect(t.code, t.stderr).toBe(0);
    const trained = JSON.parse(lines(t.stdout).at(-1)!);
    expect(trained.params_sha256).toBe(run.params_sha256);
    expect(trained.test_accuracy).toBe(run.test_accuracy);
  }, 200_000);

  it("with trialSeeds, runs each trial from that many seeds, each the job train runs, and picks the best mean", async () => {
    const bp = JSON.parse(readFileSync(config, "utf8")).rows[0];
    const file = writeSweep(tmp.dir, { rows: [bp], trialSeeds: 2, seeds: 1 }, "trial-seeds.json");
    const out = join(tmp.dir, "trial-seeds");
    const r = await runCli(["sweep", "--config", file, "--out", out, "--json"], { timeout: 200_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("1 rows × (2 random trials × 2 seeds + 1 seeds) = 5 tasks");
    const state = read(out);
    expect(state.trial_seeds).toBe(2);
    expect(state.trials.map((t: { key: string; seed: number }) => `${t.key} ${t.seed}`)).toEqual(["bp/trial-0 3", "bp/trial-0/seed-1 4", "bp/trial-1 3", "bp/trial-1/seed-1 4"]);
    const mean = (i: number) => state.trials.filter((t: { trial: number }) => t.trial === i).reduce((s: number, t: { validation_accuracy: number }) => s + t.validation_accuracy / 2, 0);
    const best = mean(1) > mean(0) ? 1 : 0;
    expect(state.rows[0].best.trial).toBe(best);
    expect(state.rows[0].best.validation_accuracy).toBeCloseTo(mean(best), 12);
    // A trial's second seed is train's job with that setting and seed.
    const second = state.trials[1];
    const setting = Object.entries(second.setting).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const t = await runCli([
      "train", "--limit", "3000", "--layers", "784,24,10", "--epochs", "1", "--batch-size", "16", "--seed", "4", "--validation", "500", ...setting, "--json",
    ], { timeout: 120_000 });
    expect(t.code, t.stderr).toBe(0);
    const trained = JSON.parse(lines(t.stdout).at(-1)!);
    expect(trained.params_sha256).toBe(second.params_sha256);
    expect(trained.validation_accuracy).toBe(second.validation_accuracy);
  }, 400_000);

  it("killed in the middle of a task, carries on from that task's checkpoint with --resume, to the same bits", async () => {
    const out = join(tmp.dir, "killed");
    const args = ["sweep", "--config", config, "--out", out, "--processes", "1", "--checkpoint-every", "20"];
    const killed = await runKilled(args, 0, join(out, "checkpoints", "il.trial-0.ckpt"));
    expect(killed.signal).toBe("SIGKILL");
    const state = read(out);
    expect(state.complete).toBe(false);
    expect(state.results.map((r: { key: string }) => r.key)).not.toContain("il/trial-0");
    const resumed = await runCli([...args, "--resume"], { timeout: 240_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/il\/trial-0: resuming from .*il\.trial-0\.ckpt \(epoch 1, after batch \d+\)/);
    expect(hashes(read(out))).toEqual(hashes(one));
  }, 300_000);

  it("carries a sweep on from its sweep.json with --resume, and refuses another sweep's", async () => {
    const out = join(tmp.dir, "p1");
    const again = await runCli(["sweep", "--config", config, "--out", out, "--resume", "--json"], { timeout: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("12 tasks done");
    expect(hashes(read(out))).toEqual(hashes(one));
    const other = writeSweep(tmp.dir, { seed: 9 }, "other.json");
    const refused = await runCli(["sweep", "--config", other, "--out", out, "--resume"], { timeout: 60_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--resume: .*sweep\.json is a checkpoint of another run: its sweep\.seed is 3, this command's is 9/);
  }, 200_000);

  it("on --resume, runs again a task whose recorded job no longer resolves the same (a default moved), to the same bits", async () => {
    const out = join(tmp.dir, "stale");
    cpSync(join(tmp.dir, "p1"), out, { recursive: true });
    const state = read(out);
    // The task as a run under another recipe would have recorded it.
    const stale = state.results.find((r: { key: string }) => r.key === "bp/trial-1");
    expect(stale.job).toMatchObject({ model: "mlp", batchSize: 16 });
    stale.job = { ...stale.job, momentum: 0.123 };
    stale.params_sha256 = "0".repeat(64);
    writeFileSync(join(out, "sweep.json"), JSON.stringify(state));
    const resumed = await runCli(["sweep", "--config", config, "--out", out, "--resume"], { timeout: 200_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("bp/trial-1: its job resolves differently now than when it ran (a default has moved since): running it again");
    expect(resumed.stderr.match(/ — /g)).toHaveLength(1); // that task alone ran
    expect(hashes(read(out))).toEqual(hashes(one));
  }, 300_000);

  it("takes rows appended to the config on --resume: the rows run keep their results, and the whole equals a fresh sweep", async () => {
    const fa = { name: "fa", model: "mlp", feedbackAlignment: true, batchSize: 16, space: { lr: { log: [0.01, 0.2] } } };
    const rows = JSON.parse(readFileSync(config, "utf8")).rows;
    const more = writeSweep(tmp.dir, { rows: [...rows, fa] }, "more.json");
    const out = join(tmp.dir, "added");
    cpSync(join(tmp.dir, "p1"), out, { recursive: true });
    const resumed = await runCli(["sweep", "--config", more, "--out", out, "--resume"], { timeout: 200_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("12 tasks done, 1 row added");
    expect(resumed.stderr.match(/ — /g)).toHaveLength(4); // one line per task run: the new row's alone
    const fresh = await runCli(["sweep", "--config", more, "--out", join(tmp.dir, "fresh")], { timeout: 300_000 });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(hashes(read(out))).toEqual(hashes(read(join(tmp.dir, "fresh"))));
    expect(hashes(read(out)).slice(0, 6)).toEqual(hashes(one).slice(0, 6)); // the old rows' trials come first, unchanged
    const changed = writeSweep(tmp.dir, { rows: [{ ...rows[0], batchSize: 32 }, ...rows.slice(1), fa] }, "changed.json");
    const refused = await runCli(["sweep", "--config", changed, "--out", out, "--resume"], { timeout: 60_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/its sweep\.rows\.0\.batchSize is 16, this command's is 32/);
  }, 600_000);
});
