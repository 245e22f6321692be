// The default runtime: one instance of the wasm module that models use unless given another.

import { platform } from "./platform/index.js";
import { instantiateRuntime, type Runtime } from "./wasm/load.js";
import { debugWasm, releaseWasm } from "./wasm/location.js";

export type { Runtime };

export interface InitOptions {
  /** A compiled module, for runtimes that deliver the .wasm some other way. */
  module?: WebAssembly.Module;
  /** The debug build: kernel assertions on, slower. */
  debug?: boolean;
}

let current: Runtime | undefined;

/** Load and instantiate the wasm core; resolves to the runtime, which also becomes the default. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  current = await instantiateRuntime(options.module ?? (await platform.compile(wasmSource(options.debug ?? false))));
  return current;
}

/** The runtime set by the last init(). */
export function runtime(): Runtime {
  if (!current) throw new Error("bioplausible is not initialised: call `await init()` first");
  return current;
}

function wasmSource(debug: boolean): URL | WebAssembly.Module {
  if (!debug) return releaseWasm;
  if (debugWasm === undefined) throw new Error("the debug build of the wasm core is not bundled for this runtime; pass { module } to init()");
  return debugWasm;
}
