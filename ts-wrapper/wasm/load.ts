// The platform-neutral core: a compiled WebAssembly.Module in, a Runtime (kernels + heap) out.
// Each runtime's entry point only has to obtain the Module (Node reads the file; browsers and
// edge workers fetch or import it) and hand it here.

import { instantiate } from "@assemblyscript/loader";
import { Heap } from "./heap.js";
import { bindKernels, type Kernels } from "./kernels.js";

export interface Runtime {
  readonly kernels: Kernels;
  readonly heap: Heap;
  readonly memory: WebAssembly.Memory;
}

export async function instantiateRuntime(module: WebAssembly.Module): Promise<Runtime> {
  // The loader supplies env.abort, which turns an AssemblyScript assertion into an Error that
  // carries the message and source position; kernels.ts adds the kernel's name.
  const { exports } = await instantiate<Record<string, unknown>>(module, {});
  const memory = exports.memory as WebAssembly.Memory;
  const kernels = bindKernels(exports as Record<string, unknown>);
  return { kernels, heap: new Heap(memory, kernels.heapBase()), memory };
}
