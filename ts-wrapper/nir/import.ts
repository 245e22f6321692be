// A NIR graph as a bioplausible spiking network: the soft-LIF rate network whose conversion it is,
// and the simulation that runs it (docs/nir.md has the mapping). The graph must be a chain from its
// Input to its Output of weights (Affine, Linear, Conv2d; Scale folds into them), each followed by
// neurons (LIF, CubaLIF, IF; LI or CubaLI only as the output), with AvgPool2d, SumPool2d and
// Flatten between. Everything per neuron folds into the weights and biases: a neuron with
// threshold θ, resistance r, input weight w_in and leak v_leak drives ours with
// j = (r·w_in/θ)·I + v_leak/θ. What is left must be shared by the whole network, as our neurons
// share it: τ_mem, the synapse (CubaLIF's tau_syn, or none), v_reset = 0. Anything else is an
// error naming the node and why.

import { OptionError } from "../errors.js";
import { MLP } from "../models/mlp.js";
import { resolveSimulation, type Readout, type Simulation } from "../models/snn.js";
import { IF_TAU, type NeuronParams } from "../models/neuron.js";
import type { Runtime } from "../wasm/load.js";
import type { NirMetadata } from "./export.js";
import { elements, METADATA_KEY, pair, param, type NirGraph, type NirNode, type NirTensor } from "./graph.js";

/** What an import gives: the rate network, its simulation, and what is only approximate. */
export interface NirImport {
  model: MLP;
  simulation: Simulation;
  /** Mappings that are not exact, one sentence each, naming the node. */
  approximations: string[];
}

const SYNAPSES = new Set(["Affine", "Linear", "Conv2d"]);
const NEURONS = new Set(["LIF", "CubaLIF", "IF", "LI", "CubaLI"]);

interface Layer {
  name: string;
  /** [out, in] dense, or a convolution's [O, C·K²]. */
  weight: Float64Array;
  bias: Float64Array;
  outputs: number;
  inputs: number;
  conv?: { outChannels: number; kernel: number; stride: number; padding: number };
  /** Per output neuron: the folded factor on I, and the drive (v_leak/θ). */
  neuron?: { name: string; type: string };
}

/** The spiking network a NIR graph declares; `file` names it in every error. */
export function fromNir(graph: NirGraph, file: string, runtime?: Runtime): NirImport {
  try {
    return importGraph(graph, file, runtime);
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(`${file}: `)) throw new Error(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function importGraph(graph: NirGraph, file: string, runtime?: Runtime): NirImport {
  const where = (name: string) => `${file}: node "${name}" (${graph.nodes[name]?.type})`;
  const chain = walk(graph, file);
  const meta = metadataOf(graph, file);
  const approximations: string[] = [];
  // The simulation the graph's spikes are read in: ours if the file is ours, else unit-area input
  // spikes with a Poisson pixel firing at most once a step (period dt).
  const s = meta?.simulation;
  const dt = s?.dt ?? 0.001;
  const encoding = s?.encoding ?? "poisson";
  const poissonPeriod = s?.poissonPeriod ?? dt;
  const amplitude = meta?.amplitude ?? 1, gain = meta?.gain ?? 1;
  // The area of one input spike in our units (a current's is 1: W·x directly); float32 as the
  // kernels take them, so that our own export divides back exactly (export.ts).
  const inputArea = Math.fround(encoding === "current" ? 1 : poissonPeriod);
  const input = graph.nodes[chain[0]];
  // A 2-D input is one channel.
  let dims = [...param(input, "shape", chain[0]).data];
  if (dims.length === 2) dims = [1, ...dims];
  if (dims.length !== 1 && dims.length !== 3) throw new Error(`${where(chain[0])}: an input of shape [${dims}]; bioplausible takes a vector or a (C, H, W) map`);
  const inputShape = [...dims];

  // The chain as weight layers with pooling between, shapes followed.
  const tokens: string[] = [];
  const layers: Layer[] = [];
  let current: Layer | undefined;
  let spatial = dims.length === 3;
  let [C, H, W] = spatial ? dims : [dims[0], 1, 1];
  let poolSum = 1; // SumPool2d's K² factors on the next weights
  let preScale: Float64Array | undefined; // a Scale between neurons and the next weights
  let width = elements(dims);
  let tau: { value: number; node: string } | undefined;
  let synapse: { tauS: number; node: string } | undefined;
  let integrating = false;
  for (const name of chain.slice(1, -1)) {
    const node = graph.nodes[name];
    const w = where(name);
    if (integrating) throw new Error(`${w}: follows ${layers.at(-1)!.neuron!.name}, a non-spiking ${layers.at(-1)!.neuron!.type}; only the output may be LI or CubaLI`);
    if (node.type === "AvgPool2d" || node.type === "SumPool2d") {
      if (current) throw new Error(`${w}: pooling between weights and their neurons; bioplausible pools spikes, after the neurons`);
      if (!spatial) throw new Error(`${w}: pooling a vector`);
      if (preScale) throw new Error(`${w}: pools values a Scale before it has scaled; bioplausible folds a Scale into the weights next to it, so put it after the pooling`);
      const [kh, kw] = pair(node, "kernel_size", name);
      const [sh, sw] = pair(node, "stride", name);
      const [ph, pw] = node.params.padding === undefined ? [0, 0] : pair(node, "padding", name);
      if (kh !== kw || sh !== kh || sw !== kw || ph !== 0 || pw !== 0) {
        throw new Error(`${w}: kernel [${kh}, ${kw}], stride [${sh}, ${sw}], padding [${ph}, ${pw}]; bioplausible pools square windows with stride = kernel and no padding`);
      }
      if (H % kh || W % kh) throw new Error(`${w}: a ${kh}×${kh} pool does not divide the ${H}×${W} map`);
      tokens.push(`avgpool${kh}`);
      if (node.type === "SumPool2d") poolSum *= kh * kh;
      [H, W] = [H / kh, W / kh];
      width = C * H * W;
      continue;
    }
    if (node.type === "Flatten") {
      if (current) throw new Error(`${w}: Flatten between weights and their neurons`);
      spatial = false;
      continue;
    }
    if (node.type === "Scale") {
      const s = param(node, "scale", name).data;
      const n = current ? current.outputs : width;
      const per = s.length === 1 ? new Float64Array(n).fill(s[0]) : s;
      if (per.length !== n) throw new Error(`${w}: ${s.length} scales for ${n} values`);
      if (current) scaleOutputs(current, per, w);
      else preScale = preScale ? preScale.map((v, i) => v * per[i]) : Float64Array.from(per);
      continue;
    }
    if (SYNAPSES.has(node.type)) {
      if (current) throw new Error(`${w}: two weight nodes in a row (after "${current.name}") without neurons between`);
      current = node.type === "Conv2d" ? convLayer(node, name, w, C, H, W) : denseLayer(node, name, w, width, spatial);
      // What arrives here was pooled by summing or scaled.
      const factor = poolSum;
      if (factor !== 1) current.weight = current.weight.map((v) => v * factor);
      if (preScale) scaleInputs(current, preScale, C, H * W, w);
      poolSum = 1;
      preScale = undefined;
      if (current.conv) {
        const { outChannels, kernel, stride, padding } = current.conv;
        tokens.push(`conv${outChannels}k${kernel}${stride !== 1 ? `s${stride}` : ""}${padding ? `p${padding}` : ""}`);
        H = Math.floor((H + 2 * padding - kernel) / stride) + 1;
        W = Math.floor((W + 2 * padding - kernel) / stride) + 1;
        C = outChannels;
        width = C * H * W;
      } else {
        tokens.push(`fc${current.outputs}`);
        spatial = false;
        width = current.outputs;
      }
      continue;
    }
    if (NEURONS.has(node.type)) {
      if (!current) throw new Error(`${w}: neurons without weights before them; bioplausible's layers are weights, then neurons`);
      const folded = foldNeuron(node, name, w, current, Math.fround(gain), layers.length === 0 ? inputArea : Math.fround(amplitude), approximations);
      if (folded.tau !== undefined) {
        if (tau && !close(tau.value, folded.tau)) throw new Error(`${w}: τ = ${folded.tau} s, but node "${tau.node}" has ${tau.value} s; bioplausible's neurons share one τ`);
        tau ??= { value: folded.tau, node: name };
      }
      if (folded.tauS !== undefined && !(layers.length === 0 && encoding === "current")) {
        if (synapse && !close(synapse.tauS, folded.tauS)) {
          throw new Error(`${w}: ${folded.tauS ? `tau_syn = ${folded.tauS} s` : "no synapse"}, but node "${synapse.node}" has ${synapse.tauS ? `tau_syn = ${synapse.tauS} s` : "none"}; bioplausible's layers share one synapse`);
        }
        synapse ??= { tauS: folded.tauS, node: name };
      }
      integrating = folded.integrating;
      current.neuron = { name, type: node.type };
      layers.push(current);
      current = undefined;
      continue;
    }
    if (node.type === "Threshold") throw new Error(`${w}: a Threshold node (a stateless spike); bioplausible's neurons integrate, so it maps onto none of them`);
    throw new Error(`${w}: a node type bioplausible does not run (it runs ${[...SYNAPSES, ...NEURONS, "AvgPool2d", "SumPool2d", "Flatten", "Scale"].join(", ")})`);
  }
  if (current) throw new Error(`${where(current.name)}: weights with no neurons after them before the Output`);
  if (layers.length === 0) throw new Error(`${file}: the graph has no layer of neurons`);
  const out = layers.at(-1)!;
  if (out.conv) throw new Error(`${where(out.name)}: the output layer is a convolution; bioplausible's output is a Linear layer (add a Flatten and a Linear)`);
  const output = graph.nodes[chain.at(-1)!];
  if (output.params.shape !== undefined && typeof output.params.shape !== "string" && elements([...output.params.shape.data]) !== out.outputs) {
    throw new Error(`${where(chain.at(-1)!)}: shape [${[...output.params.shape.data]}] but the last layer has ${out.outputs} neurons`);
  }

  const neuron: NeuronParams = {
    tauRc: tau?.value ?? IF_TAU, tRef: 0, amplitude, gain, smoothing: meta?.smoothing ?? 0.02, voltageFloor: false,
  };
  const arch = tokens.some((t) => !t.startsWith("fc")) ? tokens.join(",") : undefined;
  const model = new MLP({
    ...(arch ? { arch, inputShape } : { layers: [elements(inputShape), ...layers.map((l) => l.outputs)] }),
    activation: "softlif", neuron, runtime,
  });
  try {
    model.linearLayers.forEach((layer, l) => {
      model.params.view(layer.weight).set(layers[l].weight);
      model.params.view(layer.bias).set(layers[l].bias);
    });
    // As float32, which the model holds.
    const finite = (x: number) => Number.isFinite(Math.fround(x));
    const nonFinite = layers.find((l) => !l.weight.every(finite) || !l.bias.every(finite));
    if (nonFinite) throw new Error(`${where(nonFinite.name)}: its weights or biases, folded with the neurons' parameters, are not all finite`);
  } catch (error) {
    model.free();
    throw error;
  }
  const lastType = out.neuron!.type;
  const readout: Readout = meta?.simulation.readout ?? (lastType === "LI" || lastType === "CubaLI" ? "integrate" : "count");
  if ((lastType === "LI" || lastType === "CubaLI") && readout !== "integrate") throw new Error(`${where(out.neuron!.name)}: a non-spiking output needs the integrate readout`);
  if (lastType === "LI" || lastType === "CubaLI") {
    approximations.push(`node "${out.neuron!.name}" (${lastType}): read out as the argmax of its input current integrated over the presentation (the integrate readout), not of its leaky membrane`);
  }
  let simulation: Simulation;
  try {
    simulation = resolveSimulation({
      synapse: synapse && synapse.tauS > 0 ? "lowpass" : "none", ...(synapse && synapse.tauS > 0 ? { tauS: synapse.tauS } : {}),
      readout, encoding, poissonPeriod, dt, ...(s ? { time: s.time } : {}),
    }, neuron);
  } catch (error) {
    model.free();
    throw error instanceof OptionError ? new Error(`${file}: ${error.message}`) : error;
  }
  return { model, simulation, approximations };
}

/** The nodes from the single Input to the single Output, in order; an error for any other shape of graph. */
function walk(graph: NirGraph, file: string): string[] {
  const names = Object.keys(graph.nodes);
  const of = (type: string) => names.filter((n) => graph.nodes[n].type === type);
  const inputs = of("Input"), outputs = of("Output");
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new Error(`${file}: the graph has ${inputs.length} Input and ${outputs.length} Output nodes; bioplausible runs one of each`);
  }
  const into = graph.edges.find(([, to]) => to === inputs[0]);
  if (into) throw new Error(`${file}: an edge ${into[0]} → ${into[1]} leads into the Input; bioplausible runs a chain of layers from it`);
  const next = new Map<string, string>();
  const incoming = new Map<string, number>();
  for (const [from, to] of graph.edges) {
    for (const n of [from, to]) if (!graph.nodes[n]) throw new Error(`${file}: an edge ${from} → ${to} names no node "${n}"`);
    if (next.has(from)) throw new Error(`${file}: node "${from}" (${graph.nodes[from].type}) has more than one outgoing edge; bioplausible runs a chain of layers`);
    next.set(from, to);
    incoming.set(to, (incoming.get(to) ?? 0) + 1);
    if (incoming.get(to)! > 1) throw new Error(`${file}: node "${to}" (${graph.nodes[to].type}) has more than one incoming edge (a recurrent or merging graph); bioplausible runs a chain of layers`);
  }
  const chain = [inputs[0]];
  while (chain.at(-1) !== outputs[0]) {
    const to = next.get(chain.at(-1)!);
    if (to === undefined) throw new Error(`${file}: node "${chain.at(-1)}" (${graph.nodes[chain.at(-1)!].type}) leads nowhere: the chain from the Input never reaches the Output`);
    if (chain.includes(to)) throw new Error(`${file}: the edges loop back to node "${to}"`);
    chain.push(to);
  }
  const unused = names.filter((n) => !chain.includes(n));
  if (unused.length) throw new Error(`${file}: node "${unused[0]}" (${graph.nodes[unused[0]].type}) is not on the path from the Input to the Output`);
  return chain;
}

function metadataOf(graph: NirGraph, file: string): NirMetadata | undefined {
  const text = graph.metadata[METADATA_KEY];
  if (text === undefined) return undefined;
  try {
    const meta = JSON.parse(text) as NirMetadata;
    const s = meta?.simulation;
    const numbers = [meta?.amplitude, meta?.gain, meta?.smoothing, s?.poissonPeriod, s?.time, s?.dt];
    if (meta?.format === "bioplausible" && numbers.every((v) => typeof v === "number" && Number.isFinite(v)) && typeof s.encoding === "string" && typeof s.readout === "string") return meta;
  } catch {
    // fall through
  }
  throw new Error(`${file}: the graph's metadata "${METADATA_KEY}" is not bioplausible's JSON`);
}

function denseLayer(node: NirNode, name: string, w: string, width: number, spatial: boolean): Layer {
  const weight = param(node, "weight", name);
  if (weight.shape.length !== 2) throw new Error(`${w}: a weight of shape [${weight.shape}]; expected [outputs, inputs]`);
  const [outputs, inputs] = weight.shape;
  if (inputs !== width) throw new Error(`${w}: takes ${inputs} inputs but receives ${width}${spatial ? " (a feature map: flatten it first)" : ""}`);
  const bias = node.type === "Affine" ? param(node, "bias", name).data : new Float64Array(outputs);
  if (bias.length !== outputs) throw new Error(`${w}: ${bias.length} biases for ${outputs} outputs`);
  return { name, weight: Float64Array.from(weight.data), bias: Float64Array.from(bias), outputs, inputs };
}

function convLayer(node: NirNode, name: string, w: string, C: number, H: number, W: number): Layer {
  const weight = param(node, "weight", name);
  if (weight.shape.length !== 4) throw new Error(`${w}: a weight of shape [${weight.shape}]; expected [out, in, kh, kw]`);
  const [O, Cin, kh, kw] = weight.shape;
  const groups = node.params.groups === undefined ? 1 : param(node, "groups", name).data[0];
  if (groups !== 1) throw new Error(`${w}: groups ${groups}; bioplausible's convolutions have one group`);
  if (Cin !== C) throw new Error(`${w}: takes ${Cin} channels but receives ${C}`);
  if (kh !== kw) throw new Error(`${w}: a ${kh}×${kw} kernel; bioplausible's kernels are square`);
  const [sh, sw] = pair(node, "stride", name);
  const padding = node.params.padding;
  const [ph, pw] = padding === "valid" ? [0, 0]
    : padding === "same" ? (sh === 1 && kh % 2 === 1 ? [(kh - 1) / 2, (kh - 1) / 2] : [NaN, NaN])
    : pair(node, "padding", name);
  const [dh, dw] = node.params.dilation === undefined ? [1, 1] : pair(node, "dilation", name);
  if (sh !== sw || !(ph === pw) || dh !== 1 || dw !== 1) {
    throw new Error(`${w}: stride [${sh}, ${sw}], padding ${JSON.stringify(typeof padding === "string" ? padding : [ph, pw])}, dilation [${dh}, ${dw}]; bioplausible's convolutions have equal strides and paddings and no dilation`);
  }
  if (node.params.input_shape !== undefined && typeof node.params.input_shape !== "string") {
    const [ih, iw] = [...node.params.input_shape.data];
    if (ih !== H || iw !== W) throw new Error(`${w}: input_shape [${ih}, ${iw}] but it receives a ${H}×${W} map`);
  }
  if (kh > H + 2 * ph) throw new Error(`${w}: a ${kh}×${kh} kernel is larger than its ${H}×${W} input with padding ${ph}`);
  const bias = node.params.bias === undefined ? new Float64Array(O) : param(node, "bias", name).data;
  if (bias.length !== O) throw new Error(`${w}: ${bias.length} biases for ${O} channels`);
  const outH = Math.floor((H + 2 * ph - kh) / sh) + 1, outW = Math.floor((W + 2 * ph - kh) / sh) + 1;
  return {
    name, weight: Float64Array.from(weight.data), bias: Float64Array.from(bias), outputs: O * outH * outW, inputs: C * H * W,
    conv: { outChannels: O, kernel: kh, stride: sh, padding: ph },
  };
}

/** Multiply each output's weights and bias by s[o] (a convolution's: s must be the same across each channel's positions). */
function scaleOutputs(layer: Layer, s: ArrayLike<number>, w: string): void {
  const perChannel = channelValues(layer, s, w, "scale");
  const rows = layer.bias.length, cols = layer.weight.length / rows;
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < cols; i++) layer.weight[o * cols + i] *= perChannel[o];
    layer.bias[o] *= perChannel[o];
  }
}

/** Multiply each input's weights by s[i] (for a convolution, s must be the same across each input channel's positions). */
function scaleInputs(layer: Layer, s: Float64Array, C: number, positions: number, w: string): void {
  if (!layer.conv) {
    const rows = layer.bias.length, cols = layer.inputs;
    for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) layer.weight[o * cols + i] *= s[i];
    return;
  }
  const perChannel = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    perChannel[c] = s[c * positions];
    for (let p = 0; p < positions; p++) if (s[c * positions + p] !== perChannel[c]) throw new Error(`${w}: a scale that varies within input channel ${c}; a convolution's inputs can only be scaled per channel`);
  }
  const taps = layer.weight.length / layer.bias.length, k2 = taps / C;
  for (let o = 0; o < layer.bias.length; o++) for (let t = 0; t < taps; t++) layer.weight[o * taps + t] *= perChannel[Math.floor(t / k2)];
}

/** One value per output channel (per neuron for a dense layer) of a per-neuron parameter, which must be constant within each channel. */
function channelValues(layer: Layer, values: ArrayLike<number>, w: string, what: string): Float64Array {
  const channels = layer.bias.length;
  const per = layer.outputs / channels;
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    out[c] = values[c * per];
    for (let p = 1; p < per; p++) {
      if (values[c * per + p] !== out[c]) throw new Error(`${w}: ${what} varies within output channel ${c}; a convolution's neurons share their channel's parameters`);
    }
  }
  return out;
}

/** The node's parameters as one value per neuron (a scalar broadcast), or an error naming it. */
function perNeuron(node: NirNode, key: string, name: string, w: string, n: number, fallback?: number): Float64Array {
  if (node.params[key] === undefined && fallback !== undefined) return new Float64Array(n).fill(fallback);
  const t: NirTensor = param(node, key, name);
  if (t.data.length === 1) return new Float64Array(n).fill(t.data[0]);
  if (t.data.length !== n) throw new Error(`${w}: "${key}" has ${t.data.length} values for ${n} neurons`);
  return t.data;
}

/** One shared value of a per-neuron parameter, or an error naming the node. */
function uniform(values: Float64Array, key: string, w: string): number {
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${w}: "${key}" of neuron ${bad} is ${values[bad]}`);
  const v = values[0];
  if (!values.every((x) => close(x, v))) throw new Error(`${w}: "${key}" differs between its neurons; bioplausible's neurons share it`);
  return v;
}

/**
 * Fold a neuron node into the layer's weights and biases (in place): W ← W·r·w_in/(θ·g·area),
 * b ← (v_leak/θ + bias·r·w_in/θ)/g, with g our gain and area that of the spikes arriving. Returns
 * the τ and synapse it needs shared (tauS 0 for none), and whether it integrates without spiking.
 */
function foldNeuron(
  node: NirNode, name: string, w: string, layer: Layer, g: number, area: number, approximations: string[],
): { tau?: number; tauS?: number; integrating: boolean } {
  const n = layer.outputs;
  const type = node.type;
  const integrating = type === "LI" || type === "CubaLI";
  const spiking = !integrating;
  const cuba = type === "CubaLIF" || type === "CubaLI";
  let tau: number | undefined;
  if (type === "LIF" || type === "LI") tau = uniform(perNeuron(node, "tau", name, w, n), "tau", w);
  if (cuba) tau = uniform(perNeuron(node, "tau_mem", name, w, n), "tau_mem", w);
  let r = perNeuron(node, "r", name, w, n);
  if (type === "IF") {
    // dv/dt = r·I is τ dv/dt = τ·r·I − v without the leak: a τ long enough for it not to matter.
    r = r.map((x) => x * IF_TAU);
    approximations.push(`node "${name}" (IF): integrated as a LIF with τ = ${IF_TAU} s and r·τ, which leaks ${1e-3 / IF_TAU} of its voltage a 1 ms step`);
  }
  const threshold = spiking ? perNeuron(node, "v_threshold", name, w, n) : new Float64Array(n).fill(1);
  const reset = spiking ? perNeuron(node, "v_reset", name, w, n, 0) : new Float64Array(n);
  const leak = type === "IF" ? new Float64Array(n) : perNeuron(node, "v_leak", name, w, n);
  const wIn = cuba ? perNeuron(node, "w_in", name, w, n, 1) : new Float64Array(n).fill(1);
  for (let o = 0; o < n; o++) {
    if (!(threshold[o] > 0)) throw new Error(`${w}: v_threshold of neuron ${o} is ${threshold[o]}; bioplausible's neurons fire at a positive threshold`);
    if (reset[o] !== 0) throw new Error(`${w}: v_reset of neuron ${o} is ${reset[o]}; bioplausible's neurons reset to 0`);
  }
  if (integrating && !Number.isFinite(tau!)) throw new Error(`${w}: tau must be finite`);
  if (tau !== undefined && !(tau > 0 && Number.isFinite(tau))) throw new Error(`${w}: τ = ${tau} s; it must be a finite time > 0`);
  // Per neuron: the factor on I and the constant drive, in our units (divided by g).
  const factor = new Float64Array(n), drive = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    factor[o] = (r[o] * wIn[o]) / (threshold[o] * g);
    drive[o] = leak[o] / (threshold[o] * g);
  }
  const f = channelValues(layer, factor, w, "r·w_in/v_threshold");
  const d = channelValues(layer, drive, w, "v_leak/v_threshold");
  const hadBias = layer.bias.some((b) => b !== 0);
  const rows = layer.bias.length, cols = layer.weight.length / rows;
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < cols; i++) layer.weight[o * cols + i] = (layer.weight[o * cols + i] * f[o]) / area;
    layer.bias[o] = d[o] + layer.bias[o] * f[o];
  }
  const tauS = cuba ? uniform(perNeuron(node, "tau_syn", name, w, n), "tau_syn", w) : 0;
  if (cuba && !(tauS > 0 && Number.isFinite(tauS))) throw new Error(`${w}: tau_syn = ${tauS} s; it must be a finite time > 0`);
  if (cuba && hadBias) {
    approximations.push(`node "${name}" (${type}): the bias of the weights before it is taken as a constant current from the start; NIR filters it through tau_syn, so the first ${tauS} s differ`);
  }
  // A non-spiking output is read out by its integrated current: its τ and synapse do not matter.
  // An IF neuron is our LIF at IF_TAU: it shares that τ with the network, or the import refuses.
  return integrating ? { integrating } : { tau: type === "IF" ? IF_TAU : tau, tauS, integrating };
}

/** Equal to float32 precision: parameters written as float32 by one tool and float64 by another still agree. */
function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}
