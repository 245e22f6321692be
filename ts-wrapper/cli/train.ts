// bioplausible train: train a model on a data set, evaluate it on the test split, save it.

import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { subset } from "../datasets/dataset.js";
import { epochRecords, jobBytes, runJob } from "../job/run.js";
import { checkEncoding, MODELS, recordJob, resolveJob, validationCount } from "../job/spec.js";
import { encodeModel } from "../models/file.js";
import { helpText, parseFlags, UsageError, type FlagSpec } from "./args.js";
import { dataFlags, loadSplit } from "./data.js";
import { checkpointFile, checkSameRun, checkSpace, checkWritable, writeFileAtomic } from "./files.js";
import { Progress } from "./progress.js";
import { emitResult, info, percent, provenance, jsonFlag } from "./report.js";
import { startRuntime, threadsFlag, threadsText } from "./threads.js";
import { flagNamer, givenSettings, settingFlags, withFlags } from "./settings.js";
import { describeSimulation, describeSpiking } from "./spiking.js";

/** `--model snn` is shorthand for a backprop soft-LIF network converted to spiking neurons. */
export const TRAIN_MODELS = [...MODELS, "snn"] as const;
const SETTING_GROUPS = ["model", "pc", "training", "neuron", "simulation"] as const;
/** How train words the spiking setting in its messages: --model snn turns it on too. */
const NAMES = flagNamer({ spiking: "--model snn (or --spiking)" });

/** The flags of `bioplausible train`: the job settings, then where the data and results go. */
export const trainFlags = {
  ...settingFlags([...SETTING_GROUPS]),
  model: { type: "string", choices: TRAIN_MODELS, default: "mlp", help: "model family; snn trains a soft-LIF rate network by backprop (shadow training), converts it to spiking LIF neurons and evaluates them (as --spiking)" },
  ...dataFlags,
  limit: { type: "int", min: 1, help: "train on the first N training samples only" },
  out: { type: "string", help: "save the trained model to this .safetensors file" },
  checkpoint: { type: "string", help: "write checkpoints to this file every --checkpoint-every batches and after each epoch (default: <out>.ckpt with --out); removed when the run has finished" },
  "checkpoint-every": { type: "int", min: 1, default: 200, help: "batches between checkpoints" },
  resume: { type: "boolean", help: "continue from the checkpoint of the same command line, to the same bits as an uninterrupted run (starts from the beginning when there is no checkpoint yet)" },
  ...threadsFlag,
  ...jsonFlag,
} satisfies Record<string, FlagSpec>;

export const trainHelp = helpText("train", "Train a model and report its test accuracy.", trainFlags);

export async function trainCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, trainFlags, "train");
  if (f.help) return void process.stdout.write(`${trainHelp}\n`);
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

  const given = givenSettings(f, [...SETTING_GROUPS]);
  if (f.model === "snn") Object.assign(given, { model: "mlp", spiking: true });
  // Every setting is checked before any data is read (Poisson input against the data set too); the
  // default widths, which come from the data, stand in as two.
  const arch = given.arch !== undefined;
  const resolveFor = (layers: number[], inputShape?: number[]) => withFlags(() => resolveJob(arch ? given : { ...given, layers }, { inputShape }), NAMES);
  const early = resolveFor((given.layers as number[] | undefined) ?? [1, 1]);
  withFlags(() => checkEncoding(early.spiking, f.dataset), NAMES);

  const [trainSet, testSet] = await Promise.all([loadSplit(f.dataset, f.dataDir, "train"), loadSplit(f.dataset, f.dataDir, "test")]);
  if (f.limit !== undefined && f.limit > trainSet.count) {
    throw new UsageError(`--limit: ${f.dataset} has ${trainSet.count} training samples, got ${f.limit}`);
  }
  const limited = f.limit !== undefined ? subset(trainSet, f.limit) : trainSet;
  const job = arch ? resolveFor([], limited.shape) : resolveFor((given.layers as number[] | undefined) ?? [limited.features, 256, 256, limited.classes]);
  const { layers } = job;
  if (arch && layers[layers.length - 1] !== limited.classes) {
    throw new UsageError(`--arch: the output layer has ${layers[layers.length - 1]} units but ${f.dataset} has ${limited.classes} classes`);
  }
  if (layers[0] !== limited.features) {
    throw new UsageError(`--layers: the first width is ${layers[0]} but ${f.dataset} samples have ${limited.features} features`);
  }
  if (layers[layers.length - 1] !== limited.classes) {
    throw new UsageError(`--layers: the last width is ${layers[layers.length - 1]} but ${f.dataset} has ${limited.classes} classes`);
  }
  const held = validationCount(job, limited.count);
  if (held >= limited.count) throw new UsageError(`--validation: must be fewer than the ${limited.count} training samples, got ${held}`);
  const rt = await startRuntime(f.threads);
  const config = { ...recordJob(job), dataset: f.dataset, dataDir: f.dataDir ?? null, limit: f.limit ?? null, validationSamples: held, trainSamples: limited.count - held };
  // Space for the model file and for a checkpoint while its successor is being written, with room for headers.
  const bytes = jobBytes(job);
  if (f.out) await checkSpace(f.out, bytes.params + 2 ** 16, "--out", "the model file");
  if (checkpointPath !== undefined) await checkSpace(checkpointPath, 2 * (bytes.checkpoint + 2 ** 16), checkpointFlag, "checkpointing");
  const resume = f.resume ? checkpointFile.read(checkpointPath!) : undefined;
  if (resume) {
    checkSameRun(resume.run, config, checkpointPath!);
    const { epoch, batch } = resume.checkpoint.state;
    info(epoch > job.epochs ? `resuming from ${checkpointPath}: training had finished` : `resuming from ${checkpointPath}: epoch ${epoch}, after batch ${batch}`);
  } else if (f.resume) {
    info(`no checkpoint at ${checkpointPath} yet: starting from the beginning`);
  }
  const { pc } = job;
  const what = pc ? `pcn/${pc.algo}${pc.algo === "zil" ? "" : ` T=${pc.T} gamma=${pc.gamma}`}` : job.spiking ? "snn (soft-LIF shadow network)" : "mlp";
  info(`training ${what} ${job.arch ?? layers.join("-")} (${job.activation}${job.batchNorm ? ", batch norm" : ""}${job.feedbackAlignment ? ", feedback alignment" : ""}${job.directFeedbackAlignment ? ", direct feedback alignment" : ""}, ${job.outputLoss} output) on ${limited.count - held} ${f.dataset} samples${held ? ` (${held} more held out for validation)` : ""}, ${job.epochs} epochs, ${job.optimizer} lr ${job.lr}, ${threadsText(rt.threads)}`);
  // One progress line per epoch, then one for the spiking simulation; onBatch reports cumulative counts.
  let progress: Progress | undefined;
  let counted = 0;
  const run = await runJob(job, { train: limited, test: testSet }, {
    ...(checkpointPath !== undefined ? { checkpoint: { every: f.checkpointEvery, save: (c) => checkpointFile.write(checkpointPath, c, config) } } : {}),
    resume: resume?.checkpoint,
    onBatch: (done, total, epoch) => {
      progress ??= new Progress({ label: `epoch ${epoch}/${job.epochs}`, total, unit: "samples" });
      progress.tick(done - counted);
      counted = done;
    },
    onEpoch: (e) => {
      progress?.done(`loss ${e.loss.toFixed(4)}  train ${percent(e.accuracy)}${e.validationAccuracy !== undefined ? `  validation ${percent(e.validationAccuracy)}` : ""}  test ${percent(e.testAccuracy!)}`);
      progress = undefined;
      counted = 0;
    },
    onSpikingStart: (count, rate) => {
      info(`rate network: test accuracy ${percent(rate!.accuracy)}`);
      info(describeSimulation(count, job.spiking!));
      progress = new Progress({ label: "spiking", total: count, unit: "samples" });
    },
    onSpikingBatch: (done) => {
      progress!.tick(done - counted);
      counted = done;
    },
  });
  progress?.done();
  const { validation, spiking, paramsSha256, network: trained, history, seconds } = run;
  const test = run.test!;
  if (spiking) info(`firing rates (Hz, input first): ${spiking.firing_rates_hz.map((r) => r.toFixed(1)).join(", ")}`);
  const summary = {
    command: "train",
    // For an snn, the spiking network's accuracy at the full presentation time. Each figure says
    // which split it is on: settings are chosen by validation_*, the test_* figures report them.
    test_accuracy: spiking ? spiking.accuracy : test.accuracy,
    ...(spiking ? { rate_test_accuracy: test.accuracy, spiking } : {}),
    test_loss: test.loss,
    ...(validation ? { validation_accuracy: validation.accuracy, validation_loss: validation.loss } : {}),
    epochs: job.epochs,
    seconds,
    seconds_per_epoch: seconds / job.epochs,
    params_sha256: paramsSha256,
    history: epochRecords(history),
    confusion: test.confusion,
    config,
    ...provenance(rt.threads),
    out: f.out ?? null,
  };
  if (f.out) {
    const kind = job.spiking ? { kind: "snn" as const, simulation: job.spiking } : { kind: "mlp" as const };
    writeFileAtomic(f.out, encodeModel(trained, {
      training: { config, test_accuracy: test.accuracy, ...(validation ? { validation_accuracy: validation.accuracy } : {}), params_sha256: paramsSha256, ...provenance(rt.threads) },
    }, kind));
    info(`saved ${f.out}`);
  }
  if (checkpointPath !== undefined) {
    rmSync(checkpointPath, { force: true });
    rmSync(`${checkpointPath}.tmp`, { force: true });
  }
  const rate = `test accuracy ${percent(test.accuracy)} (${Math.round(test.accuracy * test.count)}/${test.count})${validation ? `, validation ${percent(validation.accuracy)} (${validation.count})` : ""} after ${job.epochs} epochs in ${seconds.toFixed(1)} s`;
  emitResult(f.json, summary, spiking
    ? `rate network ${rate}; ${describeSpiking(spiking)}`
    : rate);
}
