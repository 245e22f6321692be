# workerd config of the bioplausible edge worker (examples/edge-worker/README.md).
# Run from the repository root after `npm run build`, with a model at examples/edge-worker/model.safetensors:
#   npx workerd serve examples/edge-worker/config.capnp [--socket-addr http=127.0.0.1:PORT]
# `node examples/edge-worker/serve.mjs` trains a model if there is none and writes a config like
# this one for the paths it is given (config.mjs makes both). Embedded paths are relative to this file.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "bioplausible/workerd.js", esModule = embed "../../dist/workerd.js"),
    (name = "bioplausible/bioplausible.wasm", wasm = embed "../../dist/bioplausible.wasm"),
    (name = "model.safetensors", data = embed "model.safetensors"),
  ],
  compatibilityDate = "2026-11-17",
);
