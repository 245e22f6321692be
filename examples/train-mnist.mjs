// Train a 784-256-256-10 ReLU MLP on MNIST with the library API and save it.
// Run after `npm install`: node examples/train-mnist.mjs [epochs]
import { writeFile } from "node:fs/promises";
import { encodeModel, evaluate, init, loadMNIST, MLP, train } from "bioplausible";

const epochs = Number(process.argv[2] ?? 5);
await init();
const trainSet = await loadMNIST("train");
const testSet = await loadMNIST("test");

const model = new MLP({ layers: [784, 256, 256, 10], activation: "relu", seed: 0 });
train(model, trainSet, {
  epochs, batchSize: 128, optimizer: "sgd", lr: 0.05, momentum: 0.9, seed: 0, test: testSet,
  onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, test accuracy ${(100 * e.testAccuracy).toFixed(2)} %`),
});
const { accuracy } = evaluate(model, testSet);
await writeFile("mlp.safetensors", encodeModel(model));
console.log(`test accuracy ${(100 * accuracy).toFixed(2)} %, params_sha256 ${await model.params.sha256()}, saved mlp.safetensors`);
