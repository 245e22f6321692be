// Model files: safetensors with the architecture in __metadata__ and float32 tensors named like
// PyTorch's state_dict. Reading checks the metadata before any tensor is trusted.

import { VERSION } from "../version.js";
import { MLP, type MLPConfig } from "./mlp.js";
import type { Runtime } from "../wasm/load.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";

export const MODEL_FORMAT = "bioplausible";

/** The model file's bytes; `extra` metadata (e.g. the training run) is stored as JSON strings. */
export function encodeModel(model: MLP, extra: Record<string, unknown> = {}): Uint8Array {
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: VERSION,
    model: "mlp",
    config: JSON.stringify(model.config),
  };
  for (const [key, value] of Object.entries(extra)) metadata[key] = JSON.stringify(value);
  return encodeSafetensors(model.params.toTensors(), metadata);
}

/** A model from a file's bytes; `file` names it in every error. */
export function decodeModel(bytes: Uint8Array, file: string, runtime?: Runtime): MLP {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== MODEL_FORMAT) {
    throw new Error(`${file}: not a bioplausible model (its __metadata__ has no "format": "${MODEL_FORMAT}")`);
  }
  if (metadata.model !== "mlp") throw new Error(`${file}: model type "${metadata.model}" is not supported by this version`);
  let config: MLPConfig;
  try {
    config = JSON.parse(metadata.config ?? "") as MLPConfig;
  } catch {
    throw new Error(`${file}: the "config" entry of __metadata__ is not valid JSON`);
  }
  let model: MLP;
  try {
    // Feedback alignment's matrices are not stored: they are redrawn from the seed they came from.
    model = new MLP({
      layers: config.layers, activation: config.activations, batchNorm: config.batchNorm, neuron: config.neuron,
      feedbackAlignment: config.feedbackAlignment, seed: config.feedbackSeed, runtime,
    });
  } catch (error) {
    throw new Error(`${file}: invalid architecture in __metadata__: ${(error as Error).message}`);
  }
  try {
    model.params.load(tensors, file);
  } catch (error) {
    model.free();
    throw error;
  }
  return model;
}
