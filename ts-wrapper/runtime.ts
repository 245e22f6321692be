// The default runtime: one instance of the wasm module that models use unless given another.

import { instantiateRuntime, type Runtime } from "./wasm/load.js";
import { debugWasmUrl, releaseWasmUrl } from "./wasm/location.js";

export type { Runtime };

export interface InitOptions {
  /** A compiled module (edge workers import the .wasm as a module and pass it here). */
  module?: WebAssembly.Module;
  /** The debug build: kernel assertions on, slower. */
  debug?: boolean;
}

let current: Runtime | undefined;

/** Load and instantiate the wasm core; resolves to the runtime, which also becomes the default. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  const module = options.module ?? (await compileDefault(options.debug ? debugWasmUrl : releaseWasmUrl));
  current = await instantiateRuntime(module);
  return current;
}

/** The runtime set by the last init(). */
export function runtime(): Runtime {
  if (!current) throw new Error("bioplausible is not initialised: call `await init()` first");
  return current;
}

async function compileDefault(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readFile(url);
    } catch (cause) {
      throw new Error(`cannot read the wasm core at ${url.pathname} (was the package built? run \`npm run build\`)`, { cause });
    }
    return WebAssembly.compile(bytes);
  }
  return WebAssembly.compileStreaming(fetch(url));
}
