// Convolution, pooling and BatchNorm2d kernels against float64 references written here from the
// definitions (PyTorch's Conv2d with zero padding, cross-correlation, NCHW; non-overlapping pooling;
// BatchNorm2d's per-channel statistics over N·H·W), at awkward sizes: odd widths, stride 2,
// padding larger than the kernel's half, single images, an empty batch, 1×1 kernels.
//
// Tolerance: a float32 sum of n terms t_i, however ordered, is within γ_n·Σ|t_i| of the exact sum
// (γ_n = n·u/(1 − n·u), u = 2⁻²⁴; Higham, Accuracy and Stability, §3.1). Each output is checked
// against that bound for its own terms (plus the rounding of the inputs, which are float32 here
// already, so none). A wrong index, a dropped border or a transposed kernel moves outputs by O(|t|).

import { beforeAll, describe, expect, it } from "vitest";
import { Bytes, init, Matrix, ops, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

const { avgPool, avgPoolBackward, batchNormBackward, batchNormInfer, batchNormTrain, conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, convWorkBytes, maxPool, maxPoolBackward } = ops;
type ConvShape = ops.ConvShape;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const U = 2 ** -24;
const gamma = (n: number) => (n * U) / (1 - n * U);

function draw(rng: Lcg, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.range(-1, 1));
}

/** Every (output, input, weight) index triple of the convolution, in no particular order. */
function* taps(N: number, s: ConvShape): Generator<[number, number, number]> {
  const { channels: C, height: H, width: W, outChannels: O, kernel: K, stride, padding } = s;
  const OH = convOutputSize(H, K, stride, padding), OW = convOutputSize(W, K, stride, padding);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    for (let c = 0; c < C; c++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
      const iy = oy * stride + ky - padding, ix = ox * stride + kx - padding;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      yield [((n * O + o) * OH + oy) * OW + ox, ((n * C + c) * H + iy) * W + ix, ((o * C + c) * K + ky) * K + kx];
    }
  }
}

/** Σ over taps of a·b into three accumulators: the exact (float64) sum, Σ|terms| and the count. */
function reference(size: number) {
  return { sum: new Float64Array(size), abs: new Float64Array(size), count: new Float64Array(size) };
}

function add(r: ReturnType<typeof reference>, i: number, term: number) {
  r.sum[i] += term;
  r.abs[i] += Math.abs(term);
  r.count[i] += 1;
}

function expectWithin(actual: Float32Array, r: ReturnType<typeof reference>, what: string) {
  expect(actual.length, what).toBe(r.sum.length);
  for (let i = 0; i < actual.length; i++) {
    const bound = gamma(r.count[i] + 1) * (r.abs[i] + Math.abs(r.sum[i]));
    if (!(Math.abs(actual[i] - r.sum[i]) <= bound)) {
      throw new Error(`${what}[${i}] = ${actual[i]}, float64 reference ${r.sum[i]} (bound ${bound})`);
    }
  }
}

const SHAPES: [string, number, ConvShape][] = [
  ["3×7×5 → 5, k3 p1", 2, { channels: 3, height: 7, width: 5, outChannels: 5, kernel: 3, stride: 1, padding: 1 }],
  ["2×9×9 → 6, k3 s2 p1", 3, { channels: 2, height: 9, width: 9, outChannels: 6, kernel: 3, stride: 2, padding: 1 }],
  ["1×6×11 → 9, k5 p2 (MNIST's first layer, small)", 2, { channels: 1, height: 6, width: 11, outChannels: 9, kernel: 5, stride: 1, padding: 2 }],
  ["4×5×5 → 3, k1", 1, { channels: 4, height: 5, width: 5, outChannels: 3, kernel: 1, stride: 1, padding: 0 }],
  ["2×4×4 → 2, k3 s3 p2 (padding beyond the kernel's half)", 2, { channels: 2, height: 4, width: 4, outChannels: 2, kernel: 3, stride: 3, padding: 2 }],
  ["5×6×6 → 7, k6 (kernel = image)", 2, { channels: 5, height: 6, width: 6, outChannels: 7, kernel: 6, stride: 1, padding: 0 }],
  ["3×14×14 → 4, k5 p2 s1 (one GEMM k block > 64 columns)", 1, { channels: 3, height: 14, width: 14, outChannels: 4, kernel: 5, stride: 1, padding: 2 }],
];

describe("conv2d kernels against float64 references", () => {
  for (const [name, N, s] of SHAPES) {
    it(name, () => {
      const rng = new Lcg(N * 131 + s.kernel * 17 + s.channels);
      const OH = convOutputSize(s.height, s.kernel, s.stride, s.padding), OW = convOutputSize(s.width, s.kernel, s.stride, s.padding);
      const inSize = s.channels * s.height * s.width, outSize = s.outChannels * OH * OW, wSize = s.outChannels * s.channels * s.kernel * s.kernel;
      const xs = draw(rng, N * inSize), ws = draw(rng, wSize), bs = draw(rng, s.outChannels), dys = draw(rng, N * outSize);
      const x = Matrix.from(rt, N, inSize, xs), w = Matrix.from(rt, s.outChannels, wSize / s.outChannels, ws), b = Matrix.from(rt, 1, s.outChannels, bs);
      const dy = Matrix.from(rt, N, outSize, dys);
      const y = new Matrix(rt, N, outSize), dx = new Matrix(rt, N, inSize), dw = new Matrix(rt, s.outChannels, wSize / s.outChannels), db = new Matrix(rt, 1, s.outChannels);
      const work = new Bytes(rt, convWorkBytes(rt, s));
      try {
        conv2d(x, s, w, b, y, work);
        conv2dInputGrad(dy, s, w, dx, work);
        dx.view().fill(NaN); // the kernel must write every input position, covered or not
        conv2dInputGrad(dy, s, w, dx, work);
        conv2dWeightGrad(x, s, dy, dw, db, work);

        const fwd = reference(N * outSize), back = reference(N * inSize), grad = reference(wSize), gradB = reference(s.outChannels);
        for (let i = 0; i < N * outSize; i++) add(fwd, i, bs[Math.floor(i / (OH * OW)) % s.outChannels]);
        for (const [o, i, k] of taps(N, s)) {
          add(fwd, o, xs[i] * ws[k]);
          add(back, i, dys[o] * ws[k]);
          add(grad, k, dys[o] * xs[i]);
        }
        for (let i = 0; i < N * outSize; i++) add(gradB, Math.floor(i / (OH * OW)) % s.outChannels, dys[i]);
        expectWithin(y.toArray(), fwd, "y");
        expectWithin(dx.toArray(), back, "dx");
        expectWithin(dw.toArray(), grad, "dw");
        expectWithin(db.toArray(), gradB, "db");
      } finally {
        for (const m of [x, w, b, dy, y, dx, dw, db]) m.free();
        work.free();
      }
    });
  }

  it("an empty batch gives zero weight gradients and touches no output", () => {
    const s: ConvShape = { channels: 2, height: 5, width: 5, outChannels: 3, kernel: 3, stride: 1, padding: 1 };
    const x = new Matrix(rt, 0, 50), dy = new Matrix(rt, 0, 75), dw = Matrix.from(rt, 3, 18, new Float32Array(54).fill(7)), db = Matrix.from(rt, 1, 3, [7, 7, 7]);
    const work = new Bytes(rt, convWorkBytes(rt, s));
    conv2dWeightGrad(x, s, dy, dw, db, work);
    expect([...dw.toArray(), ...db.toArray()].every((v) => v === 0)).toBe(true);
    for (const m of [x, dy, dw, db]) m.free();
    work.free();
  });

  it("without a bias the forward pass adds none", () => {
    const s: ConvShape = { channels: 1, height: 3, width: 3, outChannels: 1, kernel: 3, stride: 1, padding: 0 };
    const x = Matrix.from(rt, 1, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]), w = Matrix.from(rt, 1, 9, [0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const y = new Matrix(rt, 1, 1), work = new Bytes(rt, convWorkBytes(rt, s));
    conv2d(x, s, w, undefined, y, work);
    expect(y.toArray()[0]).toBe(5); // the centre tap picks the centre pixel: cross-correlation, not a flipped kernel
    for (const m of [x, w, y]) m.free();
    work.free();
  });
});

describe("pooling kernels", () => {
  it("average pooling is the window mean; its backward spreads dy / K²", () => {
    const rng = new Lcg(5);
    const N = 2, C = 3, H = 6, W = 9, K = 3, OH = 2, OW = 3;
    const xs = draw(rng, N * C * H * W), dys = draw(rng, N * C * OH * OW);
    const x = Matrix.from(rt, N, C * H * W, xs), y = new Matrix(rt, N, C * OH * OW), dy = Matrix.from(rt, N, C * OH * OW, dys), dx = new Matrix(rt, N, C * H * W);
    avgPool(x, { channels: C, height: H, width: W, kernel: K }, y);
    avgPoolBackward(dy, { channels: C, height: H, width: W, kernel: K }, dx);
    const fwd = reference(N * C * OH * OW);
    const out = y.toArray(), back = dx.toArray();
    for (let p = 0; p < N * C; p++) for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) {
      const o = (p * OH + Math.floor(iy / K)) * OW + Math.floor(ix / K);
      add(fwd, o, xs[(p * H + iy) * W + ix] / (K * K));
      expect(back[(p * H + iy) * W + ix]).toBe(Math.fround(dys[o] / 9));
    }
    expectWithin(out, fwd, "avg");
    for (const m of [x, y, dy, dx]) m.free();
  });

  it("max pooling takes the window maximum (the first among equals) and routes dy to it alone", () => {
    const N = 1, C = 2, H = 4, W = 4, K = 2;
    // Plane 0: distinct values; plane 1: a tie in the first window (the first in row order wins).
    const xs = [
      1, 5, 2, 0, 3, 4, 9, 8, -1, -2, -3, -4, -5, -6, -7, -8,
      7, 7, 0, 1, 7, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3,
    ];
    const x = Matrix.from(rt, N, C * H * W, xs), y = new Matrix(rt, N, 8), index = new Bytes(rt, 32);
    const dy = Matrix.from(rt, N, 8, [1, 2, 3, 4, 5, 6, 7, 8]), dx = Matrix.from(rt, N, 32, new Float32Array(32).fill(NaN));
    const s = { channels: C, height: H, width: W, kernel: K };
    maxPool(x, s, y, index);
    maxPoolBackward(dy, s, index, dx);
    expect([...y.toArray()]).toEqual([5, 9, -1, -3, 7, 1, 0, 3]);
    const expected = new Array(32).fill(0);
    [[1, 1], [6, 2], [8, 3], [10, 4], [16, 5], [19, 6], [24, 7], [31, 8]].forEach(([i, v]) => (expected[i] = v));
    expect([...dx.toArray()]).toEqual(expected);
    for (const m of [x, y, dy, dx]) m.free();
    index.free();
  });
});

describe("BatchNorm2d kernels against a float64 reference", () => {
  it("training forward, running statistics, backward and inference, per channel over N·H·W", () => {
    const rng = new Lcg(11);
    const N = 3, C = 2, S = 7; // S = H·W, not a multiple of 4
    const xs = draw(rng, N * C * S).map((v, i) => v * (1 + (i % 3)) + 0.5);
    const dys = draw(rng, N * C * S);
    const weight = [1.5, -0.5], bias = [0.25, 2];
    const m = (rows: number, cols: number, v?: ArrayLike<number>) => (v ? Matrix.from(rt, rows, cols, v) : new Matrix(rt, rows, cols));
    const x = m(N, C * S, xs), y = m(N, C * S), dy = m(N, C * S, dys), dx = m(N, C * S);
    const p = { weight: m(1, C, weight), bias: m(1, C, bias), runningMean: m(1, C, [0, 0]), runningVar: m(1, C, [1, 1]) };
    const cache = { xHat: m(N, C * S), mean: m(1, C), invStd: m(1, C) };
    const dWeight = m(1, C), dBias = m(1, C), inferred = m(N, C * S);
    batchNormTrain(x, p, y, cache, S);
    batchNormBackward(dy, cache, p.weight, dx, dWeight, dBias, S);
    batchNormInfer(x, p, inferred, cache.invStd, S);
    const count = N * S;
    const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
    const out = y.toArray(), back = dx.toArray(), inf = inferred.toArray();
    for (let c = 0; c < C; c++) {
      let mean = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) mean += xs[at(n, c, s)] / count;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (xs[at(n, c, s)] - mean) ** 2;
      const inv = 1 / Math.sqrt(sq / count + 1e-5);
      let db = 0, dg = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) {
        db += dys[at(n, c, s)];
        dg += dys[at(n, c, s)] * (xs[at(n, c, s)] - mean) * inv;
      }
      // ~20 float32 operations per value of magnitude ≲ 10: 1e-5 relative is a 10× margin.
      expect(p.runningMean.toArray()[c]).toBeCloseTo(0.1 * mean, 6);
      expect(p.runningVar.toArray()[c]).toBeCloseTo(0.9 + 0.1 * (sq / (count - 1)), 5);
      expect(dBias.toArray()[c]).toBeCloseTo(db, 5);
      expect(dWeight.toArray()[c]).toBeCloseTo(dg, 5);
      const rv = 0.9 + 0.1 * (sq / (count - 1)), rm = 0.1 * mean;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) {
        const i = at(n, c, s), xh = (xs[i] - mean) * inv;
        expect(Math.abs(out[i] - (weight[c] * xh + bias[c]))).toBeLessThan(1e-5 * (1 + Math.abs(out[i])));
        const g = (weight[c] * inv / count) * (count * dys[i] - db - xh * dg);
        expect(Math.abs(back[i] - g)).toBeLessThan(1e-5 * (1 + Math.abs(g)));
        const e = weight[c] * (xs[i] - rm) / Math.sqrt(rv + 1e-5) + bias[c];
        expect(Math.abs(inf[i] - e)).toBeLessThan(1e-5 * (1 + Math.abs(e)));
      }
    }
    for (const t of [x, y, dy, dx, p.weight, p.bias, p.runningMean, p.runningVar, cache.xHat, cache.mean, cache.invStd, dWeight, dBias, inferred]) t.free();
  });
});
