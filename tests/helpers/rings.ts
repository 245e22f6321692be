// Three concentric rings in the plane, one class each, with gaps between them: a problem no linear
// model solves (at most 2/3 along any line through the origin) and a small MLP learns exactly.

import { evaluate, MLP, train, type Dataset, type PCN } from "../../ts-wrapper/index.js";
import { Lcg } from "./lcg.js";
import { weightName } from "./pc-reference.js";

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

/**
 * The feedback-alignment learning check on the rings, shared by tests/facade/feedback-alignment.test.ts
 * (which gives the argument for its bounds) and tests/pc/feedback-alignment.test.ts: `make` builds
 * the model (2-16-16-3, feedback alignment) twice; every B of the second, the control, is set to 0
 * (B_1, B_2), then both train 10 epochs of SGD with momentum 0.9, lr 0.1, batch 16, seed 3 on 600
 * ring points, and are freed. Returns the first's history, both held-out accuracies (400 points)
 * and the control's first-layer weights before and after; the tests assert on them.
 */
export function trainAgainstZeroFeedback(make: () => MLP | PCN) {
  const trainSet = rings("rings-train", 600, 1);
  const testSet = rings("rings-test", 400, 2);
  const opts = { optimizer: "sgd" as const, lr: 0.1, momentum: 0.9, epochs: 10, batchSize: 16, seed: 3 };
  const mlp = (m: MLP | PCN) => (m instanceof MLP ? m : m.mlp);
  const fa = make();
  const control = make();
  try {
    for (let l = 1; l < 3; l++) mlp(control).feedbackWeight(l).view().fill(0);
    const hidden0 = control.params.view(weightName(0)).slice();
    const history = train(fa, trainSet, opts).history;
    train(control, trainSet, opts);
    return {
      history,
      accuracy: accuracyByPredict(mlp(fa), testSet),
      hidden0,
      controlHidden: control.params.view(weightName(0)).slice(),
      controlAccuracy: accuracyByPredict(mlp(control), testSet),
    };
  } finally {
    fa.free();
    control.free();
  }
}

/**
 * The held-out accuracy of `model` after `fit` (if any), the model then freed: the controls of
 * tests/facade/learning.test.ts and tests/pc/learning.test.ts (an untrained model, one without a
 * hidden layer) that show their ≥ 97 % checks are not vacuous.
 */
export function accuracyThenFree<M extends MLP | PCN>(model: M, testSet: Dataset, fit?: (model: M) => void): number {
  try {
    fit?.(model);
    return evaluate(model, testSet).accuracy;
  } finally {
    model.free();
  }
}
