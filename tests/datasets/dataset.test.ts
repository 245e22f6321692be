import { describe, it, expect } from "vitest";
import { fromIdx, gatherBatch, normalizeChannels, oneHot, subset, type Dataset } from "../../ts-wrapper/datasets/dataset.js";
import type { IdxArray } from "../../ts-wrapper/datasets/idx.js";

const files = { images: "imgs.idx", labels: "lbls.idx" };

function arr(dims: number[], data: number[]): IdxArray {
  return { dims, data: Uint8Array.from(data) };
}

/** 4 samples of 2 × 3 pixels: sample s, pixel p holds 10·s + p (and 255 in the last pixel of sample 3). */
function fourSamples(): { images: IdxArray; labels: IdxArray } {
  const data = Array.from({ length: 24 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6));
  data[23] = 255;
  return { images: arr([4, 2, 3], data), labels: arr([4], [3, 0, 9, 1]) };
}

describe("fromIdx", () => {
  it("flattens and scales bytes by 1/255, keeping labels; a count × H × W file's samples are [1, H, W]", () => {
    const { images, labels } = fourSamples();
    const d = fromIdx("toy", images, labels, files);
    expect(d).toMatchObject({ name: "toy", count: 4, features: 6, classes: 10, shape: [1, 2, 3] });
    expect(d.images.length).toBe(24);
    for (let i = 0; i < 24; i++) expect(d.images[i]).toBe(Math.fround(images.data[i] / 255));
    expect(d.images[0]).toBe(0);
    expect(d.images[23]).toBe(1);
    expect(Array.from(d.labels)).toEqual([3, 0, 9, 1]);
  });

  it("keeps the dims of flat (count × F) and channelled (count × C × H × W) image files", () => {
    const { images, labels } = fourSamples();
    expect(fromIdx("t", arr([4, 6], Array.from(images.data)), labels, files)).toMatchObject({ features: 6, shape: [6] });
    expect(fromIdx("t", arr([4, 2, 1, 3], Array.from(images.data)), labels, files)).toMatchObject({ features: 6, shape: [2, 1, 3] });
  });

  it("rejects 1-D image files and multi-dimensional label files", () => {
    const { images, labels } = fourSamples();
    expect(() => fromIdx("t", arr([24], Array.from(images.data)), labels, files)).toThrow(/imgs\.idx: .*at least 2 dimensions/);
    expect(() => fromIdx("t", images, arr([2, 2], [0, 1, 2, 3]), files)).toThrow(/lbls\.idx: label file must have 1 dimension/);
  });

  it("rejects differing image and label counts, naming both files and counts", () => {
    const { images } = fourSamples();
    expect(() => fromIdx("t", images, arr([3], [0, 1, 2]), files)).toThrow(
      /imgs\.idx has 4 images but lbls\.idx has 3 labels/,
    );
  });

  it("rejects an out-of-range label, naming the file, index and value", () => {
    const { images } = fourSamples();
    expect(() => fromIdx("t", images, arr([4], [0, 1, 10, 2]), files)).toThrow(/lbls\.idx: label 10 at index 2 is out of range/);
    // The same label is fine when the dataset has more classes.
    expect(fromIdx("t", images, arr([4], [0, 1, 10, 2]), files, 11).classes).toBe(11);
  });
});

describe("subset", () => {
  const d = (): Dataset => {
    const { images, labels } = fourSamples();
    return fromIdx("toy", images, labels, files);
  };

  it("keeps the first N samples", () => {
    const full = d();
    const s = subset(full, 2);
    expect(s.count).toBe(2);
    expect(Array.from(s.images)).toEqual(Array.from(full.images.subarray(0, 12)));
    expect(Array.from(s.labels)).toEqual([3, 0]);
    expect(s.shape).toEqual([1, 2, 3]);
    expect(subset(full, 4).count).toBe(4);
  });

  it("rejects limits that are not positive integers up to count", () => {
    for (const bad of [0, -1, 1.5, 5, Number.NaN]) expect(() => subset(d(), bad)).toThrow(/limit must be a positive integer/);
  });
});

describe("normalizeChannels", () => {
  it("subtracts each channel's mean and divides by its standard deviation, in place", () => {
    // Two samples of shape [2, 1, 2] (channel-major: 2 values of channel 0, then 2 of channel 1);
    // mean [0.5, 0.25], std [0.5, 0.25]. By hand, (x − m) / s:
    //   sample 0: channel 0 (0 − 0.5) / 0.5 = −1, (1 − 0.5) / 0.5 = 1; channel 1 (0.25 − 0.25) / 0.25 = 0, (0.5 − 0.25) / 0.25 = 1
    //   sample 1: channel 0 (0.5 − 0.5) / 0.5 = 0, (0.75 − 0.5) / 0.5 = 0.5; channel 1 (0 − 0.25) / 0.25 = −1, (1 − 0.25) / 0.25 = 3
    const images = Float32Array.from([0, 1, 0.25, 0.5, 0.5, 0.75, 0, 1]);
    const out = normalizeChannels(images, [2, 1, 2], [0.5, 0.25], [0.5, 0.25]);
    expect(out).toBe(images);
    expect(Array.from(images)).toEqual([-1, 1, 0, 1, 0, 0.5, -1, 3]);
  });

  it("takes one channel of any size, and no samples", () => {
    // (0.2 − 0.1) / 0.5 = 0.2 and (0.6 − 0.1) / 0.5 = 1, in float32.
    expect(Array.from(normalizeChannels(Float32Array.from([0.2, 0.6]), [1, 2], [0.1], [0.5]))).toEqual([0.2, 1].map(Math.fround));
    expect(normalizeChannels(new Float32Array(0), [3, 32, 32], [0, 0, 0], [1, 1, 1]).length).toBe(0);
  });

  it("rejects statistics that do not match the channels, a non-positive std and partial samples", () => {
    const x = new Float32Array(8);
    expect(() => normalizeChannels(x, [2, 1, 2], [0.5], [0.5, 0.25])).toThrow(/2 channels but mean has 1 entries and std 2/);
    expect(() => normalizeChannels(x, [2, 1, 2], [0, 0], [1, 0])).toThrow(/std\[1\] must be positive and finite, got 0/);
    expect(() => normalizeChannels(x, [3, 1, 2], [0, 0, 0], [1, 1, 1])).toThrow(/8 values are not a whole number of \[3,1,2\] samples/);
    expect(() => normalizeChannels(x, [], [], [])).toThrow(/shape must be positive integers/);
  });
});

describe("oneHot", () => {
  it("sets exactly one 1 per row at the label", () => {
    const out = oneHot(Uint8Array.from([2, 0, 1]), 3);
    expect(Array.from(out)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it("overwrites a reused output buffer and handles an empty batch", () => {
    const out = new Float32Array(6).fill(7);
    oneHot(Uint8Array.from([1, 1]), 3, out);
    expect(Array.from(out)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(oneHot(new Uint8Array(0), 10).length).toBe(0);
  });

  it("rejects labels not below classes and short outputs", () => {
    expect(() => oneHot(Uint8Array.from([3]), 3)).toThrow(/label 3 at index 0/);
    expect(() => oneHot(Uint8Array.from([0, 1]), 3, new Float32Array(5))).toThrow(/need 6/);
  });
});

describe("gatherBatch", () => {
  const { images, labels } = fourSamples();
  const d = fromIdx("toy", images, labels, files);
  const order = Uint32Array.from([2, 0, 3, 1]);

  it("copies samples in the given order", () => {
    const x = new Float32Array(12);
    const y = new Uint8Array(2);
    expect(gatherBatch(d, order, 0, 2, x, y)).toBe(2);
    expect(Array.from(x)).toEqual([...d.images.subarray(12, 18), ...d.images.subarray(0, 6)]);
    expect(Array.from(y)).toEqual([9, 3]);
  });

  it("clips the last batch at the end of the order", () => {
    const x = new Float32Array(18);
    const y = new Uint8Array(3);
    expect(gatherBatch(d, order, 3, 3, x, y)).toBe(1);
    expect(Array.from(x.subarray(0, 6))).toEqual(Array.from(d.images.subarray(6, 12)));
    expect(y[0]).toBe(0);
    expect(gatherBatch(d, order, 4, 3, x, y)).toBe(0);
  });

  it("rejects short outputs and out-of-range indices", () => {
    expect(() => gatherBatch(d, order, 0, 2, new Float32Array(11), new Uint8Array(2))).toThrow(/xOut has 11 elements, need 12/);
    expect(() => gatherBatch(d, order, 0, 2, new Float32Array(12), new Uint8Array(1))).toThrow(/labelsOut/);
    expect(() => gatherBatch(d, Uint32Array.from([4]), 0, 1, new Float32Array(6), new Uint8Array(1))).toThrow(
      /order\[0\] = 4 is out of range/,
    );
  });
});
