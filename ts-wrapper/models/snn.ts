// The spiking network (SCIENCE.md §2): LIF neurons with the weights of a rate network whose hidden
// activation is the scaled soft-LIF rate ("shadow training"), simulated step by step.
//
// Each step of dt, for every layer in order: the spikes that arrived (the encoded input, or the
// layer below's spikes of this step) are propagated event by event through the weights, filtered by
// the synapse, turned into the current j = gain·(y + b), and the LIF neurons advance one exact step.
// A spike is an impulse of area `amplitude`, so a neuron firing at rate r passes on amplitude·r on
// average — the rate network's activation. Input pixels in [0, 1] either fire as Poisson trains
// at rate x/t_ref with spikes of area t_ref (mean x), or feed the first layer as constant current
// W·x. The output layer is LIF too: the class is the neuron with the most spikes (ties go to the
// one that received the most current), or the first to spike.

import { runtime as defaultRuntime } from "../runtime.js";
import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import { fusedLinearLayers } from "./fuse.js";
import type { MLP } from "./mlp.js";
import type { NeuronParams } from "./neuron.js";

export const ENCODINGS = ["poisson", "current"] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const READOUTS = ["count", "first-spike"] as const;
export type Readout = (typeof READOUTS)[number];
export const SYNAPSES = ["lowpass", "alpha", "none"] as const;
export type Synapse = (typeof SYNAPSES)[number];

/** Presentation times (s) at which accuracy is read out by default, up to the presentation time. */
export const CHECKPOINTS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

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
  /** Times (s) at which to read the class out; default CHECKPOINTS up to `time`, and `time`. */
  checkpoints?: number[];
  /** Samples simulated together. */
  batchSize?: number;
}

export type Simulation = Required<SimulationOptions>;

export const SIMULATION_DEFAULTS = {
  time: 1, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0, batchSize: 100,
} as const satisfies Omit<Simulation, "checkpoints">;

export interface SpikingRun {
  checkpoints: number[];
  /** predictions[k][i]: the class of sample i read out at checkpoints[k]. */
  predictions: Int32Array[];
  /** Output spike counts at the end, samples × outputs. */
  counts: Float32Array;
  /** Mean firing rate (Hz) of each layer: the input (Poisson only, else 0), hidden layers, output. */
  firingRates: number[];
  /** Spikes propagated through weights, summed over samples and steps. */
  events: number;
  steps: number;
}

/**
 * Sees one simulation step: its number (1 …), the batch (first sample, size B), the input spikes
 * (B × inputs; undefined for current input) and each layer's (B × width); nonzero where a neuron
 * fired.
 */
export type StepObserver = (step: number, first: number, B: number, input: Float32Array | undefined, layers: Float32Array[]) => void;

/** Per-sample Poisson streams start here: lower streams serve other purposes (init, shuffling). */
const SPIKE_STREAM_BASE = 0x10000;
const GENERATOR_BYTES = 16;

interface LayerState {
  inputs: number;
  outputs: number;
  weightT: number; // inputs × outputs
  bias: number;
  u: number; // weighted input this step, B × outputs
  y: number; // filtered
  z: number; // alpha filter's intermediate
  current: number;
  voltage: number;
  refractory: number;
  spikes: number;
}

export class SNN {
  readonly layers: number[];
  readonly neuron: NeuronParams;
  readonly runtime: Runtime;
  private readonly weights: { weightT: number; bias: number }[];

  /** The spiking twin of a rate network whose hidden activations are all soft-LIF. */
  static fromMLP(mlp: MLP): SNN {
    const { activations, neuron, layers } = mlp.config;
    activations.forEach((a, i) => {
      if (a !== "softlif") {
        throw new RangeError(`SNN: hidden layer ${i + 1} has activation "${a}"; a spiking network converts from a rate network whose hidden activations are all "softlif" (train it with --model snn)`);
      }
    });
    if (!neuron) throw new RangeError("SNN: the rate network has no neuron parameters");
    return new SNN(layers, neuron, fusedLinearLayers(mlp), mlp.runtime);
  }

  constructor(layers: number[], neuron: NeuronParams, linear: { weight: Float32Array; bias: Float32Array }[], runtime: Runtime = defaultRuntime()) {
    if (linear.length !== layers.length - 1) throw new RangeError(`SNN: ${layers.length} widths need ${layers.length - 1} weight layers, got ${linear.length}`);
    this.layers = [...layers];
    this.neuron = { ...neuron };
    this.runtime = runtime;
    const heap = runtime.heap;
    this.weights = linear.map(({ weight, bias }, l) => {
      const nIn = layers[l];
      const nOut = layers[l + 1];
      if (weight.length !== nIn * nOut || bias.length !== nOut) {
        throw new RangeError(`SNN layer ${l}: expected a ${nOut}×${nIn} weight and ${nOut} biases, got ${weight.length} and ${bias.length} values`);
      }
      const weightT = heap.alloc(nIn * nOut * 4);
      const wT = heap.f32(weightT, nIn * nOut);
      for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) wT[i * nOut + o] = weight[o * nIn + i];
      const b = heap.alloc(nOut * 4);
      heap.f32(b, nOut).set(bias);
      return { weightT, bias: b };
    });
  }

  get inputs(): number {
    return this.layers[0];
  }
  get outputs(): number {
    return this.layers[this.layers.length - 1];
  }

  /**
   * Simulate `count` samples (rows of x) and read out their classes at each checkpoint. `onStep`
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
    const checkpointSteps = sim.checkpoints.map((t) => Math.max(1, Math.round(t / sim.dt)));
    const predictions = sim.checkpoints.map(() => new Int32Array(count));
    const counts = new Float32Array(count * this.outputs);
    const spikeTotals = new Array<number>(this.layers.length).fill(0);
    let events = 0;
    const B = Math.min(sim.batchSize, Math.max(count, 1));
    const arena = new Arena(this.runtime.heap);
    try {
      const ws = this.workspace(arena, B);
      for (let start = 0; start < count; start += B) {
        const n = Math.min(B, count - start);
        events += this.simulateBatch(ws, x.subarray(start * this.inputs, (start + n) * this.inputs), start, n, sim, steps, checkpointSteps,
          (k, classes) => predictions[k].set(classes, start), spikeTotals, onStep);
        counts.set(this.runtime.heap.f32(ws.counts, n * this.outputs), start * this.outputs);
        onBatch?.(start + n);
      }
    } finally {
      arena.release();
    }
    const seconds = steps * sim.dt;
    const firingRates = spikeTotals.map((s, l) => (count ? s / (count * this.layers[l] * seconds) : 0));
    return { checkpoints: sim.checkpoints, predictions, counts, firingRates, events, steps };
  }

  /** Release the network's wasm memory. */
  free(): void {
    for (const { weightT, bias } of this.weights) {
      this.runtime.heap.free(weightT);
      this.runtime.heap.free(bias);
    }
    this.weights.length = 0;
  }

  private workspace(arena: Arena, B: number) {
    const layers: LayerState[] = this.weights.map(({ weightT, bias }, l) => {
      const outputs = this.layers[l + 1];
      const n = B * outputs;
      return {
        inputs: this.layers[l], outputs, weightT, bias,
        u: arena.allocF32(n), y: arena.allocF32(n), z: arena.allocF32(n), current: arena.allocF32(n),
        voltage: arena.allocF32(n), refractory: arena.allocF32(n), spikes: arena.allocF32(n),
      };
    });
    const outputs = B * this.outputs;
    return {
      layers,
      x: arena.allocF32(B * this.inputs),
      inputSpikes: arena.allocF32(B * this.inputs),
      generators: arena.alloc(B * GENERATOR_BYTES),
      eventList: arena.alloc(4 * Math.max(...this.layers)),
      counts: arena.allocF32(outputs),
      first: arena.allocF32(outputs),
      drive: arena.allocF32(outputs),
      gemmWork: arena.alloc(this.runtime.kernels.gemmWorkspaceBytes(B, this.layers[1], this.inputs)),
    };
  }

  private simulateBatch(
    ws: ReturnType<SNN["workspace"]>, x: Float32Array, first: number, B: number, sim: Simulation, steps: number,
    checkpointSteps: number[], emit: (checkpoint: number, classes: Int32Array) => void, spikeTotals: number[], onStep?: StepObserver,
  ): number {
    const { kernels, heap } = this.runtime;
    const { tauRc, tRef, amplitude, gain } = this.neuron;
    const { dt, tauS, synapse, encoding } = sim;
    const L = ws.layers.length;
    const out = B * this.outputs;
    heap.f32(ws.x, B * this.inputs).set(x);
    for (const layer of ws.layers) {
      const n = B * layer.outputs;
      for (const p of [layer.y, layer.z, layer.voltage, layer.refractory]) kernels.fill(n, 0, p);
    }
    kernels.fill(out, 0, ws.counts);
    kernels.fill(out, Infinity, ws.first);
    kernels.fill(out, 0, ws.drive);
    const first0 = ws.layers[0];
    if (encoding === "poisson") {
      for (let b = 0; b < B; b++) kernels.rngSeed(ws.generators + b * GENERATOR_BYTES, sim.seed, (SPIKE_STREAM_BASE + first + b) >>> 0);
    } else {
      // The image as a constant current into the first layer: j = gain·(W·x + b), once.
      kernels.gemm(0, 0, B, first0.outputs, first0.inputs, ws.x, first0.inputs, first0.weightT, first0.outputs,
        first0.y, first0.outputs, 0, 0, ws.gemmWork);
      kernels.neuronCurrent(B, first0.outputs, first0.y, first0.bias, gain, first0.current);
    }
    let events = 0;
    let checkpoint = 0;
    for (let step = 1; step <= steps; step++) {
      let spikes = ws.inputSpikes;
      if (encoding === "poisson") {
        // Spikes of area t_ref at rate x/t_ref: the mean input is x.
        spikeTotals[0] += kernels.poissonSpikesRows(ws.generators, B, this.inputs, ws.x, dt, tRef, tRef, spikes);
      }
      for (let l = 0; l < L; l++) {
        const layer = ws.layers[l];
        const n = B * layer.outputs;
        if (l > 0 || encoding === "poisson") {
          events += kernels.propagateSpikes(B, layer.inputs, layer.outputs, spikes, layer.weightT, layer.u, ws.eventList);
          if (synapse === "alpha") kernels.alphaStep(n, dt, tauS, layer.u, layer.y, layer.z);
          else kernels.lowpassStep(n, dt, synapse === "none" ? 0 : tauS, layer.u, layer.y);
          kernels.neuronCurrent(B, layer.outputs, layer.y, layer.bias, gain, layer.current);
        }
        spikeTotals[l + 1] += kernels.lifStep(n, dt, tauRc, tRef, layer.current, layer.voltage, layer.refractory, layer.spikes, amplitude);
        spikes = layer.spikes;
      }
      if (onStep) {
        const input = encoding === "poisson" ? heap.f32(ws.inputSpikes, B * this.inputs) : undefined;
        onStep(step, first, B, input, ws.layers.map((layer) => heap.f32(layer.spikes, B * layer.outputs)));
      }
      const last = ws.layers[L - 1];
      kernels.recordSpikes(out, step * dt, dt, tRef, last.spikes, last.refractory, ws.counts, ws.first);
      kernels.axpy(out, 1, last.current, ws.drive);
      while (checkpoint < checkpointSteps.length && checkpointSteps[checkpoint] === step) {
        emit(checkpoint++, this.readout(ws, B, sim.readout));
      }
    }
    return events;
  }

  /** Classes from the output counts (ties: most total current) or first spikes (ties: counts). */
  private readout(ws: { counts: number; first: number; drive: number }, B: number, readout: Readout): Int32Array {
    const heap = this.runtime.heap;
    const k = this.outputs;
    const counts = heap.f32(ws.counts, B * k);
    const first = heap.f32(ws.first, B * k);
    const drive = heap.f32(ws.drive, B * k);
    const classes = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let c = 1; c < k; c++) {
        const i = b * k + c;
        const j = b * k + best;
        const better = readout === "first-spike"
          ? first[i] < first[j] || (first[i] === first[j] && (counts[i] > counts[j] || (counts[i] === counts[j] && drive[i] > drive[j])))
          : counts[i] > counts[j] || (counts[i] === counts[j] && drive[i] > drive[j]);
        if (better) best = c;
      }
      classes[b] = best;
    }
    return classes;
  }
}

/** Fill in defaults and reject settings that make no sense, naming them. */
export function resolveSimulation(options: SimulationOptions, neuron: NeuronParams): Simulation {
  // An option given as undefined takes its default, as everywhere else in the API.
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const sim = { ...SIMULATION_DEFAULTS, ...defined } as Simulation;
  const positive = (name: string, v: number) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: must be a finite number > 0, got ${v}`);
  };
  positive("time", sim.time);
  positive("dt", sim.dt);
  if (sim.dt >= neuron.tRef) {
    throw new RangeError(`dt: must be below the refractory period t_ref = ${neuron.tRef} s (got ${sim.dt} s): a neuron could then fire twice in one step`);
  }
  if (sim.time < sim.dt) throw new RangeError(`time: the presentation time ${sim.time} s is shorter than one step (dt = ${sim.dt} s)`);
  if (!ENCODINGS.includes(sim.encoding)) throw new RangeError(`encoding: must be one of ${ENCODINGS.join(", ")}, got ${sim.encoding}`);
  if (!READOUTS.includes(sim.readout)) throw new RangeError(`readout: must be one of ${READOUTS.join(", ")}, got ${sim.readout}`);
  if (!SYNAPSES.includes(sim.synapse)) throw new RangeError(`synapse: must be one of ${SYNAPSES.join(", ")}, got ${sim.synapse}`);
  if (sim.synapse !== "none") positive("tauS", sim.tauS);
  if (!Number.isInteger(sim.seed) || sim.seed < 0 || sim.seed > 0xffffffff) throw new RangeError(`seed: must be an integer in [0, 2^32), got ${sim.seed}`);
  if (!Number.isInteger(sim.batchSize) || sim.batchSize < 1) throw new RangeError(`batchSize: must be an integer ≥ 1, got ${sim.batchSize}`);
  const given = options.checkpoints ?? [...CHECKPOINTS.filter((t) => t < sim.time), sim.time];
  given.forEach((t, i) => {
    if (typeof t !== "number" || !(t > 0) || t > sim.time * (1 + 1e-9)) {
      throw new RangeError(`checkpoints[${i}]: must be a time in (0, ${sim.time}] s, got ${t}`);
    }
  });
  sim.checkpoints = [...new Set(given)].sort((a, b) => a - b);
  return sim;
}
