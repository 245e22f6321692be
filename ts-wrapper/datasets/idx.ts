// IDX (the MNIST file format) decoding. Platform-neutral: no Node imports, so the same code
// decodes bytes read from disk in Node or fetched in a browser.

/** A decoded IDX file: its dimensions (outermost first) and its unsigned-byte payload. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/** True when the bytes begin with the gzip magic number 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Upper bound on the inflated size of a gzipped IDX file: 1 GiB. The largest IDX set in common use
 * (EMNIST ByClass training images, 697 932 × 28 × 28) is 547 MB, and its float32 copy is already
 * 2.2 GB. Gzip declares no trustworthy size, so a few kilobytes can inflate to gigabytes ("gzip
 * bomb"); without a bound that would exhaust memory instead of failing with a message.
 */
export const MAX_GUNZIPPED_BYTES = 2 ** 30;

/**
 * Inflates gzip data and passes anything else through unchanged, so callers need not trust file
 * names: a `.gz` file that was already unpacked by a browser or a download tool still loads.
 * Inflating stops with an error naming the file once the output exceeds `maxBytes`.
 */
export async function gunzipIfNeeded(
  bytes: Uint8Array,
  file: string,
  maxBytes: number = MAX_GUNZIPPED_BYTES,
): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  // DecompressionStream is the one inflater shared by Node 20+, browsers and edge runtimes.
  const stream = new DecompressionStream("gzip");
  const writer = stream.writable.getWriter();
  // Failures surface on the readable side; swallowing them here avoids unhandled rejections.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        throw new Error(`${file}: gzip stream inflates to more than ${maxBytes} bytes, the limit for an IDX file`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`${file}: `)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${file}: not a valid gzip stream (${reason})`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Parses an uncompressed IDX file of unsigned bytes, checking every header field against the data. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${file}: too short for an IDX header (${bytes.length} bytes, need at least 4)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    throw new Error(`${file}: wrong magic number 0x${magic}: not an IDX file (expected 0x0000 then type and rank)`);
  }
  const type = bytes[2];
  if (type !== UNSIGNED_BYTE) {
    const name = IDX_TYPE_NAMES[type] ?? "unknown";
    throw new Error(
      `${file}: unsupported IDX data type 0x${type.toString(16).padStart(2, "0")} (${name}); only 0x08 unsigned byte is supported`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${file}: IDX header declares zero dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${file}: too short for an IDX header with ${rank} dimensions (${bytes.length} bytes, need ${headerBytes})`,
    );
  }
  // The rank is one byte, so the header is at most 4 + 4 · 255 = 1024 bytes: bounded by the format.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const actual = bytes.length - headerBytes;
  // The product of up to 255 dims of up to 2^32 − 1 overflows a double (to Infinity, and
  // Infinity · 0 is NaN, which compares unequal to everything and would slip past both size checks
  // below). A zero dim makes the product exactly 0; otherwise stop multiplying once the product
  // exceeds the bytes present, keeping it finite (below 2^32 · actual). It is exact up to 2^53, and
  // any rounding above that cannot bring it back down to a real file's length, so the comparisons
  // below stay exact.
  let expected = dims.includes(0) ? 0 : 1;
  for (const d of dims) {
    if (expected > actual) break;
    expected *= d;
  }
  if (actual < expected) {
    // Exact, however large: a BigInt of at most 255 · 32 bits.
    const need = dims.reduce((a, b) => a * BigInt(b), 1n);
    throw new Error(`${file}: truncated IDX data: dims [${dims.join(", ")}] need ${need} data bytes, file has ${actual}`);
  }
  if (actual > expected) {
    throw new Error(
      `${file}: ${actual - expected} trailing bytes after IDX data: dims [${dims.join(", ")}] need ${expected} data bytes, file has ${actual}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Gunzips when needed, then parses: the whole path from fetched or read bytes to an IdxArray. */
export async function decodeIdx(bytes: Uint8Array, file: string): Promise<IdxArray> {
  return parseIdx(await gunzipIfNeeded(bytes, file), file);
}
