// The safetensors format (https://github.com/huggingface/safetensors), float32 only.
// Browser-safe: no Node imports, works on Uint8Array.
//
// Layout: u64 little-endian header length N | N bytes of UTF-8 JSON header | raw tensor data.
// data_offsets are relative to the start of the data region.

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const METADATA_KEY = "__metadata__";

/**
 * Largest accepted header: 100 MB, the same bound as the reference Rust implementation
 * (MAX_HEADER_SIZE in huggingface/safetensors). A header of that size describes millions of tensors;
 * anything larger is hostile or corrupt, and decoding and parsing it would cost memory and time out
 * of proportion to any real model.
 */
export const MAX_HEADER_LENGTH = 100_000_000;

// Float32Array uses host byte order; the format is little-endian. On a little-endian host
// (every platform we target) raw byte copies are exact and fast, and they preserve NaN payloads
// that a DataView round trip through a JS number may canonicalize.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function product(shape: readonly number[]): number {
  // A zero dim makes the product exactly 0, even where the other dims multiply to Infinity
  // (Infinity · 0 would be NaN).
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Sets an own enumerable property, even for the name "__proto__", which plain assignment would
 * treat as the object's prototype (silently dropping the entry).
 */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A short description of an untrusted JSON value for an error message. */
function describe(value: unknown): string {
  // JSON.stringify of a deeply nested value overflows the stack, and of a big one floods the
  // message; only short strings are quoted whole.
  if (typeof value === "string") return value.length <= 64 ? JSON.stringify(value) : `a ${value.length}-character string`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

function isDimension(d: unknown): d is number {
  return typeof d === "number" && Number.isSafeInteger(d) && d >= 0;
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new Error(`safetensors metadata "${key}" must be a string, got ${typeof value}`);
    }
    define(meta, key, value);
  }
  define(header, METADATA_KEY, meta);

  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== "string" || t.name === "") throw new Error("safetensors tensor name must be a non-empty string");
    if (t.name === METADATA_KEY) throw new Error(`safetensors tensor name "${METADATA_KEY}" is reserved`);
    if (Object.prototype.hasOwnProperty.call(header, t.name)) throw new Error(`safetensors tensor "${t.name}" appears twice`);
    if (!Array.isArray(t.shape) || !t.shape.every(isDimension)) {
      throw new Error(`safetensors tensor "${t.name}": shape must be non-negative integers, got [${t.shape}]`);
    }
    if (product(t.shape) !== t.data.length) {
      throw new Error(
        `safetensors tensor "${t.name}": shape [${t.shape}] holds ${product(t.shape)} values but data has ${t.data.length}`,
      );
    }
    const end = offset + t.data.length * 4;
    define(header, t.name, { dtype: "F32", shape: [...t.shape], data_offsets: [offset, end] });
    offset = end;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (valid JSON whitespace) so the data region starts 8-byte aligned.
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let pos = 8 + headerLength;
  for (const t of tensors) {
    if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i]!, true);
    }
    pos += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

export function decodeSafetensors(
  bytes: Uint8Array,
  file: string,
): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  // A declaration (not an arrow) so TypeScript narrows after `if (...) fail(...)`.
  function fail(problem: string): never {
    throw new Error(`${file}: not a valid safetensors file: ${problem}`);
  }

  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_LENGTH)) {
    fail(`header length ${declared} is larger than the ${MAX_HEADER_LENGTH}-byte limit`);
  }
  if (declared > BigInt(bytes.length - 8)) {
    fail(`header length ${declared} is larger than the ${bytes.length - 8} bytes after it`);
  }
  const headerLength = Number(declared);

  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object");

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${METADATA_KEY} is not an object`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata "${k}" is not a string`);
        define(metadata, k, v);
      }
      continue;
    }
    if (typeof value !== "object" || value === null) fail(`tensor "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (dtype !== "F32") fail(`tensor "${name}" has dtype ${describe(dtype)}; only F32 is supported`);
    if (!Array.isArray(shape) || !shape.every(isDimension)) fail(`tensor "${name}" has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDimension)) {
      fail(`tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = offsets as number[];
    entries.push({ name, shape: shape as number[], begin: begin!, end: end! });
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  for (const e of entries) {
    if (e.end < e.begin) fail(`tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] end before they begin`);
    if (e.end > dataLength) {
      fail(`tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] are outside the ${dataLength}-byte data region`);
    }
    const expected = product(e.shape) * 4;
    if (e.end - e.begin !== expected) {
      fail(`tensor "${e.name}" spans ${e.end - e.begin} bytes but shape [${e.shape}] needs ${expected}`);
    }
  }

  // Tensors must tile the data region exactly: no overlaps, no gaps, no trailing bytes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) fail(`tensor "${e.name}" overlaps another tensor at byte ${e.begin}`);
    if (e.begin > covered) fail(`data bytes ${covered}..${e.begin} are not covered by any tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) fail(`data bytes ${covered}..${dataLength} are not covered by any tensor`);

  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const n = (e.end - e.begin) / 4;
    let data: Float32Array;
    if (HOST_LITTLE_ENDIAN) {
      // Copy into a fresh, aligned buffer: offsets need not be 4-aligned, and a Node Buffer's
      // slice() would share (and expose) the whole file's memory.
      const copy = new Uint8Array(e.end - e.begin);
      copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
      data = new Float32Array(copy.buffer);
    } else {
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(dataStart + e.begin + 4 * i, true);
    }
    tensors.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return { tensors, metadata };
}
