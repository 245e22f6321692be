// How a kernel call is shared out between threads without moving a bit. A call is divided only
// into calls over disjoint outputs (rows or column panels of a GEMM, images, output channels,
// neurons, elements), each computing its outputs exactly as the whole call would: every sum keeps
// its terms and their order, so the result is the same at any thread count. No reduction is ever
// split. Calls too small to pay for a hand-off run whole on the calling thread.
//
// Each rule gets the call's arguments and returns one argument list per part, or undefined to run
// the call as it is. Part 0 runs on the calling thread with the caller's scratch; the others get
// per-thread scratch from `work`.

import type { Kernels } from "./kernels.js";
import type { Layout } from "./layout.js";

type Args = number[];

/** Per-thread scratch for parts 1…: `bytes` bytes for part `part`, 16-aligned. */
export type WorkFor = (part: number, bytes: number) => number;

interface Context {
  threads: number;
  kernels: Kernels;
  layout: Layout;
  work: WorkFor;
}

type Rule = (args: Args, c: Context) => Args[] | undefined;

/**
 * [start, count] pieces of `total` items for up to `parts` threads, each a multiple of `align`
 * except the last, as even as alignment allows; fewer pieces when there are too few items.
 */
export function pieces(total: number, parts: number, align: number): [number, number][] {
  const units = Math.ceil(total / align);
  const n = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.min(total, Math.round(((i + 1) * units) / n) * align);
    if (end > start) out.push([start, end - start]);
    start = end;
  }
  return out;
}

// Below these a call is not worth a hand-off (a worker's wake-up costs some microseconds).
const MIN_MACS = 1 << 18;
const MIN_ELEMENTS = 1 << 15;
const MIN_CHEAP_ELEMENTS = 1 << 17; // for kernels of a few operations per element

const F32 = 4;

/** Divides an elementwise kernel's index range: `count` is the argument holding n, `pointers` those advancing with it. */
function elementwise(count: number, pointers: number[], min: number, align = 4): Rule {
  return (args, c) => {
    const n = args[count];
    if (n < min) return undefined;
    return pieces(n, c.threads, align).map(([start, size]) => {
      const part = args.slice();
      part[count] = size;
      for (const p of pointers) part[p] = args[p] + start * F32;
      return part;
    });
  };
}

// The conv kernels' geometry: arguments N, C, H, W, O, K, stride, pad come first.
function convOut(args: Args): number {
  const [, , H, W, , K, stride, pad] = args;
  return (Math.floor((H + 2 * pad - K) / stride) + 1) * (Math.floor((W + 2 * pad - K) / stride) + 1);
}

/** Conv forward or input gradient, by images: `inPtr` advances by C·H·W per image, `outPtr` by O·P. */
function convByImages(inPtr: number, outPtr: number, work: number): Rule {
  return (args, c) => {
    const [N, C, H, W, O, K] = args;
    const P = convOut(args);
    if (N < 2 || N * O * C * K * K * P < MIN_MACS) return undefined;
    const bytes = c.kernels.conv2dWorkBytes(C, H, W, O, K, args[6], args[7]);
    return pieces(N, c.threads, 1).map(([start, size], part) => {
      const a = args.slice();
      a[0] = size;
      a[inPtr] = args[inPtr] + start * C * H * W * F32;
      a[outPtr] = args[outPtr] + start * O * P * F32;
      if (part > 0) a[work] = c.work(part, bytes);
      return a;
    });
  };
}

const RULES: Partial<Record<keyof Kernels, Rule>> = {
  // gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate, bias, work): C's rows (in
  // micro-tile multiples) or, when C is wider than tall, its column panels. Each element's sum
  // runs over the same k blocks in the same order either way; each part packs the operand it
  // shares whole, so the larger side is divided.
  gemm(args, c) {
    const [transA, transB, M, N, K, a, lda, b, ldb, out, ldc] = args;
    if (M * N * K < MIN_MACS) return undefined;
    const byRows = M >= N;
    return pieces(byRows ? M : N, c.threads, byRows ? 4 : 8).map(([start, size], part) => {
      const p = args.slice();
      if (byRows) {
        p[2] = size;
        p[5] = a + start * (transA ? 1 : lda) * F32;
        p[9] = out + start * ldc * F32;
      } else {
        p[3] = size;
        p[7] = b + start * (transB ? ldb : 1) * F32;
        p[9] = out + start * F32;
        if (p[12]) p[12] += start * F32;
      }
      if (part > 0) p[13] = c.work(part, c.kernels.gemmWorkspaceBytes(p[2], p[3], K));
      return p;
    });
  },
  conv2dForward: convByImages(8, 11, 12),
  conv2dInputGrad: convByImages(10, 8, 11),
  // conv2dWeightGrad(N, C, H, W, O, K, stride, pad, x, dy, dw, dbias, work, first, count): the
  // weight gradient sums over images, so it is divided by output channel (rows of dw): each part
  // unrolls every image itself and sums its channels' images in order.
  conv2dWeightGrad(args, c) {
    const [N, C, H, W, , K] = args;
    const count = args[14];
    if (count < 8 || N * count * C * K * K * convOut(args) < MIN_MACS) return undefined;
    const bytes = c.kernels.conv2dWorkBytes(C, H, W, args[4], K, args[6], args[7]);
    return pieces(count, c.threads, 4).map(([start, size], part) => {
      const p = args.slice();
      p[13] = args[13] + start;
      p[14] = size;
      if (part > 0) p[12] = c.work(part, bytes);
      return p;
    });
  },
  // pcStep(L, row0, rows, table, gamma, mode, work, workBytes): the predictions and the move by
  // rows of the batch (in micro-tile multiples, as the GEMM's); the energy, a sum over the rows, whole.
  pcStep(args, c) {
    const [, row0, rows, , , mode, , workBytes] = args;
    if (mode & c.layout.pc.phase.energy || rows < 8) return undefined;
    return pieces(rows, c.threads, 4).map(([start, size], part) => {
      const p = args.slice();
      p[1] = row0 + start;
      p[2] = size;
      if (part > 0) p[6] = c.work(part, workBytes);
      return p;
    });
  },
  // The relaxation's element-wise pieces for layer lists: pcValues(n, u, e, x), pcRepredict(n, p, u, e), pcMove(n, γ, g, e).
  pcValues: elementwise(0, [1, 2, 3], MIN_CHEAP_ELEMENTS),
  pcRepredict: elementwise(0, [1, 2, 3], MIN_CHEAP_ELEMENTS),
  pcMove: elementwise(0, [2, 3], MIN_CHEAP_ELEMENTS),
  // Pooling (planes, H, W, K, in, out[, index]): by planes.
  avgPoolForward: pooling(4, 5, true),
  avgPoolBackward: pooling(4, 5, false),
  maxPoolForward: pooling(4, 5, true, 6),
  maxPoolBackward: pooling(4, 6, false, 5),
  // activationForward(kind, n, z, a, neuron) and activationBackward(kind, n, z, a, da, dz,
  // neuron): each value's bits depend on that value alone; parts are whole soft-LIF chunks.
  activationForward: byKind(elementwise(1, [2, 3], MIN_ELEMENTS, 256), elementwise(1, [2, 3], MIN_CHEAP_ELEMENTS, 256)),
  activationBackward: byKind(elementwise(1, [2, 3, 4, 5], MIN_ELEMENTS, 256), elementwise(1, [2, 3, 4, 5], MIN_CHEAP_ELEMENTS, 256)),
  sgdStep: elementwise(0, [1, 2, 3], MIN_CHEAP_ELEMENTS),
  adamStep: elementwise(0, [1, 2, 3, 4], MIN_ELEMENTS),
  lowpassStep: elementwise(0, [3, 4], MIN_CHEAP_ELEMENTS),
  alphaStep: elementwise(0, [3, 4, 5], MIN_CHEAP_ELEMENTS),
  // lifStep(n, dt, tauRc, tRef, current, voltage, refractory, spikes, amplitude, floor) → spikes fired: a
  // neuron's step is the same in any lane; the counts add up exactly.
  lifStep: elementwise(0, [4, 5, 6, 7], MIN_ELEMENTS / 4, 1024),
  // poissonSpikesRows(g, B, n, x, dt, period, amplitude, out) → spikes: by image, each of which
  // draws from its own generator (g advances by a generator's bytes per image).
  poissonSpikesRows(args, c) {
    const [g, B, n] = args;
    if (B < 2 || B * n < MIN_ELEMENTS / 4) return undefined;
    return pieces(B, c.threads, 1).map(([start, size]) => {
      const p = args.slice();
      p[0] = g + start * c.layout.rngBytes;
      p[1] = size;
      p[3] = args[3] + start * n * F32;
      p[7] = args[7] + start * n * F32;
      return p;
    });
  },
  // neuronCurrent(B, n, y, bias, gain, out): by image (the bias is every image's).
  neuronCurrent(args, c) {
    const [B, n] = args;
    if (B < 2 || B * n < MIN_CHEAP_ELEMENTS) return undefined;
    return pieces(B, c.threads, 1).map(([start, size]) => {
      const p = args.slice();
      p[0] = size;
      p[2] = args[2] + start * n * F32;
      p[5] = args[5] + start * n * F32;
      return p;
    });
  },
  // recordSpikes(n, tEnd, dt, tRef, spikes, refractory, counts, first): by neuron.
  recordSpikes: elementwise(0, [4, 5, 6, 7], MIN_CHEAP_ELEMENTS),
  // propagateSpikes(B, nIn, nOut, spikes, wT, out, scratch) → events: by image.
  propagateSpikes(args, c) {
    const [B, nIn, nOut] = args;
    if (B < 2 || B * nIn < MIN_ELEMENTS) return undefined;
    return pieces(B, c.threads, 1).map(([start, size], part) => {
      const p = args.slice();
      p[0] = size;
      p[3] = args[3] + start * nIn * F32;
      p[5] = args[5] + start * nOut * F32;
      if (part > 0) p[6] = c.work(part, nIn * F32);
      return p;
    });
  },
  // propagateSpikesConv(B, C, H, W, channelsLast, pool, O, K, stride, pad, spikes, wT, out,
  // scratch) → events: by image.
  propagateSpikesConv(args, c) {
    const [B, C, H, W, , pool, O, K, stride, pad] = args;
    if (B < 2) return undefined;
    const PH = Math.floor(H / pool), PW = Math.floor(W / pool);
    const P = (Math.floor((PH + 2 * pad - K) / stride) + 1) * (Math.floor((PW + 2 * pad - K) / stride) + 1);
    const bytes = c.kernels.spikingConvWorkBytes(C, H, W, pool, O, K, stride, pad);
    return pieces(B, c.threads, 1).map(([start, size], part) => {
      const p = args.slice();
      p[0] = size;
      p[10] = args[10] + start * C * H * W * F32;
      p[12] = args[12] + start * P * O * F32;
      if (part > 0) p[13] = c.work(part, bytes);
      return p;
    });
  },
  // snnSteps(table, L, row0, rows, step0, steps, work, workBytes, totals): by rows, each part with
  // its own event scratch and its own totals (snnTotals(L) float64 after the previous part's), which
  // the caller sums.
  snnSteps(args, c) {
    const [, L, row0, rows, , , , bytes] = args;
    if (rows < 2) return undefined;
    return pieces(rows, c.threads, 1).map(([start, size], part) => {
      const p = args.slice();
      p[2] = row0 + start;
      p[3] = size;
      if (part > 0) {
        p[6] = c.work(part, bytes);
        p[8] = args[8] + part * snnTotals(L) * 8;
      }
      return p;
    });
  },
};

/** The cheap rule for ReLU and the identity, the other for the rest (the activation code is argument 0). */
function byKind(costly: Rule, cheap: Rule): Rule {
  return (args, c) => (args[0] === c.layout.activation.relu || args[0] === c.layout.activation.identity ? cheap : costly)(args, c);
}

/** Pooling kernels: planes in argument 0, H, W, K next; `inPtr`/`outPtr` advance by an input/output plane. */
function pooling(inPtr: number, outPtr: number, forward: boolean, indexPtr?: number): Rule {
  return (args, c) => {
    const [planes, H, W, K] = args;
    if (planes < 2 || planes * H * W < MIN_CHEAP_ELEMENTS) return undefined;
    const inPlane = (forward ? H * W : Math.floor(H / K) * Math.floor(W / K)) * F32;
    const outPlane = (forward ? Math.floor(H / K) * Math.floor(W / K) : H * W) * F32;
    const indexPlane = Math.floor(H / K) * Math.floor(W / K) * 4;
    return pieces(planes, c.threads, 1).map(([start, size]) => {
      const p = args.slice();
      p[0] = size;
      p[inPtr] = args[inPtr] + start * inPlane;
      p[outPtr] = args[outPtr] + start * outPlane;
      if (indexPtr !== undefined) p[indexPtr] = args[indexPtr] + start * indexPlane;
      return p;
    });
  };
}

/** The kernels with a rule, by name. */
export const SPLIT_KERNELS = Object.keys(RULES) as (keyof Kernels)[];

/** The float64 totals one snnSteps call adds to for an L-layer network: input spikes, each layer's spikes, each layer's synaptic operations. */
export const snnTotals = (L: number) => 2 * L + 1;

/** Kernels whose result is a count: a split call returns the sum of its parts' counts. */
export const COUNTING_KERNELS: ReadonlySet<keyof Kernels> = new Set(["lifStep", "poissonSpikesRows", "propagateSpikes", "propagateSpikesConv"]);

/** The parts of one call of `name`, or undefined when it runs whole. */
export function split(name: keyof Kernels, args: Args, c: Context): Args[] | undefined {
  const rule = RULES[name];
  const parts = rule && c.threads > 1 ? rule(args, c) : undefined;
  return parts && parts.length > 1 ? parts : undefined;
}
