// End to end: an MLP learns a small nonlinear problem to near 100 % with train(), for SGD with
// momentum and Adam, with and without batch norm; evaluate() agrees with an independent count.
//
// The problem: three concentric rings in the plane, radius bands [0, 0.35], [0.55, 0.8] and
// [1.0, 1.25], angle uniform. The class depends only on the radius, so no linear rule separates
// ring 1 from rings 0 and 2; the gaps of 0.2 between bands leave a margin, so a network that has
// learnt the rule classifies every point (Bayes error 0). We ask for ≥ 0.97 on the training and
// on a held-out set drawn from the same distribution: with 400 test points, 97 % allows 12
// mistakes, which is room for a decision boundary that is not yet exactly in the middle of the gaps.

import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, init, MLP, train, type Runtime } from "../../ts-wrapper/index.js";
import { accuracyByPredict, accuracyThenFree, rings } from "../helpers/rings.js";

let rt: Runtime;
const trainSet = rings("rings-train", 600, 1);
const testSet = rings("rings-test", 400, 2);

beforeAll(async () => {
  rt = await init();
});

// Batch norm centres each hidden unit on the batch mean, and on this problem that mean is the
// batch's mean input point, whose coordinates have a standard deviation of about 0.8/√B (the
// points' radius is ≈ 0.8 on average). At B = 16 that shifts the origin by ≈ 0.2 — the width of
// the gaps — so training-mode predictions are noisy (inference uses the running mean, ≈ 0). The
// batch-norm runs use B = 64 (shift ≈ 0.1) so training is not dominated by that noise.
const configs = [
  { title: "SGD with momentum", batchNorm: false, batchSize: 16, options: { optimizer: "sgd" as const, lr: 0.1, momentum: 0.9 } },
  { title: "SGD with momentum, batch norm", batchNorm: true, batchSize: 64, options: { optimizer: "sgd" as const, lr: 0.1, momentum: 0.9 } },
  { title: "Adam", batchNorm: false, batchSize: 16, options: { optimizer: "adam" as const, lr: 0.01 } },
  { title: "Adam, batch norm", batchNorm: true, batchSize: 64, options: { optimizer: "adam" as const, lr: 0.01 } },
];
const EPOCHS = 40;

describe("learning concentric rings", () => {
  it.each(configs)("$title reaches ≥ 97 % train and held-out accuracy", ({ batchNorm, batchSize, options }) => {
    const model = new MLP({ layers: [2, 32, 32, 3], activation: "relu", batchNorm, seed: 7, runtime: rt });
    try {
      const epochs: number[] = [];
      const { history } = train(model, trainSet, {
        ...options,
        epochs: EPOCHS,
        batchSize,
        seed: 3,
        test: testSet,
        onEpoch: (r) => epochs.push(r.epoch),
      });
      const last = history[EPOCHS - 1];
      expect(history).toHaveLength(EPOCHS);
      expect(epochs).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      // The loss fell: chance level is ln 3 ≈ 1.1; the last epoch's mean loss is well below it and
      // below the first epoch's.
      expect(last.loss).toBeLessThan(history[0].loss);
      expect(last.loss).toBeLessThan(0.3);

      const onTrain = evaluate(model, trainSet);
      const onTest = evaluate(model, testSet);
      expect(onTrain.accuracy).toBeGreaterThanOrEqual(0.97);
      expect(onTest.accuracy).toBeGreaterThanOrEqual(0.97);
      // The per-epoch test figures are evaluate()'s (the last epoch's equal a fresh evaluation).
      expect(last.testAccuracy).toBe(onTest.accuracy);
      expect(last.testLoss).toBeCloseTo(onTest.loss, 6);

      for (const [data, result] of [[trainSet, onTrain], [testSet, onTest]] as const) {
        expect(result.count).toBe(data.count);
        const total = result.confusion.flat().reduce((a, b) => a + b, 0);
        expect(total).toBe(data.count);
        const diagonal = result.confusion.reduce((s, row, i) => s + row[i], 0);
        expect(diagonal / data.count).toBe(result.accuracy);
        // Row sums are the class sizes (confusion[label][predicted]).
        const sizes = [0, 0, 0];
        for (const label of data.labels) sizes[label]++;
        expect(result.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(sizes);
        // The accuracy agrees with logits() and an argmax done here.
        expect(accuracyByPredict(model, data)).toBe(result.accuracy);
        expect(Number.isFinite(result.loss) && result.loss > 0).toBe(true);
      }
    } finally {
      model.free();
    }
  });

  it("an untrained model is near chance, so the check above is not vacuous", () => {
    expect(accuracyThenFree(new MLP({ layers: [2, 32, 32, 3], seed: 7, runtime: rt }), testSet)).toBeLessThan(0.8);
  });

  it("a linear model (no hidden layer) cannot separate the rings", () => {
    // A linear classifier's class regions are convex, so on any line through the origin each class
    // holds one interval. Along such a line the labels read 2, 1, 0, 1, 2 with equal mass of rings
    // 1 and 2 on each side (the data are symmetric under x → −x), so at most 1/3 + 1/6 + 1/6 = 2/3
    // of the mass on the line is classified right; averaging over lines, the expected accuracy is
    // ≤ 2/3. On 400 held-out points the sample accuracy has sd ≈ √(2/9/400) ≈ 0.024, so 0.78 is
    // > 4 sd above the bound.
    const model = new MLP({ layers: [2, 3], seed: 7, runtime: rt });
    const accuracy = accuracyThenFree(model, testSet, (m) => train(m, trainSet, { optimizer: "adam", lr: 0.01, epochs: 30, batchSize: 16, seed: 3 }));
    expect(accuracy).toBeLessThan(0.78);
  });
});
