// bioplausible bench: our figures at each thread count, and — with --baseline DIR — the PyTorch
// baselines at each of theirs, timed in the same command, alternating round by round, reported as
// medians and as ratios: against our one thread, and against PyTorch at its best thread count.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  benchConv, benchConvnetStep, benchConvPcStep, benchGemm, benchLif, benchMlpStep, benchPcStep, benchSnn, benchSnnMnist, spikingWorkload, type SpikingWorkload,
} from "../bench.js";
import { loadMNIST } from "../datasets/mnist.js";
import { encodeSafetensors } from "../safetensors.js";
import type { Runtime } from "../wasm/load.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { emitResult, info, provenance, jsonFlag } from "./report.js";
import { startRuntime } from "./threads.js";

const run = promisify(execFile);

interface Suite {
  /** Our figures, as a JSON tree, on the suite's workload when it has one. */
  ours(rt: Runtime, repeats: number, workload?: unknown): Record<string, unknown>;
  /**
   * Work built once before any timing (a trained network and its data), and the file that gives it
   * to the baseline script (as --fixture).
   */
  workload?: (rt: Runtime) => Promise<{ value: unknown; file: Uint8Array }>;
  /** The baseline script in ../shared/baselines/ with the same shapes, where there is one. */
  baseline?: string;
  /** The baseline is ours, shipped in the package's baselines/, not one of --baseline DIR's. */
  bundled?: boolean;
  /** The part of the baseline's JSON that holds this suite's figures (default: all of it). */
  baselineKey?: string;
  /** Its headline figures, compared between thread counts and with the baseline; whether larger is better. */
  figures: { key: string; higherIsBetter: boolean }[];
}

const SUITES: Record<string, Suite> = {
  gemm: {
    ours: (rt, repeats) => benchGemm(rt, repeats),
    baseline: "gemm.py",
    baselineKey: "gemm",
    figures: ["fwd_128x784x256", "bwd_data_128x256x784", "bwd_weight_256x128x784"].map((k) => ({ key: `${k}.gflops`, higherIsBetter: true })),
  },
  mlp: {
    ours: (rt, repeats) => benchMlpStep(rt, repeats),
    baseline: "torch_mlp.py",
    figures: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  pc: {
    ours: (rt, repeats) => benchPcStep(rt, repeats),
    baseline: "torch_pc.py",
    figures: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  snn: {
    ours: (rt, repeats) => benchSnn(rt, repeats),
    baseline: "torch_snn.py",
    figures: [{ key: "images_per_s", higherIsBetter: true }],
  },
  "snn-mnist": {
    ours: (rt, repeats, workload) => benchSnnMnist(rt, repeats, workload as SpikingWorkload),
    workload: async (rt) => {
      const value = spikingWorkload(rt, { train: await loadMNIST("train"), test: await loadMNIST("test") });
      return { value, file: workloadFile(value) };
    },
    baseline: "torch_snn_mnist.py",
    bundled: true,
    figures: [{ key: "images_per_s", higherIsBetter: true }],
  },
  conv: {
    ours: (rt, repeats) => benchConv(rt, repeats),
    baseline: "torch_conv.py",
    baselineKey: "conv",
    figures: ["fwd_b64_32x14x14_to_64_k5", "bwd_data_b64_64x14x14_to_32_k5", "bwd_weight_b64_64x32_k5"].map((k) => ({ key: `${k}.gflops`, higherIsBetter: true })),
  },
  convnet: {
    ours: (rt, repeats) => benchConvnetStep(rt, repeats),
    baseline: "torch_conv.py",
    figures: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  convpc: {
    ours: (rt, repeats) => benchConvPcStep(rt, repeats),
    figures: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  lif: {
    ours: (rt, repeats) => benchLif(rt, repeats),
    figures: [{ key: "neuron_updates_per_s", higherIsBetter: true }],
  },
};

/** The flags of `bioplausible bench`. */
export const benchFlags = {
  only: { type: "string", help: `comma-separated suites to run (${Object.keys(SUITES).join(",")}; default all)` },
  repeats: { type: "int", min: 1, default: 5, help: "timed repeats per figure; the median is reported" },
  rounds: { type: "int", min: 1, default: 3, help: "alternating rounds of every thread count (and of the baseline); medians over rounds" },
  threads: { type: "list", help: "comma-separated thread counts to time ours at (default: 1 and the machine's available parallelism)" },
  baseline: { type: "string", help: "directory of the PyTorch baseline scripts (e.g. ../shared/baselines) to time in the same run" },
  "baseline-threads": { type: "list", help: "comma-separated thread counts to time PyTorch at; ours are set against its best (default: as --threads)" },
  python: { type: "string", default: "/usr/bin/python3", help: "Python with torch, for --baseline" },
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const benchHelp = helpText("bench", "Time the kernels and training steps at each thread count (optionally against PyTorch).", benchFlags);

type Tree = Record<string, unknown>;

export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, benchFlags, "bench");
  if (f.help) return void process.stdout.write(`${benchHelp}\n`);
  const names = f.only ? f.only.split(",").map((s) => s.trim()) : Object.keys(SUITES);
  for (const name of names) {
    if (!SUITES[name]) throw new UsageError(`--only: unknown suite "${name}" (expected some of ${Object.keys(SUITES).join(", ")})`);
  }
  const counts = [...new Set(f.threads ?? [1, availableParallelism()])];
  const baselineCounts = [...new Set(f.baselineThreads ?? counts)];
  const scriptOf = (suite: Suite) => (!f.baseline || !suite.baseline ? undefined : suite.bundled ? join(BUNDLED, suite.baseline) : join(f.baseline, suite.baseline));
  for (const name of names) {
    const script = scriptOf(SUITES[name]);
    if (script && !existsSync(script)) throw new UsageError(`--baseline: ${script} not found`);
  }
  const blas = f.baseline && names.some((n) => SUITES[n].baseline) ? await checkBlas(f.python) : undefined;
  const runtimes: Runtime[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "bioplausible-bench-"));
  try {
    for (const threads of counts) runtimes.push(await startRuntime(threads));
    const ours: Record<number, Tree> = {}, theirs: Record<number, Tree> = {};
    for (const name of names) {
      const suite = SUITES[name];
      const script = scriptOf(suite);
      let workload: unknown;
      const args: string[] = [];
      if (suite.workload) {
        info(`bench ${name}: preparing the workload`);
        // The results are the same bits at any thread count, so the most threads build it.
        const built = await suite.workload(runtimes[runtimes.length - 1]);
        workload = built.value;
        const fixture = join(scratch, `${name}.safetensors`);
        writeFileSync(fixture, built.file);
        args.push("--fixture", fixture);
      }
      const rounds: { ours: Tree[][]; theirs: Tree[][] } = { ours: counts.map(() => []), theirs: baselineCounts.map(() => []) };
      for (let r = 0; r < f.rounds; r++) {
        info(`bench ${name}: round ${r + 1}/${f.rounds}`);
        // Which count goes first alternates, so that drift in the machine's speed falls on all.
        const order = counts.map((_, i) => i);
        if (r % 2) order.reverse();
        for (const i of order) rounds.ours[i].push(suite.ours(runtimes[i], f.repeats, workload));
        if (script) for (const [i, threads] of baselineCounts.entries()) rounds.theirs[i].push(await runBaseline(f.python, script, threads, f.repeats, suite.baselineKey, args));
      }
      counts.forEach((threads, i) => ((ours[threads] ??= {})[name] = medianTree(rounds.ours[i])));
      if (script) baselineCounts.forEach((threads, i) => ((theirs[threads] ??= {})[name] = medianTree(rounds.theirs[i])));
    }
    const result: Tree = { by_threads: ours };
    const figures = names.flatMap((name) => SUITES[name].figures.map((figure) => ({ ...figure, key: `${name}.${figure.key}` })));
    // Ratio > 1 means faster: against one thread of ours, and against PyTorch at its best count.
    if (counts.includes(1)) {
      result.speedup_vs_1_thread = Object.fromEntries(counts.filter((t) => t !== 1).map((t) => [t, ratios(figures, ours[t], () => ours[1])]));
    }
    if (f.baseline) {
      const best = bestOf(figures, theirs);
      result.baseline = { by_threads: theirs, best, blas };
      result.speedup_vs_baseline = Object.fromEntries(counts.map((t) => [t, ratios(figures, ours[t], (key) => best[key] && theirs[best[key].threads])]));
    }
    const lines = Object.entries(flatten(result)).map(([k, v]) => `${k.padEnd(56)} ${v}`);
    emitResult(f.json, { command: "bench", ...result, ...provenance(counts) }, lines.join("\n"));
  } finally {
    for (const rt of runtimes) rt.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where the baselines of ours (Suite.bundled) are: baselines/ in the package. */
const BUNDLED = fileURLToPath(new URL("../baselines/", import.meta.url));

/** The spiking workload for torch_snn_mnist.py: w0, b0, … as nn.Linear holds them, the digits, the settings. */
function workloadFile(w: SpikingWorkload): Uint8Array {
  const tensors = w.weights.flatMap(({ weight, bias }, l) => [
    { name: `w${l}`, shape: [w.layers[l + 1], w.layers[l]], data: weight },
    { name: `b${l}`, shape: [w.layers[l + 1]], data: bias },
  ]);
  tensors.push({ name: "images", shape: [w.count, w.layers[0]], data: w.images }, { name: "labels", shape: [w.count], data: Float32Array.from(w.labels) });
  return encodeSafetensors(tensors, { settings: JSON.stringify({ layers: w.layers, ...w.neuron, ...w.simulation }) });
}

type Figure = { key: string; higherIsBetter: boolean };

/** Each figure's ratio of `ours` to the reference tree `against(key)` gives (skipped where it gives none). */
function ratios(figures: Figure[], ours: Tree, against: (key: string) => Tree | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key, higherIsBetter } of figures) {
    const reference = against(key);
    if (!reference) continue;
    const a = lookup(ours, key), b = lookup(reference, key);
    if (a === undefined || b === undefined) continue;
    out[key] = Math.round((higherIsBetter ? a / b : b / a) * 1000) / 1000;
  }
  return out;
}

/** PyTorch's best thread count per figure, and the figure there. */
function bestOf(figures: Figure[], byThreads: Record<number, Tree>): Record<string, { threads: number; value: number }> {
  const best: Record<string, { threads: number; value: number }> = {};
  for (const { key, higherIsBetter } of figures) {
    for (const [threads, tree] of Object.entries(byThreads)) {
      const value = lookup(tree, key);
      if (value === undefined) continue;
      const current = best[key];
      if (!current || (higherIsBetter ? value > current.value : value < current.value)) best[key] = { threads: Number(threads), value };
    }
  }
  return best;
}

/**
 * Which BLAS Debian's PyTorch multiplies with: the libblas.so.3 its process maps. The reference
 * BLAS is 30× slower than OpenBLAS, and a ratio against it would flatter us, so it is refused.
 */
async function checkBlas(python: string): Promise<string> {
  const probe = "import torch\nprint(next((l.split()[-1] for l in open('/proc/self/maps') if 'libblas' in l or 'openblas' in l), ''))";
  let stdout: string;
  try {
    ({ stdout } = await run(python, ["-c", probe]));
  } catch (error) {
    throw new Error(`--baseline: ${python} cannot import torch (apt-get install python3-torch python3-numpy libopenblas0-pthread): ${(error as Error).message}`);
  }
  const library = stdout.trim();
  if (!/openblas/.test(library)) {
    throw new Error(
      `--baseline: ${python}'s PyTorch multiplies with ${library || "no BLAS library found"}, not OpenBLAS: a reference BLAS is 30x slower than what users have, so no ratio against it is quoted. ` +
        "Install libopenblas0-pthread (apt-get install libopenblas0-pthread) and check that update-alternatives --display libblas.so.3-x86_64-linux-gnu points into openblas-pthread/",
    );
  }
  return library;
}

async function runBaseline(python: string, script: string, threads: number, repeats: number, key?: string, args: string[] = []): Promise<Tree> {
  let stdout: string;
  try {
    ({ stdout } = await run(python, [script, "--threads", String(threads), "--repeats", String(repeats), ...args], { maxBuffer: 1 << 24 }));
  } catch (error) {
    throw new Error(`baseline ${script} failed with ${python} (needs PyTorch: apt-get install python3-torch): ${(error as Error).message}`);
  }
  const last = stdout.trim().split("\n").pop() ?? "";
  let parsed: Tree;
  try {
    parsed = JSON.parse(last) as Tree;
  } catch {
    throw new Error(`baseline ${script}: the last line of its output is not JSON: ${last.slice(0, 200)}`);
  }
  if (key === undefined) return parsed;
  if (!parsed[key] || typeof parsed[key] !== "object") throw new Error(`baseline ${script}: its JSON has no "${key}" object`);
  return parsed[key] as Tree;
}

/** Element-wise median of numeric leaves over several trees of the same shape. */
function medianTree(trees: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(trees[0])) {
    if (typeof value === "number") {
      const xs = trees.map((t) => t[key] as number).sort((a, b) => a - b);
      out[key] = xs[Math.floor(xs.length / 2)];
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = medianTree(trees.map((t) => t[key] as Record<string, unknown>));
    } else out[key] = value;
  }
  return out;
}

function lookup(tree: unknown, path: string): number | undefined {
  const value = path.split(".").reduce<unknown>((node, k) => (node as Tree | undefined)?.[k], tree);
  return typeof value === "number" ? value : undefined;
}

function flatten(tree: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) {
    if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}
