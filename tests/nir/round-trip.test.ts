// NIR export and import of our own networks: a network written to a NIR file and read back is the
// same network — the same weight bits (the file's float64 products divide back exactly), the same
// simulation settings, and so the same spikes — for dense and convolutional networks, both
// encodings and both synapses NIR has. The network simulated is the original under NIR's
// semantics (t_ref = 0, no voltage floor), which is what the file declares.

import { beforeAll, describe, expect, it } from "vitest";
import {
  fromNir, init, MLP, readNir, resolveSimulation, SNN, toNir, writeNir,
  type NeuronParams, type Runtime, type SimulationOptions,
} from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

const TRAINED: NeuronParams = { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1.3, smoothing: 0.02 };
const NIR_NEURON: NeuronParams = { ...TRAINED, tRef: 0, voltageFloor: false };

/** A random soft-LIF network, biases near threshold so that every layer fires. */
function network(options: { layers?: number[]; arch?: string; inputShape?: number[] }, neuron: NeuronParams, seed: number): MLP {
  const mlp = new MLP({ ...options, activation: "softlif", neuron, seed, runtime: rt });
  const gen = new Lcg(seed);
  for (const layer of mlp.linearLayers) {
    const w = mlp.params.view(layer.weight);
    for (let i = 0; i < w.length; i++) w[i] *= 3;
    mlp.params.view(layer.bias).set(Float32Array.from({ length: mlp.params.view(layer.bias).length }, () => 0.8 + 0.4 * gen.uniform()));
  }
  return mlp;
}

async function roundTrip(mlp: MLP, sim: SimulationOptions) {
  const simulation = resolveSimulation(sim, mlp.config.neuron!);
  const { graph, warnings } = toNir(mlp, simulation, { dropRefractory: true });
  const bytes = await writeNir(graph);
  const back = fromNir(await readNir(bytes, "net.nir"), "net.nir", rt);
  return { warnings, back, simulation };
}

const cases: [string, { layers?: number[]; arch?: string; inputShape?: number[] }, SimulationOptions][] = [
  ["dense, Poisson, low-pass", { layers: [30, 20, 16, 5] }, { encoding: "poisson", synapse: "lowpass", tauS: 0.005 }],
  ["dense, current, low-pass", { layers: [30, 20, 5] }, { encoding: "current", synapse: "lowpass", tauS: 0.004 }],
  ["dense, Poisson, no synapse", { layers: [30, 12, 5] }, { encoding: "poisson", synapse: "none", readout: "first-spike" }],
  ["conv + avgpool, Poisson, low-pass", { arch: "conv4k3p1,avgpool2,conv6k3s2,fc5", inputShape: [2, 8, 8] }, { encoding: "poisson", synapse: "lowpass" }],
  ["conv, current, no synapse", { arch: "conv3k3,avgpool2,fc6,fc4", inputShape: [1, 10, 10] }, { encoding: "current", synapse: "none" }],
];

describe("export → NIR file → import", () => {
  it.each(cases)("%s: the same weights, settings and spikes", async (_name, arch, sim) => {
    const original = network(arch, TRAINED, 11);
    const { warnings, back, simulation } = await roundTrip(original, { ...sim, time: 0.08, readoutTimes: [0.02, 0.08] });
    try {
      expect(warnings.join(" ")).toMatch(/refractory period \(0\.004 s\) is dropped/);
      expect(warnings.join(" ")).toMatch(/voltage floor/);
      const { model, approximations } = back;
      expect(approximations).toEqual([]);
      expect(model.config.layers).toEqual(original.config.layers);
      expect(model.config.neuron).toEqual(NIR_NEURON);
      // The weights come back bit for bit: the file holds exact float64 products.
      expect(await model.params.sha256()).toBe(await original.params.sha256());
      for (const key of ["encoding", "synapse", "readout", "time", "dt", "poissonPeriod"] as const) expect(back.simulation[key], key).toEqual(simulation[key]);
      if (simulation.synapse !== "none") expect(back.simulation.tauS).toBe(simulation.tauS);
      // The original under NIR's semantics against the imported network: the same spikes.
      const nirTwin = network(arch, NIR_NEURON, 11);
      const gen = new Lcg(5);
      const count = 12;
      const x = Float32Array.from({ length: count * original.inputs }, () => gen.uniform());
      const a = SNN.fromMLP(nirTwin), b = SNN.fromMLP(model);
      try {
        const opts = { ...back.simulation, seed: 3 };
        const ra = a.simulate(x, count, opts), rb = b.simulate(x, count, opts);
        expect(rb.counts).toEqual(ra.counts);
        expect(rb.predictions).toEqual(ra.predictions);
        expect(rb.synapticOperations).toEqual(ra.synapticOperations);
        expect(ra.firingRates.slice(1).every((r) => r > 0), `every layer fires: ${ra.firingRates}`).toBe(true);
      } finally {
        a.free();
        b.free();
        nirTwin.free();
      }
    } finally {
      original.free();
      back.model.free();
    }
  });

  it("refuses a network with a refractory period unless it is dropped, and the alpha synapse always", () => {
    const mlp = network({ layers: [6, 4, 3] }, TRAINED, 1);
    try {
      expect(() => toNir(mlp, resolveSimulation({}, TRAINED))).toThrow(/dropRefractory.*refractory period.*0\.004 s/);
      expect(() => toNir(mlp, resolveSimulation({ synapse: "alpha" }, TRAINED), { dropRefractory: true })).toThrow(/synapse: NIR has no alpha synapse/);
      const clean = toNir(network({ layers: [6, 4, 3] }, NIR_NEURON, 1), resolveSimulation({}, NIR_NEURON));
      expect(clean.warnings).toEqual([]);
    } finally {
      mlp.free();
    }
  });

  it("refuses a network that does not spike", () => {
    const relu = new MLP({ layers: [6, 4, 3], activation: "relu", runtime: rt });
    try {
      expect(() => toNir(relu, resolveSimulation({}, TRAINED))).toThrow(/hidden layer 1 has activation "relu"/);
    } finally {
      relu.free();
    }
  });
});

describe("a quantised export", () => {
  it.each(["int8", "int8-channel"] as const)("%s: the weights are scale·q, the scales in the metadata, and they come back as such", async (quantize) => {
    const { FixedPointSNN } = await import("../../ts-wrapper/index.js");
    const mlp = network({ layers: [12, 8, 4] }, NIR_NEURON, 3);
    const fixed = new FixedPointSNN(mlp, quantize);
    try {
      const simulation = resolveSimulation({}, NIR_NEURON);
      const { graph, warnings } = toNir(mlp, simulation, { quantize });
      expect(warnings.join(" ")).toMatch(/int8 .* scale·q/);
      const meta = JSON.parse(graph.metadata.bioplausible);
      expect(meta.quantization.kind).toBe(quantize);
      const back = fromNir(await readNir(await writeNir(graph), "q.nir"), "q.nir", rt);
      try {
        back.model.linearLayers.forEach((layer, l) => {
          const { q, scale } = fixed.weights(l);
          expect(meta.quantization.scales[l]).toEqual(quantize === "int8" ? [scale[0]] : Array.from(scale));
          const cols = q.length / scale.length;
          expect(Array.from(back.model.params.view(layer.weight))).toEqual(Array.from(q, (v, i) => Math.fround(v * scale[Math.floor(i / cols)])));
        });
      } finally {
        back.model.free();
      }
    } finally {
      fixed.free();
      mlp.free();
    }
  });
});
