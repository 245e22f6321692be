// The fused simulation loop (ops SimulationTable, assembly/simulate.ts) against the kernels it
// fuses, called one by one in the loop's order for every step: the Poisson input, then per layer
// the event-driven propagation, the synapse, the current and the LIF step, then the output's
// counts, first spikes and summed current. Every buffer must end with the same bits and the counts
// must be the same — on one thread and on three, where the rows are divided — for every synapse,
// both input encodings, dense and convolutional layers, and steps given in several calls.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bytes, init, Matrix, ops, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let one: Runtime, three: Runtime;
beforeAll(async () => {
  one = await init({ threads: 1 });
  three = await init({ threads: 3 });
});
afterAll(() => three.close());

const NEURON = { tauRc: 0.02, tRef: 0.002, amplitude: 0.05, gain: 1.7 };
const DT = 0.001, TAU_S = 0.005, PERIOD = 0.004;
const B = 5, STEPS = 60;

// 2×6×6 images → 3×3 convolution, padding 1, to 4 channels (144 neurons, NHWC) → 12 → 7, or dense.
const CONV = { channels: 2, height: 6, width: 6, channelsLast: false, pool: 1, outChannels: 4, kernel: 3, stride: 1, padding: 1 };

interface Setup {
  synapse: "lowpass" | "alpha" | "none";
  poisson: boolean;
  conv: boolean;
}

/** A network, its state buffers and its input, filled the same way on `rt` for every setup. */
function build(rt: Runtime, setup: Setup) {
  const gen = new Lcg(setup.conv ? 7 : 3);
  const widths = setup.conv ? [72, 144, 12, 7] : [72, 40, 12, 7];
  const matrix = (rows: number, cols: number, low: number, high: number) => Matrix.from(rt, rows, cols, Array.from({ length: rows * cols }, () => gen.range(low, high)));
  const layers = widths.slice(1).map((outputs, l) => {
    const conv = setup.conv && l === 0 ? CONV : undefined;
    const zero = () => new Matrix(rt, B, outputs);
    return {
      weightT: conv ? matrix(CONV.channels * 9, CONV.outChannels, -0.8, 1.2) : matrix(widths[l], outputs, -0.6, 1),
      // Biases per neuron (a convolution's repeated per position would do as well here).
      bias: matrix(1, outputs, 0.2, 1.4),
      conv, u: zero(), y: zero(), z: zero(), current: zero(), voltage: zero(), refractory: zero(), spikes: zero(),
    };
  });
  const x = matrix(B, widths[0], 0, 1);
  const generators = new ops.RowRngs(rt, B);
  generators.seed(5, 100, B);
  const last = widths[widths.length - 1];
  const io = { x, inputSpikes: new Matrix(rt, B, widths[0]), generators, counts: new Matrix(rt, B, last), first: Matrix.from(rt, B, last, new Array(B * last).fill(Infinity)), drive: new Matrix(rt, B, last) };
  const events = new Bytes(rt, Math.max(4 * 144, ops.spikingConvWorkBytes(rt, CONV)));
  if (!setup.poisson) {
    // Current input: layer 0's current is set once, as the simulation does before its steps.
    const first = layers[0];
    if (first.conv) ops.propagateSpikesConv(x, first.conv, first.weightT, first.y, events);
    else ops.matmul(x, first.weightT, first.y, new Bytes(rt, ops.gemmWorkBytes(rt, B, widths[1], widths[0])));
    ops.neuronCurrent(first.y, first.bias, NEURON.gain, first.current);
  }
  return { layers, io, events };
}

/** The loop, kernel by kernel; returns the input's and each layer's spikes, then each layer's synaptic operations. */
function oneByOne(net: ReturnType<typeof build>, setup: Setup): number[] {
  const { layers, io, events } = net;
  const totals = new Array<number>(2 * layers.length + 1).fill(0);
  const tauS = setup.synapse === "none" ? 0 : TAU_S;
  for (let step = 1; step <= STEPS; step++) {
    let spikes = io.inputSpikes;
    if (setup.poisson) totals[0] += ops.poissonEncode(io.generators, io.x, DT, PERIOD, PERIOD, spikes);
    layers.forEach((layer, l) => {
      if (l > 0 || setup.poisson) {
        totals[layers.length + 1 + l] += layer.conv
          ? ops.propagateSpikesConv(spikes, layer.conv, layer.weightT, layer.u, events)
          : ops.propagateSpikes(spikes, layer.weightT, layer.u, events);
        if (setup.synapse === "alpha") ops.alphaStep(DT, tauS, layer.u, layer.y, layer.z);
        else ops.lowpassStep(DT, tauS, layer.u, layer.y);
        ops.neuronCurrent(layer.y, layer.bias, NEURON.gain, layer.current);
      }
      totals[l + 1] += ops.lifStep(NEURON, DT, NEURON.amplitude, layer);
      spikes = layer.spikes;
    });
    const out = layers[layers.length - 1];
    ops.recordSpikes(step * DT, DT, NEURON.tRef, out.spikes, out.refractory, io.counts, io.first);
    ops.axpy(1, out.current, io.drive);
  }
  return totals;
}

function fused(rt: Runtime, net: ReturnType<typeof build>, setup: Setup): number[] {
  const table = new ops.SimulationTable(rt, net.layers, net.io, {
    dt: DT, tauS: setup.synapse === "none" ? 0 : TAU_S, alpha: setup.synapse === "alpha", ...NEURON, floor: true, ...(setup.poisson ? { poissonPeriod: PERIOD } : {}),
  }, net.events);
  // In uneven stretches, as readouts divide a presentation.
  for (const [step0, steps] of [[1, 1], [2, 19], [21, 30], [51, 10]]) table.run(B, step0, steps);
  const { spikes, synapticOperations } = table.takeTotals();
  expect(table.takeTotals().spikes.every((n) => n === 0), "takeTotals starts the counts again").toBe(true);
  return [...spikes, ...synapticOperations];
}

function state(net: ReturnType<typeof build>): Float32Array[] {
  const { layers, io } = net;
  return [io.inputSpikes, io.counts, io.first, io.drive, ...layers.flatMap((l) => [l.u, l.y, l.z, l.current, l.voltage, l.refractory, l.spikes])].map((m) => m.toArray());
}

const SETUPS: Setup[] = (["lowpass", "alpha", "none"] as const).flatMap((synapse) => [true, false].flatMap((poisson) => [false, true].map((conv) => ({ synapse, poisson, conv }))));

describe("the fused simulation loop", () => {
  it.each(SETUPS)("synapse $synapse, Poisson $poisson, convolution $conv: the bits of the kernels called one by one, on 1 and 3 threads", (setup) => {
    const reference = build(one, setup);
    const expected = oneByOne(reference, setup);
    // Something must happen in every layer, or the comparison would prove little.
    // (Layer 0 receives no synaptic operations from a current input.)
    const L = reference.layers.length;
    expect(expected.filter((_, i) => setup.poisson || (i !== 0 && i !== L + 1)).every((n) => n > 0), `spikes and synaptic operations: ${expected}`).toBe(true);
    const want = state(reference);
    for (const rt of [one, three]) {
      const net = build(rt, setup);
      const before = rt.parallelCalls().snnSteps ?? 0;
      expect(fused(rt, net, setup), `${rt.threads} threads: counts`).toEqual(expected);
      const got = state(net);
      got.forEach((values, i) => expect(Buffer.from(values.buffer).equals(Buffer.from(want[i].buffer)), `${rt.threads} threads: buffer ${i}`).toBe(true));
      if (rt.threads > 1) expect(rt.parallelCalls().snnSteps ?? 0).toBeGreaterThan(before);
    }
  });
});
