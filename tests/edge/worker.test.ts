// The edge worker (examples/edge-worker/worker.js) in the real workerd, serving two model files
// made here without MNIST: a soft-LIF network (served as a spiking network) and a ReLU MLP with
// batch norm. Expected values come from the library in Node, an independent runtime: the logits of
// MLP.predict (bit for bit: the same wasm, which is deterministic across engines), their softmax
// (float32 kernel, and float64 from the definition), and the spike counts of SNN.simulate with the
// worker's documented simulation settings (and with those of a SIMULATION binding). Every malformed
// request must get its documented 4xx and a message naming the problem, never a 5xx, and the server
// must still answer afterwards. The one 500 is a deployment error: a model file that cannot be decoded.

import { readFile, writeFile, mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgeWorkerConfig } from "../../examples/edge-worker/config.mjs";
import { Lcg } from "../helpers/lcg.js";
import { DIST, requireWorkerdAndBuild, ROOT, startWorkerd, type Workerd } from "./workerd.js";

type Bio = typeof import("../../dist/index.js");

const WORKER = join(ROOT, "examples/edge-worker/worker.js");
const INPUTS = 784;
const CLASSES = 10;
const LIMIT = 64 * 1024;
/** Every request gives up after 10 s: a hang fails the test instead of stalling it. */
const requestTimeout = () => AbortSignal.timeout(10_000);
/** The worker's documented simulation (README.md): 0.2 s at 1 ms, Poisson seed 0, count readout. */
const DOCUMENTED_SIMULATION = { time: 0.2, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0 } as const;
/** The SIMULATION binding given to the third server, to show it is honoured. */
const OVERRIDDEN_SIMULATION = { time: 0.05, seed: 7 };

/** Ten classes, each brightening its own band of 78 pixels; values k/255 like MNIST's. */
function bands(count: number, seed: number) {
  const gen = new Lcg(seed);
  const images = new Float32Array(count * INPUTS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = gen.int(CLASSES);
    for (let j = 0; j < INPUTS; j++) {
      const inBand = Math.floor(j / 78) === labels[i];
      images[i * INPUTS + j] = gen.int(inBand ? 256 : 96) / 255;
    }
  }
  return { name: "bands", images, labels, count, features: INPUTS, classes: CLASSES, shape: [INPUTS] };
}

/** The simulation settings as the worker reports them (snake_case, as the CLI's JSON). */
function publicSimulation(sim: typeof DOCUMENTED_SIMULATION | Record<string, unknown>) {
  const { tauS, ...rest } = sim as Record<string, unknown>;
  return { ...rest, tau_s: tauS };
}

function softmax64(logits: ArrayLike<number>): number[] {
  const peak = Math.max(...Array.from(logits));
  const e = Array.from(logits, (z) => Math.exp(z - peak));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(server: Workerd, path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(server.url + path, { ...init, signal: requestTimeout() });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

const post = (server: Workerd, body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  call(server, "/predict", { method: "POST", body, headers });

/** One HTTP/1.1 exchange over a raw socket: what the server sent until it closed (or `ms` passed). */
function raw(port: number, request: string, ms = 10_000): Promise<string> {
  return new Promise((done, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      done(received);
    }, ms);
    socket.on("data", (chunk) => (received += chunk.toString()));
    socket.on("error", (error) => {
      clearTimeout(timer);
      received ? done(received) : reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      done(received);
    });
    socket.write(request);
  });
}

/** The first response in raw HTTP/1.1 text: status and JSON body (sent with Content-Length). */
function firstResponse(text: string): { status: number; body: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const headerEnd = text.indexOf("\r\n\r\n");
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headerEnd))?.[1]);
  if (!status || headerEnd < 0 || !Number.isFinite(length)) throw new Error(`not an HTTP response with Content-Length: ${text.slice(0, 300)}`);
  return { status, body: JSON.parse(text.slice(headerEnd + 4, headerEnd + 4 + length)) };
}

let bio: Bio;
let dir: string;
let spikingBytes: Uint8Array;
let reluBytes: Uint8Array;
let spiking: Workerd | undefined;
let relu: Workerd | undefined;
let overridden: Workerd | undefined;
let broken: Workerd | undefined;
/** Inputs of the valid requests: held-out samples, all black, all white, uniform noise. */
const inputs: Float32Array[] = [];

function serve(model: string, simulation?: Record<string, unknown>) {
  return startWorkerd((fromConfig, address) => edgeWorkerConfig({
    worker: fromConfig(WORKER), dist: fromConfig(DIST), model: fromConfig(model), address, simulation,
  }), { readyPath: "/model" });
}

beforeAll(async () => {
  requireWorkerdAndBuild();
  bio = await import("../../dist/index.js");
  await bio.init();
  const data = bands(256, 1);
  const shadow = new bio.MLP({ layers: [INPUTS, 32, CLASSES], activation: "softlif", seed: 3 });
  bio.train(shadow, data, { epochs: 3, batchSize: 32, lr: 0.05, momentum: 0.9, seed: 4 });
  const mlp = new bio.MLP({ layers: [INPUTS, 48, CLASSES], activation: "relu", batchNorm: true, seed: 5 });
  bio.train(mlp, data, { epochs: 3, batchSize: 32, lr: 0.05, momentum: 0.9, seed: 6 });
  spikingBytes = bio.encodeModel(shadow);
  reluBytes = bio.encodeModel(mlp);
  shadow.free();
  mlp.free();
  dir = await mkdtemp(join(tmpdir(), "bioplausible-edge-models-"));
  await writeFile(join(dir, "spiking.safetensors"), spikingBytes);
  await writeFile(join(dir, "relu.safetensors"), reluBytes);
  await writeFile(join(dir, "broken.safetensors"), spikingBytes.subarray(0, 1000));

  const test = bands(4, 2);
  for (let i = 0; i < test.count; i++) inputs.push(test.images.slice(i * INPUTS, (i + 1) * INPUTS));
  inputs.push(new Float32Array(INPUTS), new Float32Array(INPUTS).fill(1));
  const gen = new Lcg(9);
  inputs.push(Float32Array.from({ length: INPUTS }, () => gen.uniform()));

  // allSettled: when one fails to start, the others are still stopped in afterAll.
  const started = await Promise.allSettled([
    serve(join(dir, "spiking.safetensors")),
    serve(join(dir, "relu.safetensors")),
    serve(join(dir, "spiking.safetensors"), OVERRIDDEN_SIMULATION),
    serve(join(dir, "broken.safetensors")),
  ]);
  [spiking, relu, overridden, broken] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  for (const s of started) if (s.status === "rejected") throw s.reason;
}, 120_000);

afterAll(async () => {
  await Promise.all([spiking, relu, overridden, broken].map((server) => server?.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** Node's view of a model file: the logits and probabilities of every input, and the network. */
function reference(bytes: Uint8Array, name: string) {
  const model = bio.decodeModel(bytes, name);
  const results = inputs.map((x) => ({ logits: model.logits(x, 1), probabilities: model.predictProba(x, 1) }));
  return { model, results };
}

function expectPrediction(body: Record<string, unknown>, expected: { logits: Float32Array; probabilities: Float32Array }) {
  const probabilities = body.probabilities as number[];
  const logits = body.logits as number[];
  expect(probabilities).toHaveLength(CLASSES);
  expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  // Logits bit for bit: float32 values survive JSON exactly (shortest round-trip form).
  expect(logits).toEqual(Array.from(expected.logits));
  // Probabilities: the library's float32 softmax, within float32 rounding of a value ≤ 1 (2^-23 ≈ 1.2e-7,
  // a few roundings), and the float64 softmax of the same logits (exp in float32 loses ~1 ulp).
  const exact = softmax64(expected.logits);
  probabilities.forEach((p, k) => {
    expect(Math.abs(p - expected.probabilities[k])).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(p - exact[k])).toBeLessThanOrEqual(1e-6);
  });
}

describe("edge worker in workerd", () => {
  it("config.capnp is what config.mjs writes for the default paths", async () => {
    expect(await readFile(join(ROOT, "examples/edge-worker/config.capnp"), "utf8")).toBe(edgeWorkerConfig());
  });

  it("describes the models on GET / and GET /model", async () => {
    const { model: node } = reference(spikingBytes, "spiking");
    for (const path of ["/", "/model"]) {
      const reply = await call(spiking!, path);
      expect(reply.status).toBe(200);
      expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
      const model = reply.body.model as Record<string, unknown>;
      expect(model).toMatchObject({ layers: [INPUTS, 32, CLASSES], activations: ["softlif"], spiking: true, batch_norm: false });
      expect(model.params_sha256).toBe(await node.params.sha256());
      expect(reply.body.simulation).toEqual(publicSimulation(DOCUMENTED_SIMULATION));
    }
    const reply = await call(relu!, "/model");
    expect(reply.status).toBe(200);
    expect(reply.body.model).toMatchObject({ layers: [INPUTS, 48, CLASSES], activations: ["relu"], spiking: false, batch_norm: true });
    expect(reply.body.simulation).toBeUndefined();
    node.free();
  });

  it("predicts like the library in Node: ReLU MLP with batch norm", async () => {
    const { model, results } = reference(reluBytes, "relu");
    for (const [i, x] of inputs.entries()) {
      // Both body forms: {"pixels": [...]} and the bare array.
      const reply = await post(relu!, JSON.stringify(i % 2 ? Array.from(x) : { pixels: Array.from(x) }));
      expect(reply.status).toBe(200);
      expect(Object.keys(reply.body).sort()).toEqual(["class", "logits", "probabilities"]);
      expectPrediction(reply.body, results[i]);
      expect(reply.body.class).toBe(Array.from(results[i].probabilities).indexOf(Math.max(...results[i].probabilities)));
    }
    model.free();
  });

  for (const [which, simulation] of [["documented", DOCUMENTED_SIMULATION], ["SIMULATION binding's", { ...DOCUMENTED_SIMULATION, ...OVERRIDDEN_SIMULATION }]] as const) {
    it(`spiking model: the class and spike counts of SNN.simulate in Node with the ${which} settings`, async () => {
      const server = which === "documented" ? spiking! : overridden!;
      const { model, results } = reference(spikingBytes, "spiking");
      const snn = bio.SNN.fromMLP(model);
      let spikes = 0;
      for (const [i, x] of inputs.entries()) {
        const run = snn.simulate(x, 1, { ...simulation, readoutTimes: [simulation.time], batchSize: 1 });
        const reply = await post(server, JSON.stringify({ pixels: Array.from(x) }));
        expect(reply.status).toBe(200);
        expectPrediction(reply.body, results[i]);
        expect(reply.body.spike_counts).toEqual(Array.from(run.counts));
        expect(reply.body.class).toBe(run.predictions[0][0]);
        expect(reply.body.synaptic_operations).toEqual(run.synapticOperations[0]);
        const p = results[i].probabilities;
        expect(reply.body.rate_class).toBe(Array.from(p).indexOf(Math.max(...p)));
        expect(reply.body.spiking).toEqual(publicSimulation(simulation));
        spikes += run.counts.reduce((a, b) => a + b, 0);
      }
      // Not a vacuous comparison: the output layer does fire.
      expect(spikes).toBeGreaterThan(10);
      // The same request twice gives the same answer (a fixed seed, no state kept between requests).
      const again = await post(server, JSON.stringify(Array.from(inputs[0])));
      const first = await post(server, JSON.stringify(Array.from(inputs[0])));
      expect(again.body).toEqual(first.body);
      snn.free();
      model.free();
    });
  }

  const valid = () => JSON.stringify({ pixels: Array.from({ length: INPUTS }, (_, i) => (i % 7) / 7) });
  const pixelsWith = (index: number, json: string) => {
    const values: string[] = Array.from({ length: INPUTS }, () => "0.5");
    values[index] = json;
    return `{"pixels": [${values.join(",")}]}`;
  };

  /** Malformed requests: [name, request, status, message pattern, servers it applies to]. */
  const cases: [string, () => RequestInit & { path?: string }, number, RegExp][] = [
    ["invalid JSON", () => ({ body: '{"pixels": [0.1, 0.2' }), 400, /^invalid JSON: /],
    ["empty body", () => ({ body: "" }), 400, /^empty body: send JSON \{"pixels": \[784 numbers in \[0, 1\]\]\}/],
    ["783 values", () => ({ body: JSON.stringify({ pixels: new Array(783).fill(0) }) }), 400, /^wrong number of pixels: got 783, need 784$/],
    ["785 values", () => ({ body: JSON.stringify(new Array(785).fill(0)) }), 400, /^wrong number of pixels: got 785, need 784$/],
    ["empty array", () => ({ body: "[]" }), 400, /^wrong number of pixels: got 0, need 784$/],
    ['a string "NaN"', () => ({ body: pixelsWith(5, '"NaN"') }), 400, /^pixels\[5\] is not a number: got a string "NaN"$/],
    ["null in the array", () => ({ body: pixelsWith(7, "null") }), 400, /^pixels\[7\] is not a number: got null$/],
    ["a nested array", () => ({ body: pixelsWith(11, "[0.5]") }), 400, /^pixels\[11\] is not a number: got an array$/],
    ["1e999 (Infinity)", () => ({ body: pixelsWith(9, "1e999") }), 400, /^pixels\[9\] is not finite: got Infinity$/],
    ["-1e999", () => ({ body: pixelsWith(783, "-1e999") }), 400, /^pixels\[783\] is not finite: got -Infinity$/],
    ["a value above 1", () => ({ body: pixelsWith(3, "1.5") }), 400, /^pixels\[3\] is 1\.5, outside \[0, 1\]$/],
    ["a negative value", () => ({ body: pixelsWith(0, "-0.25") }), 400, /^pixels\[0\] is -0\.25, outside \[0, 1\]$/],
    ["a huge finite value", () => ({ body: pixelsWith(100, "1e300") }), 400, /^pixels\[100\] is 1e\+300, outside \[0, 1\]$/],
    ["body null", () => ({ body: "null" }), 400, /must be \{"pixels": .*, got null$/],
    ["body a number", () => ({ body: "42" }), 400, /, got a number$/],
    ["pixels a string", () => ({ body: '{"pixels": "0,0,0"}' }), 400, /^"pixels" must be an array of 784 numbers, got a string "0,0,0"$/],
    ["missing pixels", () => ({ body: "{}" }), 400, /^missing field "pixels"/],
    ["unknown field", () => ({ body: '{"pixel": []}' }), 400, /^unknown field "pixel"/],
    ["invalid UTF-8", () => ({ body: new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]) }), 400, /^invalid JSON: the body is not valid UTF-8$/],
    ["10 MB body with its Content-Length", () => ({ body: new Uint8Array(10 << 20).fill(0x20) }), 413, /^body too large: Content-Length is 10485760 bytes, the limit is 65536 bytes$/],
    ["10 MB body streamed without Content-Length", () => ({
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 160; i++) controller.enqueue(new Uint8Array(64 << 10).fill(0x20));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit), 413, /^body too large: more than 65536 bytes$/],
    ["a body 1 byte over the limit", () => ({ body: " ".repeat(LIMIT + 1 - valid().length) + valid() }), 413, /^body too large: Content-Length is 65537 bytes/],
    ["GET /predict", () => ({ method: "GET" }), 405, /^method GET not allowed on \/predict: use POST$/],
    ["PUT /predict", () => ({ method: "PUT", body: valid() }), 405, /^method PUT not allowed on \/predict: use POST$/],
    ["POST /model", () => ({ path: "/model", body: valid() }), 405, /^method POST not allowed on \/model: use GET or HEAD$/],
    ["unknown path", () => ({ path: "/predictions", method: "GET" }), 404, /^no such path \/predictions: the endpoints are POST \/predict and GET \/model$/],
  ];

  for (const server of ["spiking", "relu"] as const) {
    it(`${server} model: every malformed request gets its 4xx naming the problem, and the server still answers`, async () => {
      const target = server === "spiking" ? spiking! : relu!;
      const statuses: number[] = [];
      for (const [name, make, status, message] of cases) {
        const { path = "/predict", ...init } = make();
        const reply = await call(target, path, { method: "POST", headers: { "content-type": "application/json" }, ...init }).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
        statuses.push(reply.status);
        expect({ name, status: reply.status }).toEqual({ name, status });
        expect(reply.body.error, name).toMatch(message);
        if (status === 405) expect(reply.headers.get("allow"), name).toBe(path === "/predict" ? "POST" : "GET, HEAD");
      }
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      const after = await post(target, valid());
      expect(after.status).toBe(200);
    });
  }

  it("a body longer than its Content-Length is cut there: invalid JSON, 400", async () => {
    const body = valid();
    const text = await raw(spiking!.port, `POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n${body}`);
    const reply = firstResponse(text);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(/^invalid JSON: /);
    expect((await post(spiking!, body)).status).toBe(200);
  });

  it("a Content-Length over the limit is refused before any of the body is sent", async () => {
    const text = await raw(spiking!.port, "POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857600\r\n\r\n", 10_000);
    const reply = firstResponse(text);
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe("body too large: Content-Length is 104857600 bytes, the limit is 65536 bytes");
  });

  it("a client that promises more body than it sends holds up only its own request", async () => {
    const socket = connect(spiking!.port, "127.0.0.1");
    await new Promise<void>((done, reject) => socket.once("connect", done).once("error", reject));
    socket.write("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n[0.5, 0.5");
    try {
      const reply = await post(spiking!, valid());
      expect(reply.status).toBe(200);
    } finally {
      socket.destroy();
    }
    expect((await post(spiking!, valid())).status).toBe(200);
  });

  it("accepts a body of exactly the limit (64 KiB)", async () => {
    const body = " ".repeat(LIMIT - valid().length) + valid();
    expect(body.length).toBe(LIMIT);
    expect((await post(relu!, body)).status).toBe(200);
  });

  it("accepts any Content-Type (the body is always read as JSON)", async () => {
    const reply = await post(relu!, valid(), { "content-type": "application/x-www-form-urlencoded" });
    expect(reply.status).toBe(200);
    const none = await call(relu!, "/predict", { method: "POST", body: new TextEncoder().encode(valid()) });
    expect(none.status).toBe(200);
  });

  it("HEAD /model answers without a body", async () => {
    const response = await fetch(`${spiking!.url}/model`, { method: "HEAD", signal: requestTimeout() });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("a model file that cannot be decoded: 500 on every request, naming the file", async () => {
    for (const [path, init] of [["/model", {}], ["/predict", { method: "POST", body: valid() }]] as const) {
      const reply = await call(broken!, path, init);
      expect(reply.status).toBe(500);
      expect(reply.body.error).toMatch(/^internal error: the model could not be loaded: model\.safetensors: /);
    }
  });
});
