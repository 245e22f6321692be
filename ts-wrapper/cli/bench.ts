// bioplausible bench: our figures, and — with --baseline DIR — the PyTorch baselines timed in the
// same command, alternating with ours round by round, reported as medians and ratios.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { benchConv, benchConvnetStep, benchConvPcStep, benchGemm, benchLif, benchMlpStep, benchPcStep, benchSnn } from "../bench.js";
import { init } from "../runtime.js";
import type { Runtime } from "../wasm/load.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { emitResult, info, provenance, jsonFlag } from "./report.js";

const run = promisify(execFile);

interface Suite {
  /** Our figures, as a JSON tree. */
  ours(rt: Runtime, repeats: number): Record<string, unknown>;
  /** The baseline script in ../shared/baselines/ with the same shapes, where there is one. */
  baseline?: string;
  /** The part of the baseline's JSON that holds this suite's figures (default: all of it). */
  baselineKey?: string;
  /** Keys compared, with whether larger is better. */
  compare: { key: string; higherIsBetter: boolean }[];
}

const SUITES: Record<string, Suite> = {
  gemm: {
    ours: (rt, repeats) => benchGemm(rt, repeats),
    baseline: "gemm.py",
    baselineKey: "gemm",
    compare: ["fwd_128x784x256", "bwd_data_128x256x784", "bwd_weight_256x128x784"].map((k) => ({ key: `${k}.gflops`, higherIsBetter: true })),
  },
  mlp: {
    ours: (rt, repeats) => benchMlpStep(rt, repeats),
    baseline: "torch_mlp.py",
    compare: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  pc: {
    ours: (rt, repeats) => benchPcStep(rt, repeats),
    baseline: "torch_pc.py",
    compare: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  snn: {
    ours: (rt, repeats) => benchSnn(rt, repeats),
    baseline: "torch_snn.py",
    compare: [{ key: "images_per_s", higherIsBetter: true }],
  },
  conv: {
    ours: (rt, repeats) => benchConv(rt, repeats),
    baseline: "torch_conv.py",
    baselineKey: "conv",
    compare: ["fwd_b64_32x14x14_to_64_k5", "bwd_data_b64_64x14x14_to_32_k5", "bwd_weight_b64_64x32_k5"].map((k) => ({ key: `${k}.gflops`, higherIsBetter: true })),
  },
  convnet: {
    ours: (rt, repeats) => benchConvnetStep(rt, repeats),
    baseline: "torch_conv.py",
    compare: [{ key: "ms_per_step", higherIsBetter: false }],
  },
  convpc: {
    ours: (rt, repeats) => benchConvPcStep(rt, repeats),
    compare: [],
  },
  lif: {
    ours: (rt, repeats) => benchLif(rt, repeats),
    compare: [],
  },
};

/** The flags of `bioplausible bench`. */
export const benchFlags = {
  only: { type: "string", help: `comma-separated suites to run (${Object.keys(SUITES).join(",")}; default all)` },
  repeats: { type: "int", min: 1, default: 5, help: "timed repeats per figure; the median is reported" },
  rounds: { type: "int", min: 1, default: 3, help: "with --baseline: alternating rounds of ours and the baseline" },
  baseline: { type: "string", help: "directory of the PyTorch baseline scripts (e.g. ../shared/baselines) to time in the same run" },
  python: { type: "string", default: "/usr/bin/python3", help: "Python with torch, for --baseline" },
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const benchHelp = helpText("bench", "Time the kernels and training steps (optionally against PyTorch).", benchFlags);

export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, benchFlags, "bench");
  if (f.help) return void process.stdout.write(`${benchHelp}\n`);
  const names = f.only ? f.only.split(",").map((s) => s.trim()) : Object.keys(SUITES);
  for (const name of names) {
    if (!SUITES[name]) throw new UsageError(`--only: unknown suite "${name}" (expected some of ${Object.keys(SUITES).join(", ")})`);
  }
  if (f.baseline) {
    for (const name of names) {
      const script = SUITES[name].baseline && join(f.baseline, SUITES[name].baseline);
      if (script && !existsSync(script)) throw new UsageError(`--baseline: ${script} not found`);
    }
  }
  const rt = await init();
  const result: Record<string, unknown> = {};
  const baseline: Record<string, unknown> = {};
  const ratio: Record<string, number> = {};
  for (const name of names) {
    const suite = SUITES[name];
    const script = f.baseline && suite.baseline ? join(f.baseline, suite.baseline) : undefined;
    const rounds = script ? f.rounds : 1;
    const ours: Record<string, unknown>[] = [];
    const theirs: Record<string, unknown>[] = [];
    for (let r = 0; r < rounds; r++) {
      info(`bench ${name}: round ${r + 1}/${rounds}`);
      ours.push(suite.ours(rt, f.repeats));
      if (script) theirs.push(await runBaseline(f.python, script, f.repeats, suite.baselineKey));
    }
    result[name] = medianTree(ours);
    if (script) {
      baseline[name] = medianTree(theirs);
      for (const { key, higherIsBetter } of suite.compare) {
        const a = lookup(result[name], key), b = lookup(baseline[name], key);
        // Ratio > 1 means we are faster.
        ratio[`${name}.${key}`] = Math.round((higherIsBetter ? a / b : b / a) * 1000) / 1000;
      }
    }
  }
  if (f.baseline) Object.assign(result, { baseline, speedup_vs_baseline: ratio });
  const lines = Object.entries(flatten(result)).map(([k, v]) => `${k.padEnd(48)} ${v}`);
  emitResult(f.json, { command: "bench", ...result, threads: 1, ...provenance() }, lines.join("\n"));
}

async function runBaseline(python: string, script: string, repeats: number, key?: string): Promise<Record<string, unknown>> {
  let stdout: string;
  try {
    ({ stdout } = await run(python, [script, "--threads", "1", "--repeats", String(repeats)], { maxBuffer: 1 << 24 }));
  } catch (error) {
    throw new Error(`baseline ${script} failed with ${python} (needs PyTorch: apt-get install python3-torch): ${(error as Error).message}`);
  }
  const last = stdout.trim().split("\n").pop() ?? "";
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`baseline ${script}: the last line of its output is not JSON: ${last.slice(0, 200)}`);
  }
  if (key === undefined) return parsed;
  if (!parsed[key] || typeof parsed[key] !== "object") throw new Error(`baseline ${script}: its JSON has no "${key}" object`);
  return parsed[key] as Record<string, unknown>;
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

function lookup(tree: unknown, path: string): number {
  return path.split(".").reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], tree) as number;
}

function flatten(tree: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) {
    if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}
