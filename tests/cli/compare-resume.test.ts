// `compare` killed with SIGKILL mid-run and restarted with --resume: every row's parameters, the
// table and the figures equal those of the run never interrupted, and the checkpoint directory is
// gone at the end.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";
import { Lcg } from "../helpers/lcg.js";
import { runCli, runKilled, tempDir } from "./e2e-cli.js";

const KILLS = 6;
let tmp: ReturnType<typeof tempDir>;
let config: string;

beforeAll(() => {
  tmp = tempDir("compare-resume");
  const dataDir = writeIdxDir(join(tmp.dir, "data"), makeIdxFixture({ train: 4000, test: 60, side: 8, classes: 10, seed: 5 }));
  const quick = JSON.parse(readFileSync(new URL("../../examples/compare-quick.json", import.meta.url), "utf8"));
  config = join(tmp.dir, "small.json");
  writeFileSync(config, JSON.stringify({
    ...quick, name: "small", dataDir, layers: [64, 24, 10], epochs: 2,
    spiking: { ...quick.spiking, time: 0.05, testSamples: 30 },
    rows: quick.rows.map((row: Record<string, unknown>) => ({ ...row, batchSize: 16 })),
  }));
});
afterAll(() => tmp?.cleanup());

const args = (out: string) => ["compare", "--config", config, "--out", out, "--checkpoint-every", "5"];
const results = (out: string) => JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
/** What must not depend on interruptions: everything but timings and the runtime that ran it. */
function comparable(r: Record<string, any>) {
  return {
    rows: r.rows.map((row: Record<string, any>) => ({
      ...row, seconds: 0, seconds_per_epoch: 0, history: row.history.map((e: object) => ({ ...e, seconds: 0 })),
      ...(row.spiking ? { spiking: { ...row.spiking, seconds: 0, images_per_s: 0 } } : {}),
    })),
    figures: r.figures,
  };
}

describe(`compare killed with SIGKILL at ${KILLS} random moments, then --resume`, () => {
  it("ends with the same rows, hashes and figures as the uninterrupted run", async () => {
    const reference = join(tmp.dir, "reference");
    const started = performance.now();
    const whole = await runCli(args(reference), { timeout: 300_000 });
    const duration = performance.now() - started;
    expect(whole.code, whole.stderr).toBe(0);
    expect(existsSync(join(reference, "checkpoint"))).toBe(false);
    const expected = comparable(results(reference));

    const gen = new Lcg(7);
    let resumedRows = 0;
    let resumedTraining = 0;
    for (let k = 0; k < KILLS; k++) {
      const out = join(tmp.dir, `kill-${k}`);
      // A third of the kills come anywhere in the run; a third as soon as a row is in training
      // (the first training checkpoint); a third some time after the first row has finished.
      const mode = k % 3;
      const at = mode === 1 ? 0 : gen.range(0, mode === 0 ? 0.9 : 0.5) * duration;
      const after = mode === 0 ? undefined : join(out, "checkpoint", mode === 1 ? "training.ckpt" : "rows.json");
      const killed = await runKilled(args(out), at, after);
      if (killed.signal !== "SIGKILL") continue;
      const resumed = await runCli([...args(out), "--resume"], { timeout: 300_000 });
      expect(resumed.code, `kill ${k} at ${at.toFixed(0)} ms: ${resumed.stderr}`).toBe(0);
      const done = /resuming from .*: (\d+) of \d+ rows done/.exec(resumed.stderr);
      if (done) resumedRows += Number(done[1]);
      if (/rows done, .* from epoch \d+, after batch \d+/.test(resumed.stderr)) resumedTraining++;
      expect(comparable(results(out)), `kill ${k} at ${at.toFixed(0)} ms`).toEqual(expected);
      expect(existsSync(join(out, "checkpoint"))).toBe(false);
      // The total time counts the interrupted run's finished rows too.
      expect(results(out).seconds).toBeGreaterThanOrEqual(results(out).rows.slice(0, done ? Number(done[1]) : 0).reduce((t: number, r: { seconds: number }) => t + r.seconds, 0));
    }
    // Some resumes must have skipped finished rows, and some carried a row's training on, for the
    // test to cover them.
    expect(resumedRows).toBeGreaterThan(0);
    expect(resumedTraining).toBeGreaterThan(0);
  }, 600_000);

  it("leaves files of its own in <out>/checkpoint/ alone, and says when it discards an old checkpoint", async () => {
    const out = join(tmp.dir, "mine");
    await runKilled(args(out), 0, join(out, "checkpoint", "training.ckpt"));
    writeFileSync(join(out, "checkpoint", "my-notes.txt"), "keep me");
    const r = await runCli(args(out), { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`discarding the checkpoint of an interrupted run in ${join(out, "checkpoint")} (run with --resume to carry it on)`);
    expect(readdirSync(join(out, "checkpoint"))).toEqual(["my-notes.txt"]);
  });

  it("refuses a checkpoint of another experiment, naming the setting", async () => {
    const out = join(tmp.dir, "other");
    await runKilled(args(out), 0, join(out, "checkpoint", "training.ckpt"));
    const changed = join(tmp.dir, "changed.json");
    writeFileSync(changed, JSON.stringify({ ...JSON.parse(readFileSync(config, "utf8")), seed: 99 }));
    const r = await runCli(["compare", "--config", changed, "--out", out, "--resume"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume: .*checkpoint.* is a checkpoint of another run: its config\.seed is \d+, this command's is 99/);
  });
});
