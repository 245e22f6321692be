// Spiking simulation steps (assembly/encode.ts, snn.ts, synapse.ts, lif.ts, rates.ts): input
// encoding, event-driven propagation, synaptic filters, LIF neurons and what is recorded of them.

import { Bytes, type Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { NeuronParams } from "./activation.js";
import type { RowRngs } from "./rng.js";
import type { Runtime } from "../wasm/load.js";
import { snnTotals } from "../wasm/split.js";

/**
 * One step of Poisson rate coding of x (B × n, values in [0, 1]): input i fires with probability
 * x·dt/period, as an impulse of area `amplitude` (value amplitude/dt), row b drawing from
 * generator b. Returns the spikes fired.
 */
export function poissonEncode(generators: RowRngs, x: Matrix, dt: number, period: number, amplitude: number, out: Matrix): number {
  return x.runtime.kernels.poissonSpikesRows(generators.state.ptr, x.rows, x.cols, x.ptr, dt, period, amplitude, out.ptr);
}

/**
 * out = spikes·Wᵀ, event by event: each nonzero of `spikes` (B × in) adds its row of wT (in × out)
 * times its value. `events` is scratch for one row's event list. Returns the synaptic operations
 * delivered (each spike reaches every output: spikes × out).
 */
export function propagateSpikes(spikes: Matrix, wT: Matrix, out: Matrix, events: Bytes): number {
  return spikes.runtime.kernels.propagateSpikes(spikes.rows, wT.rows, wT.cols, spikes.ptr, wT.ptr, out.ptr, events.ptr);
}

/** A spiking convolution's geometry: the map its spikes come from, the pooling folded in, the conv (ops/conv.ts, on the pooled map). */
export interface SpikingConvShape {
  channels: number;
  height: number;
  width: number;
  /** The spikes are NHWC (a conv layer's neurons) rather than NCHW (an image). */
  channelsLast: boolean;
  pool: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/**
 * out (B × OH·OW·O, NHWC) = conv(avgpool(spikes)), event by event: each nonzero spike adds its
 * kernel column (wT: [C·K·K, O]) to the outputs it reaches — or, for an image with many active
 * inputs, as one dense product. `work` holds spikingConvWorkBytes(shape). Returns the synaptic
 * operations delivered: for each spike, O times the output positions its pooled input reaches.
 */
export function propagateSpikesConv(spikes: Matrix, s: SpikingConvShape, wT: Matrix, out: Matrix, work: Bytes): number {
  return spikes.runtime.kernels.propagateSpikesConv(spikes.rows, s.channels, s.height, s.width, s.channelsLast ? 1 : 0, s.pool,
    s.outChannels, s.kernel, s.stride, s.padding, spikes.ptr, wT.ptr, out.ptr, work.ptr);
}

/** Bytes of scratch propagateSpikesConv needs for this shape. */
export function spikingConvWorkBytes(rt: Runtime, s: SpikingConvShape): number {
  return rt.kernels.spikingConvWorkBytes(s.channels, s.height, s.width, s.pool, s.outChannels, s.kernel, s.stride, s.padding);
}

/** First-order low-pass synapse y ← a·y + (1 − a)·u, a = e^{−dt/τ_s}; τ_s = 0 passes u through. */
export function lowpassStep(dt: number, tauS: number, u: Matrix, y: Matrix): void {
  u.runtime.kernels.lowpassStep(u.size, dt, tauS, u.ptr, y.ptr);
}

/** Alpha synapse: two low-pass stages, z the intermediate. */
export function alphaStep(dt: number, tauS: number, u: Matrix, y: Matrix, z: Matrix): void {
  u.runtime.kernels.alphaStep(u.size, dt, tauS, u.ptr, y.ptr, z.ptr);
}

/** The neurons' input current j = gain·(y + b), b broadcast over the rows of y. */
export function neuronCurrent(y: Matrix, bias: Matrix, gain: number, out: Matrix): void {
  y.runtime.kernels.neuronCurrent(y.rows, y.cols, y.ptr, bias.ptr, gain, out.ptr);
}

/**
 * One exact step of LIF neurons; spikes get the value amplitude/dt. Returns the spikes fired.
 * Voltages are floored at 0 unless the neuron says `voltageFloor: false` (NIR's neurons).
 */
export function lifStep(neuron: Pick<NeuronParams, "tauRc" | "tRef" | "voltageFloor">, dt: number, amplitude: number, state: { current: Matrix; voltage: Matrix; refractory: Matrix; spikes: Matrix }): number {
  const { current, voltage, refractory, spikes } = state;
  const floor = neuron.voltageFloor === false ? -Infinity : 0;
  return current.runtime.kernels.lifStep(current.size, dt, neuron.tauRc, neuron.tRef, current.ptr, voltage.ptr, refractory.ptr, spikes.ptr, amplitude, floor);
}

/** Adds this step's spikes to `counts` and records each neuron's first spike time in `first`. */
export function recordSpikes(tEnd: number, dt: number, tRef: number, spikes: Matrix, refractory: Matrix, counts: Matrix, first: Matrix): void {
  spikes.runtime.kernels.recordSpikes(spikes.size, tEnd, dt, tRef, spikes.ptr, refractory.ptr, counts.ptr, first.ptr);
}

/** The LIF rate r(j) (Hz) of each current. */
export function lifRate(neuron: Pick<NeuronParams, "tauRc" | "tRef">, j: Matrix, out: Matrix): void {
  j.runtime.kernels.lifRate(j.size, neuron.tauRc, neuron.tRef, j.ptr, out.ptr);
}

/** One spiking layer's buffers (B × outputs each), as SimulationTable holds them. */
export interface SimulationLayer {
  weightT: Matrix;
  bias: Matrix;
  conv?: SpikingConvShape;
  u: Matrix;
  y: Matrix;
  z: Matrix;
  current: Matrix;
  voltage: Matrix;
  refractory: Matrix;
  spikes: Matrix;
}

/** What a SimulationTable simulates: the step, the synapse, the neurons, the input. */
export interface SimulationSettings {
  dt: number;
  /** The synapse's τ_s; 0 passes the weighted input through. */
  tauS: number;
  alpha: boolean;
  tauRc: number;
  tRef: number;
  amplitude: number;
  gain: number;
  /** Whether voltages are floored at 0 (converted networks); NIR's neurons have no floor. */
  floor: boolean;
  /** Poisson input of this period (and spike area), or none: layer 0's current is set already. */
  poissonPeriod?: number;
}

/**
 * A network's simulation loop over B rows of buffers, fused (assembly/simulate.ts): run() advances
 * every layer of the rows some steps in one kernel call — each step the Poisson input, then per
 * layer the event-driven propagation, the synapse, the current and the LIF step, then the output's
 * counts, first spikes and summed current — exactly as calling those kernels one by one would.
 */
export class SimulationTable {
  private readonly block: Bytes;
  private readonly totals: Bytes;
  private readonly parts: number;

  constructor(
    readonly runtime: Runtime, private readonly layers: SimulationLayer[],
    io: { x: Matrix; inputSpikes: Matrix; generators: RowRngs; counts: Matrix; first: Matrix; drive: Matrix },
    settings: SimulationSettings, private readonly work: Bytes, arena?: Arena,
  ) {
    const { header: h, layer: f } = runtime.layout.snn;
    this.block = new Bytes(runtime, h.bytes + f.words * 4 * layers.length, arena);
    this.parts = runtime.threads;
    this.totals = new Bytes(runtime, this.parts * snnTotals(layers.length) * 8, arena);
    const scalars = runtime.heap.f64(this.block.ptr, h.bytes >> 3);
    const words = this.block.u32();
    const { dt, tauS, alpha, tauRc, tRef, amplitude, gain, floor, poissonPeriod } = settings;
    scalars.fill(0);
    words.fill(0, h.bytes >> 2);
    Object.entries({ dt, tauS, tauRc, tRef, amplitude, gain, period: poissonPeriod ?? 0 }).forEach(([k, v]) => (scalars[h[k as keyof typeof h] >> 3] = v));
    const set = (offset: number, value: number) => (words[offset >> 2] = value);
    set(h.alpha, alpha ? 1 : 0);
    set(h.floor, floor ? 1 : 0);
    set(h.poisson, poissonPeriod === undefined ? 0 : 1);
    set(h.inputs, io.x.cols);
    set(h.x, io.x.ptr);
    set(h.inputSpikes, io.inputSpikes.ptr);
    set(h.generators, io.generators.state.ptr);
    set(h.counts, io.counts.ptr);
    set(h.first, io.first.ptr);
    set(h.drive, io.drive.ptr);
    layers.forEach((layer, l) => {
      const at = (h.bytes >> 2) + l * f.words;
      const put = (field: number, value: number) => (words[at + field] = value);
      put(f.outputs, layer.bias.cols);
      put(f.weightT, layer.weightT.ptr);
      put(f.bias, layer.bias.ptr);
      for (const key of ["u", "y", "z", "current", "voltage", "refractory", "spikes"] as const) put(f[key], layer[key].ptr);
      const c = layer.conv;
      if (!c) return;
      put(f.conv, 1);
      put(f.channels, c.channels);
      put(f.height, c.height);
      put(f.width, c.width);
      put(f.channelsLast, c.channelsLast ? 1 : 0);
      put(f.pool, c.pool);
      put(f.outChannels, c.outChannels);
      put(f.kernel, c.kernel);
      put(f.stride, c.stride);
      put(f.pad, c.padding);
    });
    this.totals.f64().fill(0);
  }

  /** Steps step0 … step0 + steps − 1 of the first `rows` rows. */
  run(rows: number, step0: number, steps: number): void {
    this.runtime.kernels.snnSteps(this.block.ptr, this.layers.length, 0, rows, step0, steps, this.work.ptr, this.work.bytes, this.totals.ptr);
  }

  /**
   * The spikes counted since the last call — the input's, then each layer's — and the synaptic
   * operations delivered into each layer; the counts start again from 0. (Each thread counts
   * apart; integers, so exact.)
   */
  takeTotals(): { spikes: number[]; synapticOperations: number[] } {
    const L = this.layers.length;
    const width = snnTotals(L);
    const all = this.totals.f64();
    const sums = new Array<number>(width).fill(0);
    for (let p = 0; p < this.parts; p++) for (let i = 0; i < width; i++) sums[i] += all[p * width + i];
    all.fill(0);
    return { spikes: sums.slice(0, L + 1), synapticOperations: sums.slice(L + 1) };
  }
}

/**
 * A fixed-point layer's input sums (assembly/fixed.ts): acc = Σ x_i·q[i, :] per row, over the
 * inputs that fired (`events`: x holds spikes, f32) or every input (x holds i32 pixels). Returns
 * the inputs that fired.
 */
export function fixedPointInput(rows: number, nIn: number, nOut: number, x: Matrix | Bytes, events: boolean, q: Bytes, acc: Bytes): number {
  return q.runtime.kernels.fixedPointInput(rows, nIn, nOut, x.ptr, events ? 1 : 0, q.ptr, acc.ptr);
}

/** One integer step of a fixed-point layer's rows from acc; spikes gets 1 where a neuron fired. Returns the spikes fired. */
export function fixedPointStep(
  rows: number, nOut: number, acc: Bytes, layer: { mult: Bytes; bias: Bytes; synK: number; memK: number; refSteps: number; floor: boolean },
  state: { y: Bytes; v: Bytes; refractory: Bytes }, spikes: Matrix,
): number {
  return acc.runtime.kernels.fixedPointStep(rows, nOut, acc.ptr, layer.mult.ptr, layer.bias.ptr, layer.synK, layer.memK, layer.refSteps, layer.floor ? 1 : 0, state.y.ptr, state.v.ptr, state.refractory.ptr, spikes.ptr);
}
