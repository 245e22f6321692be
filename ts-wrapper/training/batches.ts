// Mini-batches staged in wasm memory: inputs, one-hot targets and labels for up to `capacity` rows.

import { gatherBatch, oneHot, type Dataset } from "../datasets/dataset.js";
import type { Runtime } from "../wasm/load.js";

export class BatchBuffer {
  readonly x: number;
  readonly targets: number;
  readonly labels: number;
  readonly grad: number;

  constructor(readonly runtime: Runtime, readonly capacity: number, readonly features: number, readonly classes: number) {
    const heap = runtime.heap;
    this.x = heap.allocF32(capacity * features);
    this.targets = heap.allocF32(capacity * classes);
    this.grad = heap.allocF32(capacity * classes);
    this.labels = heap.alloc(capacity);
  }

  /** Stage rows order[start …] (at most capacity); returns how many. */
  load(data: Dataset, order: Uint32Array, start: number): number {
    const heap = this.runtime.heap;
    const labels = heap.u8(this.labels, this.capacity);
    const n = gatherBatch(data, order, start, this.capacity, heap.f32(this.x, this.capacity * this.features), labels);
    oneHot(labels.subarray(0, n), this.classes, heap.f32(this.targets, n * this.classes));
    return n;
  }

  free(): void {
    const heap = this.runtime.heap;
    for (const ptr of [this.x, this.targets, this.grad, this.labels]) heap.free(ptr);
  }
}

/** The identity order 0..n−1 (evaluation visits samples in order). */
export function inOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Check that a dataset fits a model's input and output widths; `flag` names what to fix. */
export function checkShapes(data: Dataset, inputs: number, outputs: number): void {
  if (data.images.length !== data.count * data.features || data.labels.length !== data.count) {
    throw new RangeError(`${data.name}: inconsistent dataset: ${data.count} samples of ${data.features} features need ${data.count * data.features} values and ${data.count} labels, got ${data.images.length} and ${data.labels.length}`);
  }
  if (data.features !== inputs) {
    throw new RangeError(`--layers: the first layer has ${inputs} inputs but ${data.name} samples have ${data.features} features (shape ${data.shape.join("×")})`);
  }
  if (data.classes !== outputs) {
    throw new RangeError(`--layers: the last layer has ${outputs} outputs but ${data.name} has ${data.classes} classes`);
  }
}
