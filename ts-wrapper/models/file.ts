// Model files: safetensors with the architecture in __metadata__ and float32 tensors named like
// PyTorch's state_dict. Reading checks the metadata before any tensor is trusted. A spiking model
// file ("model": "snn") holds the soft-LIF rate network it converts from and the simulation it was
// evaluated with.

import { decodeSafetensors, encodeSafetensors } from "../safetensors.js";
import { VERSION } from "../version.js";
import type { Runtime } from "../wasm/load.js";
import { layerOptions, MLP, type MLPConfig } from "./mlp.js";
import type { Simulation } from "./snn.js";

export const MODEL_FORMAT = "bioplausible";
export const MODEL_KINDS = ["mlp", "snn"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** What a file says it holds besides the weights. */
export type FileKind = { kind: "mlp" } | { kind: "snn"; simulation: Simulation };

/** The model file's bytes; `extra` metadata (e.g. the training run) is stored as JSON strings. */
export function encodeModel(model: MLP, extra: Record<string, unknown> = {}, file: FileKind = { kind: "mlp" }): Uint8Array {
  if (file.kind === "snn" && !model.config.neuron) throw new RangeError("encodeModel: a spiking model file needs a soft-LIF network");
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: VERSION,
    model: file.kind,
    config: JSON.stringify(model.config),
    ...(file.kind === "snn" ? { simulation: JSON.stringify(file.simulation) } : {}),
  };
  for (const [key, value] of Object.entries(extra)) metadata[key] = JSON.stringify(value);
  return encodeSafetensors(model.params.toTensors(), metadata);
}

/** A model and what its file says of it, from the file's bytes; `file` names it in every error. */
export function decodeModelFile(bytes: Uint8Array, file: string, runtime?: Runtime): { model: MLP } & FileKind {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== MODEL_FORMAT) {
    throw new Error(`${file}: not a bioplausible model (its __metadata__ has no "format": "${MODEL_FORMAT}")`);
  }
  const kind = metadata.model as ModelKind;
  if (!MODEL_KINDS.includes(kind)) throw new Error(`${file}: model type "${metadata.model}" is not supported by this version`);
  const config = parse<MLPConfig>(metadata.config, file, "config");
  let simulation: Simulation | undefined;
  if (kind === "snn") simulation = parse<Simulation>(metadata.simulation, file, "simulation");
  let model: MLP;
  try {
    // Feedback alignment's matrices are not stored: they are redrawn from the seed they came from.
    model = new MLP({
      ...layerOptions(config), activation: config.activations, batchNorm: config.batchNorm, neuron: config.neuron,
      feedbackAlignment: config.feedbackAlignment, directFeedbackAlignment: config.directFeedbackAlignment, seed: config.feedbackSeed, runtime,
    });
  } catch (error) {
    throw new Error(`${file}: invalid architecture in __metadata__: ${(error as Error).message}`);
  }
  try {
    model.params.load(tensors, file);
    if (kind === "snn" && !model.config.neuron) throw new Error(`${file}: a spiking model file whose network has no soft-LIF neurons`);
  } catch (error) {
    model.free();
    throw error;
  }
  return kind === "snn" ? { model, kind, simulation: simulation! } : { model, kind };
}

/** The rate network of a model file (decodeModelFile without the rest). */
export function decodeModel(bytes: Uint8Array, file: string, runtime?: Runtime): MLP {
  return decodeModelFile(bytes, file, runtime).model;
}

function parse<T>(text: string | undefined, file: string, key: string): T {
  try {
    return JSON.parse(text ?? "") as T;
  } catch {
    throw new Error(`${file}: the "${key}" entry of __metadata__ is not valid JSON`);
  }
}
