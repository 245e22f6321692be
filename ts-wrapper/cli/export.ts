// bioplausible export: a soft-LIF model file as a NIR graph (the Neuromorphic Intermediate
// Representation, an HDF5 file), the spiking network it converts to under the simulation it was
// evaluated with, overridden by the simulation flags. docs/nir.md has the mapping and what it loses.

import { resolve } from "node:path";
import { checkSettings, findSetting, simulationOf, type Namer } from "../job/spec.js";
import { decodeModelFile } from "../models/file.js";
import { QUANTIZATIONS, type Quantization } from "../models/fixed-point.js";
import { toNir } from "../nir/export.js";
import { writeNir } from "../nir/hdf5.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { checkWritable, readInput, writeFileAtomic } from "./files.js";
import { emitResult, info, jsonFlag, provenance } from "./report.js";
import { givenSettings, settingFlags, withFlags } from "./settings.js";
import { startRuntime, threadsFlag } from "./threads.js";

// The simulation settings a NIR file keeps (the neurons' synapse, and in its metadata the input
// coding, the readout, the presentation time and the step); the readout times, the spike seed and
// the simulation batch are the evaluation's, so no flags here.
const SIMULATION_FLAGS = ["time", "dt", "encoding", "poisson-period", "readout", "synapse", "tau-s"];
const simulationFlags = Object.fromEntries(Object.entries(settingFlags(["simulation"])).filter(([flag]) => SIMULATION_FLAGS.includes(flag)));

/** The flags of `bioplausible export`. */
export const exportFlags = {
  format: { type: "string", choices: ["nir"], default: "nir", help: "file format: nir, the Neuromorphic Intermediate Representation (HDF5)" },
  out: { type: "string", required: true, help: "write the exported network to this file (.nir)" },
  quantize: { type: "string", choices: QUANTIZATIONS, help: "export int8 weights (one scale per layer, or per output neuron with int8-channel), written as scale·q with the scales in the graph's metadata" },
  "drop-refractory": { type: "boolean", help: "export a network with a refractory period without it (NIR's neurons have none; the network then fires faster)" },
  ...simulationFlags,
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const exportHelp = helpText(
  "export",
  "Export a soft-LIF model (--model snn, or softlif hidden activations) as the spiking network it converts to, in NIR; a spiking model file's own simulation settings are the defaults.",
  exportFlags,
  "<model.safetensors>",
);

export async function exportCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, exportFlags, "export", { positionals: 1, minPositionals: 1 });
  if (f.help) return void process.stdout.write(`${exportHelp}\n`);
  const file = f._[0];
  const out = f.out;
  if (resolve(out) === resolve(file)) throw new UsageError(`--out: ${out} is the model file being exported; give another file`);
  await checkWritable(out, "--out");
  const bytes = await readInput(file, "model file");
  // Only simulation settings are flags here, and they all apply: the network spikes.
  const given = givenSettings(f, ["simulation"]);
  withFlags(() => checkSettings(given, { activation: "softlif", spiking: true }));
  const rt = await startRuntime(f.threads);
  const decoded = decodeModelFile(bytes, file);
  const { model } = decoded;
  const { neuron, activations } = model.config;
  if (!neuron || activations.some((a) => a !== "softlif")) {
    throw new UsageError(`${file} has ${activations.join(", ") || "no"} hidden activations; only a soft-LIF network exports as spiking neurons (train with --model snn)`);
  }
  // The simulation the file was evaluated with, then the flags. Its readout times are not
  // exported: a shorter --time takes the default ones.
  const recorded = decoded.kind === "snn"
    ? Object.fromEntries(Object.entries(decoded.simulation).filter(([k]) => k !== "readoutTimes").map(([k, v]) => [`simulation.${k}`, v]))
    : {};
  const simulation = withFlags(() => simulationOf({ ...recorded, ...given }, neuron));
  // toNir's options as flags; what it refuses of the network itself (max pooling), as the file's.
  const names: Record<string, string> = { dropRefractory: "--drop-refractory", synapse: "--synapse", quantize: "--quantize", readout: "--readout" };
  const namer: Namer = (key) => names[key] ?? (findSetting(key) ? `--${findSetting(key)!.flag}` : file);
  const { graph, warnings } = withFlags(() => toNir(model, simulation, { dropRefractory: f.dropRefractory, ...(f.quantize ? { quantize: f.quantize as Quantization } : {}) }), namer);
  for (const warning of warnings) info(`warning: ${warning}`);
  const nir = await writeNir(graph);
  writeFileAtomic(out, nir);
  const nodes = Object.keys(graph.nodes);
  info(`saved ${out}`);
  emitResult(f.json, {
    command: "export", model: file, out, format: f.format, nodes, warnings, bytes: nir.length, simulation, ...provenance(rt.threads),
  }, `exported ${file} (${model.config.arch ?? model.config.layers.join("-")}) to ${out}: NIR graph of ${nodes.length} nodes (${nodes.join(" → ")}), ${nir.length} bytes`);
}
