// Browsers and edge workers: files are URLs, fetched. A relative directory resolves against the
// page (or worker script) when there is one.
import type { Platform } from "./types.js";

interface WebGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string) => Worker;
  document?: unknown;
}
const web = globalThis as WebGlobals;

export const platform: Platform = {
  async compile(source) {
    if (source instanceof WebAssembly.Module) return source;
    const response = await fetchOk(source.href, "the wasm core");
    // compileStreaming needs the application/wasm MIME type; plenty of static servers send another.
    if (response.headers.get("content-type")?.split(";")[0].trim() === "application/wasm") {
      return WebAssembly.compileStreaming(response);
    }
    return WebAssembly.compile(await response.arrayBuffer());
  },

  async read(dir, name, what) {
    const page = (globalThis as { location?: { href: string } }).location?.href;
    let file: string;
    try {
      file = new URL(name, new URL(dir.endsWith("/") ? dir : `${dir}/`, page)).href;
    } catch {
      throw new Error(`${dir}: not a URL${page ? "" : " (with no page to resolve it against, a data directory must be an absolute URL)"}`);
    }
    const response = await fetchOk(file, what, true);
    if (!response) return { file };
    return { file, bytes: new Uint8Array(await response.arrayBuffer()) };
  },

  async mnistDir() {
    throw new Error("MNIST has no default location here: pass dataDir, the URL of a directory serving the MNIST IDX files");
  },

  async fashionMnistDir() {
    throw new Error("Fashion-MNIST has no default location here: pass dataDir, the URL of a directory serving the Fashion-MNIST IDX files");
  },

  // Shared memory needs cross-origin isolation (COOP and COEP headers); workerd has no workers.
  async parallelism() {
    return web.crossOriginIsolated === true && web.Worker ? Math.max(1, web.navigator?.hardwareConcurrency ?? 1) : 1;
  },

  threadsSetting: () => undefined,

  spawnThread(main, data) {
    const source = `self.onmessage = (event) => (${main})(event.data, () => self.postMessage("ready"));`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new web.Worker!(url);
    return new Promise((resolve, reject) => {
      worker.onmessage = () => {
        URL.revokeObjectURL(url);
        resolve({ terminate: () => worker.terminate() });
      };
      worker.onerror = (event) => reject(new Error(event.message || "the worker failed to start"));
      worker.postMessage(data);
    });
  },

  // A page's main thread may not block; a worker may.
  canBlock: () => web.document === undefined,
};

async function fetchOk(url: string, what: string): Promise<Response>;
async function fetchOk(url: string, what: string, missingOk: true): Promise<Response | undefined>;
async function fetchOk(url: string, what: string, missingOk = false): Promise<Response | undefined> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${url}: cannot fetch ${what} (${reason})`, { cause: err });
  }
  if (response.status === 404 && missingOk) return undefined;
  if (!response.ok) throw new Error(`${url}: cannot fetch ${what} (HTTP ${response.status} ${response.statusText})`);
  return response;
}
