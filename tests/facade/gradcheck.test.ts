// Gradient check of whole MLPs: the wasm analytic gradients (float32 forward, loss, backward)
// against central finite differences of an independent float64 reference of the same network.
//
// The reference is written here from the mathematics (SCIENCE.md §1), not from mlp.ts:
//   z = a·Wᵀ + b (W stored [out, in] like torch.nn.Linear);
//   hidden layers with batch norm: y = γ·(z − μ_B)/sqrt(σ²_B + 1e-5) + β, μ_B the batch mean and
//   σ²_B the biased batch variance (training mode); a = σ(y) with σ ∈ {relu, sigmoid, tanh};
//   the output layer is linear; loss = mean over the batch of −log softmax(z)_label ("ce") or of
//   ½‖z − onehot(label)‖² ("mse").
// Tensor names follow PyTorch's nn.Sequential state_dict: Linear at layers.{i}, BatchNorm1d at
// layers.{i+1}, then the (tensorless) activation module.
//
// Tolerances. The finite differences are taken in float64 with step h = 1e-6 on the float64
// reference: truncation error ~h²·|f'''|/6 ≈ 1e-12 and rounding ~ε₆₄·|L|/h ≈ 1e-10, so g_fd is
// exact to ~1e-9 for our purposes. The analytic gradient is computed in float32 (unit roundoff
// u = 2⁻²⁴ ≈ 6e-8): each entry is a sum over ≤ 8 samples of products along a path of ≤ 4 layers
// with dot products of ≤ 13 terms, so its rounding error is bounded by roughly
// (number of operations ≈ 50)·u·(sum of |terms| ≲ 20) ≈ 6e-5 in the worst case and is typically
// ~1e-6. We require per element |g − g_fd| ≤ 2e-4·max(1, |g_fd|) (a 3× margin over that worst
// case, and 100× tighter than any real bug: a missing 1/B, a dropped term or a transposed
// weight changes gradients by O(|g|)), and over every parameter together
// ‖g − g_fd‖₂ ≤ 1e-4·‖g_fd‖₂ + 1e-5.
// The forward loss is checked the same way: the float32 logits carry ~50·u relative error, so
// |L_wasm − L_ref| ≤ 1e-5·max(1, |L_ref|).
// ReLU kinks: the inputs are redrawn until every ReLU pre-activation is at least 1e-3 from 0
// (a perturbation of h = 1e-6 moves a pre-activation by ≲ 1e-4 even through batch norm), and
// every finite-difference evaluation asserts that no ReLU changed side.

import { beforeAll, describe, expect, it } from "vitest";
import { init, lossAndGradient, Matrix, MLP, type ActivationName, type OutputLoss, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { softLif64 } from "../helpers/softlif.js";

type Params = Map<string, Float64Array>;

interface Architecture {
  layers: number[];
  activations: ActivationName[];
  batchNorm: boolean;
  neuron?: Neuron;
}

interface Neuron {
  tauRc: number;
  tRef: number;
  amplitude: number;
  gain: number;
  smoothing: number;
}

/** The "thesis" preset, restated from SCIENCE.md §2 (γ_s is Hunsberger's). */
const THESIS: Neuron = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 };

interface LayerNames {
  weight: string;
  bias: string;
  norm?: string; // prefix of the batch-norm tensors
}

/** Tensor names of an nn.Sequential(Linear, [BatchNorm1d], act, …, Linear), derived independently. */
function layerNames(arch: Architecture): LayerNames[] {
  const out: LayerNames[] = [];
  let module = 0;
  const L = arch.layers.length - 1;
  for (let l = 0; l < L; l++) {
    const hidden = l < L - 1;
    const names: LayerNames = { weight: `layers.${module}.weight`, bias: `layers.${module}.bias` };
    module++;
    if (hidden && arch.batchNorm) names.norm = `layers.${module++}`;
    if (hidden) module++; // activation
    out.push(names);
  }
  return out;
}

function trainableNames(arch: Architecture): string[] {
  return layerNames(arch).flatMap((n) => [n.weight, n.bias, ...(n.norm ? [`${n.norm}.weight`, `${n.norm}.bias`] : [])]);
}

function act(kind: ActivationName, v: number, neuron: Neuron): number {
  switch (kind) {
    case "relu": return v > 0 ? v : 0;
    case "sigmoid": return 1 / (1 + Math.exp(-v));
    case "tanh": return Math.tanh(v);
    case "identity": return v;
    case "softlif": return softLif64(v, neuron);
  }
}


interface Reference {
  loss: number;
  /** Inputs of every ReLU (row-major), to check kinks. */
  reluInputs: number[];
}

/** The float64 reference: mean loss over the batch. x is B × layers[0], row-major. */
function referenceLoss(arch: Architecture, p: Params, x: Float64Array, labels: number[], loss: OutputLoss): Reference {
  const B = labels.length;
  const names = layerNames(arch);
  const reluInputs: number[] = [];
  let a: number[][] = Array.from({ length: B }, (_, i) => Array.from(x.subarray(i * arch.layers[0], (i + 1) * arch.layers[0])));
  for (let l = 0; l < names.length; l++) {
    const nIn = arch.layers[l];
    const nOut = arch.layers[l + 1];
    const W = p.get(names[l].weight)!;
    const b = p.get(names[l].bias)!;
    const z = a.map((row) => {
      const out: number[] = [];
      for (let o = 0; o < nOut; o++) {
        let s = b[o];
        for (let k = 0; k < nIn; k++) s += row[k] * W[o * nIn + k];
        out.push(s);
      }
      return out;
    });
    if (l === names.length - 1) {
      a = z;
      break;
    }
    let y = z;
    const norm = names[l].norm;
    if (norm) {
      const gamma = p.get(`${norm}.weight`)!;
      const beta = p.get(`${norm}.bias`)!;
      y = z.map((row) => row.slice());
      for (let o = 0; o < nOut; o++) {
        let mean = 0;
        for (let i = 0; i < B; i++) mean += z[i][o];
        mean /= B;
        let variance = 0;
        for (let i = 0; i < B; i++) variance += (z[i][o] - mean) ** 2;
        variance /= B; // biased, as in training mode
        const inv = 1 / Math.sqrt(variance + 1e-5);
        for (let i = 0; i < B; i++) y[i][o] = gamma[o] * (z[i][o] - mean) * inv + beta[o];
      }
    }
    const kind = arch.activations[l];
    if (kind === "relu") for (const row of y) reluInputs.push(...row);
    a = y.map((row) => row.map((v) => act(kind, v, arch.neuron ?? THESIS)));
  }
  const classes = arch.layers[arch.layers.length - 1];
  let total = 0;
  for (let i = 0; i < B; i++) {
    const zRow = a[i];
    if (loss === "ce") {
      const peak = Math.max(...zRow);
      const logSum = peak + Math.log(zRow.reduce((s, v) => s + Math.exp(v - peak), 0));
      total += logSum - zRow[labels[i]];
    } else {
      for (let j = 0; j < classes; j++) total += 0.5 * (zRow[j] - (j === labels[i] ? 1 : 0)) ** 2;
    }
  }
  return { loss: total / B, reluInputs };
}

interface Case {
  arch: Architecture;
  loss: OutputLoss;
  B: number;
}

let rt: Runtime;

beforeAll(async () => {
  rt = await init();
});

/** Runs the wasm forward/loss/backward and the float64 finite differences; returns the errors. */
function gradcheck({ arch, loss, B }: Case, seed: number) {
  const model = new MLP({ layers: arch.layers, activation: arch.activations, batchNorm: arch.batchNorm, neuron: arch.neuron, seed, runtime: rt });
  const nIn = arch.layers[0];
  const classes = arch.layers[arch.layers.length - 1];
  const gen = new Lcg(seed * 7919 + 17);
  try {
    // Move biases and batch-norm affine parameters away from their initial 0 / 1, so a backward
    // pass that ignored them (or confused γ with 1) would show.
    for (const n of layerNames(arch)) {
      model.params.view(n.bias).set(Array.from(model.params.view(n.bias), () => 0.3 * gen.normal()));
      if (n.norm) {
        const g = model.params.view(`${n.norm}.weight`);
        g.set(Array.from(g, () => gen.range(0.5, 1.5)));
        const b = model.params.view(`${n.norm}.bias`);
        b.set(Array.from(b, () => 0.3 * gen.normal()));
      }
    }
    const names = trainableNames(arch);
    const p: Params = new Map(names.map((n) => [n, Float64Array.from(model.params.view(n))]));

    // Inputs (float32-representable, so both sides see the same numbers), redrawn until every ReLU
    // input is at least 1e-3 away from its kink.
    let x = new Float32Array(B * nIn);
    let labels: number[] = [];
    let base: Reference | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      x = Float32Array.from({ length: B * nIn }, () => gen.normal());
      labels = Array.from({ length: B }, () => gen.int(classes));
      base = referenceLoss(arch, p, Float64Array.from(x), labels, loss);
      if (base.reluInputs.every((v) => Math.abs(v) >= 1e-3)) break;
      base = undefined;
    }
    expect(base, "could not draw inputs away from the ReLU kinks").toBeDefined();
    const x64 = Float64Array.from(x);

    // wasm: forward (training mode), loss and its gradient at the logits, backward.
    const xm = Matrix.from(rt, B, nIn, x);
    const targetsM = new Matrix(rt, B, classes);
    const gradM = new Matrix(rt, B, classes);
    let wasmLoss: number;
    const analytic = new Map<string, Float32Array>();
    try {
      const targets = targetsM.view();
      labels.forEach((label, i) => (targets[i * classes + label] = 1));
      const logits = model.forward(xm, true);
      wasmLoss = lossAndGradient(loss, logits, targetsM, gradM);
      model.backward(gradM);
      for (const n of names) analytic.set(n, model.params.gradView(n).slice());
    } finally {
      xm.free();
      targetsM.free();
      gradM.free();
    }

    // float64 central differences over every trainable parameter.
    const h = 1e-6;
    const baseSigns = base!.reluInputs.map((v) => v > 0);
    let worst = 0; // max of |g − g_fd| / max(1, |g_fd|)
    let worstAt = "";
    let diff2 = 0;
    let ref2 = 0;
    let count = 0;
    for (const n of names) {
      const values = p.get(n)!;
      const g = analytic.get(n)!;
      expect(g.length).toBe(values.length);
      for (let k = 0; k < values.length; k++) {
        const saved = values[k];
        values[k] = saved + h;
        const plus = referenceLoss(arch, p, x64, labels, loss);
        values[k] = saved - h;
        const minus = referenceLoss(arch, p, x64, labels, loss);
        values[k] = saved;
        for (const r of [plus, minus]) {
          r.reluInputs.forEach((v, i) => {
            if (v > 0 !== baseSigns[i]) throw new Error(`a ReLU crossed its kink while differencing ${n}[${k}]`);
          });
        }
        const fd = (plus.loss - minus.loss) / (2 * h);
        const err = Math.abs(g[k] - fd) / Math.max(1, Math.abs(fd));
        if (err > worst) {
          worst = err;
          worstAt = `${n}[${k}]: analytic ${g[k]}, finite difference ${fd}`;
        }
        diff2 += (g[k] - fd) ** 2;
        ref2 += fd * fd;
        count++;
      }
    }
    return { wasmLoss, refLoss: base!.loss, worst, worstAt, diffNorm: Math.sqrt(diff2), refNorm: Math.sqrt(ref2), count };
  } finally {
    model.free();
  }
}

const ACTS: ActivationName[] = ["relu", "sigmoid", "tanh", "softlif"];
const SHAPES = [[7, 5, 3], [13, 6, 9, 4]];
const cases: (Case & { title: string })[] = [];
for (const activation of ACTS) {
  for (const loss of ["ce", "mse"] as OutputLoss[]) {
    for (const batchNorm of [false, true]) {
      for (const layers of SHAPES) {
        for (const B of batchNorm ? [3, 8] : [1, 8]) {
          const activations = Array<ActivationName>(layers.length - 2).fill(activation);
          cases.push({
            title: `${layers.join("-")} ${activation}${batchNorm ? " +BN" : ""}, ${loss}, batch ${B}`,
            arch: { layers, activations, batchNorm },
            loss,
            B,
          });
        }
      }
    }
  }
}
// Deeper, mixed activations, and no hidden layer at all.
cases.push({ title: "5-11-6-7-3 relu/tanh/sigmoid +BN, ce, batch 8", arch: { layers: [5, 11, 6, 7, 3], activations: ["relu", "tanh", "sigmoid"], batchNorm: true }, loss: "ce", B: 8 });
cases.push({ title: "5-11-6-7-3 sigmoid/relu/tanh, mse, batch 3", arch: { layers: [5, 11, 6, 7, 3], activations: ["sigmoid", "relu", "tanh"], batchNorm: false }, loss: "mse", B: 3 });
// Soft-LIF with every neuron parameter away from the thesis's, so a forgotten gain or amplitude shows.
cases.push({ title: "13-6-9-4 softlif (τ 0.05, t_ref 0.001, amplitude 0.063, gain 0.825, γ_s 0.1) +BN, ce, batch 8", arch: { layers: [13, 6, 9, 4], activations: ["softlif", "softlif"], batchNorm: true, neuron: { tauRc: 0.05, tRef: 0.001, amplitude: 0.063, gain: 0.825, smoothing: 0.1 } }, loss: "ce", B: 8 });
cases.push({ title: "5-11-6-7-3 softlif/relu/softlif, mse, batch 3", arch: { layers: [5, 11, 6, 7, 3], activations: ["softlif", "relu", "softlif"], batchNorm: false }, loss: "mse", B: 3 });
cases.push({ title: "7-3 (no hidden layer), ce, batch 3", arch: { layers: [7, 3], activations: [], batchNorm: false }, loss: "ce", B: 3 });
cases.push({ title: "7-3 (no hidden layer), mse, batch 1", arch: { layers: [7, 3], activations: [], batchNorm: false }, loss: "mse", B: 1 });

describe("MLP gradients against float64 finite differences", () => {
  it.each(cases.map((c, i) => [c.title, c, i] as const))("%s", (_title, c, i) => {
    const r = gradcheck(c, 1000 + i);
    // The forward loss matches the float64 reference to float32 precision.
    expect(Math.abs(r.wasmLoss - r.refLoss), `loss ${r.wasmLoss} vs reference ${r.refLoss}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.refLoss)));
    expect(r.worst, `worst element ${r.worstAt}`).toBeLessThanOrEqual(2e-4);
    expect(r.diffNorm, `‖g − g_fd‖ = ${r.diffNorm}, ‖g_fd‖ = ${r.refNorm}`).toBeLessThanOrEqual(1e-4 * r.refNorm + 1e-5);
    expect(r.refNorm, "the check is vacuous: all gradients are zero").toBeGreaterThan(1e-3);
  });

  it("uses the PyTorch state_dict names for a batch-norm MLP", () => {
    const arch: Architecture = { layers: [13, 6, 9, 4], activations: ["relu", "relu"], batchNorm: true };
    const model = new MLP({ layers: arch.layers, batchNorm: true, runtime: rt });
    try {
      expect(model.params.specs.map((s) => s.name)).toEqual([
        "layers.0.weight", "layers.0.bias",
        "layers.1.weight", "layers.1.bias", "layers.1.running_mean", "layers.1.running_var",
        "layers.3.weight", "layers.3.bias",
        "layers.4.weight", "layers.4.bias", "layers.4.running_mean", "layers.4.running_var",
        "layers.6.weight", "layers.6.bias",
      ]);
      expect(model.params.specs.find((s) => s.name === "layers.3.weight")!.shape).toEqual([9, 6]);
      expect(trainableNames(arch)).toEqual(model.params.specs.filter((s) => s.trainable).map((s) => s.name));
    } finally {
      model.free();
    }
  });
});

// Batch norm's other mode. Running statistics follow PyTorch's BatchNorm1d (SCIENCE.md §1):
// after each training-mode batch, μ_run ← 0.9·μ_run + 0.1·μ_B and σ²_run ← 0.9·σ²_run + 0.1·s²_B
// with s²_B the unbiased batch variance; inference normalises with (μ_run, σ²_run). Tolerance: the
// statistics come from float32 sums of ≤ 8 values of size O(1), relative error ≲ 10·u ≈ 6e-7; we
// allow 1e-5·max(1, |expected|).
describe("batch norm running statistics and inference mode", () => {
  it("updates running mean and unbiased variance with momentum 0.1 and uses them at inference", () => {
    const arch: Architecture = { layers: [7, 5, 3], activations: ["tanh"], batchNorm: true };
    const model = new MLP({ layers: arch.layers, activation: "tanh", batchNorm: true, seed: 5, runtime: rt });
    const gen = new Lcg(4242);
    const tol = (expected: number) => 1e-5 * Math.max(1, Math.abs(expected));
    try {
      const g = model.params.view("layers.1.weight");
      g.set(Array.from(g, () => gen.range(0.5, 1.5)));
      const b = model.params.view("layers.1.bias");
      b.set(Array.from(b, () => gen.normal()));
      const lin = model.params.view("layers.0.bias");
      lin.set(Array.from(lin, () => gen.normal()));
      const W = Float64Array.from(model.params.view("layers.0.weight"));
      const bias = Float64Array.from(model.params.view("layers.0.bias"));
      const runMean = [0, 0, 0, 0, 0];
      const runVar = [1, 1, 1, 1, 1];
      for (const B of [8, 3]) {
        const x = Float32Array.from({ length: B * 7 }, () => 2 * gen.normal() + 1);
        const xm = Matrix.from(rt, B, 7, x);
        try {
          model.forward(xm, true);
        } finally {
          xm.free();
        }
        for (let o = 0; o < 5; o++) {
          const z = Array.from({ length: B }, (_, i) => {
            let s = bias[o];
            for (let k = 0; k < 7; k++) s += x[i * 7 + k] * W[o * 7 + k];
            return s;
          });
          const mean = z.reduce((s, v) => s + v, 0) / B;
          const unbiased = z.reduce((s, v) => s + (v - mean) ** 2, 0) / (B - 1);
          runMean[o] = 0.9 * runMean[o] + 0.1 * mean;
          runVar[o] = 0.9 * runVar[o] + 0.1 * unbiased;
        }
        const gotMean = model.params.view("layers.1.running_mean");
        const gotVar = model.params.view("layers.1.running_var");
        for (let o = 0; o < 5; o++) {
          expect(Math.abs(gotMean[o] - runMean[o]), `running_mean[${o}]`).toBeLessThanOrEqual(tol(runMean[o]));
          expect(Math.abs(gotVar[o] - runVar[o]), `running_var[${o}]`).toBeLessThanOrEqual(tol(runVar[o]));
        }
      }
      // Inference: logits() against a float64 forward with the running statistics.
      const rm = Float64Array.from(model.params.view("layers.1.running_mean"));
      const rv = Float64Array.from(model.params.view("layers.1.running_var"));
      const gamma = Float64Array.from(model.params.view("layers.1.weight"));
      const beta = Float64Array.from(model.params.view("layers.1.bias"));
      const W2 = Float64Array.from(model.params.view("layers.3.weight"));
      const b2 = Float64Array.from(model.params.view("layers.3.bias"));
      const x = Float32Array.from({ length: 2 * 7 }, () => gen.normal());
      const logits = model.logits(x);
      for (let i = 0; i < 2; i++) {
        const a: number[] = [];
        for (let o = 0; o < 5; o++) {
          let s = bias[o];
          for (let k = 0; k < 7; k++) s += x[i * 7 + k] * W[o * 7 + k];
          a.push(Math.tanh(gamma[o] * (s - rm[o]) / Math.sqrt(rv[o] + 1e-5) + beta[o]));
        }
        for (let c = 0; c < 3; c++) {
          let s = b2[c];
          for (let o = 0; o < 5; o++) s += a[o] * W2[c * 5 + o];
          expect(Math.abs(logits[i * 3 + c] - s), `logit ${i},${c}`).toBeLessThanOrEqual(tol(s));
        }
      }
    } finally {
      model.free();
    }
  });
});
