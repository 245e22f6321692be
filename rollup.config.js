// Bundles the TypeScript facade into dist/ (ESM) with the .wasm files beside it, and the public
// types into one dist/index.d.ts.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import typescript from "@rollup/plugin-typescript";
import dts from "rollup-plugin-dts";

// In the sources the wasm lives in build/; in the bundle it sits next to the JavaScript.
const wasmBesideBundle = {
  name: "wasm-beside-bundle",
  load(id) {
    if (!id.endsWith("ts-wrapper/wasm/location.ts")) return null;
    return [
      'export const releaseWasmUrl = new URL("./bioplausible.wasm", import.meta.url);',
      'export const debugWasmUrl = new URL("./bioplausible.debug.wasm", import.meta.url);',
    ].join("\n");
  },
  writeBundle() {
    mkdirSync("dist", { recursive: true });
    copyFileSync("build/release.wasm", "dist/bioplausible.wasm");
    copyFileSync("build/debug.wasm", "dist/bioplausible.debug.wasm");
  },
};

// Chunk names carry content hashes: without a clean start, every build would leave the last one's
// chunks in dist/ (and in the published package).
rmSync("dist", { recursive: true, force: true });

// Runtime dependencies stay imports: vega and vega-lite (the report's plots) load only when a report is drawn.
const external = (id) => id.startsWith("node:") || ["@assemblyscript/loader", "vega", "vega-lite"].includes(id);

export default [
  {
    input: { index: "ts-wrapper/index.ts", cli: "ts-wrapper/cli/main.ts" },
    output: { dir: "dist", format: "es", sourcemap: true },
    external,
    plugins: [wasmBesideBundle, typescript({ tsconfig: "./tsconfig.json", compilerOptions: { outDir: "dist", declaration: false, rootDir: "ts-wrapper" }, exclude: ["tests/**"] })],
  },
  {
    input: "ts-wrapper/index.ts",
    output: { file: "dist/index.d.ts", format: "es" },
    external,
    plugins: [dts()],
  },
];
