// Sweep tasks in child processes: the parent side (TaskProcesses) keeps a pool of `bioplausible
// worker --ipc` children and hands each a task at a time; the child side (serveTasks) loads the
// data once and runs what it is sent. A task runs in a child, not in the process that schedules it,
// so that the scheduler's event loop (a queue's lock renewals, say) never waits on a training.

import { fork, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Dataset } from "../datasets/dataset.js";
import { runTask, type SweepTask, type SweepTaskData, type TaskResult, type TaskRunner } from "../experiment/sweep-run.js";
import type { Runtime } from "../wasm/load.js";
import { loadSplit } from "./data.js";
import { checkpointFile } from "./files.js";
import { info } from "./report.js";
import { startRuntime } from "./threads.js";

const BIN = fileURLToPath(new URL("../bin/bioplausible.js", import.meta.url));

/** A task as sent to a child: the data it reads, and where its training checkpoint lives, if anywhere. */
export interface TaskOrder {
  task: SweepTask;
  data: SweepTaskData;
  checkpoint?: { file: string; every: number };
}

type Reply = { type: "result"; result: TaskResult } | { type: "error"; key: string; message: string };

/** A pool of child processes, each running one task at a time on `threads` threads. */
export class TaskProcesses implements TaskRunner {
  private readonly idle: ChildProcess[] = [];
  private readonly all = new Set<ChildProcess>();

  /** `order` says what data and checkpoint each task of `run` gets. */
  constructor(readonly count: number, readonly threads: number, readonly order?: (task: SweepTask) => TaskOrder) {}

  private spawn(): ChildProcess {
    const child = fork(BIN, ["worker", "--ipc"], {
      env: { ...process.env, BIOPLAUSIBLE_THREADS: String(this.threads) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.all.add(child);
    child.on("exit", () => this.all.delete(child));
    return child;
  }

  /** Run one task in a child of the pool; a child that dies takes only its task with it. */
  runWith(order: TaskOrder): Promise<TaskResult> {
    const { task } = order;
    const child = this.idle.pop() ?? this.spawn();
    return new Promise((resolve, reject) => {
      const settle = () => {
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      const onMessage = (reply: Reply) => {
        settle();
        this.idle.push(child);
        if (reply.type === "result") resolve(reply.result);
        else reject(new Error(reply.message));
      };
      const onExit = (code: number | null, signal: string | null) => {
        settle();
        reject(new Error(`${task.key}: its process ended (${signal ? `signal ${signal}` : `exit code ${code}`}) before finishing`));
      };
      child.on("message", onMessage);
      child.on("exit", onExit);
      child.send(order);
    });
  }

  async run(tasks: SweepTask[], events: Parameters<TaskRunner["run"]>[1]): Promise<void> {
    const queue = [...tasks];
    let failure: Error | undefined;
    const lane = async () => {
      while (queue.length && !failure) {
        const task = queue.shift()!;
        events.started(task);
        try {
          events.finished(await this.runWith(this.order!(task)));
        } catch (error) {
          failure ??= error as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.count, tasks.length) }, lane));
    if (failure) throw failure;
  }

  close(): void {
    for (const child of this.all) child.kill("SIGTERM");
    this.all.clear();
    this.idle.length = 0;
  }
}

/** The child's side: run each task it is sent, replying with its result or its error. */
export async function serveTasks(): Promise<void> {
  if (!process.send) throw new Error("worker --ipc: not started by a sweep (it takes its tasks over an IPC channel)");
  const parent = process.ppid;
  let runtime: Runtime | undefined;
  const loaded = new Map<string, Promise<Dataset>>();
  const load = (data: SweepTaskData, split: "train" | "test") => {
    const id = `${data.dataset}\0${data.dataDir ?? ""}\0${split}`;
    if (!loaded.has(id)) loaded.set(id, loadSplit(data.dataset, data.dataDir ?? undefined, split));
    return loaded.get(id)!;
  };
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (order: TaskOrder) => {
    const { task, data, checkpoint } = order;
    let reply: Reply;
    try {
      runtime ??= await startRuntime(undefined);
      const [train, test] = await Promise.all([load(data, "train"), load(data, "test")]);
      // A checkpoint belongs to its task's exact job: another's is never resumed.
      const run = { key: task.key, spec: task.spec };
      const saved = checkpoint ? checkpointFile.read(checkpoint.file) : undefined;
      const resume = saved && JSON.stringify(saved.run) === JSON.stringify(run) ? saved.checkpoint : undefined;
      if (resume) info(`${task.key}: resuming from ${checkpoint!.file} (epoch ${resume.state.epoch}, after batch ${resume.state.batch})`);
      const result = await runTask(task, { train, test }, data, runtime, {
        // A training runs without yielding: an orphan (its scheduler killed) notices at the next batch.
        onBatch: () => {
          if (process.ppid !== parent) process.exit(1);
        },
        ...(checkpoint ? { checkpoint: { every: checkpoint.every, save: (c) => checkpointFile.write(checkpoint.file, c, run) }, resume } : {}),
      });
      if (checkpoint) rmSync(checkpoint.file, { force: true });
      reply = { type: "result", result };
    } catch (error) {
      reply = { type: "error", key: task.key, message: (error as Error).message };
    }
    process.send!(reply);
  });
}
