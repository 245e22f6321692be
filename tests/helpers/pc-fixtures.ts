// Shared fixtures of the tests that compare the PC kernel and models with the float64 reference:
// the element-wise closeness check, random draws, a staged batch away from ReLU kinks, random biases,
// and one pcStep staged with the library's table builder.

import { expect } from "vitest";
import { Arena, BatchBuffer, Bytes, Matrix, oneHot, ops, type MLP, type PCN, type Runtime } from "../../ts-wrapper/index.js";
import type { Lcg } from "./lcg.js";
import { biasName, forward64, type Act, type Net64 } from "./pc-reference.js";

/** A test case of the kernel and facade tests: a net (widths, hidden activations) and a batch size. */
export interface NetCase {
  title: string;
  layers: number[];
  acts: Act[];
  B: number;
}

/** The relative tolerance of one PC step against float64: derived in tests/pc/inference.test.ts. */
export const REL = 1e-5;

/** The worst element-wise |got − ref| / max(1, |ref|) and where it is. */
export function worstRel(got: ArrayLike<number>, ref: ArrayLike<number>): { worst: number; at: string } {
  let worst = 0;
  let at = "";
  for (let k = 0; k < ref.length; k++) {
    const r = Math.abs(got[k] - ref[k]) / Math.max(1, Math.abs(ref[k]));
    if (!(r <= worst)) {
      worst = r;
      at = `[${k}]: ${got[k]} vs ${ref[k]}`;
    }
  }
  return { worst, at };
}

/** Element-wise |got − ref| ≤ rel·max(1, |ref|); reports the worst element. */
export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, rel = REL): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  const { worst, at } = worstRel(got, ref);
  expect(worst, `${what}: worst ${at}`).toBeLessThanOrEqual(rel);
}

/** n normal draws times `scale`, optionally kept at least 1e-3 away from 0. */
export function draw(gen: Lcg, n: number, scale = 1, avoidZero = false): Float32Array {
  return Float32Array.from({ length: n }, () => {
    let v = scale * gen.normal();
    while (avoidZero && Math.abs(v) < 1e-3) v = scale * gen.normal();
    return v;
  });
}

export interface Staged {
  x: Float32Array;
  y: Float32Array;
  labels: Uint8Array;
  batch: BatchBuffer;
}

/**
 * B random samples with random labels, staged in a BatchBuffer; with `net`, inputs are redrawn until
 * every ReLU pre-activation of its feedforward pass is at least 1e-3 from the kink.
 */
export function stage(rt: Runtime, layers: number[], B: number, gen: Lcg, net?: Net64): Staged {
  const L = layers.length - 1;
  let x = draw(gen, B * layers[0]);
  for (let attempt = 0; net && attempt < 200; attempt++) {
    const z = forward64(net, Float64Array.from(x), B);
    if (!net.acts.some((a, k) => a === "relu" && z[k].some((v) => Math.abs(v) < 1e-3))) break;
    x = draw(gen, B * layers[0]);
  }
  const labels = Uint8Array.from({ length: B }, () => gen.int(layers[L]));
  const y = oneHot(labels, layers[L]);
  const batch = new BatchBuffer(rt, B, layers[0], layers[L]);
  batch.x.set(x);
  batch.targets.set(y);
  batch.labels.u8(B).set(labels);
  return { x, y, labels, batch };
}

/** Biases of the L weight layers drawn from N(0, 0.3²), so code that ignored them would show. */
export function randomizeBiases(model: PCN | MLP, L: number, gen: Lcg): void {
  for (let i = 0; i < L; i++) {
    const b = model.params.view(biasName(i));
    b.set(Array.from(b, () => 0.3 * gen.normal()));
  }
}

/** One pcStep's inputs, drawn by a test: the network, the value nodes before the step, u_1. */
export interface PcStepInputs {
  layers: number[];
  acts: Act[];
  B: number;
  x0: Float32Array;
  W: Float32Array[];
  b: Float32Array[];
  /** x_1 … x_L before the step (the clamped output's target when `clamped`). */
  values: Float32Array[];
  /** u_1 = W_0 x_0 + b_0, computed by the test's reference. */
  u1: Float32Array;
  clamped: boolean;
  /** Layer i's FEEDBACK matrix data (default: W_i itself). */
  feedback?: (i: number) => ArrayLike<number>;
  /** What the gradient buffers hold before the step (a sentinel shows which ones it wrote). */
  gradFill?: number;
}

/**
 * The kernel's view of one pcStep, staged with the library's own builders (ops.PcTable): the state
 * x = u + e kept as u = 0, e = x except layer 1 (u_1 given) and a clamped output (e = 0). The test
 * runs table.step and reads the matrices back; free() releases everything.
 */
export function stagePcStep(rt: Runtime, s: PcStepInputs) {
  const { layers, acts, B, values, u1, clamped } = s;
  const L = layers.length - 1;
  const owned: { free(): void }[] = [];
  const mat = (rows: number, cols: number, data: ArrayLike<number>) => {
    const m = Matrix.from(rt, rows, cols, data);
    owned.push(m);
    return m;
  };
  const zeros = (i: number) => mat(B, layers[i + 1], new Float32Array(B * layers[i + 1]));
  const x = mat(B, layers[0], s.x0);
  const W = s.W.map((w, i) => mat(layers[i + 1], layers[i], w));
  const b = s.b.map((v, i) => mat(1, layers[i + 1], v));
  const target = clamped ? mat(B, layers[L], values[L - 1]) : undefined;
  const up = values.map((v, i) => (i === 0 ? mat(B, layers[1], u1) : zeros(i)));
  const ep = values.map((v, i) => (clamped && i === L - 1 ? zeros(i) : mat(B, layers[i + 1], i === 0 ? v.map((x, k) => x - u1[k]) : v)));
  const xp = values.map((_, i) => zeros(i));
  const sp = values.map((_, i) => zeros(i));
  const ap = values.map((_, i) => zeros(i));
  const fill = s.gradFill ?? 0;
  const gW = s.W.map((w, i) => mat(layers[i + 1], layers[i], new Float32Array(w.length).fill(fill)));
  const gB = s.b.map((v, i) => mat(1, layers[i + 1], new Float32Array(v.length).fill(fill)));
  const feedback = s.W.map((w, i) => (s.feedback ? mat(layers[i + 1], layers[i], s.feedback(i)) : W[i]));
  let bytes = 16;
  for (let i = 0; i < L; i++) bytes = Math.max(bytes, ops.linearWorkBytes(rt, B, layers[i], layers[i + 1]));
  const work = new Bytes(rt, bytes);
  owned.push(work);
  const arena = new Arena(rt.heap);
  owned.push({ free: () => arena.release() });
  const table = new ops.PcTable(rt, L, arena);
  for (let i = 0; i < L; i++) {
    table.setLayer(i, {
      weight: W[i], bias: b[i], gradW: gW[i], gradB: gB[i],
      source: i === 0 ? undefined : xp[i - 1], activated: i === 0 ? undefined : ap[i - 1],
      kind: i === 0 ? rt.layout.activation.identity : ops.activationCode(rt, acts[i - 1]),
      prediction: up[i], errors: ep[i], scratch: sp[i], feedback: feedback[i],
    });
  }
  table.setInput(x);
  table.setTarget(target);
  return {
    table, x, W, b, target, up, ep, gW, gB, feedback, work,
    /** x = u + e of every layer after the step; the clamped output is its target buffer. */
    values: () => values.map((_, i) => {
      if (target && i === L - 1) return target.toArray();
      const u = up[i].view();
      const e = ep[i].view();
      return Float32Array.from(u, (v, k) => v + e[k]);
    }),
    free: () => {
      for (const m of owned) m.free();
    },
  };
}
