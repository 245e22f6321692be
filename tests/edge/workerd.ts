// Runs the real workerd (the devDependency's binary) on a generated config, for the tests in this
// directory: a free loopback port, a temporary directory for the config, readiness by polling, and
// a stop() that always ends the process (SIGTERM, then SIGKILL).

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const WORKERD = join(ROOT, "node_modules/.bin/workerd");
export const DIST = join(ROOT, "dist");

/** Fails with a clear message when workerd or the built bundles are missing (never skips). */
export function requireWorkerdAndBuild(): void {
  if (!existsSync(WORKERD)) {
    throw new Error(`workerd is missing: ${WORKERD} does not exist. It is a devDependency (package "workerd"); run \`npm install\``);
  }
  for (const file of ["index.js", "workerd.js", "bioplausible.wasm"]) {
    if (!existsSync(join(DIST, file))) throw new Error(`${join(DIST, file)} is missing: run \`npm run build\` first`);
  }
}

/** Ports handed out by this process: two servers started at once must not get the same one. */
const handedOut = new Set<number>();

/** A loopback port that was free a moment ago (listen on 0, read it, close), never one handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((done, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : 0;
        server.close(() => (port ? done(port) : reject(new Error("could not read the free port"))));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export interface Workerd {
  url: string;
  port: number;
  /** What workerd printed so far (stdout and stderr). */
  output(): string;
  /** Ends workerd (idempotent) and removes the config's directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Starts `workerd serve` on the config `makeConfig` writes: it gets a function turning a file's
 * path into one relative to the config (workerd reads embeds relative to the config file) and the
 * address to listen on. Resolves once GET `readyPath` gets any HTTP response.
 */
export async function startWorkerd(
  makeConfig: (fromConfig: (file: string) => string, address: string) => string,
  { readyPath = "/", timeoutMs = 30_000 }: { readyPath?: string; timeoutMs?: number } = {},
): Promise<Workerd> {
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => running.forEach((child) => child.kill("SIGKILL")));
  }
  const dir = await mkdtemp(join(tmpdir(), "bioplausible-edge-test-"));
  let lastError: Error | undefined;
  // The port may be taken between freePort() and workerd's bind: then try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = join(dir, "config.capnp");
    await writeFile(config, makeConfig((file) => relative(dir, file), `127.0.0.1:${port}`));
    const child = spawn(WORKERD, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.once("error", (error) => (output += `spawn error: ${error.message}\n`));
    const url = `http://127.0.0.1:${port}`;
    const end = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killed = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(killed);
      }
      running.delete(child);
    };
    const stop = async () => {
      await end();
      await rm(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      try {
        await fetch(url + readyPath, { signal: AbortSignal.timeout(5000) });
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      // Another process may have answered on this port while ours failed to bind it: ours is the
      // one listening only if it is still running a moment later, without a bind error.
      await new Promise((r) => setTimeout(r, 250));
      if (child.exitCode === null && child.signalCode === null && !/address already in use/i.test(output)) {
        return { url, port, output: () => output, stop };
      }
    }
    await end();
    lastError = new Error(`workerd did not start (${child.exitCode !== null ? `exit code ${child.exitCode}` : `no answer in ${timeoutMs} ms`}):\n${output}`);
    if (!/address already in use/i.test(output)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}
