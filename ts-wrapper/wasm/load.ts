// The platform-neutral core: a compiled WebAssembly.Module in, a Runtime (kernels, layout, heap)
// out. Each runtime's entry point only has to obtain the Module (Node reads the file; browsers and
// edge workers fetch or import it) and hand it here.

import { Heap } from "./heap.js";
import { bindKernels, type Kernels } from "./kernels.js";
import { readLayout, type Layout } from "./layout.js";

export interface Runtime {
  readonly kernels: Kernels;
  readonly layout: Layout;
  readonly heap: Heap;
  readonly memory: WebAssembly.Memory;
}

export async function instantiateRuntime(module: WebAssembly.Module): Promise<Runtime> {
  const instance = await WebAssembly.instantiate(module, imports(() => memory));
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const kernels = bindKernels(exports);
  return { kernels, layout: readLayout(exports), heap: new Heap(memory, kernels.heapBase()), memory };
}

// The kernels assert nothing today, so the module imports nothing. An AssemblyScript assertion
// would import env.abort: it throws an Error with the message and source position, and
// kernels.ts adds the kernel's name.
function imports(memory: () => WebAssembly.Memory): WebAssembly.Imports {
  const text = (ptr: number): string => {
    if (ptr === 0) return "";
    const bytes = new DataView(memory().buffer).getUint32(ptr - 4, true);
    return String.fromCharCode(...new Uint16Array(memory().buffer, ptr, bytes >>> 1));
  };
  return {
    env: {
      abort(message: number, file: number, line: number, column: number): never {
        throw new Error(`${text(message)} at ${text(file)}:${line}:${column}`);
      },
    },
  };
}
