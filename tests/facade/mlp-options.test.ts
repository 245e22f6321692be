// Argument validation of the MLP and of train(): every invalid option fails early with an error
// naming the problem (DESIGN.md: the facade validates every argument before calling a kernel).

import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, init, Matrix, MLP, train, type Dataset, type MLPOptions, type Runtime } from "../../ts-wrapper/index.js";
import { Lcg } from "../helpers/lcg.js";

let rt: Runtime;

beforeAll(async () => {
  rt = await init();
});

function dataset(name: string, count: number, features: number, classes: number): Dataset {
  const gen = new Lcg(count * 31 + features);
  return {
    name,
    images: Float32Array.from({ length: count * features }, () => gen.uniform()),
    labels: Uint8Array.from({ length: count }, () => gen.int(classes)),
    count,
    features,
    classes,
    shape: [features],
  };
}

/** Expects `fn` to throw an error of `type` whose message matches `message`, with no memory leaked. */
function expectRejected(fn: () => unknown, type: ErrorConstructor | RangeErrorConstructor, message: RegExp): void {
  const inUse = rt.heap.bytesInUse;
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an error matching ${message}`).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
  expect(rt.heap.bytesInUse, "memory leaked by a rejected call").toBe(inUse);
}

describe("MLP options", () => {
  const invalid: [string, Partial<MLPOptions>, RegExp][] = [
    ["no layers", { layers: [] }, /^layers: need at least an input and an output width, got \[\]/],
    ["one layer", { layers: [784] }, /^layers: need at least an input and an output width, got \[784\]/],
    ["layers missing", {}, /^layers: need at least/],
    ["layers as a string", { layers: "784,10" as unknown as number[] }, /^layers: need at least/],
    ["a zero width", { layers: [3, 0, 2] }, /^layers\[1\]: width must be a positive integer, got 0/],
    ["a fractional width", { layers: [3, 4, 2.5] }, /^layers\[2\]: width must be a positive integer, got 2\.5/],
    ["a negative width", { layers: [-3, 4, 2] }, /^layers\[0\]: width must be a positive integer, got -3/],
    ["a NaN width", { layers: [3, Number.NaN, 2] }, /^layers\[1\]: width must be a positive integer, got NaN/],
    ["too few activations", { layers: [3, 4, 5, 2], activation: ["relu"] }, /^activation: 1 activations given for 2 hidden layers/],
    ["too many activations", { layers: [3, 4, 2], activation: ["relu", "tanh"] }, /^activation: 2 activations given for 1 hidden layers/],
    ["activations for a model without hidden layers", { layers: [3, 2], activation: ["relu"] }, /1 activations given for 0 hidden layers/],
    ["an unknown activation", { layers: [3, 4, 2], activation: "gelu" as never }, /^activation: unknown activation "gelu" \(expected relu, sigmoid, tanh, identity, softlif\)/],
    ["an unknown activation in a list", { layers: [3, 4, 4, 2], activation: ["tanh", "swish" as never] }, /^activation\[1\]: unknown activation "swish"/],
  ];
  it.each(invalid)("rejects %s", (_name, options, message) => {
    expectRejected(() => new MLP({ runtime: rt, ...options } as MLPOptions), RangeError, message);
  });

  it("accepts one activation for all hidden layers, or one per layer, and defaults to ReLU", () => {
    for (const options of [
      { layers: [3, 4, 5, 2], activation: "tanh" as const },
      { layers: [3, 4, 5, 2], activation: ["sigmoid", "identity"] as ("sigmoid" | "identity")[] },
      { layers: [3, 2] },
    ]) {
      const m = new MLP({ ...options, runtime: rt });
      m.free();
    }
    const m = new MLP({ layers: [3, 4, 5, 2], runtime: rt });
    expect(m.config).toEqual({ layers: [3, 4, 5, 2], activations: ["relu", "relu"], batchNorm: false });
    m.free();
  });

  it("copies the layer list: changing the caller's array later does not change the model", () => {
    const layers = [3, 4, 2];
    const m = new MLP({ layers, runtime: rt });
    layers[1] = 100;
    expect(m.config.layers).toEqual([3, 4, 2]);
    m.free();
  });
});

describe("predict", () => {
  it("rejects input whose length is not a whole number of rows", () => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      expectRejected(() => m.predict(new Float32Array(7)), RangeError, /predict: expected rows of 3 values, got 7 values/);
      expectRejected(() => m.predict(new Float32Array(6), 3), RangeError, /predict: expected rows of 3 values, got 6 values/);
      expect(m.logits(new Float32Array(6))).toHaveLength(4); // 2 rows × 2 outputs
      expect(m.predict(new Float32Array(6))).toHaveLength(2); // a class per row
    } finally {
      m.free();
    }
  });

  it("a batch-norm model predicts a single row (inference mode uses running statistics)", () => {
    const m = new MLP({ layers: [3, 4, 2], batchNorm: true, runtime: rt });
    try {
      const out = m.logits(Float32Array.from([0.1, 0.2, 0.3]));
      expect(out).toHaveLength(2);
      expect(Array.from(out).every(Number.isFinite)).toBe(true);
    } finally {
      m.free();
    }
  });
});

describe("train() argument checks", () => {
  const opts = { lr: 0.1, epochs: 1, batchSize: 4 };

  it("rejects a dataset whose features do not match the first layer, naming the model's first layer", () => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      const data = dataset("five-features", 10, 5, 2);
      expectRejected(() => train(m, data, opts), RangeError,
        /^the model's first layer has 3 inputs but five-features samples have 5 features \(shape 5\)/);
      expectRejected(() => evaluate(m, data), RangeError, /the model's first layer has 3 inputs/);
    } finally {
      m.free();
    }
  });

  it("rejects a dataset whose classes do not match the last layer, naming the model's last layer", () => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      const data = dataset("four-classes", 10, 3, 4);
      expectRejected(() => train(m, data, opts), RangeError, /^the model's last layer has 2 outputs but four-classes has 4 classes/);
      // The held-out set is checked as well, before any training happens.
      const before = m.params.view("layers.0.weight").slice();
      expectRejected(() => train(m, dataset("ok", 10, 3, 2), { ...opts, test: data }), RangeError, /the model's last layer has 2 outputs/);
      expect(m.params.view("layers.0.weight")).toEqual(before);
    } finally {
      m.free();
    }
  });

  it("rejects batch size 1 with batch norm (in train and in a training-mode forward)", () => {
    const m = new MLP({ layers: [3, 4, 2], batchNorm: true, runtime: rt });
    try {
      const data = dataset("d", 10, 3, 2);
      expectRejected(() => train(m, data, { ...opts, batchSize: 1 }), RangeError, /batchSize: batch norm needs at least 2 samples per batch, got 1/);
      const x = new Matrix(rt, 1, 3);
      try {
        expect(() => m.forward(x, true)).toThrow(/batch norm in training needs at least 2 samples/);
        expect(() => m.forward(x, false)).not.toThrow();
      } finally {
        x.free();
      }
    } finally {
      m.free();
    }
  });

  it("without batch norm, batch size 1 trains", () => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      const { history } = train(m, dataset("d", 5, 3, 2), { ...opts, batchSize: 1 });
      expect(history).toHaveLength(1);
      expect(Number.isFinite(history[0].loss)).toBe(true);
    } finally {
      m.free();
    }
  });

  it("with batch norm, a last batch of one sample is skipped, not an error", () => {
    const m = new MLP({ layers: [3, 4, 2], batchNorm: true, runtime: rt });
    try {
      const { history } = train(m, dataset("d", 5, 3, 2), { ...opts, batchSize: 2, epochs: 2 });
      expect(history).toHaveLength(2);
      for (const h of history) expect(Number.isFinite(h.loss) && Number.isFinite(h.accuracy)).toBe(true);
    } finally {
      m.free();
    }
  });

  it.each([
    ["epochs 0", { epochs: 0 }, /epochs: must be an integer ≥ 1, got 0/],
    ["fractional epochs", { epochs: 1.5 }, /epochs: must be an integer ≥ 1, got 1\.5/],
    ["batchSize 0", { batchSize: 0 }, /batchSize: must be an integer ≥ 1, got 0/],
    ["an unknown output loss", { outputLoss: "hinge" }, /outputLoss: must be one of ce, mse, got hinge/],
    ["an invalid learning rate", { lr: -1 }, /^lr:/],
  ] as const)("rejects %s", (_name, change, message) => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      expectRejected(() => train(m, dataset("d", 10, 3, 2), { ...opts, ...change } as never), RangeError, message);
    } finally {
      m.free();
    }
  });

  it("rejects an empty training set", () => {
    const m = new MLP({ layers: [3, 4, 2], runtime: rt });
    try {
      expectRejected(() => train(m, dataset("empty", 0, 3, 2), opts), RangeError, /empty: the training set is empty/);
    } finally {
      m.free();
    }
  });
});
