// The bioplausible edge worker: a Cloudflare-Workers-style module that serves one trained model.
//
//   POST /predict   {"pixels": [784 numbers in [0, 1]]} (or the bare array) → the class and the
//                   softmax probabilities; for a spiking model also the spike counts of a
//                   simulation of the LIF network
//   GET  / , /model a description of the model
//
// The model is the data module "model.safetensors" (a file written by `bioplausible train --out`),
// decoded once, on the first request. A model whose hidden activations are all soft-LIF is served
// as a spiking network (SNN.fromMLP): its "class" is the spiking network's, read out from the
// output spike counts of a deterministic simulation (fixed Poisson seed), and its "probabilities"
// are those of the soft-LIF rate network it was converted from, whose own class is "rate_class".
// Every malformed request gets a 4xx JSON {"error": "..."} naming the problem; see README.md.

import * as bio from "./bioplausible/workerd.js";
import modelData from "./model.safetensors";

const MODEL_FILE = "model.safetensors";
/** Request bodies are read up to this many bytes (784 pixels with 17 digits each take about 16 KiB). */
const MAX_BODY_BYTES = 64 * 1024;
/** How much of a refused body is read and dropped so that the client sees the answer (discardBody). */
const DISCARD_BYTES = 16 * 1024 * 1024;
/**
 * The spiking simulation of every request: the thesis's 1 ms step, Poisson input, lowpass synapses,
 * count readout at the end of 0.2 s, Poisson seed 0. A text binding SIMULATION (JSON, the
 * library's SimulationOptions) overrides any of these.
 */
const DEFAULT_SIMULATION = { time: 0.2, dt: 0.001, encoding: "poisson", readout: "count", synapse: "lowpass", tauS: 0.005, seed: 0 };
const SIMULATION_KEYS = ["time", "dt", "encoding", "readout", "synapse", "tauS", "seed"];
/**
 * What a spiking model file's recorded simulation says of the network itself, and so overrides the
 * defaults: its synapse, input coding and step (a network imported from NIR keeps its synapse and
 * the area of its input spikes there). The presentation time and seed stay the worker's.
 */
const NETWORK_KEYS = ["dt", "encoding", "readout", "synapse", "tauS", "poissonPeriod"];

/** An error answered to the client with `status`. */
class HttpError extends Error {
  /** `reader`: the body's reader when the body was being read. */
  constructor(status, message, headers = {}, reader = undefined) {
    super(message);
    this.status = status;
    this.headers = headers;
    this.reader = reader;
  }
}

let loading;

/** Decode the model (once per isolate); a failure is kept and reported on every request. */
function load(env) {
  loading ??= loadModel(env).catch((error) => {
    throw new Error(`the model could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
  });
  return loading;
}

async function loadModel(env) {
  await bio.init();
  const bytes = new Uint8Array(modelData);
  const file = bio.decodeModelFile(bytes, MODEL_FILE);
  const { model } = file;
  const { activations, neuron, layers } = model.config;
  const spiking = activations.length > 0 && neuron !== undefined && activations.every((a) => a === "softlif");
  let simulation;
  let snn;
  if (spiking) {
    let overrides = {};
    if (env?.SIMULATION) {
      try {
        overrides = JSON.parse(env.SIMULATION);
      } catch {
        throw new Error(`the SIMULATION binding is not valid JSON: ${env.SIMULATION}`);
      }
      if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
        throw new Error(`the SIMULATION binding must be a JSON object, got ${env.SIMULATION}`);
      }
      const unknown = Object.keys(overrides).filter((k) => !SIMULATION_KEYS.includes(k));
      if (unknown.length) throw new Error(`the SIMULATION binding has unknown keys ${unknown.join(", ")} (known: ${SIMULATION_KEYS.join(", ")})`);
    }
    const recorded = file.kind === "snn" ? Object.fromEntries(NETWORK_KEYS.map((k) => [k, file.simulation[k]]).filter(([, v]) => v !== undefined)) : {};
    const chosen = { ...DEFAULT_SIMULATION, ...recorded, ...overrides };
    // One sample per request, read out once at the end of the presentation.
    simulation = bio.resolveSimulation({ ...chosen, readoutTimes: [chosen.time], batchSize: 1 }, neuron);
    snn = bio.SNN.fromMLP(model);
  }
  let training;
  let importedFrom;
  try {
    const { metadata } = bio.decodeSafetensors(bytes, MODEL_FILE);
    if (metadata.training) training = JSON.parse(metadata.training);
    if (metadata.imported_from) importedFrom = JSON.parse(metadata.imported_from);
  } catch {
    // The training record is informative only; the model decoded above is what counts.
  }
  const description = {
    file: MODEL_FILE,
    layers,
    activations,
    batch_norm: model.config.batchNorm,
    ...(neuron ? { neuron } : {}),
    spiking,
    kind: file.kind,
    inputs: model.inputs,
    outputs: model.outputs,
    params_sha256: await model.params.sha256(),
    ...(importedFrom ? { imported_from: importedFrom } : {}),
    ...(training ? {
      trained: {
        model: training.config?.model, dataset: training.config?.dataset, epochs: training.config?.epochs,
        rate_test_accuracy: training.test_accuracy, params_sha256: training.params_sha256,
      },
    } : {}),
  };
  return { model, snn, simulation, description };
}

/** Public names of the simulation settings (as the CLI's JSON records them). */
function describeSimulation(sim) {
  return { time: sim.time, dt: sim.dt, encoding: sim.encoding, readout: sim.readout, synapse: sim.synapse, tau_s: sim.tauS, seed: sim.seed };
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/**
 * The body's bytes, at most `limit`: a Content-Length over the limit is refused before any byte is
 * read, and the stream is counted as it comes (a missing or lying Content-Length changes nothing).
 */
async function readBody(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new HttpError(413, `body too large: Content-Length is ${declared} bytes, the limit is ${limit} bytes`);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new HttpError(400, `could not read the body: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > limit) throw new HttpError(413, `body too large: more than ${limit} bytes`, {}, reader);
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads and drops what is left of a refused request's body, up to DISCARD_BYTES in all, before the
 * error is answered. workerd closes the connection when a response goes out before its request's
 * body was read, and a client still sending then gets a broken pipe or a reset instead of the
 * answer; discarding (nothing is kept) lets it read the 413. Beyond DISCARD_BYTES the answer goes
 * out at once, and such a client may see only the closed connection.
 */
async function discardBody(request, reader) {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (!reader && (request.body === null || request.bodyUsed || declared > DISCARD_BYTES)) return;
  let total = 0;
  try {
    reader ??= request.body.getReader();
    while (total <= DISCARD_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nobody is left to answer.
  }
}

function kind(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  return `${typeof value === "object" ? "an" : "a"} ${typeof value}`;
}

/** The pixels of a request body, checked: `inputs` finite numbers in [0, 1]. */
function parsePixels(bytes, inputs) {
  const shape = `{"pixels": [${inputs} numbers in [0, 1]]} or a bare array of ${inputs} numbers`;
  if (bytes.byteLength === 0) throw new HttpError(400, `empty body: send JSON ${shape}`);
  let source;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid JSON: the body is not valid UTF-8");
  }
  let body;
  try {
    body = JSON.parse(source);
  } catch (error) {
    throw new HttpError(400, `invalid JSON: ${error.message}`);
  }
  let pixels = body;
  if (!Array.isArray(body)) {
    if (body === null || typeof body !== "object") throw new HttpError(400, `the body must be ${shape}, got ${kind(body)}`);
    const unknown = Object.keys(body).filter((key) => key !== "pixels");
    if (unknown.length) throw new HttpError(400, `unknown field ${JSON.stringify(unknown[0])}: the body is ${shape}`);
    if (!("pixels" in body)) throw new HttpError(400, `missing field "pixels": the body is ${shape}`);
    pixels = body.pixels;
    if (!Array.isArray(pixels)) throw new HttpError(400, `"pixels" must be an array of ${inputs} numbers, got ${kind(pixels)}`);
  }
  if (pixels.length !== inputs) throw new HttpError(400, `wrong number of pixels: got ${pixels.length}, need ${inputs}`);
  const x = new Float32Array(inputs);
  for (let i = 0; i < inputs; i++) {
    const v = pixels[i];
    if (typeof v !== "number") throw new HttpError(400, `pixels[${i}] is not a number: got ${kind(v)}`);
    // JSON has no NaN, but 1e999 parses to Infinity.
    if (!Number.isFinite(v)) throw new HttpError(400, `pixels[${i}] is not finite: got ${v}`);
    // The models learn from byte/255 pixels, and the spiking network fires Poisson trains at rate x/t_ref.
    if (v < 0 || v > 1) throw new HttpError(400, `pixels[${i}] is ${v}, outside [0, 1]`);
    x[i] = v;
  }
  return x;
}

async function predict(request, env) {
  const { model, snn, simulation } = await load(env);
  const x = parsePixels(await readBody(request, MAX_BODY_BYTES), model.inputs);
  const logits = model.logits(x, 1);
  const probabilities = model.predictProba(x, 1);
  const rateClass = model.predict(x, 1)[0];
  if (!snn) return json(200, { class: rateClass, probabilities: [...probabilities], logits: [...logits] });
  const run = snn.simulate(x, 1, simulation);
  return json(200, {
    class: run.predictions[run.predictions.length - 1][0],
    spike_counts: [...run.counts],
    // Per weight layer: each spike times the neurons it reached (docs/spiking.md).
    synaptic_operations: run.synapticOperations[run.synapticOperations.length - 1],
    probabilities: [...probabilities],
    logits: [...logits],
    rate_class: rateClass,
    spiking: describeSimulation(simulation),
  });
}

async function describe(env) {
  const { description, simulation } = await load(env);
  return json(200, {
    service: "bioplausible edge worker",
    version: bio.VERSION,
    model: description,
    ...(simulation ? { simulation: describeSimulation(simulation) } : {}),
    class: description.spiking
      ? "the spiking network's class by its readout (count: the output neuron with the most spikes, ties to the earliest first spike; -1 when a tie is left); synaptic_operations per weight layer; probabilities and rate_class are the soft-LIF rate network's"
      : "the most probable class of the network's softmax",
    max_body_bytes: MAX_BODY_BYTES,
    endpoints: {
      "POST /predict": `body {"pixels": [${description.inputs} numbers in [0, 1]]} or the bare array; answers the class and probabilities${description.spiking ? ", the spike counts, the synaptic operations and the rate network's class" : ""}`,
      "GET /model": "this description (also GET /)",
    },
  });
}

async function route(request, env) {
  const { pathname } = new URL(request.url);
  const allow = (methods) => {
    if (!methods.includes(request.method)) {
      throw new HttpError(405, `method ${request.method} not allowed on ${pathname}: use ${methods.join(" or ")}`, { allow: methods.join(", ") });
    }
  };
  if (pathname === "/predict") {
    allow(["POST"]);
    return predict(request, env);
  }
  if (pathname === "/" || pathname === "/model") {
    allow(["GET", "HEAD"]);
    return describe(env);
  }
  throw new HttpError(404, `no such path ${pathname}: the endpoints are POST /predict and GET /model`);
}

export default {
  async fetch(request, env) {
    try {
      return await route(request, env);
    } catch (error) {
      await discardBody(request, error instanceof HttpError ? error.reader : undefined);
      if (error instanceof HttpError) return json(error.status, { error: error.message }, error.headers);
      // Only a bug or a model that cannot be loaded gets here.
      const message = error instanceof Error ? error.message : String(error);
      return json(500, { error: `internal error: ${message}` });
    }
  },
};
