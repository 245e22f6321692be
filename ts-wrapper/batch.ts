// Mini-batches staged in wasm memory: inputs, one-hot targets and labels for up to `capacity` rows.

import { gatherBatch, oneHot, type Dataset } from "./datasets/dataset.js";
import { Bytes, Matrix } from "./tensor.js";
import type { Runtime } from "./wasm/load.js";

export class BatchBuffer {
  /** capacity × features inputs, capacity × classes one-hot targets and a gradient of that shape. */
  readonly x: Matrix;
  readonly targets: Matrix;
  readonly grad: Matrix;
  /** capacity uint8 labels. */
  readonly labels: Bytes;

  constructor(readonly runtime: Runtime, readonly capacity: number, readonly features: number, readonly classes: number) {
    this.x = new Matrix(runtime, capacity, features);
    this.targets = new Matrix(runtime, capacity, classes);
    this.grad = new Matrix(runtime, capacity, classes);
    this.labels = new Bytes(runtime, capacity);
  }

  /** Stage rows order[start …] (at most capacity); returns how many. */
  load(data: Dataset, order: Uint32Array, start: number): number {
    const labels = this.labels.u8(this.capacity);
    const n = gatherBatch(data, order, start, this.capacity, this.x.view(), labels);
    oneHot(labels.subarray(0, n), this.classes, this.targets.head(n).view());
    return n;
  }

  /** The first n staged rows: inputs, targets, gradient, labels. */
  rows(n: number): { x: Matrix; targets: Matrix; grad: Matrix; labels: Bytes } {
    return { x: this.x.head(n), targets: this.targets.head(n), grad: this.grad.head(n), labels: this.labels };
  }

  free(): void {
    this.x.free();
    this.targets.free();
    this.grad.free();
    this.labels.free();
  }
}

/** The identity order 0..n−1 (evaluation visits samples in order). */
export function inOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Check that a dataset fits a model's input and output widths. */
export function checkShapes(data: Dataset, inputs: number, outputs: number): void {
  if (data.images.length !== data.count * data.features || data.labels.length !== data.count) {
    throw new RangeError(`${data.name}: inconsistent dataset: ${data.count} samples of ${data.features} features need ${data.count * data.features} values and ${data.count} labels, got ${data.images.length} and ${data.labels.length}`);
  }
  if (data.features !== inputs) {
    throw new RangeError(`the model's first layer has ${inputs} inputs but ${data.name} samples have ${data.features} features (shape ${data.shape.join("×")})`);
  }
  if (data.classes !== outputs) {
    throw new RangeError(`the model's last layer has ${outputs} outputs but ${data.name} has ${data.classes} classes`);
  }
}
