// Property-based fuzzing of the IDX parser (raw and gzipped) with fast-check.
// Runs: FUZZ_RUNS (default 10 000 per parser); seed: FUZZ_SEED. On failure fast-check prints the
// seed and path; rerun with FUZZ_SEED=<seed> (and fc's `path`) to reproduce.
import { describe, it, expect } from "vitest";
import * as zlib from "node:zlib";
import fc from "fast-check";
import { decodeIdx, gunzipIfNeeded, parseIdx, type IdxArray } from "../../ts-wrapper/datasets/idx.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FILE = "fuzz/odd name ü.idx";

/** An IDX file as the format defines it: 0, 0, type, rank, big-endian uint32 dims, data. */
function idx(dims: number[], data: Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * The oracle: a call either throws an Error whose message starts with the file name and says
 * something, or returns a result that re-encodes to exactly the input bytes (the definition of a
 * correct parse), with dims multiplying to the data length.
 */
function checkParse(bytes: Uint8Array, result: { ok: IdxArray } | { err: unknown }, original = bytes): void {
  if ("err" in result) {
    expect(result.err).toBeInstanceOf(Error);
    const message = (result.err as Error).message;
    expect(message.startsWith(`${FILE}: `)).toBe(true);
    expect(message.length).toBeGreaterThan(FILE.length + 10);
    return;
  }
  const { dims, data } = result.ok;
  expect(dims.length).toBeGreaterThan(0);
  // In BigInt: a float product of many huge dims and a zero would be Infinity · 0 = NaN.
  expect(dims.reduce((a, b) => a * BigInt(b), 1n)).toBe(BigInt(data.length));
  expect(idx(dims, data)).toEqual(original);
}

function run(bytes: Uint8Array): { ok: IdxArray } | { err: unknown } {
  try {
    return { ok: parseIdx(bytes, FILE) };
  } catch (err) {
    return { err };
  }
}

async function runAsync(bytes: Uint8Array): Promise<{ ok: IdxArray } | { err: unknown }> {
  try {
    return { ok: await decodeIdx(bytes, FILE) };
  } catch (err) {
    return { err };
  }
}

/** Small valid files: rank 1..4, dims 0..5. */
const validIdx = fc
  .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((dims) =>
    fc.uint8Array({ minLength: dims.reduce((a, b) => a * b, 1), maxLength: dims.reduce((a, b) => a * b, 1) }).map(
      (data) => ({ dims, data }),
    ),
  );

const HUGE = fc.constantFrom(0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 0x0100_0000, 65_536, 0);

/** A mutation of a valid file: the ways a hostile or damaged file departs from the format. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("rank" as const), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("type" as const), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("hugeDim" as const), at: fc.nat(), value: HUGE }),
  // Many huge dims with a zero among them: their float product is Infinity · 0 = NaN.
  fc.record({ kind: fc.constant("overflowDims" as const), rank: fc.integer({ min: 1, max: 255 }), zeroAt: fc.nat(), tail: fc.nat({ max: 16 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = bytes.slice();
  switch (m.kind) {
    case "truncate":
      return b.subarray(0, m.at % (b.length + 1));
    case "append": {
      const out = new Uint8Array(b.length + m.extra.length);
      out.set(b);
      out.set(m.extra, b.length);
      return out;
    }
    case "flip":
      b[m.at % b.length] = m.value;
      return b;
    case "rank":
      b[3] = m.value;
      return b;
    case "type":
      b[2] = m.value;
      return b;
    case "hugeDim": {
      // A dim slot inside both the declared rank and the bytes present.
      const slots = Math.min(b[3]!, Math.floor((b.length - 4) / 4));
      if (slots > 0) new DataView(b.buffer).setUint32(4 + 4 * (m.at % slots), m.value, false);
      return b;
    }
    case "overflowDims": {
      const dims = Array.from({ length: m.rank }, () => 0xffff_ffff);
      dims[m.zeroAt % m.rank] = 0;
      return idx(dims, new Uint8Array(m.tail).fill(9));
    }
  }
}

const fcOptions = (numRuns: number) => ({ numRuns, seed: SEED });

describe("fuzz: parseIdx", () => {
  it(`valid files round-trip to the same dims and data (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validIdx, ({ dims, data }) => {
        const parsed = parseIdx(idx(dims, data), FILE);
        expect(parsed.dims).toEqual(dims);
        expect(parsed.data).toEqual(data);
      }),
      fcOptions(RUNS),
    );
  });

  it(`random bytes parse correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    const header = fc.tuple(fc.constant(0), fc.constant(0), fc.constantFrom(8, 8, 8, 9, 0x0d), fc.integer({ min: 0, max: 6 }));
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      // Past the magic number, so the dims and sizes are exercised.
      fc.tuple(header, fc.uint8Array({ maxLength: 40 })).map(([h, rest]) => Uint8Array.from([...h, ...rest])),
      // Past the magic number with small dims, so some cases are valid.
      fc
        .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), fc.uint8Array({ maxLength: 30 }))
        .map(([dims, rest]) => idx(dims, rest)),
    );
    fc.assert(
      fc.property(bytes, (b) => checkParse(b, run(b))),
      fcOptions(RUNS),
    );
  });

  it(`mutations of valid files parse correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validIdx, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ dims, data }, ms) => {
        let b = idx(dims, data);
        for (const m of ms) b = b.length === 0 ? b : mutate(b, m);
        checkParse(b, run(b));
      }),
      fcOptions(RUNS),
    );
  });

  // Regression: with ≥ 34 dims of 2^32 − 1 the float product overflowed to Infinity, and a zero dim
  // then made it NaN, so both size checks were false and any data — here 5 stray bytes — was accepted.
  it("rejects trailing bytes after dims whose float product would be Infinity · 0", () => {
    const dims = Array.from({ length: 40 }, () => 0xffff_ffff);
    dims[39] = 0;
    expect(() => parseIdx(idx(dims, new Uint8Array(5)), FILE)).toThrow(
      /^fuzz\/odd name ü\.idx: 5 trailing bytes after IDX data: .* need 0 data bytes, file has 5$/,
    );
    expect(parseIdx(idx(dims, new Uint8Array(0)), FILE).data.length).toBe(0);
  });

  it("states the exact (huge) byte count that 255 huge dims need", () => {
    const dims = Array.from({ length: 255 }, () => 0xffff_ffff);
    const need = (2n ** 32n - 1n) ** 255n;
    expect(() => parseIdx(idx(dims, new Uint8Array(3)), FILE)).toThrow(`need ${need} data bytes, file has 3`);
  });
});

describe("fuzz: decodeIdx on gzipped bytes", () => {
  it(`valid gzipped files round-trip (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(validIdx, async ({ dims, data }) => {
        const parsed = await decodeIdx(zlib.gzipSync(idx(dims, data)), FILE);
        expect(parsed.dims).toEqual(dims);
        expect(parsed.data).toEqual(data);
      }),
      fcOptions(RUNS),
    );
  });

  it(`mutated and random gzip streams decode correctly or throw an Error naming the file (${RUNS} cases)`, async () => {
    const gz = fc.oneof(
      // Random bytes after the gzip magic number.
      fc.uint8Array({ maxLength: 40 }).map((rest) => Uint8Array.from([0x1f, 0x8b, ...rest])),
      // A valid file, gzipped, then truncated, flipped or extended.
      fc
        .tuple(validIdx, fc.oneof(
          fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
          fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
        ))
        .map(([{ dims, data }, m]) => mutate(zlib.gzipSync(idx(dims, data)), m)),
      // A gzipped mutated IDX file: the inflater succeeds, the parser must judge the contents.
      fc
        .tuple(validIdx, mutation)
        .map(([{ dims, data }, m]) => zlib.gzipSync(mutate(idx(dims, data), m))),
    );
    await fc.assert(
      fc.asyncProperty(gz, async (bytes) => {
        const result = await runAsync(bytes);
        if ("ok" in result) {
          // Whatever inflated must be what Node's own inflater makes of the bytes, parsed correctly.
          const inflated = new Uint8Array(zlib.gunzipSync(bytes));
          checkParse(inflated, result);
        } else {
          checkParse(bytes, result);
        }
      }),
      fcOptions(RUNS),
    );
  });

  it("stops inflating a gzip bomb at the size limit, naming the file", async () => {
    // 1 MB of zeros compresses to about 1 kB; with a 64 kB limit it is rejected, not buffered.
    const bomb = zlib.gzipSync(new Uint8Array(1 << 20));
    expect(bomb.length).toBeLessThan(2048);
    await expect(gunzipIfNeeded(bomb, FILE, 1 << 16)).rejects.toThrow(
      /^fuzz\/odd name ü\.idx: gzip stream inflates to more than 65536 bytes, the limit for an IDX file$/,
    );
    expect((await gunzipIfNeeded(bomb, FILE, 1 << 20)).length).toBe(1 << 20);
  });
});
