// Writing result files without ever leaving a half-written one, and refusing before any training
// when the output cannot be written or will not fit.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { access, constants, readFile, stat, statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UsageError } from "./args.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../training/checkpoint.js";

/** A file the command reads (`what`: "model file", "NIR file"), or a usage error naming it. */
export async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Fail early (before any training) when `file`'s directory cannot take it. */
export async function checkWritable(file: string, flag: string): Promise<void> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`${flag}: ${file} is a directory; give a file name`);
  }
  const dir = dirname(resolve(file));
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${file}: directory ${dir} does not exist or is not writable`);
  }
}

/** Fail early when the file system holding `file` has less than `bytes` free. */
export async function checkSpace(file: string, bytes: number, flag: string, what: string): Promise<void> {
  const dir = dirname(resolve(file));
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) throw new UsageError(`${flag}: ${dir} has ${megabytes(free)} free; ${what} needs about ${megabytes(bytes)}`);
}

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Writes `bytes` to `file` so that, even if the process dies at any instant, `file` holds either its
 * old contents or the new ones whole: a sibling temporary file, flushed to disk, renamed over it,
 * then the directory flushed so that the rename itself survives a crash.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  // One temporary name per target: a run killed mid-write leaves it behind, and the next write reuses it.
  const temp = `${file}.tmp`;
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  try {
    const fd = openSync(temp, "w");
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot write ${file} (${reason})`, { cause: error });
  }
  syncDirectory(dirname(resolve(file)));
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) and file systems cannot open or flush a directory; the rename stands.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A checkpoint file: written atomically, read back with the run it belongs to. */
export const checkpointFile = {
  write(file: string, checkpoint: Checkpoint, run: unknown): void {
    writeFileAtomic(file, encodeCheckpoint(checkpoint, run));
  },
  /** The checkpoint in `file`, or undefined when there is none. */
  read(file: string): { checkpoint: Checkpoint; run: unknown } | undefined {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`cannot read checkpoint ${file} (${(error as Error).message})`, { cause: error });
    }
    return decodeCheckpoint(bytes, file);
  },
};

/** Refuses to resume `file` unless the run it recorded is this command's, naming the first difference. */
export function checkSameRun(recorded: unknown, current: unknown, file: string): void {
  const difference = firstDifference(recorded, current);
  if (!difference) return;
  const { path, a, b } = difference;
  throw new UsageError(`--resume: ${file} is a checkpoint of another run: its ${path} is ${JSON.stringify(a)}, this command's is ${JSON.stringify(b)}`);
}

/** The first place two JSON values differ: its key path and the two values there; undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path = ""): { path: string; a: unknown; b: unknown } | undefined {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : { path: path || "(the whole value)", a, b };
}
