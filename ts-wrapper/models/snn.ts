// The spiking network (SCIENCE.md §2): LIF neurons with the weights of a rate network whose hidden
// activation is the scaled soft-LIF rate ("shadow training"), simulated step by step.
//
// Each step of dt, for every layer in order: the spikes that arrived (the encoded input, or the
// layer below's spikes of this step) are propagated event by event through the weights, filtered by
// the synapse, turned into the current j = gain·(y + b), and the LIF neurons advance one exact step.
// A spike is an impulse of area `amplitude`, so a neuron firing at rate r passes on amplitude·r on
// average — the rate network's activation. Input pixels in [0, 1] either fire as Poisson trains
// at rate x/t_ref with spikes of area t_ref (mean x), or feed the first layer as constant current
// W·x. The output layer is LIF too, and the readout (READOUTS) names the class from what a spiking
// device has: the most spikes, ties to the earliest first spike (`count`), or the first spike, ties
// to the most spikes (`first-spike`); a tie left after that is unresolved (class −1, never right)
// and counted. Two readouts use the output's summed input current, an analogue signal: `integrate`
// (argmax of the current integrated over the presentation, the usual readout of converted
// networks) and `count-current` (most spikes, ties to the most current).

import { OptionError } from "../errors.js";
import { fill } from "../ops/elementwise.js";
import { matmul } from "../ops/linear.js";
import { gemmWorkBytes } from "../ops/linear.js";
import { RowRngs, STREAMS } from "../ops/rng.js";
import { neuronCurrent, propagateSpikesConv, SimulationTable, spikingConvWorkBytes, type SpikingConvShape } from "../ops/spiking.js";
import { Conv2d, Linear, Pool2d } from "../layers/index.js";
import { runtime as defaultRuntime } from "../runtime.js";
import { Bytes, Matrix } from "../tensor.js";
import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import { fusedLinearLayers } from "./fuse.js";
import type { MLP } from "./mlp.js";
import type { NeuronParams } from "./neuron.js";

export const ENCODINGS = ["poisson", "current"] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const READOUTS = ["count", "first-spike", "integrate", "count-current"] as const;
export type Readout = (typeof READOUTS)[number];
export const SYNAPSES = ["lowpass", "alpha", "none"] as const;
export type Synapse = (typeof SYNAPSES)[number];

/** Presentation times (s) at which the class is read out by default, up to the presentation time. */
export const READOUT_TIMES = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

export interface SimulationOptions {
  /** Presentation time per sample in seconds (default 1, as the thesis). */
  time?: number;
  /** Simulation step in seconds (default 0.001); must be below t_ref. */
  dt?: number;
  encoding?: Encoding;
  readout?: Readout;
  /** Synaptic filter between layers (default lowpass). */
  synapse?: Synapse;
  /** Synaptic time constant τ_s in seconds. */
  tauS?: number;
  /** Seed of the Poisson spike trains; sample i draws from its own stream, whatever the batching. */
  seed?: number;
  /**
   * Poisson input: a pixel of value x in [0, 1] fires at rate x/poissonPeriod with spikes of area
   * poissonPeriod, so its mean input is x (default: the neuron's refractory period t_ref, the
   * thesis's choice).
   */
  poissonPeriod?: number;
  /** Times (s) at which to read the class out; default READOUT_TIMES up to `time`, and `time`. */
  readoutTimes?: number[];
  /** Samples simulated together. */
  batchSize?: number;
}

export type Simulation = Required<SimulationOptions>;

export const SIMULATION_DEFAULTS = {
  time: 1, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0, batchSize: 100,
} as const satisfies Omit<Simulation, "readoutTimes" | "poissonPeriod">;

export interface SpikingRun {
  readoutTimes: number[];
  /** predictions[k][i]: the class of sample i read out at readoutTimes[k], −1 where the readout left a tie. */
  predictions: Int32Array[];
  /** unresolved[k]: how many samples the readout left tied at readoutTimes[k]. */
  unresolved: number[];
  /** Output spike counts at the end, samples × outputs. */
  counts: Float32Array;
  /** Mean firing rate (Hz) of each layer: the input (Poisson only, else 0), hidden layers, output. */
  firingRates: number[];
  /** Spikes propagated through weights, summed over samples and steps. */
  events: number;
  /**
   * synapticOperations[k][l]: the synaptic operations delivered into weight layer l up to
   * readoutTimes[k], summed over samples — each spike times the neurons it reaches, as the
   * event-driven kernels deliver them (layer 0 has none with current input: its W·x is computed once).
   */
  synapticOperations: number[][];
  steps: number;
}

/** One band of a spike raster: a whole layer (0 the input), or one channel of a convolutional layer. */
export interface RasterBand {
  name: string;
  layer: number;
  neurons: number;
  /** The band's row of the layer's neuron i, or −1 when i belongs to another band. */
  row(i: number): number;
}

/** One sample's spikes by band: `spikes` holds [step, row] pairs, steps from 1. */
export interface SpikeRaster {
  steps: number;
  prediction: number;
  counts: Float32Array;
  bands: { name: string; layer: number; neurons: number; spikes: number[] }[];
}

/**
 * Sees one simulation step: its number (1 …), the batch (first sample, size B), the input spikes
 * (B × inputs; undefined for current input) and each layer's (B × width); nonzero where a neuron
 * fired.
 */
export type StepObserver = (step: number, first: number, B: number, input: Float32Array | undefined, layers: Float32Array[]) => void;

/**
 * One spiking layer's weights, in the simulator's layout: dense, [outputs, inputs] (torch.nn.Linear's,
 * inputs in the order the spikes below come in), or a convolution, [O, C·K²] as Conv2d with `conv`
 * its geometry and one bias per output channel.
 */
export interface SynapseWeights {
  weight: Float32Array;
  bias: Float32Array;
  conv?: SpikingConvShape;
}

interface LayerState {
  weightT: Matrix; // inputs × outputs, or a convolution's C·K² × O
  bias: Matrix; // 1 × outputs
  conv?: SpikingConvShape;
  u: Matrix; // weighted input this step, B × outputs
  y: Matrix; // filtered
  z: Matrix; // alpha filter's intermediate
  current: Matrix;
  voltage: Matrix;
  refractory: Matrix;
  spikes: Matrix;
}

interface Workspace {
  layers: LayerState[];
  x: Matrix;
  inputSpikes: Matrix;
  generators: RowRngs;
  events: Bytes;
  counts: Matrix;
  first: Matrix;
  drive: Matrix;
  work: Bytes;
  /** The simulation loop over all of these, fused (ops/spiking.ts). */
  table: SimulationTable;
}

export class SNN {
  readonly layers: number[];
  readonly neuron: NeuronParams;
  readonly runtime: Runtime;
  private readonly weights: { weightT: Matrix; bias: Matrix; conv?: SpikingConvShape }[];

  /** The spiking twin of a rate network whose hidden activations are all soft-LIF. */
  static fromMLP(mlp: MLP): SNN {
    const { activations, neuron, layers } = mlp.config;
    activations.forEach((a, i) => {
      if (a !== "softlif") {
        throw new OptionError("activation", `hidden layer ${i + 1} has activation "${a}"; a spiking network converts from a rate network whose hidden activations are all "softlif"`);
      }
    });
    if (!neuron) throw new OptionError("neuron", "the rate network has no neuron parameters");
    if (!mlp.config.arch) return new SNN(layers, neuron, fusedLinearLayers(mlp), mlp.runtime);
    const { widths, weights } = spikingLayers(mlp);
    return new SNN(widths, neuron, weights, mlp.runtime);
  }

  /** `layers` are the neuron counts, input first; `linear` each layer's weights (SynapseWeights). */
  constructor(layers: number[], neuron: NeuronParams, linear: SynapseWeights[], runtime: Runtime = defaultRuntime()) {
    if (linear.length !== layers.length - 1) throw new RangeError(`SNN: ${layers.length} widths need ${layers.length - 1} weight layers, got ${linear.length}`);
    this.layers = [...layers];
    this.neuron = { ...neuron };
    this.runtime = runtime;
    this.weights = linear.map(({ weight, bias, conv }, l) => {
      const nIn = layers[l];
      const nOut = layers[l + 1];
      if (conv) return convWeights(runtime, conv, weight, bias, nIn, nOut, l);
      if (weight.length !== nIn * nOut || bias.length !== nOut) {
        throw new RangeError(`SNN layer ${l}: expected a ${nOut}×${nIn} weight and ${nOut} biases, got ${weight.length} and ${bias.length} values`);
      }
      const weightT = new Matrix(runtime, nIn, nOut);
      const wT = weightT.view();
      for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) wT[i * nOut + o] = weight[o * nIn + i];
      return { weightT, bias: Matrix.from(runtime, 1, nOut, bias) };
    });
  }

  get inputs(): number {
    return this.layers[0];
  }
  get outputs(): number {
    return this.layers[this.layers.length - 1];
  }

  /**
   * The bands of a spike raster: the input and each fully connected layer whole, and the first
   * `channels` channels of each convolutional layer (whose tens of thousands of neurons would not
   * fit a picture).
   */
  rasterBands(channels = 4): RasterBand[] {
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`SNN rasterBands: channels must be an integer ≥ 1, got ${channels}`);
    const whole = (name: string, layer: number): RasterBand => ({ name, layer, neurons: this.layers[layer], row: (i) => i });
    const bands = [whole("input", 0)];
    this.weights.forEach(({ conv }, l) => {
      const layer = l + 1;
      if (layer === this.layers.length - 1) bands.push(whole("output", layer));
      else if (!conv) bands.push(whole(`hidden ${layer}`, layer));
      else {
        // A conv layer's neurons are NHWC: neuron i is channel i mod C at position ⌊i / C⌋.
        const C = conv.outChannels;
        for (let c = 0; c < Math.min(channels, C); c++) {
          bands.push({ name: `conv ${layer} · ch ${c}`, layer, neurons: this.layers[layer] / C, row: (i) => (i % C === c ? (i - c) / C : -1) });
        }
      }
    });
    return bands;
  }

  /** Every spike of one sample, by band (rasterBands): [step, row] pairs, and what the network read out. */
  raster(x: Float32Array, options: SimulationOptions = {}, channels = 4): SpikeRaster {
    const bands = this.rasterBands(channels);
    const spikes = bands.map(() => [] as number[]);
    const byLayer = this.layers.map((_, l) => bands.flatMap((band, b) => (band.layer === l ? [{ band, into: spikes[b] }] : [])));
    const collect = (l: number, values: Float32Array, step: number) => {
      for (let i = 0; i < values.length; i++) {
        if (values[i] === 0) continue;
        for (const { band, into } of byLayer[l]) {
          const row = band.row(i);
          if (row >= 0) into.push(step, row);
        }
      }
    };
    const sim = resolveSimulation(options, this.neuron);
    const run = this.simulate(x, 1, { ...sim, readoutTimes: [sim.time], batchSize: 1 }, undefined, (step, _first, _B, input, layers) => {
      if (input) collect(0, input, step);
      layers.forEach((values, l) => collect(l + 1, values, step));
    });
    return {
      steps: run.steps,
      prediction: run.predictions[0][0],
      counts: run.counts,
      bands: bands.map(({ name, layer, neurons }, b) => ({ name, layer, neurons, spikes: spikes[b] })),
    };
  }

  /**
   * Simulate `count` samples (rows of x) and read out their classes at each readout time. `onStep`
   * sees every step's spikes: the input's (Poisson only) and each layer's, as views valid during
   * the call (rows of the current batch, which starts at sample `first`).
   */
  simulate(x: Float32Array, count: number, options: SimulationOptions = {}, onBatch?: (done: number) => void, onStep?: StepObserver): SpikingRun {
    const sim = resolveSimulation(options, this.neuron);
    if (!Number.isInteger(count) || count < 0 || x.length !== count * this.inputs) {
      throw new RangeError(`SNN simulate: expected ${count} rows of ${this.inputs} values, got ${x.length} values`);
    }
    if (sim.encoding === "poisson") {
      for (let i = 0; i < x.length; i++) {
        if (!(x[i] >= 0 && x[i] <= 1)) {
          throw new RangeError(`SNN simulate: Poisson coding needs inputs in [0, 1]; sample ${Math.floor(i / this.inputs)}, input ${i % this.inputs} is ${x[i]}`);
        }
      }
    } else {
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new RangeError(`SNN simulate: sample ${Math.floor(bad / this.inputs)}, input ${bad % this.inputs} is ${x[bad]}`);
    }
    const steps = Math.round(sim.time / sim.dt);
    const readoutSteps = sim.readoutTimes.map((t) => Math.max(1, Math.round(t / sim.dt)));
    const predictions = sim.readoutTimes.map(() => new Int32Array(count));
    const unresolved = sim.readoutTimes.map(() => 0);
    const synapticOperations = sim.readoutTimes.map(() => new Array<number>(this.weights.length).fill(0));
    const counts = new Float32Array(count * this.outputs);
    const spikeTotals = new Array<number>(this.layers.length).fill(0);
    const B = Math.min(sim.batchSize, Math.max(count, 1));
    const arena = new Arena(this.runtime.heap);
    try {
      const ws = this.workspace(arena, B, sim);
      for (let start = 0; start < count; start += B) {
        const n = Math.min(B, count - start);
        this.simulateBatch(ws, x.subarray(start * this.inputs, (start + n) * this.inputs), start, n, sim, steps, readoutSteps, (k, classes, operations) => {
          predictions[k].set(classes, start);
          for (const c of classes) unresolved[k] += c < 0 ? 1 : 0;
          operations.forEach((v, l) => (synapticOperations[k][l] += v));
        }, spikeTotals, onStep);
        counts.set(ws.counts.head(n).view(), start * this.outputs);
        onBatch?.(start + n);
      }
    } finally {
      arena.release();
    }
    const seconds = steps * sim.dt;
    const firingRates = spikeTotals.map((s, l) => (count ? s / (count * this.layers[l] * seconds) : 0));
    // Every spike but the output's goes through weights (the input's only when it spikes).
    const events = spikeTotals.slice(0, -1).reduce((sum, n) => sum + n, 0);
    return { readoutTimes: sim.readoutTimes, predictions, unresolved, counts, firingRates, events, synapticOperations, steps };
  }

  /** Release the network's wasm memory. */
  free(): void {
    for (const { weightT, bias } of this.weights) {
      weightT.free();
      bias.free();
    }
    this.weights.length = 0;
  }

  private workspace(arena: Arena, B: number, sim: Simulation): Workspace {
    const rt = this.runtime;
    const scratch = (width: number) => Matrix.scratch(rt, arena, B, width);
    const layers: LayerState[] = this.weights.map(({ weightT, bias, conv }) => {
      const outputs = bias.cols;
      return {
        weightT, bias, conv, u: scratch(outputs), y: scratch(outputs), z: scratch(outputs), current: scratch(outputs),
        voltage: scratch(outputs), refractory: scratch(outputs), spikes: scratch(outputs),
      };
    });
    const io = { x: scratch(this.inputs), inputSpikes: scratch(this.inputs), generators: new RowRngs(rt, B, arena), counts: scratch(this.outputs), first: scratch(this.outputs), drive: scratch(this.outputs) };
    // Event indices for the widest layer, or a convolution's scratch if that is larger.
    const events = new Bytes(rt, Math.max(4 * Math.max(...this.layers), ...this.weights.map(({ conv }) => (conv ? spikingConvWorkBytes(rt, conv) : 0))), arena);
    const { tauRc, tRef, amplitude, gain, voltageFloor } = this.neuron;
    const table = new SimulationTable(rt, layers, io, {
      dt: sim.dt, tauS: sim.synapse === "none" ? 0 : sim.tauS, alpha: sim.synapse === "alpha", tauRc, tRef, amplitude, gain, floor: voltageFloor !== false,
      ...(sim.encoding === "poisson" ? { poissonPeriod: sim.poissonPeriod } : {}),
    }, events, arena);
    return {
      layers, ...io, events, table,
      work: new Bytes(rt, this.weights[0].conv ? 16 : gemmWorkBytes(rt, B, this.layers[1], this.inputs), arena),
    };
  }

  private simulateBatch(
    full: Workspace, x: Float32Array, first: number, B: number, sim: Simulation, steps: number,
    readoutSteps: number[], emit: (readout: number, classes: Int32Array, synapticOperations: number[]) => void, spikeTotals: number[], onStep?: StepObserver,
  ): void {
    const { gain } = this.neuron;
    const { encoding } = sim;
    // This batch's rows of every buffer.
    const rows = (m: Matrix) => m.head(B);
    const layers = full.layers.map((l) => ({
      ...l, u: rows(l.u), y: rows(l.y), z: rows(l.z), current: rows(l.current), voltage: rows(l.voltage), refractory: rows(l.refractory), spikes: rows(l.spikes),
    }));
    const input = rows(full.x);
    const counts = rows(full.counts), firstSpike = rows(full.first), drive = rows(full.drive);
    input.set(x);
    for (const layer of layers) for (const m of [layer.y, layer.z, layer.voltage, layer.refractory]) fill(m, 0);
    fill(counts, 0);
    fill(firstSpike, Infinity);
    fill(drive, 0);
    const first0 = layers[0];
    if (encoding === "poisson") {
      full.generators.seed(sim.seed, STREAMS.spikes + first, B);
    } else {
      // The image as a constant current into the first layer: j = gain·(W·x + b), once (a
      // convolution's as the event kernel with every pixel an event of its value).
      if (first0.conv) propagateSpikesConv(input, first0.conv, first0.weightT, first0.y, full.events);
      else matmul(input, first0.weightT, first0.y, full.work);
      neuronCurrent(first0.y, first0.bias, gain, first0.current);
    }
    const inputSpikes = rows(full.inputSpikes);
    // One kernel call per stretch up to the next readout (per step when someone watches the spikes).
    let readout = 0;
    const operations = new Array<number>(layers.length).fill(0);
    for (let step = 1; step <= steps;) {
      const end = onStep ? step : Math.min(steps, Math.max(step, readoutSteps[readout] ?? steps));
      full.table.run(B, step, end - step + 1);
      const totals = full.table.takeTotals();
      totals.spikes.forEach((n, l) => (spikeTotals[l] += n));
      totals.synapticOperations.forEach((n, l) => (operations[l] += n));
      if (onStep) onStep(step, first, B, encoding === "poisson" ? inputSpikes.view() : undefined, layers.map((layer) => layer.spikes.view()));
      while (readout < readoutSteps.length && readoutSteps[readout] === end) {
        emit(readout++, this.readout(counts, firstSpike, drive, B, sim.readout), operations);
      }
      step = end + 1;
    }
  }

  private readout(countsM: Matrix, firstM: Matrix, driveM: Matrix, B: number, readout: Readout): Int32Array {
    return classesOf(countsM.view(), firstM.view(), driveM.view(), B, this.outputs, readout);
  }
}

/**
 * Each of B rows' class by the readout from its k outputs' spike counts, first spike times and
 * summed current (its keys in order, each deciding only ties of the one before), −1 for a tie left.
 */
export function classesOf(counts: Float32Array, first: Float32Array, drive: Float32Array, B: number, k: number, readout: Readout): Int32Array {
  // Larger is better for every key: an earlier first spike is a larger −time.
  const early = (i: number) => -first[i];
  const keys = {
    count: [(i: number) => counts[i], early],
    "first-spike": [early, (i: number) => counts[i]],
    integrate: [(i: number) => drive[i]],
    "count-current": [(i: number) => counts[i], (i: number) => drive[i]],
  }[readout];
  const compare = (i: number, j: number) => {
    for (const key of keys) if (key(i) !== key(j)) return key(i) > key(j) ? 1 : -1;
    return 0;
  };
  const classes = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = b * k, tied = false;
    for (let i = b * k + 1; i < (b + 1) * k; i++) {
      const order = compare(i, best);
      if (order > 0) [best, tied] = [i, false];
      else if (order === 0) tied = true;
    }
    classes[b] = tied ? -1 : best - b * k;
  }
  return classes;
}

// A convolution's weights for the event kernel: W [O, C·K²] transposed to [C·K², O], and the bias
// of each output channel repeated at every position (outputs are NHWC).
function convWeights(rt: Runtime, conv: SpikingConvShape, weight: Float32Array, bias: Float32Array, nIn: number, nOut: number, l: number) {
  const { channels: C, height: H, width: W, pool, outChannels: O, kernel: K } = conv;
  const taps = C * K * K;
  const positions = nOut / O;
  if (nIn !== C * H * W || weight.length !== O * taps || bias.length !== O || !Number.isInteger(positions) || H % pool || W % pool) {
    throw new RangeError(`SNN layer ${l}: a ${C}×${H}×${W} → ${O}-channel ${K}×${K} convolution (pool ${pool}) does not match ${nIn} → ${nOut} neurons, ${weight.length} weights and ${bias.length} biases`);
  }
  const weightT = new Matrix(rt, taps, O);
  const wT = weightT.view();
  for (let o = 0; o < O; o++) for (let t = 0; t < taps; t++) wT[t * O + o] = weight[o * taps + t];
  const b = new Float32Array(nOut);
  for (let p = 0; p < positions; p++) b.set(bias, p * O);
  return { weightT, bias: Matrix.from(rt, 1, nOut, b), conv };
}

/**
 * A convolutional rate network as spiking layers (batch norm folded in): each Conv2d or Linear is
 * a layer of LIF neurons; average pooling is a fixed linear map folded into the layer after it (a
 * convolution's event kernel pools as it goes; a Linear's weights spread over the pooled windows,
 * divided by K²); Flatten is only an order. Conv neurons are NHWC, so the Linear after them takes
 * its columns in that order.
 */
function spikingLayers(mlp: MLP): { widths: number[]; weights: SynapseWeights[] } {
  const fused = fusedLinearLayers(mlp);
  const widths = [mlp.inputs];
  const weights: SynapseWeights[] = [];
  let [C, H, W] = mlp.inputShape.length === 3 ? mlp.inputShape : [mlp.inputs, 1, 1];
  let spatial = mlp.inputShape.length === 3;
  let channelsLast = false;
  let pool = 1;
  let module = 0;
  for (const layer of mlp.layers) {
    if (layer instanceof Pool2d) {
      if (layer.kind === "maxpool") throw new OptionError("arch", `layer ${layer.index} is max pooling, which has no spiking counterpart: use avgpool`);
      pool *= layer.shape.kernel;
    } else if (layer instanceof Conv2d) {
      const { outChannels, kernel, stride, padding } = layer.shape;
      weights.push({ ...fused[module++], conv: { channels: C, height: H, width: W, channelsLast, pool, outChannels, kernel, stride, padding } });
      [C, H, W] = layer.outputShape;
      channelsLast = true;
      pool = 1;
      widths.push(layer.outputs);
    } else if (layer instanceof Linear) {
      const { weight, bias } = fused[module++];
      if (!spatial) {
        weights.push({ weight, bias });
      } else {
        // Column (c, y, x) of the spikes below takes the rate network's weight of pooled input (c, y/pool, x/pool).
        const PH = H / pool, PW = W / pool, n = C * H * W, m = layer.inputs;
        const spread = new Float32Array(layer.outputs * n);
        const k = 1 / (pool * pool);
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          const source = channelsLast ? (y * W + x) * C + c : (c * H + y) * W + x;
          const pooled = (c * PH + Math.floor(y / pool)) * PW + Math.floor(x / pool);
          for (let o = 0; o < layer.outputs; o++) spread[o * n + source] = weight[o * m + pooled] * k;
        }
        weights.push({ weight: spread, bias });
      }
      spatial = false;
      pool = 1;
      widths.push(layer.outputs);
    }
  }
  return { widths, weights };
}

/** Fill in defaults and reject settings that make no sense, naming them. */
export function resolveSimulation(options: SimulationOptions, neuron: NeuronParams): Simulation {
  // An option given as undefined takes its default, as everywhere else in the API.
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const dt = (defined.dt as number | undefined) ?? SIMULATION_DEFAULTS.dt;
  // Without a refractory period a pixel of value 1 fires every step.
  const sim = { ...SIMULATION_DEFAULTS, poissonPeriod: neuron.tRef > 0 ? neuron.tRef : dt, ...defined } as Simulation;
  const positive = (name: string, v: number) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new OptionError(name, `must be a finite number > 0, got ${v}`);
  };
  positive("time", sim.time);
  positive("dt", sim.dt);
  if (neuron.tRef > 0 && sim.dt >= neuron.tRef) {
    throw new OptionError("dt", `must be below the refractory period t_ref = ${neuron.tRef} s (got ${sim.dt} s): a neuron could then fire twice in one step`);
  }
  if (sim.time < sim.dt) throw new OptionError("time", `the presentation time ${sim.time} s is shorter than one step (dt = ${sim.dt} s)`);
  if (!ENCODINGS.includes(sim.encoding)) throw new OptionError("encoding", `must be one of ${ENCODINGS.join(", ")}, got ${sim.encoding}`);
  if (!READOUTS.includes(sim.readout)) throw new OptionError("readout", `must be one of ${READOUTS.join(", ")}, got ${sim.readout}`);
  if (!SYNAPSES.includes(sim.synapse)) throw new OptionError("synapse", `must be one of ${SYNAPSES.join(", ")}, got ${sim.synapse}`);
  if (sim.synapse !== "none") positive("tauS", sim.tauS);
  positive("poissonPeriod", sim.poissonPeriod);
  if (sim.poissonPeriod < sim.dt) throw new OptionError("poissonPeriod", `must be at least one step (dt = ${sim.dt} s), got ${sim.poissonPeriod} s: a pixel could then need more than one spike a step`);
  if (!Number.isInteger(sim.seed) || sim.seed < 0 || sim.seed > 0xffffffff) throw new OptionError("seed", `must be an integer in [0, 2^32), got ${sim.seed}`);
  if (!Number.isInteger(sim.batchSize) || sim.batchSize < 1) throw new OptionError("batchSize", `must be an integer ≥ 1, got ${sim.batchSize}`);
  const given = options.readoutTimes ?? [...READOUT_TIMES.filter((t) => t < sim.time), sim.time];
  if (!Array.isArray(given)) throw new OptionError("readoutTimes", `must be a list of times in s, got ${JSON.stringify(given)}`);
  given.forEach((t, i) => {
    if (typeof t !== "number" || !(t > 0) || t > sim.time * (1 + 1e-9)) {
      throw new OptionError(`readoutTimes[${i}]`, `must be a time in (0, ${sim.time}] s, got ${t}`);
    }
  });
  sim.readoutTimes = [...new Set(given)].sort((a, b) => a - b);
  return sim;
}
