// Writes workerd configurations (Cap'n Proto text). serve.mjs and the tests in tests/edge/ use it
// to point workerd at a model file and a bundle wherever they are; config.capnp beside this file is
// exactly what edgeWorkerConfig() returns for the default, relative paths (a test checks that).

/** The newest date this repository's workerd (1.20261117.1) supports. */
export const COMPATIBILITY_DATE = "2026-11-17";
export const DEFAULT_ADDRESS = "127.0.0.1:8787";

/** A Cap'n Proto string literal. */
function text(value) {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`workerd config: control character in ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const MODULE_KINDS = ["esModule", "wasm", "data", "text", "json"];

/**
 * A config with one worker service, "main", listening for HTTP on `address` (a socket named
 * "http", so `--socket-addr http=HOST:PORT` overrides it).
 *
 * @param {object} options
 * @param {{ name: string, esModule?: string, wasm?: string, data?: string, text?: string, json?: string }[]} options.modules
 *   Module names (what imports resolve against) and the files embedded for them; paths are
 *   relative to the config file (workerd looks an absolute one up in its import path, not the file
 *   system). The first module is the worker's main module.
 * @param {{ name: string, text: string }[]} [options.bindings] text bindings (env.NAME)
 * @param {string} [options.address]
 * @param {string} [options.compatibilityDate]
 * @param {string} [options.comment] lines put at the top, each prefixed with "# "
 * @returns {string}
 */
export function workerdConfig({ modules, bindings = [], address = DEFAULT_ADDRESS, compatibilityDate = COMPATIBILITY_DATE, comment }) {
  const moduleLines = modules.map((module) => {
    const kinds = MODULE_KINDS.filter((kind) => module[kind] !== undefined);
    if (kinds.length !== 1) throw new Error(`workerd config: module ${module.name} needs exactly one of ${MODULE_KINDS.join(", ")}`);
    return `    (name = ${text(module.name)}, ${kinds[0]} = embed ${text(module[kinds[0]])}),`;
  });
  const bindingLines = bindings.map((b) => `    (name = ${text(b.name)}, text = ${text(b.text)}),`);
  return [
    ...(comment ? comment.split("\n").map((line) => (line ? `# ${line}` : "#")) : []),
    'using Workerd = import "/workerd/workerd.capnp";',
    "",
    "const config :Workerd.Config = (",
    '  services = [(name = "main", worker = .worker)],',
    `  sockets = [(name = "http", address = ${text(address)}, http = (), service = "main")],`,
    ");",
    "",
    "const worker :Workerd.Worker = (",
    "  modules = [",
    ...moduleLines,
    "  ],",
    ...(bindingLines.length ? ["  bindings = [", ...bindingLines, "  ],"] : []),
    `  compatibilityDate = ${text(compatibilityDate)},`,
    ");",
    "",
  ].join("\n");
}

/**
 * The edge worker's config: worker.js, the library's workerd bundle and its .wasm, and the model
 * file as a data module. Paths default to those relative to this directory (config.capnp).
 *
 * @param {object} [options]
 * @param {string} [options.worker] path of worker.js
 * @param {string} [options.dist] directory holding workerd.js and bioplausible.wasm
 * @param {string} [options.model] the model file (safetensors written by `bioplausible train --out`)
 * @param {string} [options.address]
 * @param {Record<string, unknown>} [options.simulation] spiking settings, passed as env.SIMULATION
 * @returns {string}
 */
export function edgeWorkerConfig({ worker = "worker.js", dist = "../../dist", model = "model.safetensors", address = DEFAULT_ADDRESS, simulation } = {}) {
  const join = (dir, file) => `${dir.replace(/\/+$/, "")}/${file}`;
  return workerdConfig({
    comment: [
      "workerd config of the bioplausible edge worker (examples/edge-worker/README.md).",
      "Run from the repository root after `npm run build`, with a model at examples/edge-worker/model.safetensors:",
      "  npx workerd serve examples/edge-worker/config.capnp [--socket-addr http=127.0.0.1:PORT]",
      "`node examples/edge-worker/serve.mjs` trains a model if there is none and writes a config like",
      "this one for the paths it is given (config.mjs makes both). Embedded paths are relative to this file.",
    ].join("\n"),
    modules: [
      { name: "worker.js", esModule: worker },
      // dist/workerd.js imports "./bioplausible.wasm": the two names must sit side by side.
      { name: "bioplausible/workerd.js", esModule: join(dist, "workerd.js") },
      { name: "bioplausible/bioplausible.wasm", wasm: join(dist, "bioplausible.wasm") },
      { name: "model.safetensors", data: model },
    ],
    bindings: simulation ? [{ name: "SIMULATION", text: JSON.stringify(simulation) }] : [],
    address,
  });
}
