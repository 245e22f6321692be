// Three concentric rings in the plane, one class each, with gaps between them: a problem no linear
// model solves (at most 2/3 along any line through the origin) and a small MLP learns exactly.

import type { Dataset, MLP } from "../../ts-wrapper/index.js";
import { Lcg } from "./lcg.js";

export const BANDS: [number, number][] = [[0, 0.35], [0.55, 0.8], [1.0, 1.25]];

export function rings(name: string, count: number, seed: number): Dataset {
  const gen = new Lcg(seed);
  const images = new Float32Array(count * 2);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    const [lo, hi] = BANDS[label];
    // Uniform over the annulus's area: r² uniform between lo² and hi².
    const r = Math.sqrt(gen.range(lo * lo, hi * hi));
    const theta = gen.range(0, 2 * Math.PI);
    images[2 * i] = r * Math.cos(theta);
    images[2 * i + 1] = r * Math.sin(theta);
    labels[i] = label;
  }
  return { name, images, labels, count, features: 2, classes: 3, shape: [2] };
}

/** Accuracy from logits() and an argmax written here: independent of evaluate() and predict(). */
export function accuracyByPredict(model: MLP, data: Dataset): number {
  const logits = model.logits(data.images);
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    let best = 0;
    for (let j = 1; j < data.classes; j++) if (logits[i * data.classes + j] > logits[i * data.classes + best]) best = j;
    if (best === data.labels[i]) correct++;
  }
  return correct / data.count;
}
