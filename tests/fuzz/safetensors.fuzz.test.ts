// Property-based fuzzing of the safetensors decoder with fast-check.
// Runs: FUZZ_RUNS (default 10 000 per parser); seed: FUZZ_SEED. On failure fast-check prints the
// seed and path; rerun with FUZZ_SEED=<seed> (and fc's `path`) to reproduce.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_LENGTH,
  type NamedTensor,
} from "../../ts-wrapper/safetensors.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FILE = "fuzz/odd name ü.safetensors";
const fcOptions = { numRuns: RUNS, seed: SEED };

type Decoded = ReturnType<typeof decodeSafetensors>;

function run(bytes: Uint8Array): { ok: Decoded } | { err: unknown } {
  try {
    return { ok: decodeSafetensors(bytes, FILE) };
  } catch (err) {
    return { err };
  }
}

/** u64 LE header length | header | data. */
function assemble(header: Uint8Array | string, data: Uint8Array, declared?: bigint): Uint8Array {
  const h = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/**
 * The oracle. An error must be an Error whose message starts with the file name and says what is
 * wrong. A success must be what the format says the bytes mean, checked independently: the header
 * re-read with JSON.parse, each tensor F32 with its shape and exactly the bytes at its offsets, the
 * tensors tiling the data region, and the metadata equal to __metadata__.
 */
function check(bytes: Uint8Array, result: { ok: Decoded } | { err: unknown }): void {
  if ("err" in result) {
    expect(result.err).toBeInstanceOf(Error);
    const message = (result.err as Error).message;
    expect(message.startsWith(`${FILE}: not a valid safetensors file: `)).toBe(true);
    return;
  }
  const { tensors, metadata } = result.ok;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const data = bytes.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  expect([...tensors.keys()].sort()).toEqual(names.sort());
  const spans: [number, number][] = [];
  for (const name of names) {
    const e = header[name]!;
    const t = tensors.get(name)!;
    expect(e.dtype).toBe("F32");
    expect(t.name).toBe(name);
    expect(t.shape).toEqual(e.shape);
    const [begin, end] = e.data_offsets;
    expect(BigInt(end - begin)).toBe(4n * e.shape.reduce((a, b) => a * BigInt(b), 1n));
    expect(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(data.slice(begin, end));
    spans.push([begin, end]);
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [b, e] of spans) {
    expect(b).toBe(covered);
    covered = e;
  }
  expect(covered).toBe(data.length);
  const meta = (header["__metadata__"] ?? {}) as unknown as Record<string, string>;
  expect(Object.entries(metadata)).toEqual(Object.entries(meta));
}

/** Names that trip naive object handling, plus ordinary strings. */
const tensorName = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "w", "layer.0.weight"),
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }),
).filter((s) => s !== "__metadata__");

const tensor = fc
  .tuple(tensorName, fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }))
  .chain(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Raw float bits, so NaN payloads, -0, infinities and subnormals all occur.
    return fc
      .array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: n, maxLength: n })
      .map((bits): NamedTensor => ({ name, shape, data: new Float32Array(new Uint32Array(bits).buffer) }));
  });

const validModel = fc.record({
  tensors: fc.uniqueArray(tensor, { maxLength: 4, selector: (t) => t.name }),
  metadata: fc.dictionary(fc.oneof(fc.constantFrom("__proto__", "constructor"), fc.string({ maxLength: 4 })), fc.string({ maxLength: 6 }), {
    maxKeys: 3,
  }),
});

/** Hostile JSON values for any field of a tensor entry. */
const hostileValue = fc.oneof(
  fc.constantFrom("-1", "1.5", "-0", "1e400", "-1e400", "NaN", "Infinity", "9007199254740993", "1e21", "null", "true",
    '"F32"', '"F16"', '"f32"', '""', "{}", "[]", "[-1]", "[1.5]", "[0,4,8]", "[4,0]", '["0","4"]', "[1e400]",
    "[9007199254740992, 9007199254740996]"),
  fc.integer({ min: 1, max: 5_000 }).map((d) => "[".repeat(d) + "]".repeat(d)),
  fc.integer({ min: 1, max: 5_000 }).map((d) => '{"a":'.repeat(d) + "0" + "}".repeat(d)),
  fc.json({ maxDepth: 3 }),
);

/** Mutations of a valid file at the byte level and at the JSON level. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("declared" as const),
    value: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 32n, BigInt(MAX_HEADER_LENGTH) + 1n, 0n, 1n),
      fc.integer({ min: 0, max: 200 }).map(BigInt),
    ),
  }),
  fc.record({
    kind: fc.constant("field" as const),
    which: fc.nat(),
    field: fc.constantFrom("dtype", "shape", "data_offsets", "shape.0", "data_offsets.0", "data_offsets.1"),
    value: hostileValue,
  }),
  fc.record({ kind: fc.constant("offsets" as const), which: fc.nat(), begin: fc.integer({ min: -8, max: 80 }), end: fc.integer({ min: -8, max: 80 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), which: fc.nat() }),
  fc.record({ kind: fc.constant("metadata" as const), value: hostileValue }),
  fc.record({ kind: fc.constant("header" as const), text: fc.oneof(hostileValue, fc.string({ maxLength: 20 })) }),
  fc.record({ kind: fc.constant("badUtf8" as const), at: fc.nat(), value: fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf5, 0xff) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function split(bytes: Uint8Array): { text: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { text: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.slice(8 + n) };
}

/** Rewrites one tensor entry's JSON text; field "shape.0" means the first element of shape. */
function setField(text: string, which: number, field: string, value: string): string {
  const header = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  if (names.length === 0) return text;
  const name = names[which % names.length]!;
  const [key, index] = field.split(".");
  const MARK = "\u0000MARK\u0000";
  const entry = header[name]!;
  if (index === undefined) entry[key!] = MARK;
  else (entry[key!] as unknown[])[Number(index)] = MARK;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(header)) Object.defineProperty(out, k, { value: header[k], enumerable: true });
  return JSON.stringify(out).replace(JSON.stringify(MARK), () => value);
}

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = bytes.slice();
  switch (m.kind) {
    case "truncate":
      return b.subarray(0, m.at % (b.length + 1));
    case "append":
      return Uint8Array.from([...b, ...m.extra]);
    case "flip":
      b[m.at % b.length] = m.value;
      return b;
    case "declared":
      new DataView(b.buffer).setBigUint64(0, m.value, true);
      return b;
    case "badUtf8": {
      const n = Number(new DataView(b.buffer).getBigUint64(0, true));
      if (n > 0) b[8 + (m.at % n)] = m.value;
      return b;
    }
  }
  const { text, data } = split(b);
  switch (m.kind) {
    case "field":
      return assemble(setField(text, m.which, m.field, m.value), data);
    case "offsets":
      return assemble(setField(text, m.which, "data_offsets", JSON.stringify([m.begin, m.end])), data);
    case "duplicate": {
      // The same key twice in the text: JSON.parse keeps the last, as serde does.
      const header = JSON.parse(text) as Record<string, unknown>;
      const names = Object.keys(header);
      const name = names[m.which % names.length]!;
      const extra = `${JSON.stringify(name)}:${JSON.stringify(header[name])}`;
      return assemble(text.replace(/^\{/, () => `{${extra},`), data);
    }
    case "metadata":
      return assemble(text.replace(/^\{/, () => `{"__metadata__":${m.value},`), data);
    case "header":
      return assemble(m.text, data);
  }
}

describe("fuzz: decodeSafetensors", () => {
  it(`valid files from encodeSafetensors round-trip names, shapes, bits and metadata (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validModel, ({ tensors, metadata }) => {
        const bytes = encodeSafetensors(tensors, metadata);
        const decoded = decodeSafetensors(bytes, FILE);
        // By name: a JS object lists integer-like keys ("0") first, so the map's order may differ.
        expect([...decoded.tensors.keys()].sort()).toEqual(tensors.map((t) => t.name).sort());
        for (const t of tensors) {
          const d = decoded.tensors.get(t.name)!;
          expect(d.shape).toEqual(t.shape);
          expect(new Uint32Array(d.data.buffer, d.data.byteOffset, d.data.length)).toEqual(
            new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
          );
        }
        expect(Object.entries(decoded.metadata).sort()).toEqual(Object.entries(metadata).sort());
        check(bytes, { ok: decoded });
      }),
      fcOptions,
    );
  });

  it(`random bytes decode correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      // A plausible header length followed by random bytes or random JSON-ish text.
      fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 40 })).map(([n, rest]) => assemble(rest, new Uint8Array(0), BigInt(n))),
      fc.tuple(fc.json({ maxDepth: 3 }), fc.uint8Array({ maxLength: 16 })).map(([json, data]) => assemble(json, data)),
    );
    fc.assert(
      fc.property(bytes, (b) => check(b, run(b))),
      fcOptions,
    );
  });

  it(`mutations of valid files decode correctly or throw an Error naming the file (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validModel, fc.array(mutation, { minLength: 1, maxLength: 2 }), ({ tensors, metadata }, ms) => {
        let b = encodeSafetensors(tensors, metadata);
        for (const m of ms) {
          if (b.length === 0) break;
          // JSON-level mutations need a header that still parses; otherwise the byte mutation stands.
          try {
            b = mutate(b, m);
          } catch {
            continue;
          }
        }
        check(b, run(b));
      }),
      fcOptions,
    );
  });

  // Regression: a deeply nested dtype went into JSON.stringify for the error message, which
  // overflowed the stack with a RangeError that did not name the file.
  it("rejects a deeply nested dtype with a message naming the file", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const bytes = assemble(`{"t":{"dtype":${deep},"shape":[],"data_offsets":[0,4]}}`, new Uint8Array(4));
    expect(() => decodeSafetensors(bytes, FILE)).toThrow(
      /^fuzz\/odd name ü\.safetensors: not a valid safetensors file: tensor "t" has dtype an array; only F32/,
    );
  });

  // Regression: the encoder assigned header["__proto__"] = entry, which set the prototype instead of
  // a key, so the tensor vanished from the header and its own decoder rejected the file; metadata
  // "__proto__" was silently dropped on both sides.
  it("round-trips a tensor and a metadata key named __proto__", () => {
    const metadata = JSON.parse('{"__proto__":"meta"}') as Record<string, string>;
    const bytes = encodeSafetensors([{ name: "__proto__", shape: [1], data: new Float32Array([2.5]) }], metadata);
    const decoded = decodeSafetensors(bytes, FILE);
    expect(decoded.tensors.get("__proto__")!.data).toEqual(new Float32Array([2.5]));
    expect(Object.entries(decoded.metadata)).toEqual([["__proto__", "meta"]]);
    expect(Object.getPrototypeOf(decoded.metadata)).toBe(Object.prototype);
  });

  it("accepts a zero-element tensor whose other dims multiply past 2^1024", () => {
    const shape = [...Array.from({ length: 20 }, () => Number.MAX_SAFE_INTEGER), 0];
    const bytes = assemble(JSON.stringify({ z: { dtype: "F32", shape, data_offsets: [0, 0] } }), new Uint8Array(0));
    expect(decodeSafetensors(bytes, FILE).tensors.get("z")!.data.length).toBe(0);
  });

  it(`rejects a header longer than ${MAX_HEADER_LENGTH} bytes before reading it`, () => {
    const bytes = assemble("{}", new Uint8Array(0), BigInt(MAX_HEADER_LENGTH) + 1n);
    expect(() => decodeSafetensors(bytes, FILE)).toThrow(
      /^fuzz\/odd name ü\.safetensors: not a valid safetensors file: header length 100000001 is larger than the 100000000-byte limit$/,
    );
  });

  it("handles every truncation of a valid file", () => {
    const bytes = encodeSafetensors(
      [
        { name: "a", shape: [2, 3], data: new Float32Array(6).fill(1.5) },
        { name: "b", shape: [], data: new Float32Array([-0]) },
      ],
      { k: "v" },
    );
    for (let n = 0; n < bytes.length; n++) {
      const r = run(bytes.subarray(0, n));
      expect("err" in r).toBe(true);
      check(bytes.subarray(0, n), r);
    }
  });
});
