// One training job, run unchanged in Node, in Chromium and in workerd: the library is passed in
// (each runtime imports its own bundle), the data is made here from integers, and the result is
// the params_sha256 of every model, which must agree across runtimes bit for bit.
//
// It covers every path whose arithmetic could differ between engines: backprop with SGD and Adam,
// the cosine schedule (Math.cos on the JS side), batch norm, predictive coding by IL and Z-IL,
// soft-LIF, and the spiking simulation with Poisson input; and, on however many threads the runtime
// has, a network wide enough for them to share the work.

/** 256 samples of 64 values k/255 from an integer LCG: the quarter of the class is brighter. */
export function syntheticData() {
  const count = 256;
  const features = 64;
  const images = new Float32Array(count * features);
  const labels = new Uint8Array(count);
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
  for (let i = 0; i < count; i++) {
    labels[i] = next() & 3;
    for (let j = 0; j < features; j++) {
      const byte = next() >> 1;
      images[i * features + j] = (j >> 4 === labels[i] ? byte + 128 : byte) / 255;
    }
  }
  return { name: "synthetic", images, labels, count, features, classes: 4, shape: [features] };
}

/** Trains each model and returns its params_sha256 (and one of the spike counts), keyed by name. */
export async function determinismJob(bio) {
  await bio.init();
  const data = syntheticData();
  const layers = [64, 32, 16, 4];
  const out = {};

  const sgd = new bio.MLP({ layers, seed: 1 });
  bio.train(sgd, data, { epochs: 2, batchSize: 32, lr: 0.1, momentum: 0.9, lrSchedule: "cosine", seed: 2 });
  out.mlp_sgd = await sgd.params.sha256();

  const adam = new bio.MLP({ layers, activation: "tanh", batchNorm: true, seed: 3 });
  bio.train(adam, data, { epochs: 2, batchSize: 32, optimizer: "adam", lr: 0.01, seed: 4 });
  out.mlp_adam_batchnorm = await adam.params.sha256();

  const il = new bio.PCN({ layers, algo: "il", activation: "sigmoid", seed: 5 });
  bio.train(il, data, { epochs: 2, batchSize: 32, lr: 0.1, seed: 6 });
  out.pcn_il = await il.params.sha256();

  const zil = new bio.PCN({ layers, algo: "zil", seed: 7 });
  bio.train(zil, data, { epochs: 1, batchSize: 32, lr: 0.1, seed: 8 });
  out.pcn_zil = await zil.params.sha256();

  // A hidden layer wide enough that a threaded runtime really divides its products and steps.
  const wide = new bio.PCN({ layers: [64, 512, 4], algo: "il", T: 5, seed: 12 });
  bio.train(wide, data, { epochs: 1, batchSize: 64, lr: 0.05, seed: 13 });
  out.pcn_il_wide = await wide.params.sha256();

  const shadow = new bio.MLP({ layers, activation: "softlif", seed: 9 });
  bio.train(shadow, data, { epochs: 3, batchSize: 32, lr: 0.2, seed: 10 });
  out.softlif = await shadow.params.sha256();
  const run = bio.SNN.fromMLP(shadow).simulate(data.images.subarray(0, 16 * 64), 16, { time: 0.1, encoding: "poisson", seed: 11 });
  out.spike_counts = await sha256(run.counts);
  return out;
}

async function sha256(floats) {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
