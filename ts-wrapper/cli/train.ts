// bioplausible train: train a model on a data set, evaluate it on the test split, save it.

import { subset } from "../datasets/dataset.js";
import { defaultLearningRate, epochRecords, rowBytes, runRow, type RowOptions } from "../experiment/row.js";
import { ACTIVATIONS } from "../models/activations.js";
import { encodeModel } from "../models/file.js";
import { resolveNeuron } from "../models/neuron.js";
import { PC_ALGORITHMS } from "../models/pcn.js";
import { resolveSimulation } from "../models/snn.js";
import { init } from "../runtime.js";
import { OUTPUT_LOSSES } from "../training/losses.js";
import { OPTIMIZERS } from "../training/optimizers.js";
import { LR_SCHEDULES } from "../training/trainer.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { dataFlags, loadSplit } from "./data.js";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { checkpointFile, checkSameRun, checkSpace, checkWritable, writeFileAtomic } from "./files.js";
import { Progress } from "./progress.js";
import { emitResult, info, percent, provenance } from "./report.js";
import { describeSpiking, neuronFlags, neuronOptions, simulationFlags, simulationOptions } from "./spiking.js";

export const MODELS = ["mlp", "pcn", "snn"] as const;

/** The flags of `bioplausible train`. */
export const trainFlags = {
  model: { type: "string", choices: MODELS, default: "mlp", help: "model family; snn trains a soft-LIF rate network by backprop (shadow training), converts it to spiking LIF neurons and evaluates them" },
  layers: { type: "list", help: "layer widths, input to output (default: <features>,256,256,<classes>)" },
  activation: { type: "string", choices: ACTIVATIONS, help: "hidden activation (default relu; softlif for snn)" },
  ...neuronFlags,
  "batch-norm": { type: "boolean", help: "batch norm between each hidden linear layer and its activation (mlp)" },
  "feedback-alignment": { type: "boolean", help: "send errors backward through fixed random matrices instead of the transposed weights (Lillicrap et al.), in backprop and in PC relaxation" },
  algo: { type: "string", choices: PC_ALGORITHMS, help: "pcn: inference learning (il), Z-IL (zil, equals backprop) or incremental PC (ipc); default il" },
  T: { type: "int", min: 1, help: "pcn: inference steps per batch for il and ipc (default 20; zil takes one per layer)" },
  gamma: { type: "number", min: 0, minExclusive: true, help: "pcn: value-node step size (default 0.1; zil uses 1)" },
  tolerance: { type: "number", min: 0, help: "pcn il: stop relaxing when the energy changes by at most this fraction in a step (default 0: never)" },
  epochs: { type: "int", min: 1, default: 20, help: "passes over the training set" },
  "batch-size": { type: "int", min: 1, default: 128, help: "samples per mini-batch" },
  lr: { type: "number", min: 0, minExclusive: true, help: "learning rate (default: 0.001 with adam; with sgd 0.05, or 0.2 for pcn il, whose relaxed errors are smaller than backprop's)" },
  momentum: { type: "number", min: 0, max: 0.999999, default: 0.9, help: "SGD momentum (ignored by adam)" },
  optimizer: { type: "string", choices: OPTIMIZERS, default: "sgd", help: "optimiser" },
  "lr-schedule": { type: "string", choices: LR_SCHEDULES, default: "constant", help: "constant, or cosine annealing to 0 over all steps" },
  "weight-decay": { type: "number", min: 0, default: 0, help: "L2 penalty added to the gradient" },
  "output-loss": { type: "string", choices: OUTPUT_LOSSES, default: "ce", help: "softmax cross-entropy or squared error" },
  seed: { type: "int", min: 0, max: 4294967295, default: 0, help: "seed for initialisation and shuffling" },
  ...simulationFlags,
  ...dataFlags,
  limit: { type: "int", min: 1, help: "train on the first N training samples only" },
  out: { type: "string", help: "save the trained model to this .safetensors file" },
  checkpoint: { type: "string", help: "write checkpoints to this file every --checkpoint-every batches and after each epoch (default: <out>.ckpt with --out); removed when the run has finished" },
  "checkpoint-every": { type: "int", min: 1, default: 200, help: "batches between checkpoints" },
  resume: { type: "boolean", help: "continue from the checkpoint of the same command line, to the same bits as an uninterrupted run (starts from the beginning when there is no checkpoint yet)" },
  json: { type: "boolean", help: "print the result as one JSON object on the last line of stdout" },
} satisfies Record<string, FlagSpec>;

export const trainHelp = helpText("train", "Train a model and report its test accuracy.", trainFlags);

export async function trainCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, trainFlags, "train");
  if (f.help) return void process.stdout.write(`${trainHelp}\n`);
  const momentum = f.optimizer === "adam" ? 0 : f.momentum;
  if (f.out) await checkWritable(f.out, "--out");
  const checkpointPath = f.checkpoint ?? (f.out !== undefined ? `${f.out}.ckpt` : undefined);
  if (f.resume && checkpointPath === undefined) throw new UsageError("--resume: needs --checkpoint FILE, or --out FILE (whose checkpoint is FILE.ckpt)");
  const checkpointFlag = f.checkpoint !== undefined ? "--checkpoint" : "--out (its checkpoint, FILE.ckpt)";
  if (checkpointPath !== undefined) {
    if (f.out !== undefined && [f.out, `${f.out}.tmp`].map((p) => resolve(p)).includes(resolve(checkpointPath))) {
      throw new UsageError(`--checkpoint: ${checkpointPath} is where --out saves the model; give the checkpoint its own file`);
    }
    await checkWritable(checkpointPath, checkpointFlag);
  }

  const [trainSet, testSet] = await Promise.all([loadSplit(f.dataset, f.dataDir, "train"), loadSplit(f.dataset, f.dataDir, "test")]);
  if (f.limit !== undefined && f.limit > trainSet.count) {
    throw new UsageError(`--limit: ${f.dataset} has ${trainSet.count} training samples, got ${f.limit}`);
  }
  const data = f.limit !== undefined ? subset(trainSet, f.limit) : trainSet;
  const layers = f.layers ?? [data.features, 256, 256, data.classes];
  if (layers.length < 2) throw new UsageError(`--layers: need at least an input and an output width, got ${layers.join(",")}`);
  if (layers[0] !== data.features) {
    throw new UsageError(`--layers: the first width is ${layers[0]} but ${f.dataset} samples have ${data.features} features`);
  }
  if (layers[layers.length - 1] !== data.classes) {
    throw new UsageError(`--layers: the last width is ${layers[layers.length - 1]} but ${f.dataset} has ${data.classes} classes`);
  }
  if (f.batchNorm && f.batchSize < 2) throw new UsageError("--batch-size: batch norm needs at least 2 samples per batch");
  if (f.model === "pcn" && f.batchNorm) throw new UsageError("--batch-norm: only for --model mlp (a PCN has no batch norm)");
  if (f.model !== "pcn") {
    for (const [flag, value] of [["--algo", f.algo], ["--T", f.T], ["--gamma", f.gamma], ["--tolerance", f.tolerance]] as const) {
      if (value !== undefined) throw new UsageError(`${flag}: only for --model pcn`);
    }
  }
  const activation = f.activation ?? (f.model === "snn" ? "softlif" : "relu");
  if (f.model === "snn" && activation !== "softlif") throw new UsageError(`--activation: an snn converts from soft-LIF rate neurons, got ${activation}`);
  const neuron = neuronOptions(f, activation === "softlif", "only with --activation softlif or --model snn");
  const simulation = simulationOptions(f, f.model === "snn", "only with --model snn", resolveNeuron(neuron).tRef);
  const lr = f.lr ?? defaultLearningRate(f.model === "pcn" ? "pcn" : "mlp", f.optimizer, f.algo);
  const pc = f.model === "pcn" ? { algo: f.algo ?? "il", T: f.T ?? 20, gamma: f.gamma ?? 0.1, tolerance: f.tolerance ?? 0 } : undefined;
  if (pc?.algo === "zil" && (f.T !== undefined || f.gamma !== undefined)) {
    throw new UsageError(`${f.T !== undefined ? "--T" : "--gamma"}: zil fixes T to the number of layers and gamma to 1`);
  }
  const neuronParams = activation === "softlif" ? resolveNeuron(neuron) : undefined;
  const row: RowOptions = {
    model: pc ? "pcn" : "mlp", layers, activation, neuron: neuronParams, batchNorm: f.batchNorm, feedbackAlignment: f.feedbackAlignment, pc,
    epochs: f.epochs, batchSize: f.batchSize, lr, lrSchedule: f.lrSchedule, momentum, optimizer: f.optimizer, weightDecay: f.weightDecay,
    outputLoss: f.outputLoss, seed: f.seed, spiking: f.model === "snn" ? resolveSimulation(simulation, neuronParams!) : undefined,
  };

  const config = {
    model: f.model, layers, activation, ...(neuronParams ? { neuron: neuronParams } : {}), batchNorm: f.batchNorm,
    ...(f.feedbackAlignment ? { feedbackAlignment: true } : {}), epochs: f.epochs, batchSize: f.batchSize,
    lr, lrSchedule: f.lrSchedule, momentum, optimizer: f.optimizer, weightDecay: f.weightDecay, outputLoss: f.outputLoss, seed: f.seed,
    ...(pc ?? {}),
    ...(f.model === "snn" ? { simulation } : {}),
    dataset: f.dataset, dataDir: f.dataDir ?? null, limit: f.limit ?? null, trainSamples: data.count,
  };
  // Space for the model file and for a checkpoint while its successor is being written, with room for headers.
  const bytes = rowBytes(row);
  if (f.out) await checkSpace(f.out, bytes.params + 2 ** 16, "--out", "the model file");
  if (checkpointPath !== undefined) await checkSpace(checkpointPath, 2 * (bytes.checkpoint + 2 ** 16), checkpointFlag, "checkpointing");
  const resume = f.resume ? checkpointFile.read(checkpointPath!) : undefined;
  if (resume) {
    checkSameRun(resume.run, config, checkpointPath!);
    const { epoch, batch } = resume.checkpoint.state;
    info(epoch > f.epochs ? `resuming from ${checkpointPath}: training had finished` : `resuming from ${checkpointPath}: epoch ${epoch}, after batch ${batch}`);
  } else if (f.resume) {
    info(`no checkpoint at ${checkpointPath} yet: starting from the beginning`);
  }
  await init();
  const what = pc ? `pcn/${pc.algo}${pc.algo === "zil" ? "" : ` T=${pc.T} gamma=${pc.gamma}`}` : f.model === "snn" ? "snn (soft-LIF shadow network)" : "mlp";
  info(`training ${what} ${layers.join("-")} (${activation}${f.batchNorm ? ", batch norm" : ""}${f.feedbackAlignment ? ", feedback alignment" : ""}, ${f.outputLoss} output) on ${data.count} ${f.dataset} samples, ${f.epochs} epochs, ${f.optimizer} lr ${lr}`);
  // One progress line per epoch, then one for the spiking simulation; onBatch reports cumulative counts.
  let progress: Progress | undefined;
  let counted = 0;
  const run = await runRow(row, { train: data, test: testSet }, {
    ...(checkpointPath !== undefined ? { checkpoint: { every: f.checkpointEvery, save: (c) => checkpointFile.write(checkpointPath, c, config) } } : {}),
    resume: resume?.checkpoint,
    onBatch: (done, total, epoch) => {
      progress ??= new Progress({ label: `epoch ${epoch}/${f.epochs}`, total, unit: "samples" });
      progress.tick(done - counted);
      counted = done;
    },
    onEpoch: (e) => {
      progress?.done(`loss ${e.loss.toFixed(4)}  train ${percent(e.accuracy)}  test ${percent(e.testAccuracy!)}`);
      progress = undefined;
      counted = 0;
    },
    onSpikingStart: (count, rate) => {
      const sim = row.spiking!;
      info(`rate network: test accuracy ${percent(rate.accuracy)}`);
      info(`spiking ${count} samples: ${sim.time} s each at dt ${sim.dt} s, ${sim.encoding} input, ${sim.synapse}${sim.synapse === "none" ? "" : ` τ_s ${sim.tauS} s`} synapses, ${sim.readout} readout`);
      progress = new Progress({ label: "spiking", total: count, unit: "samples" });
    },
    onSpikingBatch: (done) => {
      progress!.tick(done - counted);
      counted = done;
    },
  });
  progress?.done();
  const { test, spiking, paramsSha256, network: trained, history, seconds } = run;
  if (spiking) info(`firing rates (Hz, input first): ${spiking.firing_rates_hz.map((r) => r.toFixed(1)).join(", ")}`);
  const summary = {
    command: "train",
    // For an snn, the spiking network's accuracy at the full presentation time.
    test_accuracy: spiking ? spiking.accuracy : test.accuracy,
    ...(spiking ? { rate_test_accuracy: test.accuracy, spiking } : {}),
    test_loss: test.loss,
    epochs: f.epochs,
    seconds,
    seconds_per_epoch: seconds / f.epochs,
    params_sha256: paramsSha256,
    history: epochRecords(history),
    confusion: test.confusion,
    config,
    ...provenance(),
    out: f.out ?? null,
  };
  if (f.out) {
    writeFileAtomic(f.out, encodeModel(trained, { training: { config, test_accuracy: test.accuracy, params_sha256: paramsSha256, ...provenance() } }));
    info(`saved ${f.out}`);
  }
  if (checkpointPath !== undefined) {
    rmSync(checkpointPath, { force: true });
    rmSync(`${checkpointPath}.tmp`, { force: true });
  }
  const rate = `test accuracy ${percent(test.accuracy)} (${Math.round(test.accuracy * test.count)}/${test.count}) after ${f.epochs} epochs in ${seconds.toFixed(1)} s`;
  emitResult(f.json, summary, spiking
    ? `rate network ${rate}; ${describeSpiking(spiking)}`
    : rate);
}
