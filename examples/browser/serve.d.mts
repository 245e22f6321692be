// Types of serve.mjs for the TypeScript tests that start it in-process.
import type { Server } from "node:http";

export interface RunningServer {
  /** "http://127.0.0.1:PORT/" */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export function startServer(options?: { port?: number; host?: string }): Promise<RunningServer>;

export function resolveRequest(
  pathname: string,
  mounts: { prefix: string; dir?: string; missing?: string }[],
): { file: string; status?: undefined; message?: undefined } | { file?: undefined; status: number; message: string };
