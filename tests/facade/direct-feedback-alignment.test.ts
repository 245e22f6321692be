// Direct feedback alignment in the backprop MLP (Nøkland 2016): the loss gradient at the logits, e,
// reaches the input of every weight layer l ≥ 1 through a fixed random D_l (outputs × inputs_l),
// so the hidden deltas are δ(z_{l−1}) = (e · D_l) ⊙ σ'(z_{l−1}) — no error goes through any W.
// Checked against a float64 reference written here from that definition (forward, softmax, e, the
// deltas, the gradients δᵀ·a), given the model's own weights and D_l; using W or the layer above's
// delta instead changes the hidden gradients by O(|g|). Tolerance as tests/facade/feedback-
// alignment.test.ts argues: float32 sums of ≤ 13 terms on O(1) values, |wasm − ref| ≤ 1e-5·max(1, |ref|).

import { beforeAll, describe, expect, it } from "vitest";
import { decodeModel, encodeModel, init, Matrix, MLP, PCN, resolveJob, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});

const LAYERS = [5, 7, 6, 3];
const B = 4;
const tanh = Math.tanh;

function reference(model: MLP, x: Float32Array, y: Float32Array): Float64Array[] {
  const L = LAYERS.length - 1;
  const W = model.linearLayers.map((l) => Float64Array.from(model.params.view(l.weight)));
  const b = model.linearLayers.map((l) => Float64Array.from(model.params.view(l.bias)));
  const D = model.linearLayers.map((l) => (l.directFeedback ? Float64Array.from(l.directFeedback.toArray()) : undefined));
  // Forward, keeping each layer's input a_l and pre-activation z_l.
  const a: Float64Array[] = [Float64Array.from(x)];
  const z: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const [nIn, nOut] = [LAYERS[l], LAYERS[l + 1]];
    const zl = new Float64Array(B * nOut);
    for (let r = 0; r < B; r++) for (let o = 0; o < nOut; o++) {
      let s = b[l][o];
      for (let i = 0; i < nIn; i++) s += a[l][r * nIn + i] * W[l][o * nIn + i];
      zl[r * nOut + o] = s;
    }
    z.push(zl);
    if (l < L - 1) a.push(zl.map(tanh));
  }
  const K = LAYERS[L];
  const e = new Float64Array(B * K);
  for (let r = 0; r < B; r++) {
    const row = z[L - 1].subarray(r * K, (r + 1) * K);
    const peak = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - peak), 0);
    for (let k = 0; k < K; k++) e[r * K + k] = Math.exp(row[k] - peak) / sum - y[r * K + k];
  }
  // δ at each layer's output: e at the top; below, (e · D_{l+1}) ⊙ tanh'(z_l).
  const delta: Float64Array[] = new Array(L);
  delta[L - 1] = e;
  for (let l = L - 2; l >= 0; l--) {
    const n = LAYERS[l + 1];
    const d = new Float64Array(B * n);
    for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += e[r * K + k] * D[l + 1]![k * n + j];
      d[r * n + j] = s * (1 - tanh(z[l][r * n + j]) ** 2);
    }
    delta[l] = d;
  }
  // dW_l = Σ_rows δ_lᵀ · a_l (the summed loss, as backward() leaves it).
  return delta.map((d, l) => {
    const [nIn, nOut] = [LAYERS[l], LAYERS[l + 1]];
    const g = new Float64Array(nOut * nIn);
    for (let r = 0; r < B; r++) for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) g[o * nIn + i] += d[r * nOut + o] * a[l][r * nIn + i];
    return g;
  });
}

function backward(model: MLP, x: Float32Array, y: Float32Array): Float32Array[] {
  const xm = Matrix.from(rt, B, LAYERS[0], x);
  const d = new Matrix(rt, B, LAYERS[LAYERS.length - 1]);
  try {
    const z = model.forward(xm, true).toArray();
    const K = LAYERS[LAYERS.length - 1];
    const grad = new Float32Array(B * K);
    for (let r = 0; r < B; r++) {
      const row = Array.from(z.subarray(r * K, (r + 1) * K));
      const peak = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - peak), 0);
      for (let k = 0; k < K; k++) grad[r * K + k] = Math.exp(row[k] - peak) / sum - y[r * K + k];
    }
    d.set(grad);
    model.backward(d);
    return model.linearLayers.map((l) => model.params.gradView(l.weight).slice());
  } finally {
    xm.free();
    d.free();
  }
}

describe("direct feedback alignment", () => {
  it("every hidden layer's gradient is the output error through its fixed D, not through the layers above", () => {
    const model = new MLP({ layers: LAYERS, activation: "tanh", directFeedbackAlignment: true, seed: 9, runtime: rt });
    const gen = new Lcg(5);
    const x = Float32Array.from({ length: B * LAYERS[0] }, () => gen.normal());
    const y = new Float32Array(B * 3);
    for (let r = 0; r < B; r++) y[r * 3 + (r % 3)] = 1;
    try {
      expect(model.linearLayers.map((l) => l.directFeedback?.rows ?? 0)).toEqual([0, 3, 3]);
      expect(model.linearLayers.map((l) => l.directFeedback?.cols ?? 0)).toEqual([0, 7, 6]);
      const got = backward(model, x, y);
      const want = reference(model, x, y);
      got.forEach((g, l) => g.forEach((v, i) => expect(Math.abs(v - want[l][i]), `layer ${l} [${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[l][i])))));
      // The same network with backprop differs in its hidden gradients, by far more than the tolerance.
      const plain = new MLP({ layers: LAYERS, activation: "tanh", seed: 9, runtime: rt });
      try {
        const bp = backward(plain, x, y);
        const gap = Math.max(...bp[0].map((v, i) => Math.abs(v - got[0][i])));
        expect(gap).toBeGreaterThan(0.01 * Math.max(...bp[0].map(Math.abs)));
        // The output layer's gradient is e·a either way: the same bits.
        expect(Buffer.from(bp[2].buffer).equals(Buffer.from(got[2].buffer))).toBe(true);
      } finally {
        plain.free();
      }
    } finally {
      model.free();
    }
  });

  it("D is drawn from the seed alone: a saved model reloads with the same D and the same logits", () => {
    const model = new MLP({ layers: LAYERS, activation: "tanh", directFeedbackAlignment: true, seed: 9, runtime: rt });
    const again = decodeModel(encodeModel(model), "m.safetensors", rt);
    try {
      expect(again.config).toMatchObject({ directFeedbackAlignment: true, feedbackSeed: 9 });
      model.linearLayers.forEach((l, i) => {
        if (!l.directFeedback) return;
        expect(Array.from(again.linearLayers[i].directFeedback!.toArray())).toEqual(Array.from(l.directFeedback.toArray()));
      });
    } finally {
      model.free();
      again.free();
    }
  });

  it("is refused with feedback alignment, naming the option (predictive coding's: tests/pc/direct-feedback-alignment.test.ts)", () => {
    expect(() => new MLP({ layers: LAYERS, feedbackAlignment: true, directFeedbackAlignment: true, runtime: rt })).toThrow(/directFeedbackAlignment: not with feedbackAlignment/);
    expect(() => resolveJob({ model: "mlp", layers: LAYERS, feedbackAlignment: true, directFeedbackAlignment: true })).toThrow(/not with feedbackAlignment/);
    expect(resolveJob({ model: "mlp", layers: LAYERS, directFeedbackAlignment: true }).directFeedbackAlignment).toBe(true);
  });
});
