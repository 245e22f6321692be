// Every kernel split.ts shares out gives the same bytes on 2, 3 and 4 threads as on one, at shapes
// large enough that it really is shared (each case checks that it was), with uneven sizes so that
// the parts differ in length and the tails land on different threads.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, ops, type Runtime } from "../../ts-wrapper/index.js";
import type { Kernels } from "../../ts-wrapper/wasm/kernels.js";
import { snnTotals, SPLIT_KERNELS } from "../../ts-wrapper/wasm/split.js";
import { Lcg } from "../helpers/lcg.js";

type Fill = "signed" | "positive" | "sparse" | "dense-spikes" | "zero" | "scratch";

interface Case {
  name: string;
  kernel: keyof Kernels;
  /** Buffers: float count and how to fill them ("scratch": contents unspecified, not compared). */
  buffers: Record<string, [number, Fill]>;
  /** The call, given the buffers' pointers; returns what the kernel returns (or what it counted). */
  call(k: Kernels, p: Record<string, number>, rt: Runtime): number | string | void;
}

const F = 4;
const convCase = (name: string, N: number, C: number, H: number, O: number, K: number, stride: number, pad: number): Case[] => {
  const OH = Math.floor((H + 2 * pad - K) / stride) + 1;
  const x = N * C * H * H, y = N * O * OH * OH, w = O * C * K * K;
  const work = (k: Kernels) => k.conv2dWorkBytes(C, H, H, O, K, stride, pad);
  return [
    { name: `${name} forward`, kernel: "conv2dForward", buffers: { x: [x, "signed"], w: [w, "signed"], b: [O, "signed"], y: [y, "zero"] },
      call: (k, p, rt) => k.conv2dForward(N, C, H, H, O, K, stride, pad, p.x, p.w, p.b, p.y, rt.heap.alloc(work(k))) },
    { name: `${name} input gradient`, kernel: "conv2dInputGrad", buffers: { dy: [y, "signed"], w: [w, "signed"], dx: [x, "zero"] },
      call: (k, p, rt) => k.conv2dInputGrad(N, C, H, H, O, K, stride, pad, p.dy, p.w, p.dx, rt.heap.alloc(work(k))) },
    { name: `${name} weight gradient`, kernel: "conv2dWeightGrad", buffers: { x: [x, "signed"], dy: [y, "signed"], dw: [w, "zero"], db: [O, "zero"] },
      call: (k, p, rt) => k.conv2dWeightGrad(N, C, H, H, O, K, stride, pad, p.x, p.dy, p.dw, p.db, rt.heap.alloc(work(k)), 0, O) },
  ];
};

// A two-layer predictive-coding table (37 → 29 → 11, ReLU, B = 45) for pcStep's predictions and
// move, the phases that are divided by rows; its words are written through the module's layout.
const PC = { B: 45, widths: [37, 29, 11] };
const pcCase: Case = {
  name: "PC relaxation: predictions and move, clamped output", kernel: "pcStep",
  buffers: {
    x0: [PC.B * 37, "signed"], w0: [29 * 37, "signed"], b0: [29, "signed"], u1: [PC.B * 29, "signed"], e1: [PC.B * 29, "signed"], s1: [PC.B * 29, "zero"],
    x1: [PC.B * 29, "zero"], a1: [PC.B * 29, "zero"], w1: [11 * 29, "signed"], b1: [11, "signed"], m1: [11 * 29, "positive"],
    u2: [PC.B * 11, "signed"], e2: [PC.B * 11, "signed"], s2: [PC.B * 11, "zero"], y: [PC.B * 11, "positive"],
  },
  call: (k, p, rt) => {
    const { tableWords, field: f, output, refreshFirst, phase } = rt.layout.pc;
    const table = rt.heap.alloc(2 * tableWords * 4);
    const words = rt.heap.u32(table, 2 * tableWords);
    const set = (i: number, values: Partial<Record<keyof typeof f, number>>) => {
      for (const [key, value] of Object.entries(values)) words[i * tableWords + f[key as keyof typeof f]] = value;
    };
    set(0, { inputs: 37, outputs: 29, weight: p.w0, bias: p.b0, source: p.x0, activated: p.x0, kind: rt.layout.activation.identity, prediction: p.u1, errors: p.e1, scratch: p.s1 });
    set(1, { inputs: 29, outputs: 11, weight: p.w1, bias: p.b1, source: p.x1, activated: p.a1, kind: rt.layout.activation.relu, prediction: p.u2, errors: p.e2, scratch: p.s2, target: p.y, feedback: p.m1, feedbackFrom: 1 });
    const bytes = Math.max(k.gemmWorkspaceBytes(PC.B, 29, 37), k.gemmWorkspaceBytes(PC.B, 11, 29), k.gemmWorkspaceBytes(PC.B, 29, 11));
    // Without the energy phase there is no result (a split call returns none).
    k.pcStep(2, 0, PC.B, table, 0.1, output.mse | refreshFirst | phase.predict | phase.move, rt.heap.alloc(bytes), bytes);
  },
};

// A spiking network's fused simulation (snnSteps): Poisson input of 2×8×8 images (B = 7), a 3×3
// convolution to 4 channels (256 neurons, NHWC), a dense layer to 10, alpha synapses, 40 steps.
// Each thread counts its spikes apart, so the totals are compared summed, not as laid out.
const SIM = { B: 7, n0: 128, n1: 256, n2: 10 };
const TOTALS = snnTotals(2);
const simCase: Case = {
  name: "spiking simulation steps, convolution and dense layer", kernel: "snnSteps",
  buffers: {
    g: [SIM.B * 4, "zero"], x: [SIM.B * SIM.n0, "positive"], xs: [SIM.B * SIM.n0, "zero"], counts: [SIM.B * SIM.n2, "zero"], first: [SIM.B * SIM.n2, "zero"],
    drive: [SIM.B * SIM.n2, "zero"], w0: [2 * 9 * 4, "signed"], b0: [SIM.n1, "positive"], w1: [SIM.n1 * SIM.n2, "signed"], b1: [SIM.n2, "positive"],
    ...Object.fromEntries([1, 2].flatMap((l) => ["u", "y", "z", "j", "v", "r", "s"].map((f) => [`${f}${l}`, [SIM.B * (l === 1 ? SIM.n1 : SIM.n2), "zero"]]))),
    totals: [4 * TOTALS * 2, "scratch"], // float64, for up to 4 parts
  } as Record<string, [number, Fill]>,
  call: (k, p, rt) => {
    const { header: h, layer: f } = rt.layout.snn;
    const table = rt.heap.alloc(h.bytes + 2 * f.words * 4);
    const scalars = rt.heap.f64(table, h.bytes >> 3);
    const words = rt.heap.u32(table, (h.bytes >> 2) + 2 * f.words);
    words.fill(0);
    Object.entries({ dt: 0.001, tauS: 0.005, tauRc: 0.02, tRef: 0.002, amplitude: 0.05, gain: 2, period: 0.004 }).forEach(([key, v]) => (scalars[h[key as keyof typeof h] >> 3] = v));
    Object.entries({ alpha: 1, poisson: 1, inputs: SIM.n0, x: p.x, inputSpikes: p.xs, generators: p.g, counts: p.counts, first: p.first, drive: p.drive })
      .forEach(([key, v]) => (words[h[key as keyof typeof h] >> 2] = v));
    const layer = (l: number, values: Partial<Record<keyof typeof f, number>>) => {
      for (const [key, v] of Object.entries(values)) words[(h.bytes >> 2) + l * f.words + f[key as keyof typeof f]] = v;
    };
    const state = (l: number) => ({ u: p[`u${l}`], y: p[`y${l}`], z: p[`z${l}`], current: p[`j${l}`], voltage: p[`v${l}`], refractory: p[`r${l}`], spikes: p[`s${l}`] });
    layer(0, { outputs: SIM.n1, weightT: p.w0, bias: p.b0, ...state(1), conv: 1, channels: 2, height: 8, width: 8, channelsLast: 0, pool: 1, outChannels: 4, kernel: 3, stride: 1, pad: 1 });
    layer(1, { outputs: SIM.n2, weightT: p.w1, bias: p.b1, ...state(2) });
    rt.heap.f32(p.first, SIM.B * SIM.n2).fill(Infinity);
    for (let b = 0; b < SIM.B; b++) k.rngSeed(p.g + b * rt.layout.rngBytes, 11, b);
    const workBytes = Math.max(4 * SIM.n1, k.spikingConvWorkBytes(2, 8, 8, 1, 4, 3, 1, 1));
    const totals = rt.heap.f64(p.totals, 4 * TOTALS);
    totals.fill(0);
    k.snnSteps(table, 2, 0, SIM.B, 1, 40, rt.heap.alloc(workBytes), workBytes, p.totals);
    const sums = new Array<number>(TOTALS).fill(0);
    for (let i = 0; i < 4 * TOTALS; i++) sums[i % TOTALS] += totals[i];
    // Nothing may have fired nowhere: the case must exercise the spiking paths.
    expect(sums.every((n) => n > 0), `spikes and synaptic operations: ${sums}`).toBe(true);
    return sums.join(",");
  },
};

const CASES: Case[] = [
  pcCase,
  simCase,
  { name: "PC values x = u + e", kernel: "pcValues", buffers: { u: [140_003, "signed"], e: [140_003, "signed"], x: [140_003, "zero"] },
    call: (k, p) => k.pcValues(140_003, p.u, p.e, p.x) },
  { name: "PC reprediction", kernel: "pcRepredict", buffers: { p: [140_003, "signed"], u: [140_003, "signed"], e: [140_003, "signed"] },
    call: (k, p) => k.pcRepredict(140_003, p.p, p.u, p.e) },
  { name: "PC move", kernel: "pcMove", buffers: { g: [140_003, "signed"], e: [140_003, "signed"] },
    call: (k, p) => k.pcMove(140_003, 0.1, p.g, p.e) },
  { name: "gemm by rows, transposed A, bias", kernel: "gemm", buffers: { a: [301 * 67, "signed"], b: [301 * 45, "signed"], bias: [48, "signed"], c: [67 * 45, "zero"] },
    call: (k, p, rt) => k.gemm(1, 0, 67, 45, 301, p.a, 67, p.b, 45, p.c, 45, 0, p.bias, rt.heap.alloc(k.gemmWorkspaceBytes(67, 45, 301))) },
  { name: "gemm by columns, transposed B, accumulating", kernel: "gemm", buffers: { a: [21 * 130, "signed"], b: [203 * 130, "signed"], bias: [208, "signed"], c: [21 * 203, "signed"] },
    call: (k, p, rt) => k.gemm(0, 1, 21, 203, 130, p.a, 130, p.b, 130, p.c, 203, 1, p.bias, rt.heap.alloc(k.gemmWorkspaceBytes(21, 203, 130))) },
  ...convCase("conv 3×3 stride 1", 7, 4, 14, 12, 3, 1, 1),
  ...convCase("conv 3×3 stride 2", 5, 4, 15, 36, 3, 2, 1),
  { name: "average pooling", kernel: "avgPoolForward", buffers: { x: [150 * 32 * 32, "signed"], y: [150 * 16 * 16, "zero"] },
    call: (k, p) => k.avgPoolForward(150, 32, 32, 2, p.x, p.y) },
  { name: "average pooling backward", kernel: "avgPoolBackward", buffers: { dy: [150 * 16 * 16, "signed"], dx: [150 * 32 * 32, "zero"] },
    call: (k, p) => k.avgPoolBackward(150, 32, 32, 2, p.dy, p.dx) },
  { name: "max pooling", kernel: "maxPoolForward", buffers: { x: [150 * 32 * 32, "signed"], y: [150 * 16 * 16, "zero"], index: [150 * 16 * 16, "zero"] },
    call: (k, p) => k.maxPoolForward(150, 32, 32, 2, p.x, p.y, p.index) },
  { name: "max pooling backward", kernel: "maxPoolBackward", buffers: { x: [150 * 32 * 32, "signed"], y: [150 * 16 * 16, "zero"], index: [150 * 16 * 16, "zero"], dy: [150 * 16 * 16, "signed"], dx: [150 * 32 * 32, "zero"] },
    call: (k, p) => {
      k.maxPoolForward(150, 32, 32, 2, p.x, p.y, p.index);
      k.maxPoolBackward(150, 32, 32, 2, p.dy, p.index, p.dx);
    } },
  ...(["relu", "sigmoid", "softlif"] as const).flatMap((kind): Case[] => {
    const n = kind === "relu" ? 140_003 : 40_003;
    return [
      { name: `${kind} forward`, kernel: "activationForward", buffers: { z: [n, "signed"], a: [n, "zero"] },
        call: (k, p, rt) => k.activationForward(rt.layout.activation[kind], n, p.z, p.a, neuron(rt)) },
      { name: `${kind} backward`, kernel: "activationBackward", buffers: { z: [n, "signed"], a: [n, "positive"], da: [n, "signed"], dz: [n, "zero"] },
        call: (k, p, rt) => k.activationBackward(rt.layout.activation[kind], n, p.z, p.a, p.da, p.dz, neuron(rt)) },
    ];
  }),
  { name: "SGD with momentum", kernel: "sgdStep", buffers: { p: [140_003, "signed"], g: [140_003, "signed"], v: [140_003, "signed"] },
    call: (k, p) => k.sgdStep(140_003, p.p, p.g, p.v, 0.05, 0.9, 5e-4, 1) },
  { name: "Adam", kernel: "adamStep", buffers: { p: [40_003, "signed"], g: [40_003, "signed"], m: [40_003, "signed"], v: [40_003, "positive"] },
    call: (k, p) => k.adamStep(40_003, p.p, p.g, p.m, p.v, 0.001, 0.9, 0.999, 1e-8, 1e-4, 7) },
  { name: "low-pass synapse", kernel: "lowpassStep", buffers: { u: [140_003, "signed"], y: [140_003, "signed"] },
    call: (k, p) => k.lowpassStep(140_003, 0.001, 0.005, p.u, p.y) },
  { name: "alpha synapse", kernel: "alphaStep", buffers: { u: [140_003, "signed"], y: [140_003, "signed"], z: [140_003, "signed"] },
    call: (k, p) => k.alphaStep(140_003, 0.001, 0.005, p.u, p.y, p.z) },
  { name: "LIF step", kernel: "lifStep", buffers: { j: [9_003, "positive"], v: [9_003, "positive"], r: [9_003, "positive"], s: [9_003, "zero"] },
    call: (k, p) => k.lifStep(9_003, 0.001, 0.02, 0.002, p.j, p.v, p.r, p.s, 0.05, 0) },
  { name: "Poisson encoding, a generator per image", kernel: "poissonSpikesRows", buffers: { g: [23 * 4, "zero"], x: [23 * 1_001, "positive"], out: [23 * 1_001, "zero"] },
    call: (k, p, rt) => {
      for (let b = 0; b < 23; b++) k.rngSeed(p.g + b * rt.layout.rngBytes, 7, b);
      return k.poissonSpikesRows(p.g, 23, 1_001, p.x, 0.001, 0.004, 0.004, p.out);
    } },
  { name: "neuron currents", kernel: "neuronCurrent", buffers: { y: [37 * 4_001, "signed"], bias: [4_001, "signed"], out: [37 * 4_001, "zero"] },
    call: (k, p) => k.neuronCurrent(37, 4_001, p.y, p.bias, 1.5, p.out) },
  { name: "spike records", kernel: "recordSpikes", buffers: { s: [140_003, "sparse"], r: [140_003, "positive"], counts: [140_003, "zero"], first: [140_003, "positive"] },
    call: (k, p) => k.recordSpikes(140_003, 0.05, 0.001, 0.004, p.s, p.r, p.counts, p.first) },
  { name: "spike propagation", kernel: "propagateSpikes", buffers: { s: [9 * 5_001, "sparse"], wT: [5_001 * 37, "signed"], out: [9 * 37, "zero"], scratch: [5_001, "scratch"] },
    call: (k, p) => k.propagateSpikes(9, 5_001, 37, p.s, p.wT, p.out, p.scratch) },
  { name: "spiking convolution, events and dense images", kernel: "propagateSpikesConv",
    buffers: { s: [5 * 8 * 12 * 12, "dense-spikes"], wT: [8 * 9 * 16, "signed"], out: [5 * 6 * 6 * 16, "zero"] },
    call: (k, p, rt) => k.propagateSpikesConv(5, 8, 12, 12, 1, 2, 16, 3, 1, 1, p.s, p.wT, p.out, rt.heap.alloc(k.spikingConvWorkBytes(8, 12, 12, 2, 16, 3, 1, 1))) },
];

const neuronPtr = new Map<Runtime, number>();
function neuron(rt: Runtime): number {
  if (!neuronPtr.has(rt)) neuronPtr.set(rt, ops.neuronBlock(rt, { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 }).ptr);
  return neuronPtr.get(rt)!;
}

/** Runs a case on `rt`: fills every buffer the same way, calls, and hashes every buffer and the result. */
function run(rt: Runtime, c: Case): string {
  const pointers: Record<string, number> = {};
  let image = 0;
  for (const [name, [count, fill]] of Object.entries(c.buffers)) {
    const ptr = rt.heap.alloc(count * F);
    const values = rt.heap.f32(ptr, count);
    const rng = new Lcg(0x9e3779b9 + count);
    for (let i = 0; i < count; i++) {
      const u = rng.uniform();
      if (fill === "signed") values[i] = 2 * u - 1;
      else if (fill === "positive") values[i] = name === "r" ? 0.004 * u : 3 * u;
      else if (fill === "sparse") values[i] = u < 0.05 ? 1000 : 0;
      else if (fill === "dense-spikes") {
        // Images alternate between 3 % and 40 % active, so both paths of the kernel run.
        image = Math.floor(i / (count / 5));
        values[i] = u < (image % 2 ? 0.4 : 0.03) ? 1000 : 0;
      } else values[i] = 0;
    }
    pointers[name] = ptr;
  }
  const result = c.call(rt.kernels, pointers, rt);
  const hash = createHash("sha256");
  for (const [name, [count, fill]] of Object.entries(c.buffers)) if (fill !== "scratch") hash.update(rt.heap.u8(pointers[name], count * F));
  hash.update(String(result));
  return hash.digest("hex");
}

const runtimes: Runtime[] = [];
beforeAll(async () => {
  for (const threads of [1, 2, 3, 4]) runtimes.push(await init({ threads }));
});
afterAll(() => runtimes.forEach((rt) => rt.close()));

describe("kernels shared between threads", () => {
  it("every kernel with a split rule has a case here", () => {
    expect(new Set(CASES.map((c) => c.kernel))).toEqual(new Set(SPLIT_KERNELS));
  });

  it("the runtimes have the thread counts asked for", () => {
    expect(runtimes.map((rt) => rt.threads)).toEqual([1, 2, 3, 4]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s: the same bytes on 1, 2, 3 and 4 threads, and really shared", (_, c) => {
    const one = run(runtimes[0], c);
    for (const rt of runtimes.slice(1)) {
      const before = rt.parallelCalls()[c.kernel] ?? 0;
      expect(run(rt, c), `${rt.threads} threads`).toBe(one);
      expect(rt.parallelCalls()[c.kernel] ?? 0, `${c.kernel} shared on ${rt.threads} threads`).toBeGreaterThan(before);
    }
  });
});

describe("a failure on a thread", () => {
  it("is thrown naming the kernel and the thread, after every part has ended, and the pool runs on", () => {
    const rt = runtimes[1];
    const k = rt.kernels;
    const [M, N, K] = [64, 64, 128];
    const a = rt.heap.allocF32(M * K), b = rt.heap.allocF32(K * N), c = rt.heap.allocF32(M * N);
    const work = rt.heap.alloc(k.gemmWorkspaceBytes(M, N, K));
    // Rows from 32 on (the worker's half) start past the end of memory; rows 0–31 lie inside it.
    const lda = Math.floor((rt.memory.buffer.byteLength - a) / (32 * F)) + 1;
    expect(() => k.gemm(0, 0, M, N, K, a, lda, b, N, c, N, 0, 0, work)).toThrow(/wasm kernel gemm \(thread 1\): .*out of bounds/);
    k.gemm(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, work);
    expect(rt.heap.f32(c, M * N).every((v) => v === 0)).toBe(true);
  });
});
