// What the trainer and the evaluator need of a model: a forward pass over a batch in wasm memory
// and a training step that turns a staged batch into a parameter update.

import type { ParameterSet } from "../models/params.js";
import type { Runtime } from "../wasm/load.js";
import type { BatchBuffer } from "./batches.js";
import type { OutputLoss } from "./losses.js";
import type { Optimizer } from "./optimizers.js";

export interface StepResult {
  /** The B × outputs logits of the feedforward pass the step started from. */
  logits: number;
  /** Their mean loss: what the model scored on this batch before the update. */
  loss: number;
}

export interface TrainableModel {
  readonly runtime: Runtime;
  readonly params: ParameterSet;
  readonly inputs: number;
  readonly outputs: number;
  /** Smallest batch a training step accepts (2 with batch norm). */
  readonly minTrainingBatch: number;
  /** Returns a pointer to the B × outputs logits. */
  forward(xPtr: number, B: number, training: boolean): number;
  /** Learn from the first B rows of a staged batch: gradients, then optimizer steps. */
  trainBatch(batch: BatchBuffer, B: number, outputLoss: OutputLoss, optimizer: Optimizer): StepResult;
  /**
   * What a checkpoint must keep of the model besides its parameters, as JSON: state the last
   * training step leaves that callers read afterwards (a PCN's energy trace).
   */
  checkpointState?(): unknown;
  /** `source` names the checkpoint in errors. */
  restoreCheckpointState?(state: unknown, source: string): void;
}

/** A model's state went non-finite; the message names where (layer, step). The trainer adds the epoch. */
export class DivergenceError extends Error {
  override name = "DivergenceError";
}
