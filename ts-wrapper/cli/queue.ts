// Sweeps across machines on BullMQ over Redis. The coordinator (`sweep --queue`) adds each task as
// a job whose id is the sweep's identity and the task's key, so adding it again — after a restart
// of the coordinator, or of a Redis that lost it — never makes a second one; it then polls the jobs
// for their results. Workers (`worker --queue`) take one job at a time and run it in a child process
// (task-process.ts), so their event loop keeps renewing the job's lock while it trains; a worker
// killed mid-job stops renewing it, and BullMQ's stalled-job check hands the job to another worker.
// A task gives the same bits on any machine, so a retried job changes nothing.

import { createHash } from "node:crypto";
import type { SweepTask, SweepTaskData, TaskResult, TaskRunner } from "../experiment/sweep-run.js";
import { recordJob } from "../job/spec.js";
import { VERSION } from "../version.js";
import { UsageError } from "./args.js";
import { info } from "./report.js";
import { TaskProcesses, type TaskOrder } from "./task-process.js";

/** What a job carries: the version that made it (a worker of another version refuses it) and its order. */
interface JobData {
  version: string;
  order: TaskOrder;
}

export const DEFAULT_QUEUE = "bioplausible-sweep";

/** A redis:// URL checked, for --queue. */
export function queueUrl(url: string, flag = "--queue"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${flag}: ${JSON.stringify(url)} is not a URL (expected redis://HOST:PORT)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new UsageError(`${flag}: ${url}: expected a redis:// or rediss:// URL`);
  if (!parsed.hostname) throw new UsageError(`${flag}: ${url}: no host`);
  return parsed;
}

const shown = (url: URL) => `${url.protocol}//${url.host}`;

async function connect(url: URL, purpose: "coordinator" | "worker") {
  const { Redis } = await import("ioredis");
  // Commands wait for a Redis that is away (BullMQ needs maxRetriesPerRequest null for its blocking
  // reads); the coordinator bounds each wait itself, and says so.
  return new Redis(url.href, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(100 * times, 2000), connectionName: `bioplausible-${purpose}` });
}

/**
 * The id of a task's job: the sweep's identity, the task's key and a hash of the job it resolves to
 * (BullMQ ids take no ":"). The hash keeps a result Redis still holds from before a default moved
 * from standing in for the job as it resolves now.
 */
export function jobId(sweepId: string, task: SweepTask): string {
  const job = createHash("sha256").update(JSON.stringify(recordJob(task.spec))).digest("hex").slice(0, 12);
  return `${sweepId}.${task.key.replace(/\//g, ".")}.${job}`;
}

/** A sweep's identity: a hash of the version and the run it records. */
export function sweepIdentity(run: unknown): string {
  return createHash("sha256").update(JSON.stringify({ version: VERSION, run })).digest("hex").slice(0, 16);
}

/** The coordinator's side: enqueue tasks, collect their results; Redis away for `timeout` seconds ends it with an error. */
export class QueueRunner implements TaskRunner {
  private constructor(
    private readonly url: URL, private readonly queue: import("bullmq").Queue, private readonly connection: import("ioredis").Redis,
    private readonly sweepId: string, private readonly order: (task: SweepTask) => TaskOrder, private readonly timeout: number,
  ) {
    const where = shown(url);
    connection.on("error", (error: Error) => (this.reason = error.message));
    connection.on("close", () => {
      if (this.downSince !== undefined) return;
      this.downSince = performance.now();
      info(`sweep: lost Redis at ${where} (${this.reason}); retrying for up to ${timeout} s`);
    });
    connection.on("ready", () => {
      if (this.downSince !== undefined && this.reason !== "not connected yet") info(`sweep: Redis at ${where} is back`);
      this.downSince = undefined;
    });
  }

  static async open(url: URL, name: string, sweepId: string, order: (task: SweepTask) => TaskOrder, timeout: number): Promise<QueueRunner> {
    const { Queue } = await import("bullmq");
    const connection = await connect(url, "coordinator");
    const queue = new Queue(name, { connection, skipWaitingForReady: true });
    queue.on("error", () => {}); // the connection's events say it, once
    return new QueueRunner(url, queue, connection, sweepId, order, timeout);
  }

  /** When the connection was lost (undefined: it is up), and the last reason Redis gave. */
  private downSince?: number = performance.now();
  private reason = "not connected yet";

  /** `op` retried while Redis is away, up to the timeout; then an error saying what to do. */
  private async redis<T>(op: () => Promise<T>): Promise<T> {
    for (;;) {
      const left = this.downSince === undefined ? this.timeout * 1000 : this.timeout * 1000 - (performance.now() - this.downSince);
      try {
        const value = await withTimeout(op(), Math.max(100, Math.min(OP_SECONDS * 1000, left)));
        if (this.connection.status === "ready") this.downSince = undefined;
        return value;
      } catch (error) {
        if (this.downSince === undefined) {
          // Connected, yet no answer: count it as away from now.
          this.downSince = performance.now();
          info(`sweep: Redis at ${shown(this.url)}: ${(error as Error).message}; retrying for up to ${this.timeout} s`);
        } else if (performance.now() - this.downSince >= this.timeout * 1000) {
          throw new Error(`Redis at ${shown(this.url)} unreachable for ${this.timeout} s (${this.reason}); ` +
            "every result so far is saved: run the same command with --resume once it is back", { cause: error });
        }
        await sleep(200);
      }
    }
  }

  private add(task: SweepTask) {
    const data: JobData = { version: VERSION, order: this.order(task) };
    // Failures other than a lost worker (a child's crash) get two more tries; a stalled job is the stalled check's.
    return this.queue.add(task.key, data, { jobId: jobId(this.sweepId, task), attempts: 3, removeOnComplete: false, removeOnFail: false });
  }

  async run(tasks: SweepTask[], events: Parameters<TaskRunner["run"]>[1]): Promise<void> {
    for (const task of tasks) await this.redis(() => this.add(task));
    const pending = new Map(tasks.map((t) => [jobId(this.sweepId, t), t]));
    const active = new Set<string>();
    while (pending.size) {
      // One round trip a poll. BullMQ sets finishedOn only when a job has finished for good:
      // completed (with our result), or failed on its last try.
      const ids = [...pending.keys()];
      const jobs = await this.redis(() => Promise.all(ids.map((id) => this.queue.getJob(id))));
      for (const [k, job] of jobs.entries()) {
        const id = ids[k], task = pending.get(id)!;
        if (!job) {
          // Redis restarted without it (no persistence): add it again.
          await this.redis(() => this.add(task));
        } else if (job.finishedOn !== undefined) {
          if (!job.returnvalue) throw new Error(`${task.key} failed on every try: ${job.failedReason}`);
          pending.delete(id);
          if (!active.has(id)) events.started(task);
          events.finished(job.returnvalue as TaskResult);
        } else if (job.processedOn !== undefined && !active.has(id)) {
          active.add(id);
          events.started(task);
        }
      }
      if (pending.size) await sleep(250);
    }
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
    this.connection.disconnect();
  }
}

/** The worker's side: take jobs one at a time until stopped (SIGTERM or SIGINT), each in a child process. */
export async function serveQueue(url: URL, name: string, options: { dataDir?: string; threads: number; checkpointDir?: string; checkpointEvery: number; lockSeconds: number }): Promise<void> {
  const { Worker, UnrecoverableError } = await import("bullmq");
  const connection = await connect(url, "worker");
  const processes = new TaskProcesses(1, options.threads);
  let lastError = "";
  const onError = (error: Error) => {
    // One line per new reason: a Redis that stays away is not a line every retry.
    if (error.message !== lastError) info(`worker: Redis at ${shown(url)}: ${error.message}; retrying`);
    lastError = error.message;
  };
  connection.on("error", onError);
  connection.on("ready", () => {
    if (lastError) info(`worker: connected to Redis at ${shown(url)}`);
    lastError = "";
  });
  const worker = new Worker<JobData, TaskResult>(name, async (job) => {
    const { version, order } = (job.data ?? {}) as Partial<JobData>;
    if (typeof order?.task?.key !== "string" || typeof order.data?.dataset !== "string") {
      throw new UnrecoverableError(`worker: job ${job.id} on queue ${name} is not a bioplausible sweep task (no task and data in it)`);
    }
    if (version !== VERSION) throw new UnrecoverableError(`worker: ${job.name} comes from bioplausible ${version}; this worker is ${VERSION}`);
    const data = { ...order.data, ...(options.dataDir ? { dataDir: options.dataDir } : {}) };
    const checkpoint = options.checkpointDir ? { file: `${options.checkpointDir}/${job.id}.ckpt`, every: options.checkpointEvery } : undefined;
    info(`worker: ${order.task.key} started (job ${job.id}${job.attemptsMade || job.stalledCounter ? ", a retry" : ""})`);
    const result = await processes.runWith({ ...order, data, ...(checkpoint ? { checkpoint } : {}) });
    info(`worker: ${order.task.key} finished${result.params_sha256 ? ` (params ${result.params_sha256.slice(0, 12)}…)` : ""}`);
    return result;
  }, {
    connection, concurrency: 1, autorun: true,
    lockDuration: options.lockSeconds * 1000, stalledInterval: options.lockSeconds * 1000, maxStalledCount: 5,
  });
  worker.on("error", (error) => info(`worker: ${error.message}`));
  worker.on("failed", (job, error) => info(`worker: ${job?.name ?? "a job"} failed: ${error.message}`));
  info(`worker: waiting for sweep tasks on ${shown(url)} (queue ${name}), ${options.threads} thread${options.threads === 1 ? "" : "s"} per task`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      info("worker: stopping");
      processes.close();
      void worker.close(true).finally(() => {
        connection.disconnect();
        resolve();
      });
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A command Redis has not answered in this long counts as Redis being away (it may still land later:
// every command the coordinator sends can be repeated without harm).
const OP_SECONDS = 5;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
