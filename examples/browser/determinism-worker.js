// Runs the shared determinism job (tests/runtimes/determinism-job.js) on the browser bundle, in a
// Web Worker as the demo trains, and posts its hashes back.
import * as bio from "/dist/browser.js";
import { determinismJob } from "/tests/runtimes/determinism-job.js";

try {
  const started = performance.now();
  const hashes = await determinismJob(bio);
  self.postMessage({ type: "result", hashes, threads: bio.runtime().threads, seconds: (performance.now() - started) / 1000, version: bio.VERSION });
} catch (error) {
  self.postMessage({ type: "error", message: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
}
