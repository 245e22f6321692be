// Runs the `bioplausible` command as a user does: `node bin/bioplausible.js …` in a child process,
// which imports the bundle in dist/ (`npm test` builds it first; `npx rollup -c` by hand).

import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BIN = join(ROOT, "bin", "bioplausible.js");

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { timeout?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  if (!existsSync(join(ROOT, "dist", "cli.js"))) {
    throw new Error("dist/cli.js is missing: build the bundle first (npx rollup -c, or npm test)");
  }
  const env = { ...process.env, ...options.env };
  delete env.BIOPLAUSIBLE_DEBUG;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? ROOT, env, timeout: options.timeout ?? 20_000, maxBuffer: 1 << 24, encoding: "utf8" },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
        const code = e ? (typeof e.code === "number" ? e.code : null) : 0;
        done({ code, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `bioplausible argv`, sending SIGKILL `killAfter` ms after the start — or, with `after`, after
 * that file first appears (so that the kill lands with a checkpoint on disk, whatever the load).
 */
export function runKilled(argv: string[], killAfter?: number, after?: string): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer = setTimeout(() => child.kill("SIGKILL"), killAfter));
    const poll = setInterval(() => {
      if (after !== undefined && existsSync(after)) {
        clearInterval(poll);
        arm();
      }
    }, 2);
    if (after === undefined) {
      clearInterval(poll);
      if (killAfter !== undefined) arm();
    }
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      done({ code, signal: signal as NodeJS.Signals | null, stdout, stderr });
    });
  });
}

/** stdout split into lines, without the empty string after the final newline. */
export function lines(text: string): string[] {
  const all = text.split("\n");
  if (all[all.length - 1] === "") all.pop();
  return all;
}

/** The last line of stdout parsed as JSON; fails unless it is exactly one JSON object. */
export function lastJson(result: CliResult): Record<string, any> {
  const last = lines(result.stdout).pop();
  if (last === undefined) throw new Error(`stdout is empty; stderr: ${result.stderr}`);
  const value = JSON.parse(last) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`last line is not a JSON object: ${last}`);
  return value as Record<string, any>;
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `bioplausible-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The set-up of a test file that only needs a temporary directory and one IDX fixture in it: the
 * directory is made and the fixture written to `<tmp>/<sub>` in beforeAll, all removed in afterAll.
 * Read `.tmp` (the directory) and `.data` (the fixture's, for --data-dir) inside the tests.
 */
export function fixtureDir(prefix: string, sub: string, fixture: Parameters<typeof makeIdxFixture>[0]): { readonly tmp: string; readonly data: string } {
  const state = { tmp: "", data: "" };
  let cleanup: (() => void) | undefined;
  beforeAll(() => {
    const t = tempDir(prefix);
    cleanup = t.cleanup;
    state.tmp = t.dir;
    state.data = writeIdxDir(join(t.dir, sub), makeIdxFixture(fixture));
  });
  afterAll(() => cleanup?.());
  return state;
}

/** Reads a safetensors file by hand: u64 LE header length, JSON header, data region. */
export function readSafetensors(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array; headerLength: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, any>;
  return { header, data: bytes.subarray(8 + headerLength), headerLength };
}
