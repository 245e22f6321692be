// In-memory datasets and batching. Platform-neutral: no Node imports.
import type { IdxArray } from "./idx.js";

/** A labelled dataset held in memory. */
export interface Dataset {
  name: string;
  /**
   * Row-major count × features: each value byte / 255 in [0, 1] (IDX data sets), or that then
   * normalised per channel (CIFAR-10: mean 0 and standard deviation 1 over its training set).
   */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  features: number;
  classes: number;
  /**
   * Per-sample shape: [C, H, W] for images (MNIST [1, 28, 28], CIFAR-10 [3, 32, 32]), [F] for an
   * IDX file of flat samples; its product is `features`.
   */
  shape: number[];
}

/** Byte pixels to floats in [0, 1]: the scaling every model in this package expects. */
export function normalizeBytes(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length)): Float32Array {
  if (out.length < bytes.length) throw new Error(`normalizeBytes: out has ${out.length} elements, need ${bytes.length}`);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/**
 * Normalises images in place, per channel: x ← (x − mean[c]) / std[c] for every value of channel c.
 * `images` holds whole samples of `shape` [C, ...] (channel-major, as Dataset.images), so each
 * sample is C runs of shape[1]·shape[2]·… values; `mean` and `std` have C entries. Returns `images`.
 */
export function normalizeChannels(images: Float32Array, shape: readonly number[], mean: readonly number[], std: readonly number[]): Float32Array {
  const [channels] = shape;
  if (!shape.length || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`normalizeChannels: shape must be positive integers, got [${shape}]`);
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalizeChannels: shape [${shape}] has ${channels} channels but mean has ${mean.length} entries and std ${std.length}`);
  }
  const bad = std.findIndex((s) => !(s > 0 && Number.isFinite(s)));
  if (bad >= 0) throw new Error(`normalizeChannels: std[${bad}] must be positive and finite, got ${std[bad]}`);
  const plane = shape.reduce((a, b) => a * b, 1) / channels;
  if (images.length % (plane * channels) !== 0) {
    throw new Error(`normalizeChannels: ${images.length} values are not a whole number of [${shape}] samples`);
  }
  for (let at = 0, c = 0; at < images.length; at += plane, c = (c + 1) % channels) {
    const m = mean[c];
    const s = std[c];
    for (let i = at; i < at + plane; i++) images[i] = (images[i] - m) / s;
  }
  return images;
}

/** Throws naming `file` when any label is not below `classes`. */
export function checkLabels(labels: Uint8Array, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new Error(`${file}: label ${labels[i]} at index ${i} is out of range (expected 0..${classes - 1})`);
    }
  }
}

/**
 * Builds a dataset from a decoded image IDX (count × ...) and label IDX (count). A count × H × W
 * image file is one channel: its samples have shape [1, H, W], the [C, H, W] form of every image
 * data set here; other ranks keep their dims ([F] for count × F, [C, H, W] for count × C × H × W).
 */
export function fromIdx(
  name: string,
  images: IdxArray,
  labels: IdxArray,
  files: { images: string; labels: string },
  classes = 10,
): Dataset {
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new Error(`classes must be an integer in 1..256, got ${classes}`);
  }
  if (images.dims.length < 2) {
    throw new Error(
      `${files.images}: image file must have at least 2 dimensions (count × features), got [${images.dims.join(", ")}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${files.labels}: label file must have 1 dimension, got [${labels.dims.join(", ")}]`);
  }
  const count = images.dims[0];
  if (labels.dims[0] !== count) {
    throw new Error(
      `image/label count mismatch: ${files.images} has ${count} images but ${files.labels} has ${labels.dims[0]} labels`,
    );
  }
  checkLabels(labels.data, classes, files.labels);
  const shape = images.dims.length === 3 ? [1, ...images.dims.slice(1)] : images.dims.slice(1);
  const features = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    images: normalizeBytes(images.data),
    // Copy so the dataset does not pin the whole file buffer the labels were a view into.
    labels: labels.data.slice(),
    count,
    features,
    classes,
    shape,
  };
}

/** The first `limit` samples, copied so the full dataset can be released. */
export function subset(d: Dataset, limit: number): Dataset {
  if (!Number.isInteger(limit) || limit < 1 || limit > d.count) {
    throw new Error(`limit must be a positive integer no larger than ${d.count} (the size of ${d.name}), got ${limit}`);
  }
  return {
    ...d,
    images: d.images.slice(0, limit * d.features),
    labels: d.labels.slice(0, limit),
    count: limit,
    shape: d.shape.slice(),
  };
}

/** One-hot encodes labels into a labels.length × classes row-major matrix. */
export function oneHot(labels: Uint8Array, classes: number, out?: Float32Array): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`classes must be a positive integer, got ${classes}`);
  const size = labels.length * classes;
  if (out === undefined) out = new Float32Array(size);
  else if (out.length < size) {
    throw new Error(`oneHot: out has ${out.length} elements, need ${size} (${labels.length} × ${classes})`);
  }
  out.fill(0, 0, size);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new Error(`oneHot: label ${labels[i]} at index ${i} is not below ${classes}`);
    out[i * classes + labels[i]] = 1;
  }
  return out;
}

/**
 * Copies samples order[start .. start + size) into xOut (row-major) and labelsOut; the range is
 * clipped at the end of `order`, so the last batch of an epoch may be short. Returns how many
 * samples were copied.
 */
export function gatherBatch(
  d: Dataset,
  order: Uint32Array,
  start: number,
  size: number,
  xOut: Float32Array,
  labelsOut: Uint8Array,
): number {
  if (!Number.isInteger(start) || start < 0) throw new Error(`gatherBatch: start must be a non-negative integer, got ${start}`);
  if (!Number.isInteger(size) || size < 0) throw new Error(`gatherBatch: size must be a non-negative integer, got ${size}`);
  const n = Math.max(0, Math.min(size, order.length - start));
  if (xOut.length < n * d.features) {
    throw new Error(`gatherBatch: xOut has ${xOut.length} elements, need ${n * d.features} (${n} × ${d.features})`);
  }
  if (labelsOut.length < n) throw new Error(`gatherBatch: labelsOut has ${labelsOut.length} elements, need ${n}`);
  const f = d.features;
  for (let i = 0; i < n; i++) {
    const s = order[start + i];
    if (s >= d.count) throw new Error(`gatherBatch: order[${start + i}] = ${s} is out of range for ${d.count} samples`);
    xOut.set(d.images.subarray(s * f, s * f + f), i * f);
    labelsOut[i] = d.labels[s];
  }
  return n;
}
