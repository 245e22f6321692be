// Property-based fuzzing of the CIFAR-10 binary batch decoder with fast-check.
// Runs: FUZZ_RUNS (default 10 000 per parser); seed: FUZZ_SEED. On failure fast-check prints the
// seed and path; rerun with FUZZ_SEED=<seed> (and fc's `path`) to reproduce.
import { describe, it, expect, afterAll } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { CIFAR10_MEAN, CIFAR10_STD, decodeCifar10Batch, loadCifar10 } from "../../ts-wrapper/datasets/cifar10.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FILE = "fuzz/odd name ü.bin";
const RECORD = 3073;
const PIXELS = 3072;

/** Fills bytes from a 32-bit seed (xorshift), far cheaper than generating 3 kB per case with fc. */
function fill(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A valid batch of 1..3 records with the given labels (0..9) and seeded pixels. */
const validBatch = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }), fc.integer())
  .map(([labels, seed]) => {
    const bytes = fill(labels.length * RECORD, seed);
    labels.forEach((l, r) => (bytes[r * RECORD] = l));
    return { labels, bytes };
  });

type Decoded = ReturnType<typeof decodeCifar10Batch>;

/**
 * The oracle: an Error naming the file, or exactly the format's meaning: count = size / 3073,
 * label r = byte r·3073 (0..9), pixel p of record r = byte r·3073 + 1 + p divided by 255 in float32,
 * then less its channel's mean and over its channel's standard deviation (channel ⌊p / 1024⌋).
 */
function check(bytes: Uint8Array, result: { ok: Decoded } | { err: unknown }, file = FILE): void {
  if ("err" in result) {
    expect(result.err).toBeInstanceOf(Error);
    expect((result.err as Error).message.startsWith(`${file}: `)).toBe(true);
    return;
  }
  const { images, labels, count } = result.ok;
  expect(bytes.length).toBe(count * RECORD);
  expect(count).toBeGreaterThan(0);
  expect(images.length).toBe(count * PIXELS);
  for (let r = 0; r < count; r++) {
    expect(labels[r]).toBe(bytes[r * RECORD]);
    expect(labels[r]).toBeLessThan(10);
    for (let p = 0; p < PIXELS; p++) {
      const c = Math.floor(p / 1024);
      if (images[r * PIXELS + p] !== Math.fround((Math.fround(bytes[r * RECORD + 1 + p]! / 255) - CIFAR10_MEAN[c]) / CIFAR10_STD[c])) {
        expect.fail(`record ${r} pixel ${p}: ${images[r * PIXELS + p]} from byte ${bytes[r * RECORD + 1 + p]}`);
      }
    }
  }
}

function run(bytes: Uint8Array, file = FILE): { ok: Decoded } | { err: unknown } {
  try {
    return { ok: decodeCifar10Batch(bytes, file) };
  } catch (err) {
    return { err };
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  // Sizes near a whole number of records: one byte short or over, a record plus a little, …
  fc.record({ kind: fc.constant("resize" as const), delta: fc.integer({ min: -RECORD - 2, max: RECORD + 2 }) }),
  fc.record({ kind: fc.constant("label" as const), record: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case "truncate":
      return bytes.subarray(0, m.at % (bytes.length + 1));
    case "resize": {
      const out = new Uint8Array(Math.max(0, bytes.length + m.delta));
      out.set(bytes.subarray(0, out.length));
      return out;
    }
    case "label": {
      const b = bytes.slice();
      const records = Math.floor(b.length / RECORD);
      if (records > 0) b[(m.record % records) * RECORD] = m.value;
      return b;
    }
    case "flip": {
      const b = bytes.slice();
      if (b.length > 0) b[m.at % b.length] = m.value;
      return b;
    }
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("fuzz: decodeCifar10Batch", () => {
  it(`valid batches round-trip labels and pixels (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validBatch, ({ labels, bytes }) => {
        const r = run(bytes);
        expect("ok" in r).toBe(true);
        expect(Array.from((r as { ok: Decoded }).ok.labels)).toEqual(labels);
        check(bytes, r);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`random bytes decode correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    // Sizes near 0..3 whole records, contents seeded; labels are then random bytes (mostly ≥ 10).
    const bytes = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2, max: 2 }), fc.integer(), fc.boolean())
      .map(([records, delta, seed, smallLabels]) => {
        const b = fill(Math.max(0, records * RECORD + delta), seed);
        if (smallLabels) for (let r = 0; r * RECORD < b.length; r++) b[r * RECORD]! %= 11;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(bytes, fc.uint8Array({ maxLength: 64 })), (b) => check(b, run(b))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`mutations of valid batches decode correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validBatch, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ bytes }, ms) => {
        let b = bytes;
        for (const m of ms) b = mutate(b, m);
        check(b, run(b));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe("fuzz: loadCifar10 through a directory", () => {
  it(`a mutated test batch on disk loads exactly as decodeCifar10Batch decodes it, or fails naming the path (${RUNS} cases)`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bioplausible-cifar-fuzz-"));
    dirs.push(dir);
    const file = path.join(dir, "test_batch.bin");
    await fc.assert(
      fc.asyncProperty(validBatch, fc.array(mutation, { maxLength: 2 }), async ({ bytes }, ms) => {
        let b = bytes;
        for (const m of ms) b = mutate(b, m);
        fs.writeFileSync(file, b);
        let result: { ok: Decoded } | { err: unknown };
        try {
          result = { ok: await loadCifar10(dir, "test") };
        } catch (err) {
          result = { err };
        }
        check(b, result, file);
        const direct = run(b, file);
        expect("ok" in direct).toBe("ok" in result);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  // Regression: read errors other than ENOENT were rethrown as Node made them, and Node's
  // EISDIR message ("illegal operation on a directory, read") does not name the path.
  it("names the path when a batch cannot be read (a directory in its place)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bioplausible-cifar-fuzz-"));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, "test_batch.bin"));
    await expect(loadCifar10(dir, "test")).rejects.toThrow(
      `${path.join(dir, "test_batch.bin")}: cannot read CIFAR-10 batch file (`,
    );
  });
});
