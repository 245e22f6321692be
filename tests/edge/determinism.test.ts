// DESIGN.md, "Determinism": the same seed and config give bit-identical weights in Node and in edge
// workers. The shared job (tests/runtimes/determinism-job.js) runs in the real workerd, importing
// the workerd bundle (dist/workerd.js, its .wasm as a module), and in Node with dist/index.js; every
// params_sha256 (and the spike counts' hash) must agree.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { determinismInNode } from "../helpers/node-determinism.js";
import { workerdConfig } from "../../examples/edge-worker/config.mjs";
import { DIST, requireWorkerdAndBuild, ROOT, startWorkerd, type Workerd } from "./workerd.js";

const JOB = join(ROOT, "tests/runtimes/determinism-job.js");

let server: Workerd | undefined;

beforeAll(async () => {
  requireWorkerdAndBuild();
  server = await startWorkerd((fromConfig, address) => workerdConfig({
    modules: [
      { name: "main.js", esModule: fromConfig(join(ROOT, "tests/edge/determinism-worker.js")) },
      { name: "workerd.js", esModule: fromConfig(join(DIST, "workerd.js")) },
      { name: "bioplausible.wasm", wasm: fromConfig(join(DIST, "bioplausible.wasm")) },
      { name: "determinism-job.js", esModule: fromConfig(JOB) },
    ],
    address,
  }), { readyPath: "/ready" });
}, 60_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

describe("determinism: workerd and Node", () => {
  it("train the same models bit for bit", async () => {
    const response = await fetch(`${server!.url}/run`, { signal: AbortSignal.timeout(120_000) });
    const inWorkerd = (await response.json()) as Record<string, string>;
    expect(response.status, JSON.stringify(inWorkerd)).toBe(200);

    const inNode = await determinismInNode();
    expect(inWorkerd).toEqual(inNode);
  }, 180_000);
});
