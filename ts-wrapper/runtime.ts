// The default runtime: the wasm core that models use unless given another — one instance of the
// single-threaded build, or the threaded build shared by a pool of worker threads.

import { platform } from "./platform/index.js";
import { instantiateRuntime, instantiateThreaded, type Runtime } from "./wasm/load.js";
import { debugWasm, releaseWasm, threadsWasm } from "./wasm/location.js";

export type { Runtime };

export interface InitOptions {
  /** A compiled module, for runtimes that deliver the .wasm some other way. */
  module?: WebAssembly.Module;
  /** The compiled threaded build, likewise (threads above 1 need it where it is not bundled). */
  threadsModule?: WebAssembly.Module;
  /** The debug build: kernel assertions on, slower, one thread. */
  debug?: boolean;
  /**
   * Threads the kernels share their work between; results are the same bits at any count.
   * Default: BIOPLAUSIBLE_THREADS in Node's environment if set, else the machine's available
   * parallelism where threads can share memory, else 1.
   */
  threads?: number;
}

let current: Runtime | undefined;

/** Load and instantiate the wasm core; resolves to the runtime, which also becomes the default. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  const threads = await threadCount(options);
  if (threads > 1) {
    const module = options.threadsModule ?? (await platform.compile(threadsWasm!));
    current = await instantiateThreaded(module, { threads, spawn: platform.spawnThread, canBlock: platform.canBlock() });
  } else {
    current = await instantiateRuntime(options.module ?? (await platform.compile(wasmSource(options.debug ?? false))));
  }
  return current;
}

/** The runtime set by the last init(). */
export function runtime(): Runtime {
  if (!current) throw new Error("bioplausible is not initialised: call `await init()` first");
  return current;
}

async function threadCount(options: InitOptions): Promise<number> {
  const threaded = options.threadsModule !== undefined || (options.module === undefined && threadsWasm !== undefined);
  const setting = platform.threadsSetting();
  if (options.threads === undefined && setting !== undefined) {
    const threads = Number(setting);
    if (!/^\d+$/.test(setting.trim()) || threads < 1 || threads > 256) {
      throw new RangeError(`the environment variable BIOPLAUSIBLE_THREADS must be an integer from 1 to 256, got "${setting}"`);
    }
    // A default, not a demand: where this runtime cannot have threads it runs on one.
    if (options.debug || !threaded || (await platform.parallelism()) < 2) return 1;
    return threads;
  }
  const asked = options.threads;
  if (asked === undefined) return options.debug || !threaded ? 1 : await platform.parallelism();
  if (!Number.isInteger(asked) || asked < 1 || asked > 256) throw new RangeError(`init: threads must be an integer from 1 to 256, got ${asked}`);
  if (asked === 1) return 1;
  if (options.debug) throw new RangeError(`init: the debug build runs on one thread, not ${asked}`);
  if (!threaded) throw new RangeError(`init: ${asked} threads need the threaded build of the wasm core, which this runtime does not have (pass threadsModule)`);
  if ((await platform.parallelism()) < 2) {
    throw new RangeError(`init: ${asked} threads cannot run here: wasm threads need workers and shared memory (in a browser, a cross-origin isolated page)`);
  }
  return asked;
}

function wasmSource(debug: boolean): URL | WebAssembly.Module {
  if (!debug) return releaseWasm;
  if (debugWasm === undefined) throw new Error("the debug build of the wasm core is not bundled for this runtime; pass { module } to init()");
  return debugWasm;
}
