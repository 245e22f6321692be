#!/usr/bin/env node
// Training speed in Node and in Chromium (in a Web Worker, as the browser demo trains), measured in
// the same command so both see the same machine: the 784-256-256-10 MLP (SGD, batch 128) and the
// same network as a PCN (inference learning, T = 20, batch 128), `bioplausible bench`'s shapes, on
// random data. Rounds alternate between the runtimes (which one goes first alternates too), so
// drift in the machine's speed — thermal, other load — falls on both; medians over rounds.
//
//   node scripts/browser-speed.mjs [--rounds 5] [--seconds 2] [--chromium /usr/bin/chromium]
//
// Progress and a table go to stderr; the last line of stdout is one JSON object.
// Needs the build (npm run build) and Debian's chromium; playwright-core drives it.

import { existsSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const KINDS = ["mlp", "pcn"];

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("usage: node scripts/browser-speed.mjs [--rounds N] [--seconds S] [--chromium PATH]");
  process.exit(0);
}
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
if (!Number.isInteger(rounds) || rounds < 1) fail("--rounds: must be an integer ≥ 1");
if (!(seconds > 0)) fail("--seconds: must be a number > 0");
if (!existsSync(resolve(ROOT, "dist/index.js")) || !existsSync(resolve(ROOT, "dist/browser.js"))) fail("dist/ is not built: run `npm run build` first");
if (!existsSync(args.chromium)) fail(`${args.chromium} does not exist (apt-get install chromium, or pass --chromium)`);

function fail(message) {
  console.error(`browser-speed: ${message}`);
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

const bio = await import(pathToFileURL(resolve(ROOT, "dist/index.js")).href);
const { createBench } = await import(pathToFileURL(resolve(ROOT, "examples/browser/bench/speed-job.js")).href);
const { startServer } = await import(pathToFileURL(resolve(ROOT, "examples/browser/serve.mjs")).href);
const { chromium } = await import("playwright-core");

const runtime = await bio.init();
const server = await startServer({ port: 0 });
let browser;
try {
  browser = await chromium.launch({ executablePath: args.chromium, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await page.goto(`${server.url}bench/speed.html`);
  const { userAgent, threads: chromiumThreads } = await page.evaluate(() => window.ready);
  // The same thread count on both sides, or the ratio compares cores rather than engines.
  if (chromiumThreads !== runtime.threads) throw new Error(`Chromium trains on ${chromiumThreads} threads, Node on ${runtime.threads}: set BIOPLAUSIBLE_THREADS to ${chromiumThreads}`);
  const nodeBenches = Object.fromEntries(KINDS.map((k) => [k, createBench(bio, runtime, k)]));

  const measure = {
    node: async (kind) => nodeBenches[kind].run(seconds),
    chromium: (kind) => page.evaluate(([k, s]) => window.measure(k, s), [kind, seconds]),
  };
  const samples = Object.fromEntries(KINDS.map((k) => [k, { node: [], chromium: [] }]));
  for (let r = 1; r <= rounds; r++) {
    const order = r % 2 ? ["node", "chromium"] : ["chromium", "node"];
    for (const kind of KINDS) {
      for (const where of order) {
        const { stepsPerSecond, steps } = await measure[where](kind);
        samples[kind][where].push(stepsPerSecond);
        console.error(`round ${r}/${rounds} ${kind.padEnd(3)} ${where.padEnd(8)} ${stepsPerSecond.toFixed(2).padStart(8)} steps/s (${steps} steps)`);
      }
    }
  }
  if (pageErrors.length) throw new Error(`the speed page failed: ${pageErrors.join("; ")}`);

  const results = {};
  for (const kind of KINDS) {
    const node = median(samples[kind].node);
    const inChromium = median(samples[kind].chromium);
    results[kind] = {
      node_steps_per_s: round(node, 2),
      chromium_steps_per_s: round(inChromium, 2),
      chromium_over_node: round(inChromium / node, 3),
      node_samples: samples[kind].node.map((v) => round(v, 2)),
      chromium_samples: samples[kind].chromium.map((v) => round(v, 2)),
    };
  }
  console.error("");
  console.error("model  Node steps/s  Chromium steps/s  Chromium/Node");
  for (const kind of KINDS) {
    const r = results[kind];
    console.error(`${kind.padEnd(5)} ${String(r.node_steps_per_s).padStart(13)} ${String(r.chromium_steps_per_s).padStart(17)} ${(100 * r.chromium_over_node).toFixed(1).padStart(13)} %`);
  }
  console.log(JSON.stringify({
    command: "browser-speed",
    setup: {
      layers: [784, 256, 256, 10], batch: 128, data: "uniform random inputs, random labels",
      mlp: "ReLU, SGD lr 0.01, softmax cross-entropy", pcn: "inference learning T=20 gamma=0.1, SGD lr 0.01, squared error",
      rounds, seconds_per_measurement: seconds, chromium: "Web Worker, dist/browser.js", threads: runtime.threads,
    },
    ...results,
    version: bio.VERSION,
    node: process.version,
    chromium: userAgent,
    cpus: availableParallelism?.() ?? cpus().length,
    cpu: cpus()[0]?.model,
  }));
  for (const b of Object.values(nodeBenches)) b.free();
} finally {
  await browser?.close();
  await server.close();
}
