// The event-driven convolution (assembly/snn.ts: propagateSpikesConv) against a float64 reference
// of its definition, conv(avgpool(s)) with NHWC outputs, on sparse spike maps in both input layouts,
// with pooling folded in, stride and padding. Tolerance: each output is a float32 sum of at most
// C·K²·pool² products (each spike value times 1/pool², rounded, times a weight): within
// γ_(n+2)·Σ|terms| of the exact sum (as tests/ops/conv.test.ts argues).
// The returned synaptic operations are counted the same way: the (output, nonzero spike) pairs of that sum.

import { beforeAll, describe, expect, it } from "vitest";
import { Bytes, init, Matrix, ops, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const U = 2 ** -24;

const CASES = [
  { name: "NCHW image, no pooling, k3 p1", B: 2, C: 2, H: 5, W: 7, channelsLast: false, pool: 1, O: 6, K: 3, stride: 1, padding: 1 },
  { name: "NHWC map, pool 2, k3 s2 p1, 5 output channels", B: 2, C: 3, H: 8, W: 6, channelsLast: true, pool: 2, O: 5, K: 3, stride: 2, padding: 1 },
  { name: "NHWC map, pool 3, k2", B: 1, C: 4, H: 9, W: 9, channelsLast: true, pool: 3, O: 8, K: 2, stride: 1, padding: 0 },
];

// Each case at two activities: 3 % of inputs active (event by event) and 40 % (the dense product,
// past the kernel's 7 % threshold); both must agree with the same reference.
const ACTIVE = [0.03, 0.4];

describe("event-driven convolution, and its dense path for busy images", () => {
  it.each(CASES.flatMap((c) => ACTIVE.map((active) => ({ ...c, active }))))("$name, $active active", ({ B, C, H, W, channelsLast, pool, O, K, stride, padding, active }) => {
    const gen = new Lcg(C * 7 + pool);
    const n = C * H * W;
    // Two spike values.
    const spikes = Float32Array.from({ length: B * n }, () => (gen.uniform() < active ? (gen.uniform() < 0.5 ? 1000 : 250) : 0));
    const weight = Float32Array.from({ length: O * C * K * K }, () => gen.range(-1, 1));
    const PH = H / pool, PW = W / pool;
    const OH = ops.convOutputSize(PH, K, stride, padding), OW = ops.convOutputSize(PW, K, stride, padding);
    const wT = new Matrix(rt, C * K * K, O);
    const v = wT.view();
    for (let o = 0; o < O; o++) for (let t = 0; t < C * K * K; t++) v[t * O + o] = weight[o * C * K * K + t];
    const shape = { channels: C, height: H, width: W, channelsLast, pool, outChannels: O, kernel: K, stride, padding };
    const s = Matrix.from(rt, B, n, spikes), out = new Matrix(rt, B, OH * OW * O), events = new Bytes(rt, ops.spikingConvWorkBytes(rt, shape));
    out.view().fill(NaN); // every output must be written, on either path
    const operations = ops.propagateSpikesConv(s, shape, wT, out, events);
    const actual = out.toArray();
    let reached = 0; // the reference's (output, spike) pairs with a nonzero spike: one synaptic operation each
    for (let b = 0; b < B; b++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let o = 0; o < O; o++) {
      let sum = 0, abs = 0, terms = 0;
      for (let c = 0; c < C; c++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
        const py = oy * stride + ky - padding, px = ox * stride + kx - padding;
        if (py < 0 || py >= PH || px < 0 || px >= PW) continue;
        for (let dy = 0; dy < pool; dy++) for (let dx = 0; dx < pool; dx++) {
          const y = py * pool + dy, x = px * pool + dx;
          const i = channelsLast ? (y * W + x) * C + c : (c * H + y) * W + x;
          const term = (spikes[b * n + i] / (pool * pool)) * weight[((o * C + c) * K + ky) * K + kx];
          sum += term;
          abs += Math.abs(term);
          terms++;
          if (spikes[b * n + i] !== 0) reached++;
        }
      }
      const got = actual[((b * OH + oy) * OW + ox) * O + o];
      const bound = ((terms + 2) * U * (abs + Math.abs(sum))) / (1 - (terms + 2) * U);
      if (!(Math.abs(got - sum) <= bound)) throw new Error(`output (${b}, ${oy}, ${ox}, ${o}) = ${got}, reference ${sum} (bound ${bound})`);
    }
    expect(reached).toBeGreaterThan(0);
    expect(operations, "synaptic operations: each spike once per output it reaches").toBe(reached);
    for (const m of [wT, s, out]) m.free();
    events.free();
  });
});
