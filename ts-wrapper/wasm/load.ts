// The platform-neutral core: a compiled WebAssembly.Module in, a Runtime (kernels, layout, heap)
// out. Each runtime's entry point only has to obtain the Module (Node reads the file; browsers and
// edge workers fetch or import it) and hand it here.

import { Heap } from "./heap.js";
import { bindKernels, KERNEL_NAMES, type Kernels } from "./kernels.js";
import { readLayout, type Layout } from "./layout.js";
import { COUNTING_KERNELS, SPLIT_KERNELS, split, type WorkFor } from "./split.js";
import type { SpawnThread } from "../platform/types.js";
import { Pool } from "./threads.js";

export interface Runtime {
  readonly kernels: Kernels;
  readonly layout: Layout;
  readonly heap: Heap;
  readonly memory: WebAssembly.Memory;
  /** Threads the kernels share their work between: 1, or the workers and the calling thread. */
  readonly threads: number;
  /** Kernel calls shared between threads so far, by kernel name (none on one thread). */
  parallelCalls(): Record<string, number>;
  /** Stops the worker threads (a runtime of one thread has none); the runtime must not be used after. */
  close(): void;
}

export async function instantiateRuntime(module: WebAssembly.Module): Promise<Runtime> {
  const instance = await WebAssembly.instantiate(module, imports(() => memory));
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const kernels = bindKernels(exports);
  return { kernels, layout: readLayout(exports), heap: new Heap(memory, kernels.heapBase()), memory, threads: 1, parallelCalls: () => ({}), close() {} };
}

/** How to run the threaded build (threads.wasm): over how many threads, and how workers start. */
export interface ThreadOptions {
  threads: number;
  spawn: SpawnThread;
  /** Whether this thread may block in Atomics.wait (a browser page's main thread may not). */
  canBlock: boolean;
}

// wasm32's whole address space: a shared memory must declare its maximum, and the heap grows to it.
const MAX_PAGES = 65536;

/**
 * The threaded build over a new shared memory, with `threads − 1` workers each running its own
 * instance of it. The kernels that split.ts can divide are shared out; the rest run here.
 */
export async function instantiateThreaded(module: WebAssembly.Module, options: ThreadOptions): Promise<Runtime> {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, imports(() => memory, memory));
  const exports = instance.exports as Record<string, unknown>;
  const base = bindKernels(exports);
  const heap = new Heap(memory, base.heapBase());
  const scratchBytes = base.threadScratchBytes();
  const pool = await Pool.start(options.threads - 1, module, memory, KERNEL_NAMES, () => heap.alloc(scratchBytes), options.spawn, options.canBlock);
  const kernels = { ...base };
  const layout = readLayout(exports);
  const context = { threads: pool.size, kernels: base, layout, work: threadWork(heap) };
  for (const name of SPLIT_KERNELS) {
    const index = KERNEL_NAMES.indexOf(name);
    const whole = base[name] as (...args: number[]) => number;
    const counts = COUNTING_KERNELS.has(name);
    (kernels as Record<string, unknown>)[name] = (...args: number[]) => {
      const parts = split(name, args, context);
      if (!parts) return whole(...args);
      const results = pool.run(index, parts, whole);
      return counts ? results.reduce((sum, r) => sum + r, 0) : undefined;
    };
  }
  const parallelCalls = () => Object.fromEntries(pool.runs.flatMap((count, index) => (count ? [[KERNEL_NAMES[index], count]] : [])));
  return { kernels, layout, heap, memory, threads: pool.size, parallelCalls, close: () => pool.close() };
}

/** Scratch for the parts that run on workers: one block per part, grown to the largest asked. */
function threadWork(heap: Heap): WorkFor {
  const blocks: { ptr: number; bytes: number }[] = [];
  return (part, bytes) => {
    const block = blocks[part];
    if (block && block.bytes >= bytes) return block.ptr;
    if (block) heap.free(block.ptr);
    blocks[part] = { ptr: heap.alloc(bytes), bytes };
    return blocks[part].ptr;
  };
}

// The kernels assert nothing today, so the module imports nothing but, in the threaded build, its
// shared memory (env.memory). An AssemblyScript assertion
// would import env.abort: it throws an Error with the message and source position, and
// kernels.ts adds the kernel's name.
function imports(memory: () => WebAssembly.Memory, shared?: WebAssembly.Memory): WebAssembly.Imports {
  const text = (ptr: number): string => {
    if (ptr === 0) return "";
    const bytes = new DataView(memory().buffer).getUint32(ptr - 4, true);
    return String.fromCharCode(...new Uint16Array(memory().buffer, ptr, bytes >>> 1));
  };
  return {
    env: {
      ...(shared ? { memory: shared } : {}),
      abort(message: number, file: number, line: number, column: number): never {
        throw new Error(`${text(message)} at ${text(file)}:${line}:${column}`);
      },
    },
  };
}
