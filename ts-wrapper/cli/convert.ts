// bioplausible convert: a ReLU model file as a spiking model file of integrate-and-fire neurons,
// each layer normalised by a percentile of its activations on training samples (data-based
// normalisation, Diehl et al. 2015; Rueckauer et al. 2017; models/normalize.ts). The result is a
// soft-LIF model file like train --model snn's, so eval --spiking, export and the edge worker take
// it; its recorded simulation is the IF conversion's usual one (the image as a current, no synaptic
// filter), which their flags override.

import { resolve } from "node:path";
import { subset } from "../datasets/dataset.js";
import { OptionError } from "../errors.js";
import { decodeModelFile, encodeModel } from "../models/file.js";
import { normalizeForSpiking } from "../models/normalize.js";
import { resolveSimulation } from "../models/snn.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { dataFlags, loadSplit } from "./data.js";
import { checkWritable, readInput, writeFileAtomic } from "./files.js";
import { emitResult, info, jsonFlag, provenance } from "./report.js";
import { startRuntime, threadsFlag } from "./threads.js";

/** The flags of `bioplausible convert`. */
export const convertFlags = {
  ...dataFlags,
  out: { type: "string", required: true, help: "write the spiking model file here (.safetensors)" },
  percentile: { type: "number", default: 99.9, help: "each layer's top rate goes to this percentile of its positive activations on the training samples" },
  samples: { type: "int", min: 1, default: 10000, help: "training samples the percentiles are taken over (the first N of the training set)" },
  dt: { type: "number", default: 0.001, help: "simulation step in s: a neuron's top rate is one spike a step" },
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const convertHelp = helpText(
  "convert",
  "Convert a ReLU model to integrate-and-fire neurons, each layer normalised by a percentile of its activations on training data.",
  convertFlags,
  "<model.safetensors>",
);

export async function convertCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, convertFlags, "convert", { positionals: 1, minPositionals: 1 });
  if (f.help) return void process.stdout.write(`${convertHelp}\n`);
  const file = f._[0];
  if (resolve(f.out) === resolve(file)) throw new UsageError(`--out: ${f.out} is the model file being converted; give another file`);
  if (!(f.percentile > 0 && f.percentile <= 100)) throw new UsageError(`--percentile: must be in (0, 100], got ${f.percentile}`);
  if (!(f.dt > 0 && f.dt < 1)) throw new UsageError(`--dt: must be a step in (0, 1) s, got ${f.dt}`);
  await checkWritable(f.out, "--out");
  const bytes = await readInput(file, "model file");
  const rt = await startRuntime(f.threads);
  const { model } = decodeModelFile(bytes, file);
  if (model.config.activations.some((a) => a !== "relu")) {
    throw new UsageError(`${file} has ${model.config.activations.join(", ") || "no"} hidden activations; convert takes a ReLU network (a soft-LIF one converts as it is: eval --spiking)`);
  }
  const all = await loadSplit(f.dataset, f.dataDir, "train");
  if (all.features !== model.inputs) throw new UsageError(`--dataset: ${file} takes ${model.inputs} inputs, ${f.dataset} has ${all.features} features`);
  const data = subset(all, Math.min(f.samples, all.count));
  let normalized: ReturnType<typeof normalizeForSpiking>;
  try {
    normalized = normalizeForSpiking(model, data.images, data.count, { percentile: f.percentile, dt: f.dt });
  } catch (error) {
    // What the network itself cannot be (max pooling): the file's fault, not a flag's.
    if (error instanceof OptionError) throw new UsageError(`${file}: ${error.reason}`);
    throw error;
  }
  const { model: spiking, scales } = normalized;
  info(`layer scales (the ${f.percentile}th percentile of each layer's positive activations on ${data.count} ${f.dataset} training samples): ${scales.map((s) => s.toPrecision(4)).join(", ")}`);
  const simulation = resolveSimulation({ encoding: "current", synapse: "none", dt: f.dt, time: 0.2 }, spiking.config.neuron!);
  const normalization = { percentile: f.percentile, samples: data.count, dataset: f.dataset, scales, from: file };
  writeFileAtomic(f.out, encodeModel(spiking, { normalization }, { kind: "snn", simulation }));
  info(`saved ${f.out}`);
  emitResult(f.json, {
    command: "convert", model: file, out: f.out, normalization, simulation, params_sha256: await spiking.params.sha256(), ...provenance(rt.threads),
  }, `converted ${file} to integrate-and-fire neurons (top rate ${Math.round(1 / f.dt)} Hz at the ${f.percentile}th percentile) in ${f.out}; evaluate it with eval --spiking`);
}
