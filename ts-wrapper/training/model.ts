// What the trainer and the evaluator need of a model: a forward pass over a batch in wasm memory
// and, for training, a backward pass filling the gradients of its parameter set.

import type { ParameterSet } from "../models/params.js";
import type { Runtime } from "../wasm/load.js";

export interface TrainableModel {
  readonly runtime: Runtime;
  readonly params: ParameterSet;
  readonly inputs: number;
  readonly outputs: number;
  /** Smallest batch a training step accepts (2 with batch norm). */
  readonly minTrainingBatch: number;
  /** Returns a pointer to the B × outputs logits. */
  forward(xPtr: number, B: number, training: boolean): number;
  backward(xPtr: number, B: number, dLogits: number): void;
}
