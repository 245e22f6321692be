// Shows the determinism job's hashes and leaves them in window.result (and body[data-state]) for
// tests/browser/determinism.test.ts, which compares them with Node's.
const table = document.getElementById("hashes");
const status = document.getElementById("status");

function finish(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
}

const worker = new Worker(new URL("./determinism-worker.js", import.meta.url), { type: "module" });
worker.onerror = (event) => {
  event.preventDefault();
  window.result = { error: event.message || "the worker could not start" };
  finish("error", `Error: ${window.result.error}`);
};
worker.onmessage = ({ data }) => {
  if (data.type === "error") {
    window.result = { error: data.message };
    finish("error", `Error: ${data.message}`);
    return;
  }
  window.result = data.hashes;
  window.threads = data.threads;
  for (const [name, hash] of Object.entries(data.hashes)) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    const cell = row.insertCell();
    cell.textContent = hash;
    cell.className = "hash";
  }
  finish("done", `bioplausible ${data.version}: ${Object.keys(data.hashes).length} hashes in ${data.seconds.toFixed(1)} s on ${data.threads} thread${data.threads === 1 ? "" : "s"}. Compare them with Node's: npx vitest run tests/browser/determinism.test.ts`);
};
