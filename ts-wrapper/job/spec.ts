// The run spec: every setting of one training job — the model, how it trains, its neurons and the
// spiking simulation — declared once, with its type, default, range, help, CLI flag and JSON key,
// and the rules between settings. The CLI's flags and their help, experiment-config validation, the
// identity a resumed run must match and the config a result records are all derived from it.
//
// A setting's key is its name in the library and in JSON files ("batchSize", "neuron.tauRc": the
// neuron's tauRc); its flag is the CLI's ("batch-size", "tau-rc"). Errors are OptionErrors naming the
// key; a rule's reason names other settings through `name`, so the CLI can word them as flags.

import { poissonInputsUnfit } from "../datasets/cifar10.js";
import type { Dataset } from "../datasets/dataset.js";
import { OptionError } from "../errors.js";
import { parseArch, resolveArch } from "../models/arch.js";
import { PC_ALGORITHMS, PC_DEFAULTS, type PCAlgorithm } from "../models/pcn.js";
import { PRESET_NAMES, resolveNeuron, type NeuronOptions, type NeuronParams } from "../models/neuron.js";
import { ENCODINGS, READOUTS, resolveSimulation, SIMULATION_DEFAULTS, SYNAPSES, type Simulation, type SimulationOptions } from "../models/snn.js";
import { ACTIVATIONS, type ActivationName } from "../ops/activation.js";
import { OUTPUT_LOSSES, type OutputLoss } from "../ops/loss.js";
import { LR_SCHEDULES, type LRSchedule } from "../training/trainer.js";
import { OPTIMIZERS, type OptimizerName } from "../training/optimizers.js";

export const MODELS = ["mlp", "pcn"] as const;

/** The default validation split: a twelfth of the training set, at most this many (5000 of MNIST's 60 000). */
export const VALIDATION_MAX = 5000;

/** How many of `trainCount` training samples a job holds out for validation. */
export function validationCount(spec: Pick<JobSpec, "validation">, trainCount: number): number {
  return spec.validation ?? Math.min(VALIDATION_MAX, Math.floor(trainCount / 12));
}
export type ModelName = (typeof MODELS)[number];

/** A job's settings, resolved: what buildModel and runJob take. */
export interface JobSpec {
  model: ModelName;
  /** The width entering each weight layer, then the output width (an MLP's layer widths). */
  layers: number[];
  /** A convolutional network's spec (canonical) and the data's sample shape it starts from. */
  arch?: string;
  inputShape?: number[];
  activation: ActivationName;
  /** The soft-LIF neurons' parameters (soft-LIF activations only). */
  neuron?: NeuronParams;
  /** Noise-aware training's standard deviation on the soft-LIF activations (present when > 0; backprop only). */
  noise?: number;
  batchNorm: boolean;
  feedbackAlignment: boolean;
  /** Direct feedback alignment (Nøkland 2016): the output error straight to every hidden layer (backprop; PC relaxation with il or ipc). */
  directFeedbackAlignment: boolean;
  /** Predictive coding's schedule (pcn only). */
  pc?: { algo: PCAlgorithm; T: number; gamma: number; tolerance: number };
  epochs: number;
  batchSize: number;
  lr: number;
  lrSchedule: LRSchedule;
  momentum: number;
  optimizer: OptimizerName;
  weightDecay: number;
  outputLoss: OutputLoss;
  seed: number;
  /** Training samples held out for validation; undefined: validationCount's default. */
  validation?: number;
  /** Convert to spiking neurons and simulate the test set this way (soft-LIF only). */
  spiking?: Simulation;
}

/** Settings as given: keys as in SETTINGS, values not yet checked. */
export type GivenSettings = Record<string, unknown>;

/** Words another setting in a reason: the key in the library, `--flag` in the CLI. */
export type Namer = (key: string) => string;

export interface Setting {
  key: string;
  flag: string;
  /** Earlier flag names that still work. */
  aliases?: string[];
  /** "times" is a list of seconds (its flag takes milliseconds); "widths" a list of layer widths. */
  type: "int" | "number" | "string" | "boolean" | "widths" | "times";
  choices?: readonly string[];
  min?: number;
  minExclusive?: boolean;
  max?: number;
  /** The value when not given (settings whose default depends on others have none here: resolveJob derives it). */
  default?: string | number | boolean;
  /** The default in words for help, where it is not `default` itself. */
  defaultText?: string;
  help: string;
  /** When the setting may be given: a reason it may not, or undefined. */
  when?: (s: GivenSettings, name: Namer) => string | undefined;
  /** Which part of a job it belongs to (the CLI commands take different parts). */
  group: "model" | "pc" | "training" | "neuron" | "simulation";
}

const onlyPcn = (s: GivenSettings, name: Namer) => (s.model === "pcn" ? undefined : `only for ${name("model")} pcn`);
const onlySoftLif = (s: GivenSettings, name: Namer) =>
  (activationOf(s) === "softlif" ? undefined : `only with ${name("activation")} softlif`);
const onlySpiking = (s: GivenSettings, name: Namer) => (s.spiking === true ? undefined : `only with ${name("spiking")}`);
const notZil = (s: GivenSettings, name: Namer) =>
  onlyPcn(s, name) ?? (s.algo === "zil" ? `zil fixes ${name("T")} to the number of layers and ${name("gamma")} to 1` : undefined);

/** A recipe: what a job of its family trains with where it leaves these unset. */
export interface Recipe {
  readonly lr: number;
  readonly lrSchedule: LRSchedule;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly batchSize: number;
}

/** Adam's learning rate where none is given, whatever the family. */
export const ADAM_LR = 0.001;

/**
 * The SGD recipes. Backprop's (ReLU, also with feedback alignment or direct feedback alignment),
 * inference learning's (ReLU) and soft-LIF backprop's are the thesis sweep's choices, rounded, which
 * beat the earlier defaults on the validation split over five seeds (BENCHMARKS.md, issue 15). Every
 * family the sweep did not tune (iPC, other activations, inference learning with feedback alignment
 * or soft-LIF neurons) keeps its earlier default: `sgd`, or `ilUntuned` for inference learning.
 */
export const RECIPES: Readonly<Record<"sgd" | "ilUntuned" | "backprop" | "il" | "softlif" | "feedbackAlignment" | "directFeedbackAlignment", Recipe>> = Object.freeze({
  sgd: Object.freeze({ lr: 0.05, lrSchedule: "constant", momentum: 0.9, weightDecay: 0, batchSize: 128 }),
  ilUntuned: Object.freeze({ lr: 0.2, lrSchedule: "constant", momentum: 0.9, weightDecay: 0, batchSize: 128 }),
  backprop: Object.freeze({ lr: 0.14, lrSchedule: "constant", momentum: 0.8, weightDecay: 0, batchSize: 128 }),
  // Inference learning's relaxed errors are smaller than backprop's: it takes a larger step.
  il: Object.freeze({ lr: 0.27, lrSchedule: "constant", momentum: 0.9, weightDecay: 0, batchSize: 64 }),
  softlif: Object.freeze({ lr: 0.008, lrSchedule: "constant", momentum: 0.95, weightDecay: 1e-4, batchSize: 128 }),
  // Random feedback needs a smaller step than the transposed weights, and settles with a cosine schedule.
  feedbackAlignment: Object.freeze({ lr: 0.028, lrSchedule: "cosine", momentum: 0.9, weightDecay: 1e-4, batchSize: 128 }),
  directFeedbackAlignment: Object.freeze({ lr: 0.06, lrSchedule: "cosine", momentum: 0.8, weightDecay: 1e-4, batchSize: 128 }),
});

const ADAM: Recipe = Object.freeze({ ...RECIPES.sgd, lr: ADAM_LR, momentum: 0 });

/**
 * The recipe of a job. Z-IL takes what backprop would with the same activation, as it computes
 * backprop's weights; Adam keeps no momentum and takes the `sgd` recipe otherwise.
 */
export function recipeFor(job: { model: ModelName; optimizer: OptimizerName; algo?: PCAlgorithm; activation: ActivationName; feedbackAlignment?: boolean; directFeedbackAlignment?: boolean }): Recipe {
  if (job.optimizer === "adam") return ADAM;
  const algo = job.model === "pcn" ? (job.algo ?? PC_DEFAULTS.algo) : undefined;
  // The sweep tuned ReLU networks (inference learning without feedback alignment), and soft-LIF backprop.
  const relu = job.activation === "relu";
  if (algo === "il") return relu && !job.feedbackAlignment && !job.directFeedbackAlignment ? RECIPES.il : RECIPES.ilUntuned;
  if (algo === "ipc") return RECIPES.sgd;
  if (job.feedbackAlignment) return relu ? RECIPES.feedbackAlignment : RECIPES.sgd;
  if (job.directFeedbackAlignment) return relu ? RECIPES.directFeedbackAlignment : RECIPES.sgd;
  if (relu) return RECIPES.backprop;
  return job.activation === "softlif" ? RECIPES.softlif : RECIPES.sgd;
}

export const SETTINGS: readonly Setting[] = [
  { key: "model", flag: "model", type: "string", choices: MODELS, default: "mlp", group: "model", help: "model family: a backprop MLP or a predictive coding network" },
  { key: "layers", flag: "layers", type: "widths", defaultText: "<features>,256,256,<classes>", group: "model", help: "layer widths, input to output" },
  { key: "arch", flag: "arch", type: "string", group: "model", when: (s, name) => (s.layers !== undefined ? `not with ${name("layers")}: give one of them` : undefined),
    help: "layers as a spec, instead of --layers: comma-separated conv<C>k<K>[s<S>][p<P>], avgpool<K>, maxpool<K>, fc<N> (the last fc is the output), from the data's [C, H, W], e.g. conv32k5p2,avgpool2,conv64k5p2,avgpool2,fc256,fc10" },
  { key: "activation", flag: "activation", type: "string", choices: ACTIVATIONS, defaultText: "relu; softlif when spiking", group: "model", help: "hidden activation" },
  { key: "batchNorm", flag: "batch-norm", type: "boolean", default: false, group: "model", help: "batch norm between each hidden linear layer and its activation (mlp)",
    when: (s, name) => (s.model === "pcn" ? `only for ${name("model")} mlp (a PCN has no batch norm)` : undefined) },
  { key: "directFeedbackAlignment", flag: "direct-feedback-alignment", type: "boolean", default: false, group: "model",
    help: "send the output error straight to every hidden layer through a fixed random matrix (Nøkland 2016), instead of back through the layers above: in backprop, and in PC relaxation (il, ipc)",
    when: (s, name) => (s.directFeedbackAlignment !== true ? undefined
      : s.feedbackAlignment === true ? `not with ${name("feedbackAlignment")}: give one of them`
      : s.model !== "pcn" ? undefined
      : s.algo === "zil" ? `not with ${name("algo")} zil: Z-IL's schedule needs the errors to travel down one layer per step (use il or ipc)`
      : s.arch !== undefined ? `a convolutional PCN (${name("arch")}) relaxes through its layers, which have no direct feedback alignment yet: use ${name("layers")}, or ${name("feedbackAlignment")}` : undefined) },
  { key: "feedbackAlignment", flag: "feedback-alignment", type: "boolean", default: false, group: "model", help: "send errors backward through fixed random matrices instead of the transposed weights (Lillicrap et al.), in backprop and in PC relaxation" },
  { key: "algo", flag: "algo", type: "string", choices: PC_ALGORITHMS, default: PC_DEFAULTS.algo, group: "pc", when: onlyPcn,
    help: "pcn: inference learning (il), Z-IL (zil, equals backprop) or incremental PC (ipc)" },
  { key: "T", flag: "T", type: "int", min: 1, default: PC_DEFAULTS.T, defaultText: `${PC_DEFAULTS.T}; zil takes one per layer`, group: "pc", when: notZil, help: "pcn: inference steps per batch for il and ipc" },
  { key: "gamma", flag: "gamma", type: "number", min: 0, minExclusive: true, default: PC_DEFAULTS.gamma, defaultText: `${PC_DEFAULTS.gamma}; zil uses 1`, group: "pc", when: notZil, help: "pcn: value-node step size" },
  { key: "tolerance", flag: "tolerance", type: "number", min: 0, default: PC_DEFAULTS.tolerance, defaultText: `${PC_DEFAULTS.tolerance}: never`, group: "pc", when: onlyPcn, help: "pcn il: stop relaxing when the energy changes by at most this fraction in a step" },
  { key: "epochs", flag: "epochs", type: "int", min: 1, default: 20, group: "training", help: "passes over the training set" },
  { key: "batchSize", flag: "batch-size", type: "int", min: 1, defaultText: `${RECIPES.sgd.batchSize}; ${RECIPES.il.batchSize} for pcn il with sgd, relu and no feedback alignment`, group: "training", help: "samples per mini-batch" },
  { key: "lr", flag: "lr", type: "number", min: 0, minExclusive: true, defaultText: `adam ${ADAM_LR}; sgd: ReLU backprop ${RECIPES.backprop.lr}, pcn il ${RECIPES.il.lr} (relu without feedback alignment; else ${RECIPES.ilUntuned.lr}), soft-LIF backprop ${RECIPES.softlif.lr}, ReLU backprop with feedback alignment ${RECIPES.feedbackAlignment.lr} or direct ${RECIPES.directFeedbackAlignment.lr}, else ${RECIPES.sgd.lr}`, group: "training", help: "learning rate" },
  { key: "momentum", flag: "momentum", type: "number", min: 0, max: 0.999999, defaultText: `ReLU backprop ${RECIPES.backprop.momentum} (with feedback alignment ${RECIPES.feedbackAlignment.momentum}, direct ${RECIPES.directFeedbackAlignment.momentum}), soft-LIF backprop ${RECIPES.softlif.momentum}, else ${RECIPES.sgd.momentum}; adam keeps none`, group: "training", help: "SGD momentum (ignored by adam)" },
  { key: "optimizer", flag: "optimizer", type: "string", choices: OPTIMIZERS, default: "sgd", group: "training", help: "optimiser" },
  { key: "lrSchedule", flag: "lr-schedule", type: "string", choices: LR_SCHEDULES, defaultText: `cosine with sgd for ReLU backprop with (direct) feedback alignment, else constant`, group: "training", help: "constant, or cosine annealing to 0 over all steps" },
  { key: "weightDecay", flag: "weight-decay", type: "number", min: 0, defaultText: `${RECIPES.softlif.weightDecay} with sgd for soft-LIF backprop and ReLU backprop with (direct) feedback alignment, else ${RECIPES.sgd.weightDecay}`, group: "training", help: "L2 penalty added to the gradient" },
  { key: "outputLoss", flag: "output-loss", type: "string", choices: OUTPUT_LOSSES, default: "ce", group: "training", help: "softmax cross-entropy or squared error" },
  { key: "seed", flag: "seed", type: "int", min: 0, max: 4294967295, default: 0, group: "training", help: "seed for initialisation and shuffling" },
  { key: "validation", flag: "validation", type: "int", min: 0, defaultText: `${VALIDATION_MAX}, or a twelfth of a smaller training set; 0: none`, group: "training",
    help: "training samples held out (a draw from the seed) and evaluated after every epoch, to choose settings by without reading the test set" },
  { key: "neuron.preset", flag: "preset", type: "string", choices: PRESET_NAMES, defaultText: "thesis", group: "neuron", when: onlySoftLif, help: "soft-LIF neuron parameters: thesis, mnist or cifar (Hunsberger's)" },
  { key: "neuron.tauRc", flag: "tau-rc", type: "number", min: 0, minExclusive: true, defaultText: "thesis 0.02", group: "neuron", when: onlySoftLif, help: "membrane time constant τ_RC in s" },
  { key: "neuron.tRef", flag: "t-ref", type: "number", min: 0, defaultText: "thesis 0.004", group: "neuron", when: onlySoftLif, help: "refractory period in s (0: none, as NIR's neurons; at most one spike a step)" },
  { key: "neuron.amplitude", flag: "amplitude", type: "number", min: 0, minExclusive: true, defaultText: "thesis 0.05", group: "neuron", when: onlySoftLif, help: "spike area; the rate activation is amplitude·r(gain·z)" },
  { key: "neuron.gain", flag: "gain", type: "number", min: 0, minExclusive: true, defaultText: "1", group: "neuron", when: onlySoftLif, help: "input gain of the neurons" },
  { key: "noise", flag: "noise", type: "number", min: 0, default: 0, group: "neuron",
    when: (s, name) => onlySoftLif(s, name) ?? (s.model === "pcn" ? `noise-aware training is backprop's: not with ${name("model")} pcn` : undefined),
    help: "noise-aware training: the standard deviation of Gaussian noise added to every soft-LIF activation in training (Hunsberger & Eliasmith 2015)" },
  { key: "neuron.smoothing", flag: "smoothing", type: "number", min: 0, defaultText: "0.02; 0 is the LIF rate itself", group: "neuron", when: onlySoftLif, help: "soft-LIF smoothing γ_s" },
  { key: "spiking", flag: "spiking", type: "boolean", default: false, group: "simulation", help: "convert the trained soft-LIF network to spiking LIF neurons and evaluate them",
    when: (s, name) => (activationOf(s) === "softlif" ? undefined : `a spiking network converts from softlif neurons, but ${name("activation")} is ${activationOf(s)}`) },
  { key: "simulation.time", flag: "time", type: "number", min: 0, minExclusive: true, defaultText: `${SIMULATION_DEFAULTS.time}`, group: "simulation", when: onlySpiking, help: "spiking: presentation time per sample in s" },
  { key: "simulation.dt", flag: "dt", type: "number", min: 0, minExclusive: true, defaultText: `${SIMULATION_DEFAULTS.dt}`, group: "simulation", when: onlySpiking, help: "spiking: simulation step in s, below t_ref" },
  { key: "simulation.encoding", flag: "encoding", type: "string", choices: ENCODINGS, defaultText: SIMULATION_DEFAULTS.encoding, group: "simulation", when: onlySpiking,
    help: "spiking: input as Poisson spike trains (rate x/poisson-period), or as constant current" },
  { key: "simulation.poissonPeriod", flag: "poisson-period", type: "number", min: 0, minExclusive: true, defaultText: "the neuron's t_ref", group: "simulation", when: onlySpiking,
    help: "spiking: Poisson input fires at rate x/period with spikes of area period (mean input x)" },
  { key: "simulation.readout", flag: "readout", type: "string", choices: READOUTS, defaultText: SIMULATION_DEFAULTS.readout, group: "simulation", when: onlySpiking, help: "spiking: class = most output spikes (ties: first spike), first output spike (ties: most spikes) — a tie left is unresolved —, or from the output's summed current: integrate, count-current (most spikes, ties: most current)" },
  { key: "simulation.synapse", flag: "synapse", type: "string", choices: SYNAPSES, defaultText: SIMULATION_DEFAULTS.synapse, group: "simulation", when: onlySpiking, help: "spiking: synaptic filter between layers" },
  { key: "simulation.tauS", flag: "tau-s", type: "number", min: 0, minExclusive: true, defaultText: `${SIMULATION_DEFAULTS.tauS}`, group: "simulation", when: onlySpiking, help: "spiking: synaptic time constant in s" },
  { key: "simulation.readoutTimes", flag: "readout-ms", aliases: ["checkpoint-ms"], type: "times", defaultText: "5,10,20,50,100,200,500,1000 up to --time", group: "simulation", when: onlySpiking,
    help: "spiking: presentation times (ms) at which to read the class out and report accuracy (--checkpoint-ms is the old name)" },
  { key: "simulation.batchSize", flag: "spike-batch-size", type: "int", min: 1, defaultText: `${SIMULATION_DEFAULTS.batchSize}`, group: "simulation", when: onlySpiking, help: "spiking: samples simulated together" },
  { key: "simulation.seed", flag: "spike-seed", type: "int", min: 0, max: 4294967295, defaultText: "0", group: "simulation", when: onlySpiking, help: "spiking: seed of the Poisson input spikes" },
];

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

/** The setting of a key ("readoutTimes[2]" is readoutTimes'), or undefined. */
export function findSetting(key: string): Setting | undefined {
  return BY_KEY.get(key.replace(/\[\d+\]$/, ""));
}

/** The setting of a key (throws for a key no setting has). */
export function setting(key: string): Setting {
  const s = findSetting(key);
  if (!s) throw new Error(`no setting ${key}`);
  return s;
}

function activationOf(s: GivenSettings): unknown {
  return s.activation ?? (s.spiking === true ? "softlif" : "relu");
}

/** `value` for `setting`: its type and range, as the flag parser words them. */
export function checkValue(s: Setting, value: unknown): void {
  const fail = (what: string): never => {
    throw new OptionError(s.key, `${what}, got ${JSON.stringify(value)}`);
  };
  switch (s.type) {
    case "boolean":
      if (typeof value !== "boolean") fail("must be true or false");
      return;
    case "string":
      if (typeof value !== "string" || (s.choices && !s.choices.includes(value))) fail(s.choices ? `must be one of ${s.choices.join(", ")}` : "must be a string");
      return;
    case "widths":
      if (!Array.isArray(value) || value.length < 2 || !value.every((w) => Number.isInteger(w) && w >= 1)) fail("must be at least two positive integer widths");
      return;
    case "times":
      if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === "number" && Number.isFinite(t))) fail("must be a non-empty list of times");
      return;
    default: {
      const isInt = s.type === "int";
      if (typeof value !== "number" || !Number.isFinite(value) || (isInt && !Number.isInteger(value))) fail(isInt ? "must be an integer" : "must be a finite number");
      const v = value as number;
      const low = s.min !== undefined && (s.minExclusive ? v <= s.min : v < s.min);
      if (low || (s.max !== undefined && v > s.max)) {
        throw new OptionError(s.key, `must be ${isInt ? "an integer " : ""}${rangeText(s)}, got ${v}`);
      }
    }
  }
}

/** "greater than 0", "≥ 1 and ≤ 4294967295": the range of a numeric setting in words. */
export function rangeText(s: Pick<Setting, "min" | "max" | "minExclusive">): string {
  const parts: string[] = [];
  if (s.min !== undefined) parts.push(s.minExclusive ? `greater than ${s.min}` : `≥ ${s.min}`);
  if (s.max !== undefined) parts.push(`≤ ${s.max}`);
  return parts.join(" and ");
}

/** An OptionError whose reason names other settings, worded by whoever reports it. */
export class RuleError extends OptionError {
  constructor(option: string, readonly words: (name: Namer) => string) {
    super(option, words((key) => key));
  }
}

/**
 * Check the given settings and fill in every default: the one validator of a job's settings. Keys
 * not in SETTINGS are refused; a setting given where a rule forbids it is refused with the rule's
 * reason. Settings given as undefined count as not given.
 */
export function resolveJob(raw: GivenSettings, data: { inputShape?: readonly number[] } = {}): JobSpec {
  const given: GivenSettings = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  checkSettings(given);
  // A setting's value: given, else its default (or `derived`, for defaults that depend on others).
  const get = <T>(key: string, derived?: T): T => (given[key] ?? derived ?? BY_KEY.get(key)!.default) as T;
  const model = get<ModelName>("model");
  const spiking = get<boolean>("spiking");
  const activation = get<ActivationName>("activation", spiking ? "softlif" : "relu");
  const batchNorm = get<boolean>("batchNorm");
  const optimizer = get<OptimizerName>("optimizer");
  const algo = model === "pcn" ? get<PCAlgorithm>("algo") : undefined;
  const recipe = recipeFor({ model, optimizer, algo, activation, feedbackAlignment: get("feedbackAlignment"), directFeedbackAlignment: get("directFeedbackAlignment") });
  const batchSize = get<number>("batchSize", recipe.batchSize);
  if (batchNorm && batchSize < 2) throw new OptionError("batchSize", `batch norm needs at least 2 samples per batch, got ${batchSize}`);
  if (given.layers === undefined && given.arch === undefined) throw new OptionError("layers", "missing (or give arch)");
  let layers = { layers: given.layers as number[] } as { layers: number[]; arch?: string; inputShape?: number[] };
  if (given.arch !== undefined) {
    if (!data.inputShape) {
      // Without the data, the spec's form alone (the shapes are checked once it is loaded).
      parseArch(given.arch as string);
      layers = { layers: [] };
    } else {
      layers = resolveArch(given.arch as string, data.inputShape, { spiking });
    }
  }
  const neuron = activation === "softlif" ? resolveNeuron(group(given, "neuron") as NeuronOptions) : undefined;
  const noise = get<number>("noise");
  const spec: JobSpec = {
    model, ...layers, activation, ...(neuron ? { neuron } : {}), ...(noise > 0 ? { noise } : {}), batchNorm, feedbackAlignment: get("feedbackAlignment"),
    directFeedbackAlignment: get("directFeedbackAlignment"),
    ...(algo ? { pc: { algo, T: get("T"), gamma: get("gamma"), tolerance: get("tolerance") } } : {}),
    epochs: get("epochs"), batchSize, lr: get("lr", recipe.lr), lrSchedule: get("lrSchedule", recipe.lrSchedule),
    // Adam keeps no momentum buffer: a momentum given with it is ignored.
    momentum: optimizer === "adam" ? 0 : get("momentum", recipe.momentum), optimizer, weightDecay: get("weightDecay", recipe.weightDecay), outputLoss: get("outputLoss"), seed: get("seed"),
    ...(given.validation !== undefined ? { validation: given.validation as number } : {}),
  };
  if (spiking) spec.spiking = simulationOf(given, neuron!);
  return spec;
}

/**
 * The simulation the simulation.* settings ask for, checked against the network's neurons (a saved
 * model's, for `eval`); errors name the setting ("simulation.dt").
 */
export function simulationOf(given: GivenSettings, neuron: NeuronParams): Simulation {
  try {
    return resolveSimulation(group(given, "simulation") as SimulationOptions, neuron);
  } catch (error) {
    if (error instanceof OptionError) throw new OptionError(`simulation.${error.option}`, error.reason);
    throw error;
  }
}

/**
 * Refuses a Poisson-coded simulation of inputs outside [0, 1] (a pixel fires at a rate proportional
 * to its value): by the data set's name alone when it is known not to fit (CIFAR-10, normalised per
 * channel), so before any data is read, and, given the data, by its values. Current input takes
 * any inputs.
 */
export function checkEncoding(simulation: Pick<Simulation, "encoding"> | undefined, data: string | Dataset): void {
  if (simulation?.encoding !== "poisson") return;
  const current = (name: Namer) => `; use ${name("simulation.encoding")} current instead`;
  const unfit = poissonInputsUnfit(typeof data === "string" ? data : data.name);
  if (unfit) throw new RuleError("simulation.encoding", (name) => `${unfit}${current(name)}`);
  if (typeof data === "string") return;
  const i = data.images.findIndex((x) => !(x >= 0 && x <= 1));
  if (i >= 0) {
    const where = `${data.name} sample ${Math.floor(i / data.features)}, input ${i % data.features} is ${data.images[i]}`;
    throw new RuleError("simulation.encoding", (name) => `Poisson input spikes need inputs in [0, 1], but ${where}${current(name)}`);
  }
}

/**
 * Check settings: every value's type and range first, then the rules between them, with `context`
 * standing in for settings decided elsewhere (a saved model's activation, for `eval`).
 */
export function checkSettings(given: GivenSettings, context: GivenSettings = {}): void {
  const entries = Object.entries(given).filter(([, v]) => v !== undefined);
  for (const [key, value] of entries) {
    const s = BY_KEY.get(key);
    if (!s) throw new OptionError(key, `unknown setting (expected ${SETTINGS.map((x) => x.key).join(", ")})`);
    checkValue(s, value);
  }
  const all = { ...context, ...given };
  for (const [key, value] of entries) {
    const s = BY_KEY.get(key)!;
    // A switch left off is as good as not given.
    if (s.type === "boolean" && value === false) continue;
    if (s.when?.(all, (k) => k) !== undefined) throw new RuleError(key, (name) => s.when!(all, name)!);
  }
}

/** The settings of one group ("neuron", "simulation") without their prefix. */
function group(given: GivenSettings, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(given).filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

/**
 * The job as results and checkpoints record it: every setting resolved, flat, in JSON. A resumed
 * run must record the same; replaying it resolves to the same job.
 */
export function recordJob(spec: JobSpec): Record<string, unknown> {
  const { pc, spiking, neuron, feedbackAlignment, directFeedbackAlignment, ...rest } = spec;
  return {
    ...rest, ...(neuron ? { neuron } : {}), ...(feedbackAlignment ? { feedbackAlignment } : {}), ...(directFeedbackAlignment ? { directFeedbackAlignment } : {}), ...(pc ?? {}),
    ...(spiking ? { spiking: true, simulation: spiking } : {}),
  };
}
