// One training-speed measurement, shared by Node and the browser worker so both time exactly the
// same code: the shapes and settings of `bioplausible bench` (ts-wrapper/bench.ts) — a 784-256-256-10
// ReLU network at batch 128 on one batch of uniform random inputs with random labels, an SGD step
// (lr 0.01) with softmax cross-entropy for the MLP, an inference-learning step (T = 20, γ = 0.1)
// with a squared-error output for the PCN.

const LAYERS = [784, 256, 256, 10];
const BATCH = 128;

/** A model, optimizer and staged batch ready to step; `kind` is "mlp" or "pcn". */
export function createBench(bio, runtime, kind) {
  const model = kind === "pcn"
    ? new bio.PCN({ layers: LAYERS, seed: 0, runtime, algo: "il", T: 20, gamma: 0.1 })
    : new bio.MLP({ layers: LAYERS, seed: 0, runtime });
  const loss = kind === "pcn" ? "mse" : "ce";
  const optimizer = new bio.Optimizer(model.params, { lr: 0.01 });
  const batch = new bio.BatchBuffer(runtime, BATCH, 784, 10);
  const rng = new bio.Rng(runtime, 0, 0);
  rng.uniform(batch.x, 0, 1);
  const targets = batch.targets.view();
  targets.fill(0);
  for (let i = 0; i < BATCH; i++) targets[i * 10 + (rng.nextU32() % 10)] = 1;
  rng.free();
  const staged = batch.rows(BATCH);
  const step = () => model.trainBatch(staged, loss, optimizer);
  for (let i = 0; i < 3; i++) step(); // warm-up: let the engine tier the wasm up
  return {
    /** Steps for at least `seconds`; returns the rate. */
    run(seconds) {
      let steps = 0;
      const t0 = performance.now();
      let elapsed = 0;
      do {
        step();
        steps++;
        elapsed = (performance.now() - t0) / 1000;
      } while (elapsed < seconds);
      return { steps, seconds: elapsed, stepsPerSecond: steps / elapsed };
    },
    free() {
      batch.free();
      optimizer.free();
      model.free();
    },
  };
}
