// bioplausible eval: a saved model's accuracy, loss and confusion matrix on a data set; with
// --spiking, a soft-LIF model converted to spiking neurons, its accuracy against presentation time.
// A NIR file (HDF5) is read as the spiking model file its import would give (bioplausible import).

import { subset } from "../datasets/dataset.js";
import { evaluate } from "../evaluation/metrics.js";
import { checkEncoding, checkSettings, simulationOf } from "../job/spec.js";
import { decodeModelFile, type FileKind } from "../models/file.js";
import type { MLP } from "../models/mlp.js";
import { isHdf5, readNir } from "../nir/hdf5.js";
import { fromNir } from "../nir/import.js";
import { QUANTIZATIONS, type Quantization } from "../models/fixed-point.js";
import { OUTPUT_LOSSES } from "../ops/loss.js";
import { readInput } from "./files.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { dataFlags, loadSplit } from "./data.js";
import { emitResult, info, percent, provenance, jsonFlag } from "./report.js";
import { startRuntime, threadsFlag, threadsText } from "./threads.js";
import { givenSettings, settingFlags, withFlags } from "./settings.js";
import { describeSpiking, runSpiking } from "./spiking.js";

/** The flags of `bioplausible eval`. */
export const evalFlags = {
  ...dataFlags,
  split: { type: "string", choices: ["test", "train"], default: "test", help: "which split to evaluate on" },
  "batch-size": { type: "int", min: 1, default: 1000, help: "samples per forward pass" },
  "output-loss": { type: "string", choices: OUTPUT_LOSSES, default: "ce", help: "loss to report" },
  limit: { type: "int", min: 1, help: "evaluate the first N samples only" },
  quantize: { type: "string", choices: QUANTIZATIONS, help: "with --spiking: simulate in fixed point, int8 weights (one scale per layer, or per output neuron with int8-channel) and integer currents and membranes" },
  ...settingFlags(["simulation"], { spiking: "simulate the model as a spiking LIF network (its hidden activations must be softlif); a spiking model file's own simulation settings are the defaults" }),
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const evalHelp = helpText("eval", "Evaluate a saved model on a data set.", evalFlags, "<model.safetensors|net.nir>");

export async function evalCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, evalFlags, "eval", { positionals: 1, minPositionals: 1 });
  if (f.help) return void process.stdout.write(`${evalHelp}\n`);
  const file = f._[0];
  const bytes = await readInput(file, "model file");
  const given = givenSettings(f, ["simulation"]);
  withFlags(() => checkSettings(given, { activation: "softlif" }));
  const rt = await startRuntime(f.threads);
  const nir = isHdf5(bytes);
  let decoded: { model: MLP } & FileKind;
  let approximations: string[] = [];
  if (nir) {
    // A NIR graph is a spiking network: its simulation is the file's recorded one.
    const imported = fromNir(await readNir(bytes, file), file, rt);
    approximations = imported.approximations;
    for (const line of approximations) info(`approximation: ${line}`);
    decoded = { model: imported.model, kind: "snn", simulation: imported.simulation };
  } else {
    decoded = decodeModelFile(bytes, file);
  }
  const { model } = decoded;
  const { neuron, activations } = model.config;
  const spikingOn = (f as unknown as { spiking: boolean }).spiking;
  if (spikingOn && !neuron) {
    throw new UsageError(`--spiking: ${file} has ${activations.join(", ") || "no"} hidden activations; a spiking network converts from softlif ones (train with --model snn)`);
  }
  // The simulation a spiking model file was evaluated with, then the flags.
  // A new --time takes its own default readout times, not those recorded for the file's time.
  const ownTimes = given["simulation.time"] !== undefined;
  const recorded = decoded.kind === "snn"
    ? Object.fromEntries(Object.entries(decoded.simulation).filter(([k]) => !(ownTimes && k === "readoutTimes")).map(([k, v]) => [`simulation.${k}`, v]))
    : {};
  const simulation = spikingOn ? withFlags(() => simulationOf({ ...recorded, ...given }, neuron!)) : undefined;
  if (simulation) withFlags(() => checkEncoding(simulation, f.dataset));
  if (f.quantize && !simulation) throw new UsageError("--quantize: only with --spiking (it simulates the spiking network in fixed point)");
  const all = await loadSplit(f.dataset, f.dataDir, f.split as "train" | "test");
  if (f.limit !== undefined && f.limit > all.count) throw new UsageError(`--limit: ${f.dataset} has ${all.count} ${f.split} samples, got ${f.limit}`);
  const data = f.limit !== undefined ? subset(all, f.limit) : all;
  if (data.features !== model.inputs || data.classes !== model.outputs) {
    throw new UsageError(`--dataset: ${file} takes ${model.inputs} inputs and ${model.outputs} classes, but ${f.dataset} has ${data.features} features and ${data.classes} classes`);
  }
  info(`evaluating ${file} (${model.config.layers.join("-")}) on ${data.count} ${f.dataset} ${f.split} samples, ${threadsText(rt.threads)}`);
  const started = performance.now();
  const result = evaluate(model, data, { batchSize: f.batchSize, outputLoss: f.outputLoss });
  const seconds = (performance.now() - started) / 1000;
  const rate = `${f.split} accuracy ${percent(result.accuracy)} (${Math.round(result.accuracy * result.count)}/${result.count}), loss ${result.loss.toFixed(4)}`;
  const spiking = simulation ? runSpiking(model, data, simulation, f.quantize as Quantization | undefined) : undefined;
  emitResult(f.json, {
    command: "eval", model: file, kind: decoded.kind, ...(nir ? { format: "nir", approximations } : {}), dataset: f.dataset, split: f.split, accuracy: result.accuracy,
    loss: result.loss, count: result.count, confusion: result.confusion, seconds, params_sha256: await model.params.sha256(),
    ...(spiking ? { spiking } : {}), config: model.config, ...provenance(rt.threads),
  }, spiking
    ? `rate network ${rate}; ${describeSpiking(spiking)}`
    : rate);
}
