// Debian's redis-server for the tests that need a real Redis: each test starts its own on a free
// loopback port, without persistence, and stops it. Without redis-server those tests are skipped
// with the printed reason — unless REQUIRE_REDIS=1 (set by .ci/run), where that is a failure.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection, createServer } from "node:net";

export const REDIS = process.env.REDIS_SERVER ?? "redis-server";
const REQUIRED = process.env.REQUIRE_REDIS === "1";

export function redisTests(file: string): { skip: boolean; missing?: string } {
  const probe = spawnSync(REDIS, ["--version"], { encoding: "utf8" });
  const missing = probe.error ? `${REDIS} cannot run (${probe.error.message})` : probe.status !== 0 ? `${REDIS} --version failed` : undefined;
  const skip = missing !== undefined && !REQUIRED;
  if (skip) console.warn(`${file} skipped: ${missing} (install redis-server, or set REQUIRE_REDIS=1 to make this a failure)`);
  return { skip, missing };
}

/** A loopback port nothing listens on (at the moment of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether Redis on `port` answers PING. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
    socket.setTimeout(500, () => socket.destroy());
    socket.once("data", (d) => {
      resolve(d.toString().startsWith("+PONG"));
      socket.destroy();
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}

/** Starts redis-server on `port` (no snapshots, no append-only file) and waits until it answers. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn(REDIS, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if (await pong(port)) return server;
    await new Promise((r) => setTimeout(r, 50));
  }
  server.kill("SIGKILL");
  throw new Error(`redis-server on port ${port} did not answer within 5 s`);
}

/** Stops a server started by startRedis and waits for it to exit. */
export function stopRedis(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    server.once("exit", () => resolve());
    server.kill("SIGTERM");
  });
}
