// Runs speed-job.js in a Web Worker on the browser bundle, as the demo trains: one message per
// measurement, answered with its rate. Models stay alive between rounds, as they do in Node.
import * as bio from "/dist/browser.js";
import { createBench } from "./speed-job.js";

const runtime = await bio.init();
const benches = {};

self.onmessage = ({ data: { id, kind, seconds } }) => {
  try {
    benches[kind] ??= createBench(bio, runtime, kind);
    self.postMessage({ id, result: benches[kind].run(seconds) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
self.postMessage({ ready: true, userAgent: navigator.userAgent, threads: runtime.threads });
