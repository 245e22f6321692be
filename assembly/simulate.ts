// The spiking network's simulation loop (SCIENCE.md §2), fused: `steps` steps of every layer for a
// range of rows in one call, so that a batch's simulation crosses into wasm (and, threaded, to the
// workers) once per readout instead of several times per layer and step. Each step runs, row range
// by row range, exactly the kernels the facade would call one by one — the Poisson input, then per
// layer the event-driven propagation, the synapse, the current and the LIF step, then the output's
// readout bookkeeping — and every one of them treats rows independently (each row has its own
// generator), so the bits do not depend on how the rows are divided.

import { axpy } from "./elementwise";
import { poissonSpikesRows } from "./encode";
import {
  RNG_BYTES, SNN_ALPHA, SNN_AMPLITUDE, SNN_BIAS, SNN_CONV, SNN_CONV_CHANNELS, SNN_CONV_CHANNELS_LAST, SNN_CONV_HEIGHT,
  SNN_CONV_KERNEL, SNN_CONV_OUT_CHANNELS, SNN_CONV_PAD, SNN_CONV_POOL, SNN_CONV_STRIDE, SNN_CONV_WIDTH, SNN_COUNTS,
  SNN_CURRENT, SNN_DRIVE, SNN_DT, SNN_FLOOR, SNN_FIRST, SNN_GAIN, SNN_GENERATORS, SNN_HEADER_BYTES, SNN_INPUTS, SNN_INPUT_SPIKES,
  SNN_LAYER_WORDS, SNN_OUTPUTS, SNN_PERIOD, SNN_POISSON, SNN_REFRACTORY, SNN_SPIKES, SNN_T_REF, SNN_TAU_RC, SNN_TAU_S,
  SNN_U, SNN_VOLTAGE, SNN_WEIGHT_T, SNN_X, SNN_Y, SNN_Z,
} from "./layout";
import { lifStep } from "./lif";
import { neuronCurrent, propagateSpikes, propagateSpikesConv, recordSpikes } from "./snn";
import { alphaStep, lowpassStep } from "./synapse";

@inline
function word(layer: usize, field: i32): i32 {
  return load<i32>(layer + (<usize>field << 2));
}

@inline
function ptr(layer: usize, field: i32): usize {
  return <usize>load<u32>(layer + (<usize>field << 2));
}

/**
 * Steps step0, step0 + 1, … (steps of them) of an L-layer network for rows row0 … row0 + rows − 1
 * of the table's buffers (layout.ts, SNN_*). `work` (workBytes long) holds the event scratch of the
 * widest layer or a convolution's (spikingConvWorkBytes), whichever is larger. Adds to totals
 * (2L + 1 float64): the input spikes, each layer's spikes, then the synaptic operations delivered
 * into each layer (propagateSpikes's and propagateSpikesConv's count).
 */
export function snnSteps(table: usize, L: i32, row0: i32, rows: i32, step0: i32, steps: i32, work: usize, workBytes: i32, totals: usize): void {
  const dt64 = load<f64>(table + SNN_DT);
  const dt = <f32>dt64;
  const tauS = <f32>load<f64>(table + SNN_TAU_S);
  const tauRc = <f32>load<f64>(table + SNN_TAU_RC);
  const tRef = <f32>load<f64>(table + SNN_T_REF);
  const amplitude = <f32>load<f64>(table + SNN_AMPLITUDE);
  const gain = <f32>load<f64>(table + SNN_GAIN);
  const period = <f32>load<f64>(table + SNN_PERIOD);
  const alpha = load<i32>(table + SNN_ALPHA) != 0;
  const floor: f32 = load<i32>(table + SNN_FLOOR) != 0 ? 0 : -Infinity;
  const poisson = load<i32>(table + SNN_POISSON) != 0;
  const n0 = load<i32>(table + SNN_INPUTS);
  const r0 = <usize>row0;
  const layers = table + <usize>SNN_HEADER_BYTES;
  const last = layers + (<usize>(L - 1) * <usize>SNN_LAYER_WORDS << 2);
  const nLast = word(last, SNN_OUTPUTS);
  const inputRows = r0 * <usize>n0 << 2;
  const inputSpikes = <usize>load<u32>(table + SNN_INPUT_SPIKES) + inputRows;
  let inputCount: f64 = 0;
  for (let step = step0; step < step0 + steps; step++) {
    let spikes = inputSpikes;
    let nIn = n0;
    if (poisson) {
      inputCount += <f64>poissonSpikesRows(
        <usize>load<u32>(table + SNN_GENERATORS) + r0 * <usize>RNG_BYTES, rows, n0, <usize>load<u32>(table + SNN_X) + inputRows,
        dt, period, period, inputSpikes,
      );
    }
    for (let l = 0; l < L; l++) {
      const layer = layers + (<usize>l * <usize>SNN_LAYER_WORDS << 2);
      const nOut = word(layer, SNN_OUTPUTS);
      const rowBytes = r0 * <usize>nOut << 2;
      const n = rows * nOut;
      const u = ptr(layer, SNN_U) + rowBytes, y = ptr(layer, SNN_Y) + rowBytes, current = ptr(layer, SNN_CURRENT) + rowBytes;
      const out = ptr(layer, SNN_SPIKES) + rowBytes;
      if (l > 0 || poisson) {
        const operations = word(layer, SNN_CONV) != 0
          ? propagateSpikesConv(
            rows, word(layer, SNN_CONV_CHANNELS), word(layer, SNN_CONV_HEIGHT), word(layer, SNN_CONV_WIDTH), word(layer, SNN_CONV_CHANNELS_LAST),
            word(layer, SNN_CONV_POOL), word(layer, SNN_CONV_OUT_CHANNELS), word(layer, SNN_CONV_KERNEL), word(layer, SNN_CONV_STRIDE),
            word(layer, SNN_CONV_PAD), spikes, ptr(layer, SNN_WEIGHT_T), u, work,
          )
          : propagateSpikes(rows, nIn, nOut, spikes, ptr(layer, SNN_WEIGHT_T), u, work);
        const into = totals + (<usize>(L + 1 + l) << 3);
        store<f64>(into, load<f64>(into) + operations);
        if (alpha) alphaStep(n, dt, tauS, u, y, ptr(layer, SNN_Z) + rowBytes);
        else lowpassStep(n, dt, tauS, u, y);
        neuronCurrent(rows, nOut, y, ptr(layer, SNN_BIAS), gain, current);
      }
      const fired = lifStep(n, dt, tauRc, tRef, current, ptr(layer, SNN_VOLTAGE) + rowBytes, ptr(layer, SNN_REFRACTORY) + rowBytes, out, amplitude, floor);
      const at = totals + (<usize>(l + 1) << 3);
      store<f64>(at, load<f64>(at) + <f64>fired);
      spikes = out;
      nIn = nOut;
    }
    const rowBytes = r0 * <usize>nLast << 2;
    const n = rows * nLast;
    recordSpikes(
      n, <f32>(<f64>step * dt64), dt, tRef, ptr(last, SNN_SPIKES) + rowBytes, ptr(last, SNN_REFRACTORY) + rowBytes,
      <usize>load<u32>(table + SNN_COUNTS) + rowBytes, <usize>load<u32>(table + SNN_FIRST) + rowBytes,
    );
    axpy(n, 1, ptr(last, SNN_CURRENT) + rowBytes, <usize>load<u32>(table + SNN_DRIVE) + rowBytes);
  }
  store<f64>(totals, load<f64>(totals) + inputCount);
}
