// Checkpoints: everything train() needs to carry on exactly where it stopped — the model's tensors,
// the optimiser's buffers and step count, the shuffling generator, the place in the epoch and the
// epoch's running sums — so that a resumed run ends with the same bits as one never interrupted.
// On disk a checkpoint is a safetensors file; the state rides in its metadata as JSON.

import type { NamedTensor } from "../safetensors.js";
import { decodeSafetensors, encodeSafetensors } from "../safetensors.js";
import { VERSION } from "../version.js";

export const CHECKPOINT_FORMAT = "bioplausible-checkpoint";
/** Optimiser buffers are stored as tensors with this prefix and their index: optimizer.0, optimizer.1. */
const OPTIMIZER_PREFIX = "optimizer.";

/** One finished epoch, as train() reports it and a checkpoint keeps it. */
export interface EpochResult {
  epoch: number;
  /** Mean training loss over the epoch's batches, as trained (batch statistics, weights moving). */
  loss: number;
  accuracy: number;
  /** On the validation split held out of the training set, when there is one. */
  validationLoss?: number;
  validationAccuracy?: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number;
}

export interface TrainingState {
  /** The epoch in progress (1-based); epochs + 1 once training has finished. */
  epoch: number;
  /** Batches of that epoch done. */
  batch: number;
  /** Batches trained so far in the run: the learning-rate schedule's clock. */
  steps: number;
  /** The optimiser's own step count (Adam's bias correction): T per batch for iPC, one for the others. */
  optimizerSteps: number;
  /** The shuffling generator's state (hex) before the epoch in progress drew its order. */
  shuffle: string;
  /** The epoch's running sums so far. */
  lossSum: number;
  correct: number;
  seen: number;
  /** Seconds of training before this checkpoint, in all and in the epoch in progress. */
  seconds: number;
  epochSeconds: number;
  history: EpochResult[];
  /** The model's own state (TrainableModel.checkpointState), when it has any. */
  model?: unknown;
}

export interface Checkpoint {
  state: TrainingState;
  /** The model's tensors, by their state_dict names. */
  params: NamedTensor[];
  /** The optimiser's buffers (momentum; Adam's m and v), each the length of the trainable block. */
  optimizer: Float32Array[];
  /** The file it was read from, for errors. */
  file?: string;
}

/** A checkpoint's bytes; `run` (JSON) identifies the run it belongs to, for checking a resume. */
export function encodeCheckpoint(checkpoint: Checkpoint, run: unknown): Uint8Array {
  const optimizer = checkpoint.optimizer.map((data, i) => ({ name: `${OPTIMIZER_PREFIX}${i}`, shape: [data.length], data }));
  return encodeSafetensors([...checkpoint.params, ...optimizer], {
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    state: JSON.stringify(checkpoint.state),
    run: JSON.stringify(run),
  });
}

/** A checkpoint from a file's bytes, and the run it belongs to; `file` names it in every error. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): { checkpoint: Checkpoint; run: unknown } {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: not a bioplausible checkpoint (its __metadata__ has no "format": "${CHECKPOINT_FORMAT}")`);
  // Another version's kernels may round differently: its run would not carry on to the same bits.
  if (metadata.version !== VERSION) throw new Error(`${file}: a checkpoint of bioplausible ${metadata.version ?? "(no version)"}; this is ${VERSION}, which cannot resume it bit for bit`);
  const state = parseJson(metadata.state, file, "state") as TrainingState;
  checkState(state, file);
  const run = parseJson(metadata.run, file, "run");
  const params: NamedTensor[] = [];
  const buffers = new Map<string, Float32Array>();
  for (const tensor of tensors.values()) {
    if (tensor.name.startsWith(OPTIMIZER_PREFIX)) buffers.set(tensor.name, tensor.data);
    else params.push(tensor);
  }
  const optimizer = [...buffers.keys()].map((_, i) => {
    const buffer = buffers.get(`${OPTIMIZER_PREFIX}${i}`);
    if (!buffer) throw new Error(`${file}: optimizer tensors must be ${OPTIMIZER_PREFIX}0 … ${OPTIMIZER_PREFIX}${buffers.size - 1}, got ${[...buffers.keys()].join(", ")}`);
    return buffer;
  });
  return { checkpoint: { state, params, optimizer, file }, run };
}

function parseJson(text: string | undefined, file: string, key: string): unknown {
  if (text === undefined) throw new Error(`${file}: __metadata__ has no "${key}" entry`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file}: the "${key}" entry of __metadata__ is not valid JSON`);
  }
}

function checkState(s: TrainingState, file: string): void {
  const bad = (key: string, what: string) => {
    throw new Error(`${file}: checkpoint state ${key} ${what}, got ${JSON.stringify((s as unknown as Record<string, unknown>)?.[key])}`);
  };
  if (typeof s !== "object" || s === null) throw new Error(`${file}: checkpoint state is not an object`);
  for (const key of ["epoch", "batch", "steps", "optimizerSteps", "correct", "seen"] as const) {
    if (!Number.isSafeInteger(s[key]) || s[key] < 0) bad(key, "must be an integer ≥ 0");
  }
  if (s.epoch < 1) bad("epoch", "must be ≥ 1");
  for (const key of ["lossSum", "seconds", "epochSeconds"] as const) if (typeof s[key] !== "number" || !Number.isFinite(s[key])) bad(key, "must be a finite number");
  if (typeof s.shuffle !== "string" || !/^[0-9a-f]{32}$/.test(s.shuffle)) bad("shuffle", "must be 32 hex digits");
  if (!Array.isArray(s.history) || s.history.length !== s.epoch - 1) bad("history", `must list the ${s.epoch - 1} finished epochs`);
}
