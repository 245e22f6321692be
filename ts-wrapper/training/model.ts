// What the trainer needs of a model: a forward pass over a batch in wasm memory and a training
// step that turns a staged batch into a parameter update.

import type { InferenceModel } from "../evaluation/metrics.js";
import type { OutputLoss } from "../ops/loss.js";
import type { StagedBatch, StepResult, Update } from "../models/mlp.js";
import type { ParameterSet } from "../params.js";

export type { StepResult };

export interface TrainableModel extends InferenceModel {
  readonly params: ParameterSet;
  /** Smallest batch a training step accepts (2 with batch norm). */
  readonly minTrainingBatch: number;
  /** Learn from a staged batch: gradients, then optimizer steps. */
  trainBatch(batch: StagedBatch, outputLoss: OutputLoss, optimizer: Update): StepResult;
  /**
   * What a checkpoint must keep of the model besides its parameters, as JSON: state the last
   * training step leaves that callers read afterwards (a PCN's energy trace).
   */
  checkpointState?(): unknown;
  /** `source` names the checkpoint in errors. */
  restoreCheckpointState?(state: unknown, source: string): void;
}
