// A validation split carved from the training set by a seeded draw (its own PRNG stream), so that
// settings are chosen without reading the test set; the test set is read once per reported setting.

import type { Dataset } from "../datasets/dataset.js";
import { Rng, STREAMS } from "../ops/rng.js";
import { Bytes } from "../tensor.js";
import type { Runtime } from "../wasm/load.js";

/**
 * `count` samples of `data`, drawn uniformly without replacement from (seed, STREAMS.validation),
 * held out for validation; the rest to train on. Both keep the samples' original order.
 */
export function holdOut(rt: Runtime, data: Dataset, count: number, seed: number): { train: Dataset; validation: Dataset } {
  if (!Number.isInteger(count) || count < 1 || count >= data.count) {
    throw new RangeError(`validation: must hold out between 1 and ${data.count - 1} of the ${data.count} ${data.name} training samples, got ${count}`);
  }
  const order = new Bytes(rt, 4 * data.count);
  const rng = new Rng(rt, seed, STREAMS.validation);
  let held: Uint8Array;
  try {
    rng.permutation(data.count, order);
    held = new Uint8Array(data.count);
    for (const i of order.u32(count)) held[i] = 1;
  } finally {
    rng.free();
    order.free();
  }
  const pick = (keep: boolean, name: string): Dataset => {
    const n = keep ? count : data.count - count;
    const images = new Float32Array(n * data.features);
    const labels = new Uint8Array(n);
    let j = 0;
    for (let i = 0; i < data.count; i++) {
      if ((held[i] === 1) !== keep) continue;
      images.set(data.images.subarray(i * data.features, (i + 1) * data.features), j * data.features);
      labels[j++] = data.labels[i];
    }
    return { ...data, name, images, labels, count: n, shape: [...data.shape] };
  };
  return { train: pick(false, `${data.name} (training, ${count} held out)`), validation: pick(true, `${data.name} (validation)`) };
}
