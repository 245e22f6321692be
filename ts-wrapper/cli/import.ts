// bioplausible import: a NIR graph (an HDF5 file) as a spiking model file — the soft-LIF rate
// network whose conversion it is and the simulation that runs it, which `eval --spiking` then
// takes as its defaults. docs/nir.md has the mapping; what is only approximate is reported.

import { resolve } from "node:path";
import { encodeModel } from "../models/file.js";
import { readNir } from "../nir/hdf5.js";
import { fromNir } from "../nir/import.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { checkWritable, readInput, writeFileAtomic } from "./files.js";
import { emitResult, info, jsonFlag, provenance } from "./report.js";
import { startRuntime, threadsFlag } from "./threads.js";

/** The flags of `bioplausible import`. */
export const importFlags = {
  out: { type: "string", required: true, help: "write the imported network to this spiking model file (.safetensors)" },
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const importHelp = helpText("import", "Import a NIR graph as a spiking model file (its simulation settings recorded, as train --model snn records them).", importFlags, "<net.nir>");

export async function importCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, importFlags, "import", { positionals: 1, minPositionals: 1 });
  if (f.help) return void process.stdout.write(`${importHelp}\n`);
  const file = f._[0];
  if (resolve(f.out) === resolve(file)) throw new UsageError(`--out: ${f.out} is the NIR file being imported; give another file`);
  await checkWritable(f.out, "--out");
  const bytes = await readInput(file, "NIR file");
  const rt = await startRuntime(f.threads);
  const { model, simulation, approximations } = fromNir(await readNir(bytes, file), file, rt);
  for (const line of approximations) info(`approximation: ${line}`);
  writeFileAtomic(f.out, encodeModel(model, { imported_from: file, approximations }, { kind: "snn", simulation }));
  info(`saved ${f.out}`);
  const { layers, arch } = model.config;
  emitResult(f.json, {
    command: "import", nir: file, out: f.out, layers, arch: arch ?? null, simulation, approximations, params_sha256: await model.params.sha256(),
    ...provenance(rt.threads),
  }, `imported ${file} as ${arch ?? layers.join("-")} (softlif, ${simulation.synapse === "none" ? "no" : simulation.synapse} synapses, ${simulation.encoding} input, ${simulation.readout} readout) to ${f.out}${approximations.length ? `; ${approximations.length} approximation${approximations.length === 1 ? "" : "s"}` : ""}`);
}
