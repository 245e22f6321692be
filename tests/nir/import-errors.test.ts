// NIR graphs bioplausible cannot run end in an error naming the node and why; the approximate
// mappings (IF, LI outputs, an Affine bias filtered by a CubaLIF) say so, node by node.

import { beforeAll, describe, expect, it } from "vitest";
import { fromNir, IF_TAU, init, type NirGraph, type NirNode, type Runtime } from "../../ts-wrapper/index.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const t = (data: number[], shape = [data.length]) => ({ shape, data: Float64Array.from(data) });
const fill = (n: number, v: number) => t(new Array<number>(n).fill(v));

const lif = (n: number, extra: Record<string, ReturnType<typeof t>> = {}): NirNode => ({
  type: "LIF", params: { tau: fill(n, 0.02), r: fill(n, 1), v_leak: fill(n, 0.5), v_threshold: fill(n, 1), v_reset: fill(n, 0), ...extra },
});
const affine = (out: number, inp: number): NirNode => ({ type: "Affine", params: { weight: t(new Array<number>(out * inp).fill(0.1), [out, inp]), bias: fill(out, 0.2) } });

/** A chain graph from [name, node] pairs between an Input of `inputs` and an Output. */
function chain(inputs: number[], ...nodes: [string, NirNode][]): NirGraph {
  const all: [string, NirNode][] = [["input", { type: "Input", params: { shape: t(inputs) } }], ...nodes, ["output", { type: "Output", params: {} }]];
  return {
    nodes: Object.fromEntries(all),
    edges: all.slice(1).map(([name], i) => [all[i][0], name] as [string, string]),
    metadata: {},
  };
}

function importing(graph: NirGraph) {
  return () => {
    const { model } = fromNir(graph, "g.nir", rt);
    model.free();
  };
}

describe("fromNir refuses what it cannot run, naming the node", () => {
  const cases: [string, NirGraph, RegExp][] = [
    ["an unknown node type", chain([4], ["fc", affine(3, 4)], ["d", { type: "Delay", params: { delay: fill(3, 0.01) } }], ["n", lif(3)]), /node "d" \(Delay\): a node type bioplausible does not run/],
    ["a Threshold", chain([4], ["fc", affine(3, 4)], ["th", { type: "Threshold", params: { threshold: fill(3, 1) } }]), /node "th" \(Threshold\)/],
    ["neurons of different τ", chain([4], ["fc1", affine(3, 4)], ["a", lif(3)], ["fc2", affine(2, 3)], ["b", lif(2, { tau: fill(2, 0.01) })]), /node "b" \(LIF\): τ = 0.01 s, but node "a" has 0.02 s/],
    ["τ that varies within a node", chain([4], ["fc", affine(3, 4)], ["a", lif(3, { tau: t([0.02, 0.02, 0.03]) })]), /node "a" \(LIF\): "tau" differs between its neurons/],
    ["a reset other than 0", chain([4], ["fc", affine(3, 4)], ["a", lif(3, { v_reset: fill(3, -0.5) })]), /node "a" \(LIF\): v_reset of neuron 0 is -0.5/],
    ["a threshold ≤ 0", chain([4], ["fc", affine(3, 4)], ["a", lif(3, { v_threshold: t([1, 0, 1]) })]), /node "a" \(LIF\): v_threshold of neuron 1 is 0/],
    ["weights that do not fit", chain([5], ["fc", affine(3, 4)], ["a", lif(3)]), /node "fc" \(Affine\): takes 4 inputs but receives 5/],
    ["a parameter of the wrong length", chain([4], ["fc", affine(3, 4)], ["a", lif(3, { r: fill(2, 1) })]), /node "a" \(LIF\): "r" has 2 values for 3 neurons/],
    ["a missing parameter", chain([4], ["fc", affine(3, 4)], ["a", { type: "LIF", params: { tau: fill(3, 0.02), r: fill(3, 1), v_threshold: fill(3, 1) } }]), /node "a" \(LIF\) has no "v_leak"/],
    ["weights with no neurons", chain([4], ["fc", affine(3, 4)]), /node "fc" \(Affine\): weights with no neurons after them/],
    ["two weights in a row", chain([4], ["fc1", affine(3, 4)], ["fc2", affine(2, 3)], ["a", lif(2)]), /node "fc2" \(Affine\): two weight nodes in a row/],
    ["neurons without weights", chain([4], ["a", lif(4)]), /node "a" \(LIF\): neurons without weights before them/],
    ["a leaky integrator inside the network", chain([4], ["fc1", affine(3, 4)], ["li", { type: "LI", params: { tau: fill(3, 0.02), r: fill(3, 1), v_leak: fill(3, 0) } }], ["fc2", affine(2, 3)], ["a", lif(2)]), /node "fc2" \(Affine\): follows li, a non-spiking LI/],
    ["a mixed synapse", chain([4], ["fc1", affine(3, 4)], ["a", lif(3)], ["fc2", affine(2, 3)], ["b", { type: "CubaLIF", params: { tau_mem: fill(2, 0.02), tau_syn: fill(2, 0.005), r: fill(2, 1), v_leak: fill(2, 0), v_threshold: fill(2, 1) } }]), /node "b" \(CubaLIF\): tau_syn = 0.005 s, but node "a" has none/],
    ["a grouped convolution", chain([2, 4, 4], ["conv", { type: "Conv2d", params: { weight: t(new Array(8).fill(0.1), [2, 1, 2, 2]), bias: fill(2, 0), stride: t([1]), padding: t([0]), dilation: t([1]), groups: t([2], []) } }]), /node "conv" \(Conv2d\): groups 2; bioplausible's convolutions have one group/],
    ["a dilated convolution", chain([1, 4, 4], ["conv", { type: "Conv2d", params: { weight: t(new Array(4).fill(0.1), [1, 1, 2, 2]), bias: fill(1, 0), stride: t([1]), padding: t([0]), dilation: t([2, 2]), groups: t([1], []) } }]), /node "conv" \(Conv2d\): .*dilation \[2, 2\].*no dilation/],
    ["an overlapping pool", chain([1, 4, 4], ["pool", { type: "AvgPool2d", params: { kernel_size: t([2, 2]), stride: t([1, 1]), padding: t([0, 0]) } }]), /node "pool" \(AvgPool2d\): kernel \[2, 2\], stride \[1, 1\]/],
    ["a convolutional output", chain([1, 4, 4], ["conv", { type: "Conv2d", params: { weight: t(new Array(4).fill(0.1), [1, 1, 2, 2]), bias: fill(1, 0), stride: t([1]), padding: t([0]) } }], ["a", lif(9)]), /node "conv" \(Conv2d\): the output layer is a convolution/],
    ["IF beside LIF (one τ)", chain([4], ["fc1", affine(3, 4)], ["a", { type: "IF", params: { r: fill(3, 1), v_threshold: fill(3, 1) } }], ["fc2", affine(2, 3)], ["b", lif(2)]), /node "b" \(LIF\): τ = 0.02 s, but node "a" has 1000 s/],
    ["a Scale before pooling", chain([1, 4, 4], ["conv", { type: "Conv2d", params: { weight: t(new Array(2 * 9).fill(0.1), [2, 1, 3, 3]), bias: fill(2, 0), stride: t([1]), padding: t([1]) } }], ["a", lif(32)], ["s", { type: "Scale", params: { scale: fill(32, 2) } }], ["pool", { type: "AvgPool2d", params: { kernel_size: t([2, 2]), stride: t([2, 2]), padding: t([0, 0]) } }], ["flat", { type: "Flatten", params: { start_dim: t([0], []), end_dim: t([-1], []) } }], ["fc", affine(3, 8)], ["b", lif(3)]), /node "pool" \(AvgPool2d\): pools values a Scale before it has scaled/],
    ["a negative tau_syn", chain([4], ["fc", affine(3, 4)], ["a", { type: "CubaLIF", params: { tau_mem: fill(3, 0.02), tau_syn: fill(3, -0.005), r: fill(3, 1), v_leak: fill(3, 0), v_threshold: fill(3, 1) } }]), /node "a" \(CubaLIF\): tau_syn = -0.005 s; it must be a finite time > 0/],
    ["a NaN τ", chain([4], ["fc", affine(3, 4)], ["a", lif(3, { tau: t([NaN], []) })]), /node "a" \(LIF\): "tau" of neuron 0 is NaN/],
    ["a pool of kernel 0", chain([1, 4, 4], ["pool", { type: "SumPool2d", params: { kernel_size: t([0, 0]), stride: t([2, 2]), padding: t([0, 0]) } }]), /node "pool" \(SumPool2d\): "kernel_size" must be positive/],
    ["a negative padding", chain([1, 4, 4], ["conv", { type: "Conv2d", params: { weight: t(new Array(4).fill(0.1), [1, 1, 2, 2]), bias: fill(1, 0), stride: t([1]), padding: t([-1]) } }], ["a", lif(9)]), /node "conv" \(Conv2d\): "padding" must be ≥ 0/],
    ["weights beyond float32", chain([4], ["fc", { type: "Linear", params: { weight: t(new Array(12).fill(1e39), [3, 4]) } }], ["a", lif(3)]), /node "fc" \(Linear\): its weights or biases, folded with the neurons' parameters, are not all finite/],
    ["a 4-D input", chain([1, 2, 3, 4], ["fc", affine(3, 24)], ["a", lif(3)]), /node "input" \(Input\): an input of shape \[1,2,3,4\]/],
  ];
  it.each(cases)("%s", (_name, graph, message) => {
    expect(importing(graph)).toThrow(message);
    expect(importing(graph)).toThrow(/^g\.nir: /);
  });

  it("graphs that are no chain", () => {
    const g = chain([4], ["fc", affine(3, 4)], ["a", lif(3)]);
    expect(importing({ ...g, edges: [...g.edges, ["fc", "output"]] })).toThrow(/node "fc" \(Affine\) has more than one outgoing edge/);
    expect(importing({ ...g, edges: [...g.edges, ["a", "fc"]] })).toThrow(/more than one outgoing edge|more than one incoming edge/);
    expect(importing({ ...g, edges: g.edges.slice(0, 2) })).toThrow(/node "a" \(LIF\) leads nowhere/);
    expect(importing({ ...g, edges: [...g.edges, ["x", "a"]] })).toThrow(/names no node "x"/);
    expect(importing({ ...g, edges: [...g.edges, ["output", "input"]] })).toThrow(/an edge output → input leads into the Input/);
    expect(importing({ ...g, metadata: { bioplausible: JSON.stringify({ format: "bioplausible" }) } })).toThrow(/the graph's metadata "bioplausible" is not bioplausible's JSON/);
    const { output: _o, ...noOutput } = g.nodes;
    expect(importing({ ...g, nodes: noOutput, edges: g.edges.slice(0, 2) })).toThrow(/1 Input and 0 Output nodes/);
    expect(importing({ ...g, nodes: { ...g.nodes, stray: lif(3) } })).toThrow(/node "stray" \(LIF\) is not on the path/);
  });
});

describe("fromNir says which mappings are approximate", () => {
  it("IF neurons: a LIF with a long τ, r scaled by it", () => {
    const ifNode = (n: number): NirNode => ({ type: "IF", params: { r: fill(n, 2), v_threshold: fill(n, 1), v_reset: fill(n, 0) } });
    const { model, approximations } = fromNir(chain([4], ["fc1", affine(3, 4)], ["a", ifNode(3)], ["fc2", affine(2, 3)], ["b", ifNode(2)]), "g.nir", rt);
    try {
      expect(model.config.neuron!.tauRc).toBe(IF_TAU);
      expect(approximations.filter((a) => /\(IF\): integrated as a LIF with τ = 1000 s/.test(a))).toHaveLength(2);
      // W ← W·r·τ (hidden spikes of unit area) and, for the input's unit spikes at the default
      // period dt = 1 ms, divided by it.
      expect(model.params.view(model.linearLayers[1].weight)[0]).toBeCloseTo(0.1 * 2 * IF_TAU, 3);
      expect(model.params.view(model.linearLayers[0].weight)[0]).toBeCloseTo((0.1 * 2 * IF_TAU) / Math.fround(0.001), -1);
    } finally {
      model.free();
    }
  });

  it("an LI output: the integrate readout", () => {
    const li: NirNode = { type: "LI", params: { tau: fill(2, 0.05), r: fill(2, 1), v_leak: fill(2, 0) } };
    const { model, simulation, approximations } = fromNir(chain([4], ["fc1", affine(3, 4)], ["a", lif(3)], ["fc2", affine(2, 3)], ["out", li]), "g.nir", rt);
    try {
      expect(simulation.readout).toBe("integrate");
      expect(approximations.join(" ")).toMatch(/node "out" \(LI\): read out as the argmax of its input current integrated/);
    } finally {
      model.free();
    }
  });

  it("an Affine bias into a CubaLIF: constant from the start, where NIR filters it", () => {
    const cuba = (n: number): NirNode => ({ type: "CubaLIF", params: { tau_mem: fill(n, 0.02), tau_syn: fill(n, 0.005), r: fill(n, 1), v_leak: fill(n, 0), v_threshold: fill(n, 1) } });
    const { model, simulation, approximations } = fromNir(chain([4], ["fc1", affine(3, 4)], ["a", cuba(3)]), "g.nir", rt);
    try {
      expect(simulation.synapse).toBe("lowpass");
      expect(simulation.tauS).toBe(0.005);
      expect(approximations.join(" ")).toMatch(/node "a" \(CubaLIF\): the bias of the weights before it is taken as a constant current/);
      // Thresholds, resistances and leaks fold into the weights and biases: b = bias·r/θ + v_leak/θ.
      expect(model.params.view(model.linearLayers[0].bias)[0]).toBeCloseTo(0.2, 6);
    } finally {
      model.free();
    }
  });
});

describe("readNir refuses what is no whole HDF5 file, before libhdf5 sees it", () => {
  it("no signature, a truncated file", async () => {
    const { readNir, writeNir } = await import("../../ts-wrapper/index.js");
    await expect(readNir(new TextEncoder().encode("{\"not\": \"hdf5\"}"), "x.nir")).rejects.toThrow(/^x\.nir: not an HDF5 file/);
    const bytes = await writeNir(chain([4], ["fc", affine(3, 4)], ["a", lif(3)]));
    await expect(readNir(bytes.subarray(0, bytes.length - 100), "cut.nir")).rejects.toThrow(new RegExp(`^cut\\.nir: a truncated HDF5 file: ${bytes.length - 100} bytes, its superblock says ${bytes.length}$`));
    await expect(readNir(bytes.subarray(0, 20), "cut.nir")).rejects.toThrow(/^cut\.nir: a truncated HDF5 file \(20 bytes/);
    const flipped = bytes.slice();
    flipped[0] = 0x88;
    await expect(readNir(flipped, "y.nir")).rejects.toThrow(/^y\.nir: not an HDF5 file/);
  });
});
