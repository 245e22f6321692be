// The real Fashion-MNIST, from Debian's dataset-fashion-mnist package (gzipped IDX files in
// /usr/share/datasets/fashion-mnist), loaded the way `--dataset fashion-mnist` without --data-dir
// loads it. Skipped, with a printed reason, where the directory is missing — unless
// REQUIRE_FASHION_MNIST=1 (set by .ci/run, which installs the package), when it fails instead.
//
// Expected values are the published facts of the data set (Xiao, Rasul and Vollgraf 2017): 60 000
// training and 10 000 test images of 28 × 28 grey pixels, 10 classes, 6 000 of each class in the
// training split and 1 000 in the test split. The CLI test runs bin/bioplausible.js against dist/
// (build the bundle first).
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadMNIST } from "../../ts-wrapper/datasets/mnist.js";
import { FASHION_MNIST_DIR } from "../../ts-wrapper/platform/node.js";
import { lastJson, runCli } from "../cli/e2e-cli.js";

const REQUIRED = process.env.REQUIRE_FASHION_MNIST === "1";
const SKIP = !existsSync(FASHION_MNIST_DIR) && !REQUIRED;
if (SKIP) {
  console.warn(`tests/datasets/fashion-mnist.test.ts skipped: ${FASHION_MNIST_DIR} is missing (apt-get install dataset-fashion-mnist, or set REQUIRE_FASHION_MNIST=1 to make this a failure)`);
}

function histogram(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** The smallest and largest value (compared as numbers: a failure never prints the images). */
function range(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

describe.skipIf(SKIP)(`Fashion-MNIST from ${FASHION_MNIST_DIR}`, () => {
  it.each([
    ["train", 60000, 6000],
    ["test", 10000, 1000],
  ] as const)("the %s split: %i images of [1, 28, 28], %i of each of the 10 classes", async (split, count, perClass) => {
    const d = await loadMNIST(split, { dataset: "fashion-mnist" });
    const { name, count: n, features, classes, shape } = d;
    expect({ name, count: n, features, classes, shape }).toEqual({ name: "fashion-mnist", count, features: 784, classes: 10, shape: [1, 28, 28] });
    expect(d.images.length).toBe(count * 784);
    expect(d.labels.length).toBe(count);
    expect(histogram(d.labels)).toEqual(new Array(10).fill(perClass));
    // Bytes / 255: black backgrounds and saturated pixels reach both ends.
    expect(range(d.images)).toEqual([0, 1]);
  });
});

describe.skipIf(SKIP)("train --dataset fashion-mnist without --data-dir", () => {
  it(`reads ${FASHION_MNIST_DIR} (one quick epoch on a held-out split)`, async () => {
    const r = await runCli(["train", "--dataset", "fashion-mnist", "--limit", "600", "--validation", "100", "--layers", "784,32,10", "--epochs", "1", "--json"], { timeout: 60_000 });
    expect(r.stderr).not.toMatch(/^bioplausible:/m);
    expect(r.code).toBe(0);
    const out = lastJson(r);
    expect(out.config).toMatchObject({ dataset: "fashion-mnist", dataDir: null, limit: 600, validation: 100, validationSamples: 100, trainSamples: 500 });
    // Learnt something: well above chance (10 %) on the 100 held-out images and on the test set, after 500 samples.
    expect(out.validation_accuracy).toBeGreaterThan(0.3);
    expect(out.test_accuracy).toBeGreaterThan(0.3);
  });
});
