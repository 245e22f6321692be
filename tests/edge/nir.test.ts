// The edge worker serving a NIR file: examples/edge-worker/serve.mjs --model net.nir imports the
// graph in Node (edge runtimes do not compile h5wasm's WebAssembly from bytes) and serves it from
// workerd. Its answers must be those of the imported network simulated in Node with the worker's
// documented settings and the graph's own synapse and input coding: class, spike counts and
// synaptic operations.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lcg } from "../helpers/lcg.js";
import { DIST, freePort, requireWorkerdAndBuild, ROOT } from "./workerd.js";

type Bio = typeof import("../../dist/index.js");

let bio: Bio;
let dir: string;
let nirFile: string;
let server: ChildProcess | undefined;
let url: string;
let output = "";

beforeAll(async () => {
  requireWorkerdAndBuild();
  bio = await import(join(DIST, "index.js"));
  await bio.init();
  dir = await mkdtemp(join(tmpdir(), "bioplausible-edge-nir-"));
  // A soft-LIF network with biases near threshold, so that its layers fire.
  const neuron = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 };
  const mlp = new bio.MLP({ layers: [784, 24, 10], activation: "softlif", neuron, seed: 2 });
  const gen = new Lcg(9);
  for (const layer of mlp.linearLayers) {
    const w = mlp.params.view(layer.weight);
    for (let i = 0; i < w.length; i++) w[i] *= 2;
    const b = mlp.params.view(layer.bias);
    for (let i = 0; i < b.length; i++) b[i] = 0.9 + 0.3 * gen.uniform();
  }
  const { graph } = bio.toNir(mlp, bio.resolveSimulation({ synapse: "lowpass", tauS: 0.004 }, neuron), { dropRefractory: true });
  mlp.free();
  nirFile = join(dir, "net.nir");
  await writeFile(nirFile, await bio.writeNir(graph));
  const port = await freePort();
  server = spawn(process.execPath, [join(ROOT, "examples/edge-worker/serve.mjs"), "--model", nirFile, "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (!output.includes("bioplausible edge worker on")) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`serve.mjs did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  url = `http://127.0.0.1:${port}`;
}, 90_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the edge worker serves a NIR file", () => {
  it("answers as the imported network simulated in Node, synaptic operations included", async () => {
    const imported = bio.fromNir(await bio.readNir(new Uint8Array(await (await import("node:fs/promises")).readFile(nirFile)), nirFile), nirFile);
    const description = (await (await fetch(`${url}/model`, { signal: AbortSignal.timeout(10_000) })).json()) as { model: Record<string, unknown>; simulation: Record<string, unknown> };
    expect(description.model.imported_from).toBe(nirFile);
    expect(description.model.params_sha256).toBe(await imported.model.params.sha256());
    expect(description.simulation).toMatchObject({ synapse: "lowpass", tau_s: 0.004, time: 0.2, seed: 0 });
    const snn = bio.SNN.fromMLP(imported.model);
    const gen = new Lcg(3);
    let spikes = 0;
    try {
      for (let k = 0; k < 3; k++) {
        const x = Float32Array.from({ length: 784 }, () => Math.round(gen.uniform() * 255) / 255);
        const run = snn.simulate(x, 1, { ...imported.simulation, time: 0.2, seed: 0, readoutTimes: [0.2], batchSize: 1 });
        const response = await fetch(`${url}/predict`, { method: "POST", body: JSON.stringify({ pixels: Array.from(x) }), signal: AbortSignal.timeout(10_000) });
        const reply = (await response.json()) as Record<string, unknown>;
        expect(response.status).toBe(200);
        expect(reply.spike_counts).toEqual(Array.from(run.counts));
        expect(reply.class).toBe(run.predictions[0][0]);
        expect(reply.synaptic_operations).toEqual(run.synapticOperations[0]);
        spikes += run.counts.reduce((a, b) => a + b, 0);
      }
      expect(spikes, "the output layer fires").toBeGreaterThan(10);
    } finally {
      snn.free();
      imported.model.free();
    }
  });

  it("a NIR file that cannot be imported stops the launcher, naming the file and node", async () => {
    const bad = join(dir, "bad.nir");
    const graph = {
      nodes: {
        input: { type: "Input", params: { shape: { shape: [1], data: Float64Array.of(4) } } },
        d: { type: "Delay", params: { delay: { shape: [1], data: Float64Array.of(0.01) } } },
        output: { type: "Output", params: {} },
      },
      edges: [["input", "d"], ["d", "output"]] as [string, string][],
      metadata: {},
    };
    await writeFile(bad, await bio.writeNir(graph));
    const child = spawn(process.execPath, [join(ROOT, "examples/edge-worker/serve.mjs"), "--model", bad, "--port", String(await freePort())], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((done) => child.on("exit", done));
    expect(code).toBe(2);
    expect(err).toContain(`--model: ${bad}: node "d" (Delay): a node type bioplausible does not run`);
  });
});
