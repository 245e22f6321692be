// PyTorch interoperability: a bioplausible model file is a PyTorch state_dict that PyTorch runs to
// the same logits, and a file PyTorch writes (scripts/torch-interop.py) loads with decodeModel and
// predicts PyTorch's logits. Runs Debian's PyTorch at /usr/bin/python3 (torch 1.13, no safetensors
// package: the script reads and writes the format itself).
//
// Skipped, with a printed reason, where `import torch` fails — unless REQUIRE_TORCH=1 (set by
// .ci/run), where that is a failure, so CI cannot pass by silently skipping.
//
// Tolerance. Both sides compute in float32 from the same float32 weights and inputs, but in
// different orders (bioplausible's SIMD GEMM sums in f32x4 lanes, PyTorch's BLAS in its own
// blocking) and with different libm tanh/sigmoid, so results agree to rounding, not bit for bit.
// A float32 dot product of length n carries at most ≈ n·u·Σ|wᵢxᵢ| error (u = 2⁻²⁴ ≈ 6e-8), and
// with n ≤ 24 here and three layers (each activation and batch norm adding a few ulp, and tanh,
// sigmoid and batch norm's 1/√(σ²+ε) being Lipschitz ≤ ~γ/√σ² ≈ 2 here) the bound on a logit is
// about 1e-5 of the magnitude of the terms that make it. We allow 1e-4 × (1 + max |logit|):
// tenfold margin over that bound, and still orders of magnitude below what any real mismatch
// gives (a transposed weight, batch statistics instead of running ones, a wrong ε or activation
// shifts logits by ≥ 1e-2 of their scale). Argmax must agree exactly (inputs whose top two logits
// are closer than the tolerance would make that ill-posed; the test checks none are).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeModel, decodeSafetensors, encodeModel, encodeSafetensors, init, lossAndGradient, Matrix, MLP, train,
  type ActivationName, type Dataset, type Runtime,
} from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";
import { PYTHON, torchTests } from "../helpers/torch.js";

const SCRIPT = fileURLToPath(new URL("../../scripts/torch-interop.py", import.meta.url));
const { skip: SKIP, missing } = torchTests("tests/interop/torch.test.ts");

const RELATIVE_TOLERANCE = 1e-4;

function tolerance(reference: Float32Array): number {
  let max = 0;
  for (const v of reference) max = Math.max(max, Math.abs(v));
  return RELATIVE_TOLERANCE * (1 + max);
}

function argmaxRows(logits: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
    out.push(best);
  }
  return out;
}

/** Smallest gap between the top two logits of any row. */
function minMargin(logits: Float32Array, classes: number): number {
  let min = Infinity;
  for (let i = 0; i < logits.length / classes; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes)).sort((a, b) => b - a);
    min = Math.min(min, row[0] - row[1]);
  }
  return min;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The logits agree within tolerance and pick the same class; returns the max difference. */
function expectSameLogits(actual: Float32Array, reference: Float32Array, classes: number, label: string): number {
  const diff = maxAbsDifference(actual, reference);
  const tol = tolerance(reference);
  console.log(`${label}: max |Δlogit| = ${diff.toExponential(2)} (tolerance ${tol.toExponential(2)})`);
  expect(diff).toBeLessThanOrEqual(tol);
  expect(minMargin(reference, classes)).toBeGreaterThan(2 * tol);
  expect(argmaxRows(actual, classes)).toEqual(argmaxRows(reference, classes));
  return diff;
}

function runScript(args: string[]): void {
  const run = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: "utf8", timeout: 60_000 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`torch-interop.py ${args[0]} exited with ${run.status}: ${run.stderr}`);
}

/** count × features standard-normal-ish inputs; the label is the argmax of a fixed linear map. */
function blobs(count: number, features: number, classes: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  const centres = Array.from({ length: classes * features }, () => gen.normal());
  const images = new Float32Array(count * features);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    for (let f = 0; f < features; f++) images[i * features + f] = centres[label * features + f] + 0.8 * gen.normal();
    labels[i] = label;
  }
  return { name: `blobs-${seed}`, images, labels, count, features, classes, shape: [features] };
}

const FEATURES = 10; // not a multiple of 4: exercises the GEMM's SIMD remainder lanes
const CLASSES = 3;

describe("PyTorch interoperability (scripts/torch-interop.py)", () => {
  let rt: Runtime;
  let dir: string;

  beforeAll(async () => {
    if (SKIP) return;
    if (missing) throw new Error(`REQUIRE_TORCH=1 but PyTorch is unavailable: ${missing}`);
    rt = await init();
    dir = mkdtempSync(join(tmpdir(), "bioplausible-torch-"));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const trained: { title: string; activation: ActivationName; batchNorm: boolean }[] = [
    { title: "ReLU", activation: "relu", batchNorm: false },
    { title: "batch norm + tanh", activation: "tanh", batchNorm: true },
  ];

  it.skipIf(SKIP).each(trained)("PyTorch runs a trained bioplausible $title MLP to the same logits", ({ activation, batchNorm }) => {
    const model = new MLP({ layers: [FEATURES, 24, 13, CLASSES], activation, batchNorm, seed: 5, runtime: rt });
    try {
      // A few steps move every tensor off its initial value (batch norm's running statistics too).
      train(model, blobs(192, FEATURES, CLASSES, 1), { epochs: 2, batchSize: 32, optimizer: "adam", lr: 0.01, seed: 2 });
      if (batchNorm) {
        const mean = model.params.view("layers.1.running_mean");
        expect(mean.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      }
      const inputs = blobs(64, FEATURES, CLASSES, 9).images;
      const file = join(dir, `bio-${activation}-${batchNorm}.safetensors`);
      const io = join(dir, `bio-${activation}-${batchNorm}-inputs.safetensors`);
      const out = join(dir, `bio-${activation}-${batchNorm}-logits.safetensors`);
      writeFileSync(file, encodeModel(model));
      writeFileSync(io, encodeSafetensors([{ name: "inputs", shape: [64, FEATURES], data: inputs }], {}));
      runScript(["predict", file, io, out]);
      const torchLogits = decodeSafetensors(readFileSync(out), out).tensors.get("logits")!;
      expect(torchLogits.shape).toEqual([64, CLASSES]);
      const ours = model.logits(inputs);
      expectSameLogits(ours, torchLogits.data, CLASSES, `bioplausible → PyTorch, ${activation}${batchNorm ? " + batch norm" : ""}`);
    } finally {
      model.free();
    }
  });

  const exported: { title: string; activation: ActivationName; batchNorm: boolean; layers: number[] }[] = [
    { title: "ReLU", activation: "relu", batchNorm: false, layers: [FEATURES, 24, 13, CLASSES] },
    { title: "batch norm + tanh", activation: "tanh", batchNorm: true, layers: [FEATURES, 24, 13, CLASSES] },
    { title: "batch norm + sigmoid", activation: "sigmoid", batchNorm: true, layers: [FEATURES, 17, CLASSES] },
  ];

  it.skipIf(SKIP).each(exported)("a PyTorch-written $title MLP loads with decodeModel and predicts PyTorch's logits", ({ activation, batchNorm, layers }) => {
    const file = join(dir, `torch-${activation}-${batchNorm}.safetensors`);
    const io = join(dir, `torch-${activation}-${batchNorm}-io.safetensors`);
    const args = ["export", file, io, "--layers", layers.join(","), "--activation", activation, "--seed", "3", "--count", "64"];
    runScript(batchNorm ? [...args, "--batch-norm"] : args);
    const model = decodeModel(readFileSync(file), file, rt);
    try {
      expect(model.config).toEqual({ layers, activations: Array(layers.length - 2).fill(activation), batchNorm });
      if (batchNorm) {
        // The file carries non-trivial running statistics (what eval mode uses).
        expect(model.params.view("layers.1.running_var").some((v) => Math.abs(v - 1) > 0.1)).toBe(true);
      }
      const { tensors } = decodeSafetensors(readFileSync(io), io);
      const inputs = tensors.get("inputs")!;
      const torchLogits = tensors.get("logits")!;
      expect(inputs.shape).toEqual([64, layers[0]]);
      const ours = model.logits(inputs.data);
      expectSameLogits(ours, torchLogits.data, layers[layers.length - 1], `PyTorch → bioplausible, ${activation}${batchNorm ? " + batch norm" : ""}`);
    } finally {
      model.free();
    }
  });

  it.skipIf(SKIP)("the script refuses a soft-LIF model with a clear message", () => {
    const model = new MLP({ layers: [4, 6, 2], activation: "softlif", seed: 1, runtime: rt });
    const file = join(dir, "softlif.safetensors");
    try {
      writeFileSync(file, encodeModel(model));
    } finally {
      model.free();
    }
    const io = join(dir, "softlif-inputs.safetensors");
    writeFileSync(io, encodeSafetensors([{ name: "inputs", shape: [1, 4], data: new Float32Array(4) }], {}));
    const run = spawnSync(PYTHON, [SCRIPT, "predict", file, io, join(dir, "softlif-out.safetensors")], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/softlif.*no PyTorch module equivalent/);
  });
});

// Convolutional networks: the same nn.Sequential of Conv2d / BatchNorm2d / activation / MaxPool2d /
// AvgPool2d / Flatten / Linear, in both directions, and one training-mode backward pass against
// autograd. The arch has a stride, padding, both poolings and widths that are not multiples of 4.
// Tolerances: each logit is a chain of float32 sums of ≤ 36 terms per layer, as in the MLP case,
// so RELATIVE_TOLERANCE (1e-4 of the logits' scale) keeps its tenfold margin. Gradients pass once
// more through every layer backwards and through batch norm's 1/σ at batch size 16, whose batch
// statistics amplify rounding by up to ~1/σ_B ≈ 3 here: we allow 1e-3 of each tensor's largest
// gradient, still 100× below what a wrong index, a transposed kernel or a missed term gives (those
// change gradients by O(1) of their scale).
const CONV_ARCH = "conv4k3p1,maxpool3,conv6k3s2p1,avgpool2,fc7,fc3";
const CONV_SHAPE = [2, 9, 9];
const CONV_FEATURES = 2 * 9 * 9;

describe("PyTorch interoperability of convolutional networks", () => {
  let rt: Runtime;
  let dir: string;

  beforeAll(async () => {
    if (SKIP) return;
    rt = await init();
    dir = mkdtempSync(join(tmpdir(), "bioplausible-torch-conv-"));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const convData = (count: number, seed: number): Dataset => ({ ...blobs(count, CONV_FEATURES, CLASSES, seed), shape: CONV_SHAPE });

  it.skipIf(SKIP).each([false, true])("PyTorch runs a trained bioplausible conv net (batch norm %s) to the same logits", (batchNorm) => {
    const model = new MLP({ arch: CONV_ARCH, inputShape: CONV_SHAPE, activation: "tanh", batchNorm, seed: 4, runtime: rt });
    try {
      train(model, convData(96, 1), { epochs: 2, batchSize: 16, optimizer: "adam", lr: 0.01, seed: 2 });
      const inputs = convData(48, 9).images;
      const file = join(dir, `bio-conv-${batchNorm}.safetensors`), io = join(dir, `bio-conv-${batchNorm}-in.safetensors`), out = join(dir, `bio-conv-${batchNorm}-out.safetensors`);
      writeFileSync(file, encodeModel(model));
      writeFileSync(io, encodeSafetensors([{ name: "inputs", shape: [48, CONV_FEATURES], data: inputs }], {}));
      runScript(["predict", file, io, out]);
      const torchLogits = decodeSafetensors(readFileSync(out), out).tensors.get("logits")!;
      expectSameLogits(model.logits(inputs), torchLogits.data, CLASSES, `bioplausible → PyTorch, conv${batchNorm ? " + batch norm" : ""}`);
    } finally {
      model.free();
    }
  });

  it.skipIf(SKIP).each([false, true])("a PyTorch-written conv net (batch norm %s) loads with decodeModel and predicts PyTorch's logits", (batchNorm) => {
    const file = join(dir, `torch-conv-${batchNorm}.safetensors`), io = join(dir, `torch-conv-${batchNorm}-io.safetensors`);
    const args = ["export", file, io, "--arch", CONV_ARCH, "--input-shape", CONV_SHAPE.join(","), "--activation", "relu", "--seed", "3", "--count", "48"];
    runScript(batchNorm ? [...args, "--batch-norm"] : args);
    const model = decodeModel(readFileSync(file), file, rt);
    try {
      expect(model.config).toMatchObject({ arch: CONV_ARCH, inputShape: CONV_SHAPE, batchNorm });
      const { tensors } = decodeSafetensors(readFileSync(io), io);
      expectSameLogits(model.logits(tensors.get("inputs")!.data), tensors.get("logits")!.data, CLASSES, `PyTorch → bioplausible, conv${batchNorm ? " + batch norm" : ""}`);
    } finally {
      model.free();
    }
  });

  it.skipIf(SKIP).each([false, true])("one backward pass (batch norm %s) gives autograd's loss and gradients", (batchNorm) => {
    const model = new MLP({ arch: CONV_ARCH, inputShape: CONV_SHAPE, activation: "tanh", batchNorm, seed: 8, runtime: rt });
    const B = 16;
    const data = convData(B, 5);
    const targets = new Float32Array(B * CLASSES);
    data.labels.forEach((label, i) => (targets[i * CLASSES + label] = 1));
    const x = Matrix.from(rt, B, CONV_FEATURES, data.images), y = Matrix.from(rt, B, CLASSES, targets), grad = new Matrix(rt, B, CLASSES);
    try {
      // Perturb the initial biases and batch-norm affine parameters so that every gradient term is exercised.
      const gen = new Lcg(3);
      for (const t of model.params.toTensors()) if (/\.(bias|weight)$/.test(t.name) && t.shape.length === 1) model.params.view(t.name).set(t.data.map(() => 0.5 + 0.3 * gen.normal()));
      const file = join(dir, `grad-${batchNorm}.safetensors`), io = join(dir, `grad-${batchNorm}-batch.safetensors`), out = join(dir, `grad-${batchNorm}-out.safetensors`);
      writeFileSync(file, encodeModel(model));
      writeFileSync(io, encodeSafetensors([{ name: "inputs", shape: [B, CONV_FEATURES], data: data.images }, { name: "targets", shape: [B, CLASSES], data: targets }], {}));
      runScript(["grad", file, io, out]);
      const reference = decodeSafetensors(readFileSync(out), out).tensors;
      const logits = model.forward(x, true);
      const loss = lossAndGradient("ce", logits, y, grad, 1 / B);
      model.backward(grad);
      expect(Math.abs(loss - reference.get("loss")!.data[0])).toBeLessThan(1e-5);
      const names = model.params.toTensors().filter((t) => !/running_/.test(t.name)).map((t) => t.name);
      expect(names.length).toBe(batchNorm ? 14 : 8); // 4 weight layers, 3 batch norms
      // A bias followed by batch norm has gradient 0 in exact arithmetic (the norm subtracts the batch
      // mean): both sides leave rounding there, checked against the largest gradient of all.
      const zero = new Set(model.linearLayers.filter((l) => l.norm).map((l) => l.bias));
      const largest = Math.max(...names.map((n) => Math.max(...Array.from(reference.get(n)!.data, Math.abs))));
      for (const name of names) {
        const ours = model.params.gradMatrix(name).toArray(), theirs = reference.get(name)!.data;
        if (zero.has(name)) {
          expect(Math.max(...Array.from(ours, Math.abs)), name).toBeLessThan(1e-5 * largest);
          continue;
        }
        const scale = Math.max(...Array.from(theirs, Math.abs));
        expect(scale, name).toBeGreaterThan(0);
        expect(maxAbsDifference(ours, theirs), name).toBeLessThanOrEqual(1e-3 * scale);
      }
    } finally {
      model.free();
      for (const m of [x, y, grad]) m.free();
    }
  });
});
