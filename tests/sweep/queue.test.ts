// A sweep distributed on a real Redis: three workers, one SIGKILLed in the middle of a task, Redis
// restarted (losing every job: no persistence) while the coordinator waits, then the coordinator
// itself killed and the sweep resumed — and sweep.json holds the same hashes as a local run. And a
// Redis that is not there ends the sweep with a clear error, not a hang.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, runCli, tempDir } from "../cli/e2e-cli.js";
import { freePort, redisTests, startRedis, stopRedis } from "../helpers/redis.js";
import { hashes, writeSweep } from "./fixture.js";

const { skip, missing } = redisTests("tests/sweep/queue.test.ts");
let tmp: ReturnType<typeof tempDir>;
let config: string;
const children: ChildProcess[] = [];
const read = (out: string) => JSON.parse(readFileSync(join(out, "sweep.json"), "utf8"));

/** A bioplausible process whose stderr is kept as it comes. */
function start(args: string[]): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BIOPLAUSIBLE_THREADS: "1" } });
  children.push(child);
  let text = "";
  child.stderr!.on("data", (d) => (text += d));
  child.stdout!.on("data", () => {});
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, log: () => text, exited };
}

async function until(what: string, test: () => boolean, seconds = 120): Promise<void> {
  for (let waited = 0; !test(); waited += 0.05) {
    if (waited > seconds) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  if (missing && !skip) throw new Error(missing);
  tmp = tempDir("sweep-queue");
  config = writeSweep(tmp.dir);
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  tmp?.cleanup();
});

describe.skipIf(skip)("sweep on a Redis queue", () => {
  it("gives a local run's hashes with a worker killed mid-task, Redis restarted and the coordinator resumed", async () => {
    const local = await runCli(["sweep", "--config", config, "--out", join(tmp.dir, "local"), "--processes", "2"], { timeout: 240_000 });
    expect(local.code, local.stderr).toBe(0);
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let redis = await startRedis(port);
    try {
      const out = join(tmp.dir, "queued");
      const coordinator = start(["sweep", "--config", config, "--out", out, "--queue", url, "--queue-timeout", "30"]);
      const workers = [0, 1, 2].map(() => start(["worker", "--queue", url, "--lock-seconds", "2", "--threads", "1"]));
      // The first task a worker starts: that worker dies with it half done.
      let victim = -1;
      await until("a worker to start a task", () => (victim = workers.findIndex((w) => /started/.test(w.log()))) >= 0);
      const killedKey = /worker: (\S+) started/.exec(workers[victim].log())![1];
      workers[victim].child.kill("SIGKILL");
      await workers[victim].exited;
      expect(workers[victim].log()).not.toContain(`${killedKey} finished`);
      // Another worker takes the task over once its lock has expired.
      const others = workers.filter((_, i) => i !== victim);
      await until(`${killedKey} to be taken over`, () => others.some((w) => w.log().includes(`${killedKey} started`)));

      // Redis goes away for two seconds and comes back empty.
      await until("four results", () => /\b[4-9]\/12 done|\b1[0-2]\/12 done/.test(coordinator.log()));
      await stopRedis(redis);
      await new Promise((r) => setTimeout(r, 2000));
      redis = await startRedis(port);
      await until("the coordinator to see Redis back", () => coordinator.log().includes("is back"));
      expect(coordinator.log()).toContain(`sweep: lost Redis at ${url} (`);
      expect(coordinator.log()).toContain("retrying for up to 30 s");

      // The coordinator dies; a new one carries the sweep on from sweep.json.
      coordinator.child.kill("SIGKILL");
      await coordinator.exited;
      const resumed = start(["sweep", "--config", config, "--out", out, "--queue", url, "--resume"]);
      const code = await resumed.exited;
      expect(code, resumed.log()).toBe(0);
      expect(resumed.log()).toMatch(/resuming the sweep in .*: \d+ tasks done/);
      const queued = read(out);
      expect(queued.complete).toBe(true);
      expect(hashes(queued)).toEqual(hashes(read(join(tmp.dir, "local"))));
      expect(queued.rows.map((r: { best: unknown }) => r.best)).toEqual(read(join(tmp.dir, "local")).rows.map((r: { best: unknown }) => r.best));
      for (const w of others) w.child.kill("SIGTERM");
      await Promise.all(others.map((w) => w.exited));
      for (const w of others) expect(w.log()).toContain("worker: stopping");
    } finally {
      await stopRedis(redis);
    }
  }, 600_000);
});

describe.skipIf(skip)("worker --queue given a job that is no sweep task", () => {
  it("fails that job with a message naming it, without retries, and keeps serving", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const redis = await startRedis(port);
    const { Queue } = await import("bullmq");
    const queue = new Queue("bioplausible-sweep", { connection: { host: "127.0.0.1", port, maxRetriesPerRequest: null } });
    try {
      const worker = start(["worker", "--queue", url, "--threads", "1"]);
      await queue.add("junk", { hello: 1 }, { jobId: "junk-1", attempts: 3 });
      await until("the worker to refuse it", () => worker.log().includes("is not a bioplausible sweep task"), 60);
      expect(worker.log()).toContain("worker: job junk-1 on queue bioplausible-sweep is not a bioplausible sweep task");
      for (let i = 0; i < 50 && (await queue.getJobState("junk-1")) !== "failed"; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await queue.getJobState("junk-1")).toBe("failed");
      expect((await queue.getJob("junk-1"))!.attemptsMade).toBe(1);
      expect(worker.child.exitCode).toBeNull();
      worker.child.kill("SIGTERM");
      await worker.exited;
    } finally {
      await queue.close();
      await stopRedis(redis);
    }
  }, 120_000);
});

describe("sweep --queue without a Redis", () => {
  it("ends with an error naming the Redis and what to do, keeping nothing half written", async () => {
    const port = await freePort();
    const out = join(tmp.dir, "nowhere");
    const r = await runCli(["sweep", "--config", config, "--out", out, "--queue", `redis://127.0.0.1:${port}`, "--queue-timeout", "2"], { timeout: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bioplausible: Redis at redis://127.0.0.1:${port} unreachable for 2 s`);
    expect(r.stderr).toContain("run the same command with --resume once it is back");
    expect(existsSync(join(out, "sweep.json"))).toBe(false);
  }, 90_000);

  it("refuses a queue that is no redis:// URL, and a worker without one", async () => {
    const bad = await runCli(["sweep", "--config", config, "--queue", "http://127.0.0.1:6379"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--queue: http://127.0.0.1:6379: expected a redis:// or rediss:// URL");
    const worker = await runCli(["worker"]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain("--queue: missing");
  });
});
