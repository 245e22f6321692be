// Wires the page to its worker: controls send requests, the worker's messages update the views.
//
// URL options (for quick runs and the tests): ?model=mlp|pcn&epochs=N&limit=N (training digits)
// &test=N (test digits)&spiking=N (test digits the spiking network runs)&hidden=128,64&batch=64
// &net=mlp|conv&arch=conv8k5p2,avgpool2,… (the convolutional network's layers)
// &report=MS (progress at most every MS milliseconds of training; 0: after every batch)

import { DigitView } from "./digit-view.js";
import { DrawingPad } from "./draw.js";
import { toMnist } from "./preprocess.js";
import { TrainingView } from "./training-view.js";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const integer = (name, fallback, min = 1) => {
  const v = Number(query.get(name) ?? fallback);
  return Number.isInteger(v) && v >= min ? v : fallback;
};
const options = {
  limit: integer("limit", 60000),
  testLimit: integer("test", 10000),
  spikingTest: integer("spiking", 1000),
  batchSize: integer("batch", 64),
  reportMs: integer("report", 60, 0),
  hidden: (query.get("hidden") ?? "128,64").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0),
};
if (options.hidden.length === 0) options.hidden = [128, 64];
// A small conv net that trains in about a minute per epoch here (the bench net is 20× the work).
options.arch = query.get("arch") ?? "conv8k5p2,avgpool2,conv16k5p2,avgpool2,fc64,fc10";
if (query.get("net") === "conv" || query.has("arch")) $("net").value = "conv";
if (query.get("model") === "pcn") document.querySelector('input[value="pcn"]').checked = true;
if (query.has("epochs")) {
  const epochs = String(integer("epochs", 2));
  const select = $("epochs");
  if (![...select.options].some((o) => o.value === epochs)) select.add(new Option(epochs));
  select.value = epochs;
}

const training = new TrainingView({
  lossChart: $("loss-chart"), accuracyChart: $("acc-chart"), energyChart: $("energy-chart"), results: $("results"),
  rateAccuracy: $("rate-acc"), rateLabel: $("rate-label"), spikeAccuracy: $("spike-acc"), spikeLabel: $("spike-label"), spikingNote: $("spiking-note"),
});
const digit = new DigitView({
  preview: $("preview"), predicted: $("predicted"), counts: $("counts"), verdict: $("verdict-text"), rateSays: $("rate-says"), raster: $("raster"),
});
digit.clear("Train a network, then draw a digit from 0 to 9 in the box.");

let trained = false;
let trainCount = options.limit;
let loaded = false;
let strokeTimer;
const setState = (state) => (document.body.dataset.state = state);
const status = (text) => ($("status").textContent = text);
const progress = (fraction) => ($("bar").style.width = `${Math.round(100 * Math.min(1, fraction))}%`);
const chosenModel = () => document.querySelector('input[name="model"]:checked').value;

function describe() {
  const kind = chosenModel();
  const conv = $("net").value === "conv";
  const network = conv ? `convolutional ${options.arch}` : `${[784, ...options.hidden, 10].join("-")}`;
  const rule = kind === "pcn"
    ? "inference learning (T = 20, γ = 0.1), Adam, lr 0.002 with cosine decay"
    : "SGD with momentum 0.9, lr 0.05 with cosine decay";
  $("arch").textContent = `A ${network} network of soft-LIF neurons, on ${trainCount.toLocaleString("en")} training digits in batches of ${options.batchSize}; ${rule} — the settings of the comparison's spiking rows.`;
}
describe();
for (const radio of document.querySelectorAll('input[name="model"]')) radio.addEventListener("change", describe);
$("net").addEventListener("change", describe);

/** While a network trains, the controls that would change it are locked. */
function busy(training) {
  $("train").disabled = training || !loaded;
  $("stop").disabled = !training;
  $("epochs").disabled = training;
  $("net").disabled = training;
  document.querySelector("fieldset.models").disabled = training;
}

function fail(message) {
  setState("error");
  status(`Error: ${message}`);
  console.error(`bioplausible demo: ${message}`);
  busy(false);
}

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onerror = (event) => {
  event.preventDefault();
  fail(event.message || "the worker could not start (is dist/ built? run npm run build)");
};

const handlers = {
  status: ({ text }) => status(text),
  loaded: ({ train, test, threads, isolated }) => {
    trainCount = train;
    loaded = true;
    describe();
    setState("ready");
    $("threads").textContent = threads > 1
      ? `Training on ${threads} threads.`
      : `Training on 1 thread${isolated ? "" : ": this page is not cross-origin isolated, so the single-threaded core loaded"}.`;
    status(`MNIST loaded: ${train.toLocaleString("en")} training and ${test.toLocaleString("en")} test digits. Pick a learning rule and press Train.`);
    $("train").disabled = false;
  },
  progress: ({ step, total, epoch, points, energy }) => {
    training.add(points, energy);
    progress(step / total);
    const last = points[points.length - 1];
    document.body.dataset.steps = String(step);
    document.body.dataset.reports = String(Number(document.body.dataset.reports ?? 0) + 1);
    status(`Epoch ${epoch} · batch ${step.toLocaleString("en")} of ${total.toLocaleString("en")}` + (last ? ` · loss ${last[1].toFixed(3)}` : ""));
  },
  epoch: ({ epoch, step, testAccuracy }) => {
    training.addTest(step, testAccuracy);
    status(`Epoch ${epoch} done: ${(100 * testAccuracy).toFixed(1)} % of test digits right.`);
  },
  spiking: ({ done, total }) => {
    $("stop").disabled = true; // the simulation runs to the end in one go
    progress(done / total);
    status(`Simulating the spiking network: ${done} of ${total} test digits…`);
  },
  stopped: ({ steps }) => {
    setState("ready");
    status(`Stopped after ${steps} batches.`);
    busy(false);
  },
  trained: (result) => {
    trained = true;
    setState("trained");
    progress(1);
    training.showResults(result);
    status("Trained. Draw a digit below.");
    busy(false);
    digit.clear("Draw a digit from 0 to 9 in the box: the spiking network classifies it when you lift the pen.");
    classify(); // a digit drawn while it trained
  },
  prediction: (result) => digit.show(result),
  error: ({ message }) => fail(message),
};
worker.onmessage = ({ data }) => handlers[data.type]?.(data);
worker.postMessage({ type: "load", limit: options.limit, testLimit: options.testLimit });

$("train").addEventListener("click", () => {
  const kind = chosenModel();
  const epochs = Number($("epochs").value);
  trained = false;
  setState("training");
  delete document.body.dataset.steps;
  delete document.body.dataset.reports;
  busy(true);
  progress(0);
  status("Starting…");
  training.reset(kind, epochs * Math.ceil(trainCount / options.batchSize));
  digit.clear("Training… draw now if you like: the digit is classified once the network is ready.");
  worker.postMessage({ type: "train", model: kind, epochs, hidden: options.hidden, arch: $("net").value === "conv" ? options.arch : undefined, batchSize: options.batchSize, spikingTest: options.spikingTest, reportMs: options.reportMs });
});
$("stop").addEventListener("click", () => worker.postMessage({ type: "stop" }));

const pad = new DrawingPad($("pad"), () => {
  // Wait a moment after the pen lifts: a 4 or a 7 often takes two strokes.
  clearTimeout(strokeTimer);
  strokeTimer = setTimeout(classify, 350);
});
$("clear").addEventListener("click", () => {
  clearTimeout(strokeTimer);
  pad.clear();
  digit.preview(null);
  digit.clear(trained ? "Draw a digit from 0 to 9 in the box." : "Train a network, then draw a digit from 0 to 9 in the box.");
});

function classify() {
  const pixels = toMnist(pad.intensity(), $("pad").width, $("pad").height);
  digit.preview(pixels);
  if (!pixels || !trained) return;
  worker.postMessage({ type: "classify", pixels }, [pixels.buffer]);
}

addEventListener("resize", () => {
  training.redraw();
  digit.redraw();
});
