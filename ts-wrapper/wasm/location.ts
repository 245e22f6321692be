// Where the .wasm files are, relative to this module. The bundle (rollup.config.js) replaces this
// file with URLs next to the bundled JavaScript.
export const releaseWasmUrl = new URL("../../build/release.wasm", import.meta.url);
export const debugWasmUrl = new URL("../../build/debug.wasm", import.meta.url);
