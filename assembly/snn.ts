// The spiking network's per-step plumbing between layers (SCIENCE.md §2): event-driven propagation
// of spikes through a weight matrix, the neurons' input current, and the output readout. The LIF
// step itself is lif.ts's, the synaptic filters synapse.ts's.

import { unrollBytes, unrollPatches } from "./conv";
import { gemm, gemmWorkspaceBytes } from "./gemm";
import { roundUp } from "./simd";

// An image whose share of active inputs exceeds this goes through the dense convolution instead
// of event by event: an event costs K²·O scattered multiply-adds, the dense product as many per
// input, in the packed GEMM. Measured on the bench net's second convolution (32×28×28 NHWC spikes,
// pool 2, 5×5 to 64 channels, 100 images): both take 53 ms a step at 7 % active; the dense path
// stays near 62 ms however many fire; events take 4 ms at 0.1 % active and 19 ms at 3 %.
const DENSE_SHARE: f32 = 0.07;

/**
 * out[b, :] = Σ_i s[b, i]·wT[i, :] over the inputs that spiked (s ≠ 0), for B rows: the weighted
 * input of one simulation step. wT is the transposed weight matrix (nIn × nOut, row i holds input
 * i's outgoing weights), so each spike adds one contiguous row. Spikes are sparse — a few percent
 * of neurons fire in a 1 ms step — so this costs events·nOut where the dense product costs
 * nIn·nOut. `scratch` holds nIn indices of the row's events. Each output sums its events in index
 * order from 0, whatever the blocking, so the result has fixed bits. Returns the synaptic
 * operations delivered: every event reaches all nOut outputs.
 */
export function propagateSpikes(B: i32, nIn: i32, nOut: i32, spikes: usize, wT: usize, out: usize, scratch: usize): f64 {
  let events: f64 = 0;
  const rowBytes = <usize>nOut << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const s = spikes + (<usize>b * <usize>nIn << 2);
    const y = out + <usize>b * rowBytes;
    const m = gatherEvents(s, nIn, scratch);
    events += <f64>m;
    // Sixteen outputs at a time stay in registers while every event adds to them: the weights are
    // read once and the outputs written once.
    let j = 0;
    for (; j + 16 <= nOut; j += 16) {
      const o = <usize>j << 2;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        const v = f32x4.splat(load<f32>(s + (<usize>k << 2)));
        const w = wT + <usize>k * rowBytes + o;
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
        a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
      }
      v128.store(y + o, a0);
      v128.store(y + o, a1, 16);
      v128.store(y + o, a2, 32);
      v128.store(y + o, a3, 48);
    }
    for (; j + 4 <= nOut; j += 4) {
      const o = <usize>j << 2;
      let a = zero;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(s + (<usize>k << 2))), v128.load(wT + <usize>k * rowBytes + o)));
      }
      v128.store(y + o, a);
    }
    for (; j < nOut; j++) {
      const o = <usize>j << 2;
      let a: f32 = 0;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        a += load<f32>(s + (<usize>k << 2)) * load<f32>(wT + <usize>k * rowBytes + o);
      }
      store<f32>(y + o, a);
    }
  }
  return events * <f64>nOut;
}

// The indices of the nonzero values of s[0..n) in order, into scratch, skipping silent inputs four
// at a time; returns how many.
@inline
function gatherEvents(s: usize, n: i32, scratch: usize): i32 {
  const zero = f32x4.splat(0);
  let m = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (!v128.any_true(f32x4.ne(v128.load(s + (<usize>i << 2)), zero))) continue;
    // Without a branch per input: each index is written, and kept only if it fired.
    for (let k = i; k < i + 4; k++) {
      store<i32>(scratch + (<usize>m << 2), k);
      m += <i32>(load<f32>(s + (<usize>k << 2)) != 0);
    }
  }
  for (; i < n; i++) {
    if (load<f32>(s + (<usize>i << 2)) != 0) store<i32>(scratch + (<usize>(m++) << 2), i);
  }
  return m;
}

/**
 * Bytes of scratch propagateSpikesConv needs: the events' indices, and for the dense path the
 * pooled map, its patches and the GEMM's packing space.
 */
export function spikingConvWorkBytes(C: i32, H: i32, W: i32, pool: i32, O: i32, K: i32, stride: i32, pad: i32): i32 {
  const PH = H / pool, PW = W / pool;
  const P = ((PH + 2 * pad - K) / stride + 1) * ((PW + 2 * pad - K) / stride + 1);
  return roundUp((C * H * W) << 2, 16) + roundUp((C * PH * PW) << 2, 16) + unrollBytes(C, PH, PW, K, stride, pad) + gemmWorkspaceBytes(P, O, C * K * K);
}

// The average-pooled map of one image's spikes, NCHW: pooled[c][py][px] = Σ_window s / pool².
function poolSpikes(C: i32, H: i32, W: i32, channelsLast: i32, pool: i32, inv: f32, s: usize, pooled: usize): void {
  const PH = H / pool, PW = W / pool;
  for (let c = 0; c < C; c++) {
    for (let py = 0; py < PH; py++) {
      for (let px = 0; px < PW; px++) {
        let v: f32 = 0;
        for (let dy = 0; dy < pool; dy++) {
          for (let dx = 0; dx < pool; dx++) {
            const y = py * pool + dy, x = px * pool + dx;
            v += load<f32>(s + (<usize>(channelsLast ? (y * W + x) * C + c : (c * H + y) * W + x) << 2));
          }
        }
        store<f32>(pooled + (<usize>((c * PH + py) * PW + px) << 2), v * inv);
      }
    }
  }
}

/**
 * Event-driven convolution, with an average pooling before it folded in: a spike of value v at
 * (c, y, x) of a C×H×W map is a value v/pool² at pooled position (c, ⌊y/pool⌋, ⌊x/pool⌋), which
 * adds its kernel column v/pool²·W[:, c, ky, kx] to every output position (oy, ox) whose window
 * covers it (oy·stride + ky − pad = ⌊y/pool⌋, likewise x). Input spikes are NCHW (channelsLast 0:
 * an image) or NHWC (channelsLast 1: a conv layer's neurons here); outputs are NHWC, B × OH × OW × O,
 * so that each event adds O contiguous values. wT is [C, K, K, O] (W transposed: row (c, ky, kx)
 * holds that tap's weight for every output channel). `scratch` holds spikingConvWorkBytes(…).
 * Each output sums its contributions in event order, then ky, kx; an image with more than
 * DENSE_SHARE of its inputs active is instead pooled, unrolled and multiplied by wT in the GEMM
 * (outputs NHWC straight away: P × O = colsᵀ·wT). Either way the bits are fixed by the spikes.
 * Returns the synaptic operations the events deliver, O for every output position each reaches
 * (the same count on the dense path: it is what the events would have cost).
 */
export function propagateSpikesConv(
  B: i32, C: i32, H: i32, W: i32, channelsLast: i32, pool: i32, O: i32, K: i32, stride: i32, pad: i32,
  spikes: usize, wT: usize, out: usize, scratch: usize,
): f64 {
  const PH = H / pool, PW = W / pool;
  const OH = (PH + 2 * pad - K) / stride + 1, OW = (PW + 2 * pad - K) / stride + 1;
  const n = C * H * W;
  const inv: f32 = 1 / <f32>(pool * pool);
  const rowBytes = <usize>O << 2;
  const P = OH * OW, rows = C * K * K;
  const pooled = scratch + roundUp(n << 2, 16), cols = pooled + roundUp((C * PH * PW) << 2, 16);
  const gemmWork = cols + unrollBytes(C, PH, PW, K, stride, pad);
  let reached: f64 = 0;
  for (let b = 0; b < B; b++) {
    const s = spikes + (<usize>b * <usize>n << 2);
    const y = out + (<usize>b * <usize>(OH * OW * O) << 2);
    const m = gatherEvents(s, n, scratch);
    for (let e = 0; e < m; e++) {
      const k = load<i32>(scratch + (<usize>e << 2));
      const p = channelsLast ? k / C : k % (H * W);
      reached += <f64>(reach(p / W / pool, K, stride, pad, OH) * reach(p % W / pool, K, stride, pad, OW));
    }
    if (<f32>m > DENSE_SHARE * <f32>n) {
      poolSpikes(C, H, W, channelsLast, pool, inv, s, pooled);
      unrollPatches(C, PH, PW, K, stride, pad, pooled, cols);
      gemm(1, 0, P, O, rows, cols, P, wT, O, y, O, 0, 0, gemmWork);
      continue;
    }
    memory.fill(y, 0, <usize>(OH * OW * O) << 2);
    for (let e = 0; e < m; e++) {
      const k = load<i32>(scratch + (<usize>e << 2));
      const v = load<f32>(s + (<usize>k << 2)) * inv;
      let c: i32, iy: i32, ix: i32;
      if (channelsLast) {
        c = k % C;
        const p = k / C;
        iy = p / W;
        ix = p % W;
      } else {
        c = k / (H * W);
        const p = k % (H * W);
        iy = p / W;
        ix = p % W;
      }
      iy /= pool;
      ix /= pool;
      const splat = f32x4.splat(v);
      for (let ky = 0; ky < K; ky++) {
        const ty = iy + pad - ky;
        if (ty < 0 || ty % stride != 0 || ty / stride >= OH) continue;
        const oy = ty / stride;
        for (let kx = 0; kx < K; kx++) {
          const tx = ix + pad - kx;
          if (tx < 0 || tx % stride != 0 || tx / stride >= OW) continue;
          const ox = tx / stride;
          const w = wT + <usize>((c * K + ky) * K + kx) * rowBytes;
          const d = y + <usize>(oy * OW + ox) * rowBytes;
          let o = 0;
          for (; o + 4 <= O; o += 4) {
            const off = <usize>o << 2;
            v128.store(d + off, f32x4.add(v128.load(d + off), f32x4.mul(splat, v128.load(w + off))));
          }
          for (; o < O; o++) {
            const off = <usize>o << 2;
            store<f32>(d + off, load<f32>(d + off) + v * load<f32>(w + off));
          }
        }
      }
    }
  }
  return reached * <f64>O;
}

// How many output rows (or columns) of OUT a pooled input row i feeds: the o in [0, OUT) with
// o·stride + k − pad = i for some tap k in [0, K).
@inline
function reach(i: i32, K: i32, stride: i32, pad: i32, OUT: i32): i32 {
  let r = 0;
  for (let k = 0; k < K; k++) {
    const t = i + pad - k;
    if (t >= 0 && t % stride == 0 && t / stride < OUT) r++;
  }
  return r;
}

/**
 * out[b, j] = gain·(y[b, j] + bias[j]) for B rows of n neurons: the input current of a layer whose
 * (filtered) weighted input is y — the same j = gain·(W·a + b) the rate network's activation sees.
 * out may alias y.
 */
export function neuronCurrent(B: i32, n: i32, y: usize, bias: usize, gain: f32, out: usize): void {
  const g = f32x4.splat(gain);
  for (let b = 0; b < B; b++) {
    const row = <usize>b * <usize>n << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + row + o, f32x4.mul(g, f32x4.add(v128.load(y + row + o), v128.load(bias + o))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(out + row + o, gain * (load<f32>(y + row + o) + load<f32>(bias + o)));
    }
  }
}

/**
 * The readout's bookkeeping after a lifStep over n neurons that ended at time tEnd: for each neuron
 * that fired (spikes ≠ 0), counts[i] += 1, and first[i] takes its spike time if it has none yet
 * (first[i] = +Inf until then). The spike time is the crossing lifStep interpolated: its refractory
 * period t_ref started then, so with `refractory` left at the end of the step the crossing was
 * t_ref − refractory before tEnd (never earlier than the step's start, tEnd − dt).
 */
export function recordSpikes(n: i32, tEnd: f32, dt: f32, tRef: f32, spikes: usize, refractory: usize, counts: usize, first: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(spikes + o) == 0) continue;
    store<f32>(counts + o, load<f32>(counts + o) + 1);
    if (load<f32>(first + o) == Infinity) {
      const since = min<f32>(tRef - load<f32>(refractory + o), dt);
      store<f32>(first + o, tEnd - since);
    }
  }
}
