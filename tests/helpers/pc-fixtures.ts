// Shared fixtures of the tests that compare the PC kernel and models with the float64 reference:
// the element-wise closeness check, random draws, a staged batch away from ReLU kinks, random biases.

import { expect } from "vitest";
import { BatchBuffer, oneHot, type MLP, type PCN, type Runtime } from "../../ts-wrapper/index.js";
import type { Lcg } from "./lcg.js";
import { biasName, forward64, type Net64 } from "./pc-reference.js";

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
