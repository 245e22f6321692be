// Fixed point (post-training quantisation of a converted network, docs/spiking.md "Fixed point"):
// int8 weights with one scale per layer or per output neuron, int32 currents and int16 membranes,
// simulated in integer arithmetic in wasm (assembly/fixed.ts). Voltages count 2^-12 of the
// threshold. With s the scale of a weight (W ≈ s·q) and A the area of the spikes arriving, one unit
// of q brings the current s·A/dt·gain (s·gain/255 per pixel level with current input), in those
// units and times 2^16 as the kernel's multiplier; a bias b is gain·b. The synapse and the membrane
// move by the fractions 1 − e^{−dt/τ} of the float model's exact step, as 16-bit fractions; a
// spike holds the neuron at 0 for t_ref/dt whole steps (rounded). Dense networks only.

import { OptionError } from "../errors.js";
import { fusedLinearLayers } from "./fuse.js";
import type { MLP } from "./mlp.js";
import { RowRngs, STREAMS } from "../ops/rng.js";
import { fixedPointInput, fixedPointStep, poissonEncode } from "../ops/spiking.js";
import { Bytes, Matrix } from "../tensor.js";
import { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";
import type { NeuronParams } from "./neuron.js";
import { classesOf, resolveSimulation, type Simulation, type SimulationOptions, type SpikingRun } from "./snn.js";

export const QUANTIZATIONS = ["int8", "int8-channel"] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** The voltage of the threshold. */
export const FIXED_THRESHOLD = 4096;
const FRACTION = 65536;

/** One layer as the integer kernels take it, and what it was made from. */
interface FixedLayer {
  nIn: number;
  nOut: number;
  /** int8 weights, nIn × nOut (row i: input i's outgoing weights). */
  q: Bytes;
  /** The scale of each output's weights: W[o, i] ≈ scale[o]·q[i, o]. */
  scale: Float64Array;
  mult: Bytes;
  bias: Bytes;
}

export class FixedPointSNN {
  readonly layers: number[];
  private readonly fixed: FixedLayer[];

  /**
   * The fixed-point twin of a soft-LIF rate network (batch norm folded) for the simulation `sim`
   * (its synapse, step and input coding fix the integer constants). `int8` scales each layer by
   * its largest |W|/127, `int8-channel` each output neuron's weights by theirs.
   */
  constructor(readonly mlp: MLP, readonly quantization: Quantization, options: SimulationOptions = {}) {
    const { neuron, arch, activations } = mlp.config;
    if (!neuron || activations.some((a) => a !== "softlif")) throw new OptionError("quantize", "fixed point runs a spiking network: every hidden activation must be softlif");
    if (arch) throw new OptionError("quantize", "fixed point runs dense networks only, not the convolutional spec " + arch);
    if (!QUANTIZATIONS.includes(quantization)) throw new OptionError("quantize", `must be one of ${QUANTIZATIONS.join(", ")}, got ${quantization}`);
    this.sim = resolveSimulation(options, neuron);
    if (this.sim.synapse === "alpha") throw new OptionError("synapse", "fixed point has the low-pass synapse or none, not alpha");
    if (this.sim.readout === "integrate" || this.sim.readout === "count-current") throw new OptionError("readout", `fixed point reads spikes only: count or first-spike, not ${this.sim.readout}`);
    this.neuron = neuron;
    // The membrane's step is a 16-bit fraction of (j − v): it must not round to nothing.
    const memK = this.constants().memK;
    if (memK < 64) {
      throw new OptionError("quantize", `fixed point steps the membrane by a 16-bit fraction of its drive, and dt/τ_RC = ${this.sim.dt / neuron.tauRc} leaves ${memK}/65536: τ_RC is too long (an integrate-and-fire network has no fixed-point form here)`);
    }
    this.layers = [...mlp.config.layers];
    const rt = mlp.runtime;
    const made: Bytes[] = [];
    const bytes = (n: number) => {
      const b = new Bytes(rt, n);
      made.push(b);
      return b;
    };
    try {
      this.fixed = this.quantize(fusedLinearLayers(mlp), bytes);
    } catch (error) {
      for (const b of made) b.free();
      throw error;
    }
  }

  private quantize(fused: ReturnType<typeof fusedLinearLayers>, bytes: (n: number) => Bytes): FixedLayer[] {
    const neuron = this.neuron;
    return fused.map(({ weight, bias }, l) => {
      const nIn = this.layers[l], nOut = this.layers[l + 1];
      const scale = new Float64Array(nOut);
      for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) scale[o] = Math.max(scale[o], Math.abs(weight[o * nIn + i]));
      if (this.quantization === "int8") scale.fill(Math.max(...scale));
      for (let o = 0; o < nOut; o++) scale[o] = scale[o] > 0 ? scale[o] / 127 : 1;
      const q = bytes(nIn * nOut);
      const qv = new Int8Array(q.u8().buffer, q.ptr, nIn * nOut);
      for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) qv[i * nOut + o] = Math.max(-127, Math.min(127, Math.round(weight[o * nIn + i] / scale[o])));
      // One unit of q in current units: per spike of area A, or per pixel level (1/255) of a current.
      const perUnit = l === 0 && this.sim.encoding === "current" ? neuron.gain / 255 : (neuron.gain * (l === 0 ? this.sim.poissonPeriod : neuron.amplitude)) / this.sim.dt;
      const mult = bytes(4 * nOut), b = bytes(4 * nOut);
      const mv = mult.i32(nOut), bv = b.i32(nOut);
      for (let o = 0; o < nOut; o++) {
        const m = Math.round(scale[o] * perUnit * FIXED_THRESHOLD * FRACTION);
        if (!(Math.abs(m) <= 0x7fffffff)) throw new OptionError("quantize", `layer ${l}: one weight step brings ${scale[o] * perUnit} thresholds of current, more than the 32-bit multiplier holds`);
        mv[o] = m;
        bv[o] = Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(neuron.gain * bias[o] * FIXED_THRESHOLD)));
      }
      return { nIn, nOut, q, scale, mult, bias: b };
    });
  }

  private readonly sim: Simulation;
  private readonly neuron: NeuronParams;

  get inputs(): number {
    return this.layers[0];
  }
  get outputs(): number {
    return this.layers[this.layers.length - 1];
  }

  /** Layer l's int8 weights as [outputs, inputs] and their scales: what a NIR export writes. */
  weights(l: number): { q: Int8Array; scale: Float64Array } {
    const { q, nIn, nOut, scale } = this.fixed[l];
    const qv = new Int8Array(q.u8().buffer, q.ptr, nIn * nOut);
    const out = new Int8Array(nIn * nOut);
    for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) out[o * nIn + i] = qv[i * nOut + o];
    return { q: out, scale: Float64Array.from(scale) };
  }

  /**
   * The integer constants of layer l's step, as fixedPointStep takes them. With current input the
   * first layer's synapse passes its constant input through, as in the float simulation.
   */
  constants(l = 1): { synK: number; memK: number; refSteps: number; floor: boolean } {
    const { dt, synapse, tauS, encoding } = this.sim;
    const fraction = (tau: number) => Math.round(-Math.expm1(-dt / tau) * FRACTION);
    return {
      synK: synapse === "none" || (l === 0 && encoding === "current") ? FRACTION : fraction(tauS), memK: fraction(this.neuron.tauRc),
      refSteps: Math.round(this.neuron.tRef / dt), floor: this.neuron.voltageFloor !== false,
    };
  }

  /**
   * Simulate `count` samples (rows of x: pixels in [0, 1]) with the settings given at construction
   * (its readout times and seed may differ here) and read out their classes.
   */
  simulate(x: Float32Array, count: number, options: Pick<SimulationOptions, "readoutTimes" | "seed" | "batchSize" | "time"> = {}, onBatch?: (done: number) => void): SpikingRun {
    const sim = resolveSimulation({ ...this.sim, readoutTimes: undefined, ...options }, this.neuron);
    if (x.length !== count * this.inputs) throw new RangeError(`FixedPointSNN simulate: expected ${count} rows of ${this.inputs} values, got ${x.length}`);
    const bad = x.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new RangeError(`FixedPointSNN simulate: pixels must be in [0, 1]; sample ${Math.floor(bad / this.inputs)}, input ${bad % this.inputs} is ${x[bad]}`);
    const rt = this.mlp.runtime;
    const { dt } = sim;
    const steps = Math.round(sim.time / dt);
    const readoutSteps = sim.readoutTimes.map((t) => Math.max(1, Math.round(t / dt)));
    const constants = this.fixed.map((_, l) => this.constants(l));
    const L = this.fixed.length, k = this.outputs;
    const predictions = sim.readoutTimes.map(() => new Int32Array(count));
    const unresolved = sim.readoutTimes.map(() => 0);
    const synapticOperations = sim.readoutTimes.map(() => new Array<number>(L).fill(0));
    const counts = new Float32Array(count * k);
    const spikeTotals = new Array<number>(this.layers.length).fill(0);
    const B = Math.min(sim.batchSize, Math.max(count, 1));
    const arena = new Arena(rt.heap);
    try {
      const ints = (n: number) => new Bytes(rt, 4 * Math.max(n, 1), arena);
      const state = this.fixed.map(({ nOut }) => ({ acc: ints(B * nOut), y: ints(B * nOut), v: ints(B * nOut), refractory: ints(B * nOut), spikes: Matrix.scratch(rt, arena, B, nOut) }));
      const input = Matrix.scratch(rt, arena, B, this.inputs);
      const inputSpikes = Matrix.scratch(rt, arena, B, this.inputs);
      const pixels = ints(B * this.inputs);
      const generators = new RowRngs(rt, B, arena);
      for (let start = 0; start < count; start += B) {
        const n = Math.min(B, count - start);
        for (const s of state) for (const m of [s.y, s.v, s.refractory]) m.i32().fill(0);
        const first = new Float32Array(n * k).fill(Infinity);
        const batchCounts = new Float32Array(n * k);
        const rows = x.subarray(start * this.inputs, (start + n) * this.inputs);
        if (sim.encoding === "poisson") {
          input.head(n).set(rows);
          generators.seed(sim.seed, STREAMS.spikes + start, n);
        } else {
          // The image in 8-bit levels: the first layer's input sums, once.
          const p = pixels.i32(n * this.inputs);
          for (let i = 0; i < p.length; i++) p[i] = Math.round(rows[i] * 255);
          fixedPointInput(n, this.inputs, this.fixed[0].nOut, pixels, false, this.fixed[0].q, state[0].acc);
        }
        const operations = new Array<number>(L).fill(0);
        let readout = 0;
        for (let step = 1; step <= steps; step++) {
          let below: Matrix | undefined;
          if (sim.encoding === "poisson") {
            spikeTotals[0] += poissonEncode(generators, input.head(n), dt, sim.poissonPeriod, sim.poissonPeriod, inputSpikes.head(n));
            below = inputSpikes.head(n);
          }
          this.fixed.forEach((layer, l) => {
            const s = state[l];
            if (below) operations[l] += layer.nOut * fixedPointInput(n, layer.nIn, layer.nOut, below, true, layer.q, s.acc);
            spikeTotals[l + 1] += fixedPointStep(n, layer.nOut, s.acc, { ...layer, ...constants[l] }, s, s.spikes.head(n));
            below = s.spikes.head(n);
          });
          const out = below!.view();
          for (let i = 0; i < n * k; i++) {
            if (out[i] === 0) continue;
            batchCounts[i] += 1;
            if (first[i] === Infinity) first[i] = step * dt;
          }
          while (readout < readoutSteps.length && readoutSteps[readout] === step) {
            const classes = classesOf(batchCounts, first, new Float32Array(n * k), n, k, sim.readout);
            predictions[readout].set(classes, start);
            for (const c of classes) unresolved[readout] += c < 0 ? 1 : 0;
            operations.forEach((v, l) => (synapticOperations[readout][l] += v));
            readout++;
          }
        }
        counts.set(batchCounts, start * k);
        onBatch?.(start + n);
      }
    } finally {
      arena.release();
    }
    const seconds = steps * dt;
    const firingRates = spikeTotals.map((s, l) => (count ? s / (count * this.layers[l] * seconds) : 0));
    const events = spikeTotals.slice(0, -1).reduce((a, b) => a + b, 0);
    return { readoutTimes: sim.readoutTimes, predictions, unresolved, counts, firingRates, events, synapticOperations, steps };
  }

  free(): void {
    for (const { q, mult, bias } of this.fixed) {
      q.free();
      mult.free();
      bias.free();
    }
    this.fixed.length = 0;
  }
}
