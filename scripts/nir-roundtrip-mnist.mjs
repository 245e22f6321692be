// A spiking model against its NIR export on the MNIST test set (BENCHMARKS.md, issue 16):
//
//   node scripts/nir-roundtrip-mnist.mjs snn.safetensors snn.nir [time]
//
// Simulates the model with NIR's neuron (its weights, t_ref = 0, no voltage floor) and the network
// imported from the NIR file, under the file's simulation, on the 10 000 test digits; prints
// whether the weights and every output spike count agree, and the accuracy by readout time.

import { readFileSync } from "node:fs";
import * as bio from "../dist/index.js";

const [modelFile, nirFile, time = "0.2"] = process.argv.slice(2);
if (!modelFile || !nirFile) {
  console.error("usage: node scripts/nir-roundtrip-mnist.mjs MODEL.safetensors NET.nir [time]");
  process.exit(2);
}
await bio.init();
const { model } = bio.decodeModelFile(readFileSync(modelFile), modelFile);
const test = await bio.loadMNIST("test");
const imported = bio.fromNir(await bio.readNir(readFileSync(nirFile), nirFile), nirFile);
const { arch, inputShape, layers } = model.config;
const twin = new bio.MLP({ ...(arch ? { arch, inputShape } : { layers }), activation: "softlif", neuron: { ...model.config.neuron, tRef: 0, voltageFloor: false } });
twin.params.load(new Map(model.params.toTensors().map((t) => [t.name, t])), modelFile);
const sim = { ...imported.simulation, time: Number(time), readoutTimes: undefined };
const a = bio.SNN.fromMLP(twin).simulate(test.images, test.count, sim);
const b = bio.SNN.fromMLP(imported.model).simulate(test.images, test.count, sim);
let differing = 0;
for (let i = 0; i < a.counts.length; i++) differing += a.counts[i] !== b.counts[i] ? 1 : 0;
const accuracy = (run) => run.predictions.map((p) => +(100 * p.filter((c, i) => c === test.labels[i]).length / test.count).toFixed(2));
console.log(JSON.stringify({
  weights_equal: (await twin.params.sha256()) === (await imported.model.params.sha256()),
  output_counts_differing: differing, output_counts: a.counts.length,
  predictions_equal: a.predictions.every((p, k) => p.every((c, i) => c === b.predictions[k][i])),
  readout_ms: a.readoutTimes.map((t) => t * 1000), accuracy: accuracy(b), unresolved: b.unresolved,
  firing_rates_hz: b.firingRates.map((r) => +r.toFixed(1)),
  synaptic_operations_per_digit: b.synapticOperations.map((l) => Math.round(l.reduce((x, y) => x + y, 0) / test.count)),
}));
