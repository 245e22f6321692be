// A converted spiking network as a NIR graph (docs/nir.md has the mapping and what it loses).
//
// Each Linear or Conv2d of the rate network becomes a NIR Linear or Conv2d followed by its neurons:
// CubaLIF with the low-pass synapse (tau_syn = τ_s), LIF without one. Our neuron is
// τ_RC dv/dt = gain·(y + b) − v with y the filtered spikes, each spike an impulse of area
// `amplitude` (the input's Poisson spikes: area poissonPeriod); NIR's is
// τ_mem dv/dt = v_leak − v + r·I with I the filtered unit-area spikes through the weights. So
// weight_NIR = area·W, r = gain, v_leak = gain·b (the bias as a constant drive, after the synapse as
// ours is, not an Affine bias the synapse would filter), v_threshold = 1, v_reset = 0. With current input
// the first layer is a LIF (the image is a constant current: our first layer filters nothing).
// Average pooling is NIR's AvgPool2d, between the neurons and the next weights; Flatten precedes a
// Linear on a feature map, in PyTorch's (C, H, W) order.

import { OptionError } from "../errors.js";
import { Conv2d, Linear, Pool2d } from "../layers/index.js";
import { FixedPointSNN, type Quantization } from "../models/fixed-point.js";
import { fusedLinearLayers } from "../models/fuse.js";
import type { MLP } from "../models/mlp.js";
import type { Simulation } from "../models/snn.js";
import { VERSION } from "../version.js";
import { METADATA_KEY, scalar, tensor, type NirGraph, type NirNode, type NirTensor } from "./graph.js";

// Products of two float32 values are exact in float64: the kernels' float32 areas and gain times
// our float32 weights and biases, which an import divides back exactly.
const f = Math.fround;

/** What NIR has no field for, kept in the graph's metadata so that our import restores it. */
export interface NirMetadata {
  format: "bioplausible";
  version: string;
  /** Area of a hidden spike; weights into hidden and output layers are scaled by it. */
  amplitude: number;
  gain: number;
  smoothing: number;
  /** The refractory period the network was trained with (NIR's neurons have none). */
  trainedTRef: number;
  simulation: Pick<Simulation, "encoding" | "poissonPeriod" | "readout" | "time" | "dt">;
  /**
   * With a quantised export: the weights written are s·q, and here are the int8 q's scales, one
   * per weight layer (one value, or one per output neuron with int8-channel).
   */
  quantization?: { kind: Quantization; scales: number[][] };
}

export interface NirExport {
  graph: NirGraph;
  /** What the graph does not keep of the network, in words for the user. */
  warnings: string[];
}

/**
 * The NIR graph of a soft-LIF rate network simulated as spikes with `sim`. NIR's neurons have no
 * refractory period and no voltage floor: a network with t_ref > 0 is refused unless
 * `dropRefractory`, and the warnings say what changed.
 */
export function toNir(mlp: MLP, sim: Simulation, options: { dropRefractory?: boolean; quantize?: Quantization } = {}): NirExport {
  const { neuron, activations } = mlp.config;
  activations.forEach((a, i) => {
    if (a !== "softlif") throw new OptionError("activation", `hidden layer ${i + 1} has activation "${a}"; only a network whose hidden activations are all "softlif" exports as spiking neurons`);
  });
  if (!neuron) throw new OptionError("neuron", "the network has no neuron parameters: nothing spikes");
  if (sim.synapse === "alpha") throw new OptionError("synapse", "NIR has no alpha synapse; export with the lowpass synapse (CubaLIF) or none (LIF)");
  const warnings: string[] = [];
  if (neuron.tRef > 0) {
    if (!options.dropRefractory) {
      throw new OptionError("dropRefractory", `NIR's LIF has no refractory period and this network's is ${neuron.tRef} s: drop it to export (the network then fires faster; simulate the NIR file to see its accuracy under NIR's semantics), or train with t_ref = 0`);
    }
    warnings.push(`the refractory period (${neuron.tRef} s) is dropped: NIR's neurons have none, so they fire at most once a step instead`);
  }
  if (neuron.voltageFloor !== false) warnings.push("the voltage floor at 0 is dropped: NIR's neurons charge negative under negative current");

  const fused = fusedLinearLayers(mlp);
  let scales: number[][] | undefined;
  if (options.quantize) {
    // The int8 weights as the fixed-point network has them, written as s·q.
    // Only the weights are taken: the readout does not matter here.
    const fixed = new FixedPointSNN(mlp, options.quantize, { ...sim, readout: "count" });
    try {
      scales = fused.map((layer, l) => {
        const { q, scale } = fixed.weights(l);
        const cols = q.length / scale.length;
        layer.weight = Float32Array.from(q, (v, i) => v * scale[Math.floor(i / cols)]);
        return options.quantize === "int8" ? [scale[0]] : Array.from(scale);
      });
    } finally {
      fixed.free();
    }
    warnings.push(`the weights are int8 (${options.quantize}): written as scale·q, the scales in the graph's metadata; a reader simulates them in float`);
  }
  const nodes: Record<string, NirNode> = { input: { type: "Input", params: { shape: tensor(mlp.inputShape) } } };
  const edges: [string, string][] = [];
  let last = "input";
  const add = (name: string, node: NirNode) => {
    nodes[name] = node;
    edges.push([last, name]);
    last = name;
  };
  let shape = mlp.inputShape;
  let module = 0;
  for (const layer of mlp.layers) {
    if (layer instanceof Pool2d) {
      if (layer.kind === "maxpool") throw new OptionError("arch", `layer ${layer.index} is max pooling, which has no spiking counterpart: use avgpool`);
      const k = layer.shape.kernel;
      add(`pool${layer.index}`, { type: "AvgPool2d", params: { kernel_size: tensor([k, k]), stride: tensor([k, k]), padding: tensor([0, 0]) } });
      shape = layer.outputShape;
      continue;
    }
    if (!(layer instanceof Conv2d) && !(layer instanceof Linear)) continue;
    const l = module++;
    const { weight, bias } = fused[l];
    // The area of one spike arriving here, in the units of our weights, as the kernels take it.
    const area = f(l > 0 ? neuron.amplitude : sim.encoding === "poisson" ? sim.poissonPeriod : 1);
    const scaled: NirTensor = { shape: [], data: Float64Array.from(weight, (w) => area * w) };
    let outShape: number[];
    if (layer instanceof Conv2d) {
      const { channels, height, width, outChannels, kernel, stride, padding } = layer.shape;
      scaled.shape = [outChannels, channels, kernel, kernel];
      add(`conv${layer.index}`, {
        type: "Conv2d",
        params: {
          weight: scaled, bias: tensor(new Float64Array(outChannels)), stride: tensor([stride, stride]), padding: tensor([padding, padding]),
          dilation: tensor([1, 1]), groups: scalar(1), input_shape: tensor([height, width]),
        },
      });
      outShape = [...layer.outputShape];
    } else {
      if (shape.length > 1) add(`flatten${layer.index}`, { type: "Flatten", params: { start_dim: scalar(0), end_dim: scalar(-1), input_type: tensor(shape) } });
      scaled.shape = [layer.outputs, layer.inputs];
      add(`fc${layer.index}`, { type: "Linear", params: { weight: scaled } });
      outShape = [layer.outputs];
    }
    const perNeuron = outShape.reduce((n, d) => n * d, 1);
    const positions = perNeuron / bias.length;
    // Outputs are (C, H, W): channel c's bias at each of its positions.
    const drive = new Float64Array(perNeuron);
    const gain = f(neuron.gain);
    for (let c = 0; c < bias.length; c++) drive.fill(gain * bias[c], c * positions, (c + 1) * positions);
    const full = (v: number): NirTensor => ({ shape: outShape, data: new Float64Array(perNeuron).fill(v) });
    const common = { r: full(gain), v_leak: { shape: outShape, data: drive }, v_threshold: full(1), v_reset: full(0) };
    const filtered = sim.synapse === "lowpass" && (l > 0 || sim.encoding === "poisson");
    add(`lif${layer.index}`, filtered
      ? { type: "CubaLIF", params: { tau_mem: full(neuron.tauRc), tau_syn: full(sim.tauS), ...common, w_in: full(1) } }
      : { type: "LIF", params: { tau: full(neuron.tauRc), ...common } });
    shape = outShape;
  }
  add("output", { type: "Output", params: { shape: tensor(shape) } });
  const metadata: NirMetadata = {
    format: "bioplausible", version: VERSION, amplitude: neuron.amplitude, gain: neuron.gain, smoothing: neuron.smoothing, trainedTRef: neuron.tRef,
    simulation: { encoding: sim.encoding, poissonPeriod: sim.poissonPeriod, readout: sim.readout, time: sim.time, dt: sim.dt },
    ...(options.quantize ? { quantization: { kind: options.quantize, scales: scales! } } : {}),
  };
  return { graph: { nodes, edges, metadata: { [METADATA_KEY]: JSON.stringify(metadata) } }, warnings };
}
