// NIR files against an independent reader and writer (h5py, scripts/nir-*.py):
//  - our export, checked by scripts/nir-check.py against NIR's schema: node types and order, every
//    parameter's shape and float64 dtype, the shapes propagated along the edges, and the weights'
//    sums equal to those of our weights times the spike areas;
//  - graphs written to NIR's layout by scripts/nir-reference-graph.py (float32 gzip weights, per-
//    neuron thresholds, resistances, leaks and input weights, Scale, SumPool2d, Affine biases),
//    imported and simulated: the same spikes as a float64 simulation of the declared graph
//    (tests/helpers/nir-reference.ts), which never sees our import.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromNir, init, MLP, readNir, resolveSimulation, SNN, toNir, writeNir, type NeuronParams, type Runtime } from "../../ts-wrapper/index.js";
import { h5pyTests, PYTHON } from "../helpers/h5py.js";
import { Lcg } from "../helpers/lcg.js";
import { simulateNir64, type DeclaredNode } from "../helpers/nir-reference.js";

const { skip, missing } = h5pyTests("tests/nir/interop.test.ts");
let rt: Runtime;
let dir: string;
beforeAll(async () => {
  if (missing && !skip) throw new Error(`REQUIRE_H5PY=1 but ${missing}`);
  rt = await init();
  dir = mkdtempSync(join(tmpdir(), "bioplausible-nir-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function python(script: string, args: string[]): string {
  const run = spawnSync(PYTHON, [join("scripts", script), ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${script} failed: ${run.stderr}`);
  return run.stdout;
}

const NEURON: NeuronParams = { tauRc: 0.02, tRef: 0, amplitude: 0.05, gain: 1.2, smoothing: 0.02, voltageFloor: false };

describe.skipIf(skip)("our export read by h5py against NIR's schema", () => {
  it.each([
    ["dense, Poisson, low-pass", { layers: [12, 8, 4] }, { encoding: "poisson" as const, synapse: "lowpass" as const }],
    ["conv, current, no synapse", { arch: "conv3k3p1,avgpool2,fc5", inputShape: [1, 6, 6] }, { encoding: "current" as const, synapse: "none" as const }],
  ])("%s", async (_name, arch, sim) => {
    const mlp = new MLP({ ...arch, activation: "softlif", neuron: NEURON, seed: 4, runtime: rt });
    try {
      const simulation = resolveSimulation(sim, NEURON);
      const file = join(dir, "ours.nir");
      writeFileSync(file, await writeNir(toNir(mlp, simulation).graph));
      const checked = JSON.parse(python("nir-check.py", [file])) as {
        version: string; edges: [string, string][];
        nodes: Record<string, { type: string; output_shape: number[]; params: Record<string, { shape: number[]; dtype: string; sum: number }> }>;
      };
      expect(checked.version).toBe("1.0.0");
      const chain = checked.edges.map(([, to]) => checked.nodes[to].type);
      const neurons = sim.synapse === "lowpass" ? "CubaLIF" : "LIF";
      if ("arch" in arch) expect(chain).toEqual(["Conv2d", "LIF", "AvgPool2d", "Flatten", "Linear", neurons, "Output"]);
      else expect(chain).toEqual(["Linear", neurons, "Linear", neurons, "Output"]);
      expect(checked.nodes.output.output_shape).toEqual([mlp.outputs]);
      // Each weight node's sum is the sum of our weights times the area of the spikes it takes.
      const weightNodes = checked.edges.map(([, to]) => to).filter((n) => ["Linear", "Conv2d"].includes(checked.nodes[n].type));
      mlp.linearLayers.forEach((layer, l) => {
        const area = Math.fround(l > 0 ? NEURON.amplitude : sim.encoding === "poisson" ? simulation.poissonPeriod : 1);
        let sum = 0;
        for (const w of mlp.params.view(layer.weight)) sum += area * w;
        const node = checked.nodes[weightNodes[l]].params.weight;
        expect(node.dtype).toBe("float64");
        expect(node.sum).toBeCloseTo(sum, 12);
      });
      for (const node of Object.values(checked.nodes)) {
        if (node.type !== "LIF" && node.type !== "CubaLIF") continue;
        expect(node.params.v_threshold.shape).toEqual(node.output_shape);
        expect(node.params.v_threshold.sum).toBe(node.output_shape.reduce((a, b) => a * b, 1));
      }
    } finally {
      mlp.free();
    }
  });
});

describe.skipIf(skip)("graphs written by an independent writer to NIR's layout", () => {
  it("import and simulate to the same spikes as a float64 simulation of the declared graph", async () => {
    const declared = JSON.parse(python("nir-reference-graph.py", [dir, "3"])) as Record<string, { file: string; order: string[]; nodes: Record<string, DeclaredNode> }>;
    for (const [name, graph] of Object.entries(declared)) {
      const imported = fromNir(await readNir(readFileSync(graph.file), graph.file), graph.file, rt);
      const { model, simulation, approximations } = imported;
      const snn = SNN.fromMLP(model);
      try {
        expect(approximations, name).toEqual([]);
        expect(model.config.neuron!.tRef).toBe(0);
        const gen = new Lcg(17);
        const count = 6;
        const x = Float32Array.from({ length: count * model.inputs }, () => 0.3 * gen.uniform());
        const time = 0.2;
        const run = snn.simulate(x, count, { ...simulation, encoding: "current", time, readoutTimes: [time] });
        const ref = simulateNir64(graph.nodes, graph.order, x, count, run.steps, simulation.dt, simulation.poissonPeriod);
        const ours = Array.from({ length: count }, (_, r) => Array.from(run.counts.subarray(r * model.outputs, (r + 1) * model.outputs)));
        const spikes = ref.flat().reduce((a, b) => a + b, 0);
        expect(spikes, `${name}: the outputs fire`).toBeGreaterThan(20 * count);
        // float32 against float64 can differ only where a crossing is within rounding of a step
        // boundary; allow one count in the whole run to be off by one (measured: identical).
        const off = ours.flat().map((c, i) => Math.abs(c - ref.flat()[i]));
        expect(Math.max(...off), `${name}: ${JSON.stringify(ours)} vs ${JSON.stringify(ref)}`).toBeLessThanOrEqual(1);
        expect(off.filter((d) => d > 0).length, name).toBeLessThanOrEqual(1);
      } finally {
        snn.free();
        model.free();
      }
    }
  });
});
