// The kernel list. Every export of the module, grouped by the file that implements it.
// Pointers are byte addresses in linear memory; sizes are element counts.

export { gemm, gemmWorkspaceBytes } from "./gemm";

/** First free byte after the module's static data: the TypeScript heap starts here. */
export function heapBase(): usize {
  return __heap_base;
}
