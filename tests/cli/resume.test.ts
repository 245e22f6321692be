// Durable runs: `train` killed with SIGKILL at random moments and restarted with --resume ends with
// parameters bit-identical to a run never interrupted; the checkpoint on disk is always whole; and
// what cannot work (a checkpoint of another run, no space, --resume with nowhere to look) fails
// before any training, naming the flag.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../ts-wrapper/index.js";
import { writeFileAtomic } from "../../ts-wrapper/cli/files.js";
import { makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";
import { Lcg } from "../helpers/lcg.js";
import { BIN, lastJson, runCli, runKilled as run, tempDir } from "./e2e-cli.js";

const KILLS = 20;
let tmp: ReturnType<typeof tempDir>;
let dataDir: string;
// Adam (two buffers and a step count), the cosine schedule (a step clock), batch norm (running
// statistics) and a short last batch: every piece of state a resume has to restore.
const args = (ckpt: string) => [
  "train", "--data-dir", dataDir, "--layers", "784,96,48,10", "--epochs", "3", "--batch-size", "16", "--optimizer", "adam",
  "--lr-schedule", "cosine", "--batch-norm", "--checkpoint", ckpt, "--checkpoint-every", "7", "--json",
];

beforeAll(() => {
  tmp = tempDir("resume");
  dataDir = writeIdxDir(join(tmp.dir, "data"), makeIdxFixture({ train: 5003, test: 100, side: 28, seed: 3 }));
});
afterAll(() => tmp?.cleanup());

describe(`train killed with SIGKILL at ${KILLS} random moments, then --resume`, () => {
  it("ends bit-identical to the uninterrupted run every time, from whole checkpoints", async () => {
    const reference = await run(args(join(tmp.dir, "reference.ckpt")));
    expect(reference.code, reference.stderr).toBe(0);
    const expected = JSON.parse(reference.stdout.trim().split("\n").pop()!);
    expect(existsSync(join(tmp.dir, "reference.ckpt")), "the checkpoint is removed once the run has finished").toBe(false);
    // The kill moments spread over the whole run, start-up and the final write included.
    const started = performance.now();
    await run(args(join(tmp.dir, "timing.ckpt")));
    const duration = performance.now() - started;

    const gen = new Lcg(2026);
    let killedWithCheckpoint = 0;
    for (let k = 0; k < KILLS; k++) {
      const ckpt = join(tmp.dir, `kill-${k}.ckpt`);
      // Even kills come anywhere in the run (start-up and the final write included); odd ones some
      // time after the first checkpoint.
      const at = gen.range(k % 2 ? 0 : 0.1, k % 2 ? 0.6 : 1) * duration;
      const killed = await run(args(ckpt), at, k % 2 ? ckpt : undefined);
      if (killed.signal !== "SIGKILL") continue; // finished first: nothing to resume
      if (existsSync(ckpt)) {
        killedWithCheckpoint++;
        // Atomic writes: whatever instant the kill came, the checkpoint on disk decodes whole.
        expect(() => decodeCheckpoint(readFileSync(ckpt), ckpt), `kill ${k} at ${at.toFixed(0)} ms`).not.toThrow();
      }
      // Every third resume is itself killed once more before the last one finishes the run.
      if (k % 3 === 0) await run([...args(ckpt), "--resume"], gen.range(0.1, 0.8) * duration);
      const resumed = await run([...args(ckpt), "--resume"]);
      expect(resumed.code, `kill ${k} at ${at.toFixed(0)} ms: ${resumed.stderr}`).toBe(0);
      const result = JSON.parse(resumed.stdout.trim().split("\n").pop()!);
      expect(result.params_sha256, `kill ${k} at ${at.toFixed(0)} ms`).toBe(expected.params_sha256);
      expect(result.history.map((e: { loss: number }) => e.loss)).toEqual(expected.history.map((e: { loss: number }) => e.loss));
      expect(result.test_accuracy).toBe(expected.test_accuracy);
    }
    // Most kills must land mid-training for the test to mean anything.
    console.info(`resume.test.ts: ${killedWithCheckpoint} of ${KILLS} kills left a checkpoint to resume from`);
    expect(killedWithCheckpoint).toBeGreaterThanOrEqual(KILLS / 2);
  }, 600_000);
});

/** Runs until the checkpoint file appears, then kills the run: a checkpoint left as a crash leaves it. */
async function checkpointOf(argv: string[], ckpt: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: "ignore" });
  const closed = new Promise((done) => child.on("close", done));
  while (!existsSync(ckpt) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGKILL");
  await closed;
  if (!existsSync(ckpt)) throw new Error("the run ended without leaving a checkpoint");
}

describe("resume: what it does when it cannot simply carry on", () => {
  it("refuses a checkpoint of another run, naming the setting that differs", async () => {
    const ckpt = join(tmp.dir, "other.ckpt");
    await checkpointOf(args(ckpt), ckpt);
    const r = await runCli([...args(ckpt), "--lr", "0.002", "--resume"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--resume: ${ckpt} is a checkpoint of another run: its lr is 0.001, this command's is 0.002`);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });

  it("starts from the beginning when there is no checkpoint yet, and says so", async () => {
    const ckpt = join(tmp.dir, "none-yet.ckpt");
    const fresh = await runCli([...args(join(tmp.dir, "fresh.ckpt"))], { timeout: 60_000 });
    const r = await runCli([...args(ckpt), "--resume"], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`no checkpoint at ${ckpt} yet: starting from the beginning`);
    expect(lastJson(r).params_sha256).toBe(lastJson(fresh).params_sha256);
  });

  it("--resume needs a checkpoint path: --checkpoint, or --out's", async () => {
    const r = await runCli(args("x").filter((a, i, all) => a !== "--checkpoint" && all[i - 1] !== "--checkpoint").concat("--resume"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--resume: needs --checkpoint FILE, or --out FILE (whose checkpoint is FILE.ckpt)");
  });

  it("refuses a checkpoint file that is the model file", async () => {
    const out = join(tmp.dir, "same.safetensors");
    const r = await runCli([...args(out), "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--checkpoint: ${out} is where --out saves the model; give the checkpoint its own file`);
  });

  it("a corrupt checkpoint is an error naming the file, not a fresh start", async () => {
    const ckpt = join(tmp.dir, "corrupt.ckpt");
    writeFileSync(ckpt, "not a checkpoint at all");
    const r = await runCli([...args(ckpt), "--resume"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${ckpt}: `);
  });

  it("--out's checkpoint is FILE.ckpt, and both are gone or whole when the run ends", async () => {
    const out = join(tmp.dir, "model.safetensors");
    await checkpointOf([...args("unused").filter((a, i, all) => a !== "--checkpoint" && all[i - 1] !== "--checkpoint"), "--out", out], `${out}.ckpt`);
    expect(existsSync(out)).toBe(false);
    const r = await runCli([...args("unused").filter((a, i, all) => a !== "--checkpoint" && all[i - 1] !== "--checkpoint"), "--out", out, "--resume"], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`resuming from ${out}\\.ckpt: epoch \\d, after batch \\d+`));
    expect(existsSync(out)).toBe(true);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
  });
});

// A small file system that fills up: a tmpfs, where this machine lets us mount one (root on Linux).
function mountTiny(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("a full disk", () => {
  let tiny: string;
  let mounted = false;
  beforeAll(() => {
    tiny = join(tmp.dir, "tiny");
    mounted = mountTiny(tiny, "256k");
    if (!mounted) console.warn("resume.test.ts: cannot mount a tmpfs here (needs root on Linux); the full-disk tests are skipped");
  });
  afterAll(() => {
    if (mounted) execFileSync("umount", [tiny]);
  });

  it("train refuses before training when the model and checkpoints will not fit", async (ctx) => {
    if (!mounted) ctx.skip();
    const r = await runCli([...args(join(tiny, "run.ckpt")), "--out", join(tiny, "model.safetensors")]);
    expect(r.code).toBe(2);
    // 784·96 + 96 + 96·48 + 48 + 48·10 + 10 weights and biases, 4·(96 + 48) batch-norm values, float32,
    // and 64 KiB for the header; the tmpfs holds 256 KiB.
    const need = ((784 * 96 + 96 + 96 * 48 + 48 + 48 * 10 + 10 + 4 * (96 + 48)) * 4 + 65536) / 2 ** 20;
    expect(r.stderr).toContain(`--out: ${tiny} has ${(0.25).toFixed(1)} MiB free; the model file needs about ${need.toFixed(1)} MiB`);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });

  it("a write that runs out of space fails naming the file and leaves the old file whole and no temporary", (ctx) => {
    if (!mounted) ctx.skip();
    const file = join(tiny, "state.bin");
    writeFileAtomic(file, new Uint8Array(100_000).fill(7));
    expect(() => writeFileAtomic(file, new Uint8Array(200_000).fill(9))).toThrow(new RegExp(`cannot write ${file} \\(ENOSPC`));
    expect(readFileSync(file)).toEqual(Buffer.from(new Uint8Array(100_000).fill(7)));
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});
