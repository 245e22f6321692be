// Where the wasm core comes from: URLs relative to this module in the sources. rollup.config.js
// replaces this file in each bundle: URLs next to the bundled JavaScript for Node and browsers, an
// imported module for edge runtimes (which cannot compile wasm from bytes, and have no threads).
export const releaseWasm: URL | WebAssembly.Module = new URL("../../build/release.wasm", import.meta.url);
export const debugWasm: URL | WebAssembly.Module | undefined = new URL("../../build/debug.wasm", import.meta.url);
export const threadsWasm: URL | WebAssembly.Module | undefined = new URL("../../build/threads.wasm", import.meta.url);
