// Spiking simulation steps (assembly/encode.ts, snn.ts, synapse.ts, lif.ts, rates.ts): input
// encoding, event-driven propagation, synaptic filters, LIF neurons and what is recorded of them.

import type { Bytes, Matrix } from "../tensor.js";
import type { NeuronParams } from "./activation.js";
import type { RowRngs } from "./rng.js";
import type { Runtime } from "../wasm/load.js";

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
 * times its value. `events` is scratch for one row's event list. Returns the spikes propagated.
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
 * inputs, as one dense product. `work` holds spikingConvWorkBytes(shape). Returns the spikes
 * propagated.
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

/** One exact step of LIF neurons; spikes get the value amplitude/dt. Returns the spikes fired. */
export function lifStep(neuron: Pick<NeuronParams, "tauRc" | "tRef">, dt: number, amplitude: number, state: { current: Matrix; voltage: Matrix; refractory: Matrix; spikes: Matrix }): number {
  const { current, voltage, refractory, spikes } = state;
  return current.runtime.kernels.lifStep(current.size, dt, neuron.tauRc, neuron.tRef, current.ptr, voltage.ptr, refractory.ptr, spikes.ptr, amplitude);
}

/** Adds this step's spikes to `counts` and records each neuron's first spike time in `first`. */
export function recordSpikes(tEnd: number, dt: number, tRef: number, spikes: Matrix, refractory: Matrix, counts: Matrix, first: Matrix): void {
  spikes.runtime.kernels.recordSpikes(spikes.size, tEnd, dt, tRef, spikes.ptr, refractory.ptr, counts.ptr, first.ptr);
}

/** The LIF rate r(j) (Hz) of each current. */
export function lifRate(neuron: Pick<NeuronParams, "tauRc" | "tRef">, j: Matrix, out: Matrix): void {
  j.runtime.kernels.lifRate(j.size, neuron.tauRc, neuron.tRef, j.ptr, out.ptr);
}
