// The inference API: logits(), predictProba() and predict() of a trained-from-seed MLP and PCN
// against a float64 forward pass written here from the model's own weights.

import { beforeAll, describe, expect, it } from "vitest";
import { init, MLP, PCN } from "../../ts-wrapper/index.js";

beforeAll(async () => {
  await init();
});

/** float64 forward of a ReLU network from its tensors: the logits of every row. */
function forward64(model: MLP, x: Float32Array, count: number): Float64Array[] {
  const widths = model.config.layers;
  return Array.from({ length: count }, (_, r) => {
    let a: number[] = Array.from(x.subarray(r * widths[0], (r + 1) * widths[0]));
    model.linearLayers.forEach((layer, l) => {
      const W = model.params.view(layer.weight);
      const b = model.params.view(layer.bias);
      const z = Array.from({ length: layer.outputs }, (_, o) => a.reduce((s, v, i) => s + W[o * layer.inputs + i] * v, b[o]));
      a = l + 1 < model.linearLayers.length ? z.map((v) => Math.max(v, 0)) : z;
    });
    return Float64Array.from(a);
  });
}

const softmax64 = (z: Float64Array) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe.each([
  ["MLP", () => new MLP({ layers: [6, 9, 5], seed: 3 })],
  ["PCN", () => new PCN({ layers: [6, 9, 5], seed: 3 })],
] as const)("%s inference", (_name, make) => {
  it("logits, probabilities and classes agree with a float64 forward pass", () => {
    const model = make();
    const mlp = model instanceof PCN ? model.mlp : model;
    const count = 7;
    const x = Float32Array.from({ length: count * 6 }, (_, i) => ((i * 37) % 11) / 10 - 0.4);
    const want = forward64(mlp, x, count);
    const logits = model.logits(x);
    const proba = model.predictProba(x);
    const classes = model.predict(x);
    expect(logits).toHaveLength(count * 5);
    expect(classes).toHaveLength(count);
    let decided = 0;
    for (let r = 0; r < count; r++) {
      const p = softmax64(want[r]);
      let sum = 0;
      for (let k = 0; k < 5; k++) {
        // float32 sums of ≤ 9 products of values ≤ 1.5: a few ulps of the largest term.
        expect(Math.abs(logits[r * 5 + k] - want[r][k])).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(proba[r * 5 + k] - p[k])).toBeLessThanOrEqual(1e-6);
        sum += proba[r * 5 + k];
      }
      expect(Math.abs(sum - 1)).toBeLessThanOrEqual(1e-6);
      const best = want[r].indexOf(Math.max(...want[r]));
      const runnerUp = Math.max(...want[r].filter((_, k) => k !== best));
      // A class is only asserted where the float64 margin is far above float32 rounding.
      if (want[r][best] - runnerUp > 1e-4) {
        expect(classes[r], `row ${r}`).toBe(best);
        decided++;
      }
    }
    expect(decided, "rows whose class was checked").toBeGreaterThanOrEqual(count - 1);
    model.free();
  });
});
