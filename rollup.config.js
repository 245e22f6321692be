// Bundles the TypeScript facade into dist/ (ESM), one bundle per kind of runtime, with the .wasm
// files beside them and the public types in one dist/index.d.ts:
//   index.js, cli.js   Node (also Deno and Bun): reads the .wasm and data files from disk
//   report.js          the comparison's HTML report (bioplausible/report): Node only, as it brings
//                      vega and vega-lite, which no browser page or edge worker should have to carry
//   browser.js         fetches the .wasm and data URLs
//   workerd.js         imports the .wasm as a module, as Cloudflare's workerd requires
//   edge-light.js      the same, with the ?module import Vercel's edge runtime requires
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import typescript from "@rollup/plugin-typescript";
import dts from "rollup-plugin-dts";

const WASM_MODULE = "bioplausible-wasm-module";

// ts-wrapper/wasm/location.ts for each bundle: where its wasm core comes from.
const locations = {
  url: [
    'export const releaseWasm = new URL("./bioplausible.wasm", import.meta.url);',
    'export const debugWasm = new URL("./bioplausible.debug.wasm", import.meta.url);',
    'export const threadsWasm = new URL("./bioplausible.threads.wasm", import.meta.url);',
  ].join("\n"),
  module: [`import core from "${WASM_MODULE}";`, "export const releaseWasm = core;", "export const debugWasm = undefined;", "export const threadsWasm = undefined;"].join("\n"),
};

/** Sets a bundle's platform (node or web) and wasm location; `wasmImport` is the edge bundles' import of the .wasm. */
function target({ platform, location, wasmImport }) {
  return {
    name: "bioplausible-target",
    async resolveId(source, importer) {
      if (source === WASM_MODULE) return { id: WASM_MODULE, external: true };
      if (platform === "node") return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      if (resolved && /[\\/]ts-wrapper[\\/]platform[\\/]node\.ts$/.test(resolved.id)) return resolved.id.replace(/node\.ts$/, "web.ts");
      return resolved;
    },
    load(id) {
      return /[\\/]ts-wrapper[\\/]wasm[\\/]location\.ts$/.test(id) ? locations[location] : null;
    },
    outputOptions: (options) => (wasmImport ? { ...options, paths: { [WASM_MODULE]: wasmImport } } : options),
  };
}

const copyWasm = {
  name: "copy-wasm",
  writeBundle() {
    mkdirSync("dist", { recursive: true });
    copyFileSync("build/release.wasm", "dist/bioplausible.wasm");
    copyFileSync("build/debug.wasm", "dist/bioplausible.debug.wasm");
    copyFileSync("build/threads.wasm", "dist/bioplausible.threads.wasm");
  },
};

// Chunk names carry content hashes: without a clean start, every build would leave the last one's
// chunks in dist/ (and in the published package).
rmSync("dist", { recursive: true, force: true });

// vega and vega-lite (the report's plots) and h5wasm (NIR files) stay imports, loaded only when used.
const external = (id) => id.startsWith("node:") || ["vega", "vega-lite", "bullmq", "ioredis", "h5wasm"].includes(id);
const ts = () => typescript({ tsconfig: "./tsconfig.json", compilerOptions: { outDir: "dist", declaration: false, rootDir: "ts-wrapper" }, exclude: ["tests/**"] });

/** A one-file bundle of the library for a runtime without node: builtins. */
const webBundle = (name, location, wasmImport) => ({
  input: "ts-wrapper/index.ts",
  output: { file: `dist/${name}.js`, format: "es", sourcemap: name === "browser", inlineDynamicImports: true },
  external,
  plugins: [target({ platform: "web", location, wasmImport }), ts()],
});

export default [
  {
    input: { index: "ts-wrapper/index.ts", report: "ts-wrapper/report/index.ts", cli: "ts-wrapper/cli/main.ts" },
    output: { dir: "dist", format: "es", sourcemap: true },
    external,
    plugins: [target({ platform: "node", location: "url" }), ts(), copyWasm],
  },
  webBundle("browser", "url"),
  webBundle("workerd", "module", "./bioplausible.wasm"),
  webBundle("edge-light", "module", "./bioplausible.wasm?module"),
  ...["index", "report"].map((name) => ({
    input: `ts-wrapper/${name === "index" ? "index" : `${name}/index`}.ts`,
    output: { file: `dist/${name}.d.ts`, format: "es" },
    external,
    plugins: [dts()],
  })),
];
