// How a command reports: human lines on stderr, the result on stdout (with --json, one JSON
// object on the last line of stdout).

import { VERSION } from "../version.js";

export function info(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** What every result records about where it was made: the version, Node, and the thread count(s) it ran on. */
export function provenance(threads: number | number[]): Record<string, unknown> {
  return {
    version: VERSION,
    runtime: { name: "node", version: process.versions.node, v8: process.versions.v8, platform: process.platform, arch: process.arch, threads },
  };
}

/** Every command's --json flag (DESIGN.md's CLI contract): the result as the last line of stdout. */
export const jsonFlag = {
  json: { type: "boolean", help: "print the result as one JSON object on the last line of stdout" },
} as const;

export function emitResult(json: boolean, result: Record<string, unknown>, human: string): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human}\n`);
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)} %`;
}
