// Z-IL equals backprop with soft-LIF activations (SCIENCE.md §2 and §3): a PCN with algo "zil" and
// soft-LIF hidden units, after one plain SGD step (lr 0.1) on one batch, has bit-identical weights
// to the MLP's backprop step from the same initial weights — as tests/pc/zil.test.ts checks for
// ReLU, tanh and sigmoid (the kernel keeps x = u + e, so a layer that has not moved predicts
// bit-identically and Z-IL reproduces the MLP's float32 arithmetic exactly). Here with neuron
// parameters away from the defaults (Hunsberger's CIFAR preset, and a custom neuron), so a PCN
// that dropped its neuron block would show.
//
// Two further checks make the bit-identity meaningful:
//  - the MLP's step is backprop with *these* neurons: it matches a float64 backprop written here
//    (soft-LIF a = amplitude/(t_ref + τ·log(1 + 1/ρ)), ρ = γ·softplus((gain·z − 1)/γ), with the
//    float32-rounded parameters the kernel reads; σ' by float64 central differences, h = 1e-6,
//    error ≲ 1e-8 relative). Float32 rounding of the forward and backward passes is ~K·U ≈ 1e-6 of
//    the quantities involved (K ≤ 20 terms per sum, U = 2^-24); we allow 1e-4 of the largest weight
//    change (measured 8e-8…1.3e-6). The same reference with the thesis neuron instead must differ
//    from the MLP's step by more than 100× that tolerance (measured 0.66…2.5 of the update).
//  - the wasm negative control of zil.test.ts: "ipc" with T = L and γ = 1 updates every layer at
//    every step and differs by ≥ 1e3 × max(Z-IL difference, U·update).

import { beforeAll, describe, expect, it } from "vitest";
import {
  BatchBuffer, init, MLP, oneHot, Optimizer, PCN, resolveNeuron, type ActivationName, type NeuronOptions, type NeuronParams, type OutputLoss, type Runtime,
} from "../../ts-wrapper/index.js";
import { softLif64 } from "../helpers/softlif.js";
import { Lcg } from "../helpers/lcg.js";

const U = 2 ** -24;
const LR = 0.1;
const f = Math.fround;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});


function act64(kind: ActivationName, z: number, n: NeuronParams): number {
  if (kind === "softlif") return softLif64(z, n);
  if (kind === "tanh") return Math.tanh(z);
  throw new Error(`no reference for ${kind}`);
}

function dact64(kind: ActivationName, z: number, n: NeuronParams): number {
  const h = 1e-6 * Math.max(1, Math.abs(z));
  return (act64(kind, z + h, n) - act64(kind, z - h, n)) / (2 * h);
}

interface Net {
  W: Float64Array[];
  b: Float64Array[];
}

function netOf(model: { params: { view(name: string): Float32Array } }, L: number): Net {
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    W.push(Float64Array.from(model.params.view(`layers.${2 * i}.weight`)));
    b.push(Float64Array.from(model.params.view(`layers.${2 * i}.bias`)));
  }
  return { W, b };
}

/** One float64 backprop + SGD step (gradient of the mean loss), returning the new weights. */
function backpropStep64(net: Net, layers: number[], acts: ActivationName[], neuron: NeuronParams, x: Float64Array, y: Float64Array, B: number, loss: OutputLoss): Net {
  const L = layers.length - 1;
  const z: Float64Array[] = [];
  const a: Float64Array[] = [x];
  for (let i = 0; i < L; i++) {
    const nIn = layers[i];
    const nOut = layers[i + 1];
    const zi = new Float64Array(B * nOut);
    for (let r = 0; r < B; r++) for (let o = 0; o < nOut; o++) {
      let s = net.b[i][o];
      for (let k = 0; k < nIn; k++) s += net.W[i][o * nIn + k] * a[i][r * nIn + k];
      zi[r * nOut + o] = s;
    }
    z.push(zi);
    a.push(i < L - 1 ? zi.map((v) => act64(acts[i], v, neuron)) : zi);
  }
  const nL = layers[L];
  let delta = new Float64Array(B * nL);
  for (let r = 0; r < B; r++) {
    const row = z[L - 1].subarray(r * nL, (r + 1) * nL);
    if (loss === "ce") {
      const peak = Math.max(...row);
      const e = Array.from(row, (v) => Math.exp(v - peak));
      const sum = e.reduce((s, v) => s + v, 0);
      for (let j = 0; j < nL; j++) delta[r * nL + j] = (e[j] / sum - y[r * nL + j]) / B;
    } else {
      for (let j = 0; j < nL; j++) delta[r * nL + j] = (row[j] - y[r * nL + j]) / B;
    }
  }
  const out: Net = { W: net.W.map((w) => w.slice()), b: net.b.map((v) => v.slice()) };
  for (let i = L - 1; i >= 0; i--) {
    const nIn = layers[i];
    const nOut = layers[i + 1];
    for (let r = 0; r < B; r++) for (let o = 0; o < nOut; o++) {
      const d = delta[r * nOut + o];
      out.b[i][o] -= LR * d;
      for (let k = 0; k < nIn; k++) out.W[i][o * nIn + k] -= LR * d * a[i][r * nIn + k];
    }
    if (i === 0) break;
    const next = new Float64Array(B * nIn);
    for (let r = 0; r < B; r++) for (let k = 0; k < nIn; k++) {
      let s = 0;
      for (let o = 0; o < nOut; o++) s += delta[r * nOut + o] * net.W[i][o * nIn + k];
      next[r * nIn + k] = s * dact64(acts[i - 1], z[i - 1][r * nIn + k], neuron);
    }
    delta = next;
  }
  return out;
}

function maxDiff(a: Net, b: Net): number {
  let m = 0;
  a.W.forEach((w, i) => {
    w.forEach((v, k) => (m = Math.max(m, Math.abs(v - b.W[i][k]))));
    a.b[i].forEach((v, k) => (m = Math.max(m, Math.abs(v - b.b[i][k]))));
  });
  return m;
}

/** One trainBatch with plain SGD on a staged batch. */
function stepOnce(model: PCN | MLP, x: Float32Array, y: Float32Array, labels: Uint8Array, B: number, layers: number[], loss: OutputLoss): void {
  const batch = new BatchBuffer(rt, B, layers[0], layers[layers.length - 1]);
  const opt = new Optimizer(model.params, { optimizer: "sgd", lr: LR });
  try {
    batch.x.set(x);
    batch.targets.set(y);
    batch.labels.u8(B).set(labels);
    model.trainBatch(batch.rows(B), loss, opt);
  } finally {
    opt.free();
    batch.free();
  }
}

interface Case {
  title: string;
  layers: number[];
  acts: ActivationName[];
  neuron: NeuronOptions;
  loss: OutputLoss;
  B: number;
}

const CUSTOM: NeuronOptions = { tauRc: 0.03, tRef: 0.002, amplitude: 0.1, gain: 1.7, smoothing: 0.1 };
const cases: Case[] = [
  { title: "7-5-3 softlif (cifar), ce, batch 5", layers: [7, 5, 3], acts: ["softlif"], neuron: { preset: "cifar" }, loss: "ce", B: 5 },
  { title: "7-5-3 softlif (cifar), mse, batch 5", layers: [7, 5, 3], acts: ["softlif"], neuron: { preset: "cifar" }, loss: "mse", B: 5 },
  { title: "6-9-5-3 softlif (cifar), ce, batch 5", layers: [6, 9, 5, 3], acts: ["softlif", "softlif"], neuron: { preset: "cifar" }, loss: "ce", B: 5 },
  { title: "6-9-5-3 softlif (custom neuron), mse, batch 5", layers: [6, 9, 5, 3], acts: ["softlif", "softlif"], neuron: CUSTOM, loss: "mse", B: 5 },
  { title: "5-11-6-7-3 softlif/tanh/softlif (cifar), ce, batch 1", layers: [5, 11, 6, 7, 3], acts: ["softlif", "tanh", "softlif"], neuron: { preset: "cifar" }, loss: "ce", B: 1 },
  { title: "7-13-10 softlif (custom neuron), ce, batch 6", layers: [7, 13, 10], acts: ["softlif"], neuron: CUSTOM, loss: "ce", B: 6 },
];

describe("Z-IL equals backprop with soft-LIF activations", () => {
  it.each(cases.map((c, i) => [c.title, c, i] as const))("%s", (_title, c, i) => {
    const { layers, acts, neuron, loss, B } = c;
    const L = layers.length - 1;
    const seed = 300 + i;
    const gen = new Lcg(seed * 7919 + 13);
    const params = resolveNeuron(neuron);
    const biases = Array.from({ length: L }, (_, l) => Float32Array.from({ length: layers[l + 1] }, () => 0.3 * gen.normal()));
    // Inputs scaled so that the soft-LIF units spread over both sides of threshold (gain·z − 1 ≷ 0).
    const x = Float32Array.from({ length: B * layers[0] }, () => 1.5 * gen.normal());
    const labels = Uint8Array.from({ length: B }, () => gen.int(layers[L]));
    const y = oneHot(labels, layers[L]);

    const pcn = new PCN({ layers, activation: acts, neuron, seed, algo: "zil", runtime: rt });
    const mlp = new MLP({ layers, activation: acts, neuron, seed, runtime: rt });
    const ipc = new PCN({ layers, activation: acts, neuron, seed, algo: "ipc", T: L, gamma: 1, runtime: rt });
    try {
      expect(pcn.mlp.config.neuron).toEqual(params);
      for (const m of [pcn, mlp, ipc]) biases.forEach((b, l) => m.params.view(`layers.${2 * l}.bias`).set(b));
      expect(pcn.params.toTensors(), "same initial weights").toEqual(mlp.params.toTensors());
      const net0 = netOf(mlp, L);

      stepOnce(pcn, x, y, labels, B, layers, loss);
      expect(pcn.energyTrace, "Z-IL takes one step per layer").toHaveLength(L);
      stepOnce(mlp, x, y, labels, B, layers, loss);
      stepOnce(ipc, x, y, labels, B, layers, loss);

      // Bit for bit.
      expect(pcn.params.toTensors(), "Z-IL's weights are bit-identical to backprop's").toEqual(mlp.params.toTensors());

      // The step is real, and is backprop with these neurons.
      const wBp = netOf(mlp, L);
      const update = maxDiff(wBp, net0);
      expect(update, "the update is vacuous").toBeGreaterThan(1e-3);
      const ref = backpropStep64(net0, layers, acts, params, Float64Array.from(x), Float64Array.from(y), B, loss);
      const err = maxDiff(wBp, ref);
      expect(err / update, "MLP step vs float64 backprop with the same neuron").toBeLessThanOrEqual(1e-4);
      const thesis = backpropStep64(net0, layers, acts, resolveNeuron({ preset: "thesis" }), Float64Array.from(x), Float64Array.from(y), B, loss);
      expect(maxDiff(wBp, thesis) / update, "the neuron parameters matter here").toBeGreaterThan(1e-2);

      // Negative control.
      const control = maxDiff(netOf(ipc, L), wBp);
      expect(control, `ipc (T = L, γ = 1) vs backprop: ${control}`).toBeGreaterThanOrEqual(1e3 * Math.max(maxDiff(netOf(pcn, L), wBp), U * update));
    } finally {
      pcn.free();
      mlp.free();
      ipc.free();
    }
  });
});
