// Batch normalisation over the rows (the batch) of a B×F matrix, per feature column, as PyTorch's
// BatchNorm1d: batch statistics in training, running statistics at inference; the running
// variance uses the unbiased batch variance; momentum is the weight of the new batch. The affine
// parameters are PyTorch's BatchNorm weight and bias (γ and β in Ioffe & Szegedy's paper).
//
// Every pass walks rows in order and features four at a time, so memory is read contiguously.

import { axpy, fill, sum } from "./elementwise";

/**
 * Training-mode forward. Writes mean[F], invStd[F] = 1/sqrt(var + eps) (biased batch variance)
 * and xHat = (x − mean)·invStd for the backward pass, y = weight·xHat + bias, and updates the
 * running statistics. B ≥ 2 (the facade checks). y may alias x.
 */
export function batchNormTrain(
  B: i32, F: i32, x: usize, weight: usize, bias: usize, y: usize, xHat: usize,
  mean: usize, invStd: usize, runningMean: usize, runningVar: usize, momentum: f32, eps: f32,
): void {
  const rowBytes = <usize>F << 2;
  fill(F, 0, mean);
  for (let i = 0; i < B; i++) axpy(F, 1, x + <usize>i * rowBytes, mean);
  const invB: f32 = 1 / <f32>B;
  for (let j = 0; j < F; j++) store<f32>(mean + (<usize>j << 2), load<f32>(mean + (<usize>j << 2)) * invB);
  // Two-pass variance: Σ (x − mean)², accumulated in invStd's storage.
  fill(F, 0, invStd);
  for (let i = 0; i < B; i++) {
    const row = x + <usize>i * rowBytes;
    let j = 0;
    for (; j + 4 <= F; j += 4) {
      const o = <usize>j << 2;
      const d = f32x4.sub(v128.load(row + o), v128.load(mean + o));
      v128.store(invStd + o, f32x4.add(v128.load(invStd + o), f32x4.mul(d, d)));
    }
    for (; j < F; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(row + o) - load<f32>(mean + o);
      store<f32>(invStd + o, load<f32>(invStd + o) + d * d);
    }
  }
  const keep: f32 = 1 - momentum;
  for (let j = 0; j < F; j++) {
    const o = <usize>j << 2;
    const squares = load<f32>(invStd + o);
    const m = load<f32>(mean + o);
    store<f32>(runningMean + o, keep * load<f32>(runningMean + o) + momentum * m);
    store<f32>(runningVar + o, keep * load<f32>(runningVar + o) + momentum * (squares / <f32>(B - 1)));
    store<f32>(invStd + o, 1 / Mathf.sqrt(squares * invB + eps));
  }
  for (let i = 0; i < B; i++) {
    const o = <usize>i * rowBytes;
    normalizeRow(F, x + o, mean, invStd, weight, bias, xHat + o, y + o);
  }
}

/** Inference-mode forward with the running statistics: y = weight·(x − μ)/sqrt(σ² + eps) + bias. */
export function batchNormInfer(
  B: i32, F: i32, x: usize, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  eps: f32, y: usize, scratch: usize,
): void {
  // scratch[F] holds 1/sqrt(σ² + eps), computed once for the whole batch.
  for (let j = 0; j < F; j++) {
    const o = <usize>j << 2;
    store<f32>(scratch + o, 1 / Mathf.sqrt(load<f32>(runningVar + o) + eps));
  }
  const rowBytes = <usize>F << 2;
  for (let i = 0; i < B; i++) {
    const o = <usize>i * rowBytes;
    normalizeRow(F, x + o, runningMean, scratch, weight, bias, 0, y + o);
  }
}

// One row: xh = (x − mean)·invStd (stored when xHat ≠ 0), y = weight·xh + bias.
@inline
function normalizeRow(F: i32, x: usize, mean: usize, invStd: usize, weight: usize, bias: usize, xHat: usize, y: usize): void {
  let j = 0;
  for (; j + 4 <= F; j += 4) {
    const o = <usize>j << 2;
    const xh = f32x4.mul(f32x4.sub(v128.load(x + o), v128.load(mean + o)), v128.load(invStd + o));
    if (xHat) v128.store(xHat + o, xh);
    v128.store(y + o, f32x4.add(f32x4.mul(v128.load(weight + o), xh), v128.load(bias + o)));
  }
  for (; j < F; j++) {
    const o = <usize>j << 2;
    const xh = (load<f32>(x + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
    if (xHat) store<f32>(xHat + o, xh);
    store<f32>(y + o, load<f32>(weight + o) * xh + load<f32>(bias + o));
  }
}

/**
 * Training-mode backward: dBias = Σ dy, dWeight = Σ dy·xHat, and
 * dx = weight·invStd/B · (B·dy − dBias − xHat·dWeight). dx may alias dy.
 */
export function batchNormBackward(
  B: i32, F: i32, dy: usize, xHat: usize, weight: usize, invStd: usize,
  dx: usize, dWeight: usize, dBias: usize,
): void {
  const rowBytes = <usize>F << 2;
  fill(F, 0, dBias);
  fill(F, 0, dWeight);
  for (let i = 0; i < B; i++) {
    const o = <usize>i * rowBytes;
    let j = 0;
    for (; j + 4 <= F; j += 4) {
      const c = <usize>j << 2;
      const g = v128.load(dy + o + c);
      v128.store(dBias + c, f32x4.add(v128.load(dBias + c), g));
      v128.store(dWeight + c, f32x4.add(v128.load(dWeight + c), f32x4.mul(g, v128.load(xHat + o + c))));
    }
    for (; j < F; j++) {
      const c = <usize>j << 2;
      const g = load<f32>(dy + o + c);
      store<f32>(dBias + c, load<f32>(dBias + c) + g);
      store<f32>(dWeight + c, load<f32>(dWeight + c) + g * load<f32>(xHat + o + c));
    }
  }
  const fB = <f32>B;
  const invB: f32 = 1 / fB;
  for (let i = 0; i < B; i++) {
    const o = <usize>i * rowBytes;
    for (let j = 0; j < F; j++) {
      const c = <usize>j << 2;
      const k = load<f32>(weight + c) * load<f32>(invStd + c) * invB;
      const v = fB * load<f32>(dy + o + c) - load<f32>(dBias + c) - load<f32>(xHat + o + c) * load<f32>(dWeight + c);
      store<f32>(dx + o + c, k * v);
    }
  }
}

// ---- BatchNorm2d: statistics per channel over the batch and the S = H·W positions ---------------
// x is N×C×S (NCHW). Each channel's sums run image by image, each plane four lanes at a time.

/** Training-mode forward over channels, as batchNormTrain over features (count N·S ≥ 2). */
export function batchNorm2dTrain(
  N: i32, C: i32, S: i32, x: usize, weight: usize, bias: usize, y: usize, xHat: usize,
  mean: usize, invStd: usize, runningMean: usize, runningVar: usize, momentum: f32, eps: f32,
): void {
  const count = <f32>(N * S);
  const keep: f32 = 1 - momentum;
  for (let c = 0; c < C; c++) {
    let total: f32 = 0;
    for (let n = 0; n < N; n++) total += sum(S, plane(x, n, c, C, S));
    const m = total / count;
    let squares: f32 = 0;
    for (let n = 0; n < N; n++) squares += squaredDeviations(S, plane(x, n, c, C, S), m);
    const o = <usize>c << 2;
    store<f32>(mean + o, m);
    store<f32>(runningMean + o, keep * load<f32>(runningMean + o) + momentum * m);
    store<f32>(runningVar + o, keep * load<f32>(runningVar + o) + momentum * (squares / (count - 1)));
    const inv: f32 = 1 / Mathf.sqrt(squares / count + eps);
    store<f32>(invStd + o, inv);
    const g = load<f32>(weight + o), b = load<f32>(bias + o);
    for (let n = 0; n < N; n++) {
      normalizePlane(S, plane(x, n, c, C, S), m, inv, g, b, plane(xHat, n, c, C, S), plane(y, n, c, C, S));
    }
  }
}

/** Inference-mode forward over channels with the running statistics. */
export function batchNorm2dInfer(
  N: i32, C: i32, S: i32, x: usize, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  eps: f32, y: usize,
): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const inv: f32 = 1 / Mathf.sqrt(load<f32>(runningVar + o) + eps);
    const m = load<f32>(runningMean + o), g = load<f32>(weight + o), b = load<f32>(bias + o);
    for (let n = 0; n < N; n++) normalizePlane(S, plane(x, n, c, C, S), m, inv, g, b, 0, plane(y, n, c, C, S));
  }
}

/** Training-mode backward over channels, as batchNormBackward with count N·S. dx may alias dy. */
export function batchNorm2dBackward(
  N: i32, C: i32, S: i32, dy: usize, xHat: usize, weight: usize, invStd: usize,
  dx: usize, dWeight: usize, dBias: usize,
): void {
  const count = <f32>(N * S);
  for (let c = 0; c < C; c++) {
    let db: f32 = 0, dg: f32 = 0;
    for (let n = 0; n < N; n++) {
      db += sum(S, plane(dy, n, c, C, S));
      dg += dot(S, plane(dy, n, c, C, S), plane(xHat, n, c, C, S));
    }
    const o = <usize>c << 2;
    store<f32>(dBias + o, db);
    store<f32>(dWeight + o, dg);
    const k = f32x4.splat(load<f32>(weight + o) * load<f32>(invStd + o) / count);
    const vCount = f32x4.splat(count), vDb = f32x4.splat(db), vDg = f32x4.splat(dg);
    for (let n = 0; n < N; n++) {
      const g = plane(dy, n, c, C, S), h = plane(xHat, n, c, C, S), d = plane(dx, n, c, C, S);
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const i = <usize>s << 2;
        const v = f32x4.sub(f32x4.sub(f32x4.mul(vCount, v128.load(g + i)), vDb), f32x4.mul(v128.load(h + i), vDg));
        v128.store(d + i, f32x4.mul(k, v));
      }
      for (; s < S; s++) {
        const i = <usize>s << 2;
        const v = count * load<f32>(g + i) - db - load<f32>(h + i) * dg;
        store<f32>(d + i, f32x4.extract_lane(k, 0) * v);
      }
    }
  }
}

@inline
function plane(p: usize, n: i32, c: i32, C: i32, S: i32): usize {
  return p + (<usize>((n * C + c) * S) << 2);
}

// Σ (p − m)², four lanes then the tail, as sum().
function squaredDeviations(S: i32, p: usize, m: f32): f32 {
  const vm = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let s = 0;
  for (; s + 4 <= S; s += 4) {
    const d = f32x4.sub(v128.load(p + (<usize>s << 2)), vm);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let total = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; s < S; s++) {
    const d = load<f32>(p + (<usize>s << 2)) - m;
    total += d * d;
  }
  return total;
}

// Σ a·b, four lanes then the tail, as sum().
function dot(S: i32, a: usize, b: usize): f32 {
  let acc = f32x4.splat(0);
  let s = 0;
  for (; s + 4 <= S; s += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>s << 2)), v128.load(b + (<usize>s << 2))));
  let total = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; s < S; s++) total += load<f32>(a + (<usize>s << 2)) * load<f32>(b + (<usize>s << 2));
  return total;
}

// xh = (x − m)·inv (stored when xHat ≠ 0), y = g·xh + b over one plane.
function normalizePlane(S: i32, x: usize, m: f32, inv: f32, g: f32, b: f32, xHat: usize, y: usize): void {
  const vm = f32x4.splat(m), vi = f32x4.splat(inv), vg = f32x4.splat(g), vb = f32x4.splat(b);
  let s = 0;
  for (; s + 4 <= S; s += 4) {
    const o = <usize>s << 2;
    const xh = f32x4.mul(f32x4.sub(v128.load(x + o), vm), vi);
    if (xHat) v128.store(xHat + o, xh);
    v128.store(y + o, f32x4.add(f32x4.mul(vg, xh), vb));
  }
  for (; s < S; s++) {
    const o = <usize>s << 2;
    const xh = (load<f32>(x + o) - m) * inv;
    if (xHat) store<f32>(xHat + o, xh);
    store<f32>(y + o, g * xh + b);
  }
}
