import { describe, it, expect } from "vitest";
import * as zlib from "node:zlib";
import { decodeIdx, gunzipIfNeeded, isGzip, parseIdx } from "../../ts-wrapper/datasets/idx.js";

/** An IDX file as the format defines it: 0, 0, type, rank, big-endian uint32 dims, data. */
function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

describe("parseIdx", () => {
  it("decodes dims and data of a 3-D file, including dims above 255", () => {
    const data = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
    const parsed = parseIdx(idx([2, 3, 4], data), "a.idx");
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(data);

    const big = parseIdx(idx([300], new Array(300).fill(7)), "big.idx");
    expect(big.dims).toEqual([300]);
    expect(big.data.length).toBe(300);
  });

  it("decodes a file living at an offset inside a larger buffer", () => {
    const file = idx([3], [1, 2, 3]);
    const backing = new Uint8Array(file.length + 5);
    backing.set(file, 5);
    const parsed = parseIdx(backing.subarray(5), "offset.idx");
    expect(parsed.dims).toEqual([3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3]);
  });

  it("accepts a file whose dims multiply to zero samples", () => {
    expect(parseIdx(idx([0, 28, 28], []), "empty.idx").dims).toEqual([0, 28, 28]);
  });

  it("rejects a file too short for the header", () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), "short.idx")).toThrow(/short\.idx: too short for an IDX header/);
    // Rank 3 promises 12 bytes of dims; only 4 are there.
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), "dims.idx")).toThrow(
      /dims\.idx: too short .* 3 dimensions \(8 bytes, need 16\)/,
    );
  });

  it("rejects a wrong magic number", () => {
    const bytes = idx([2], [1, 2]);
    bytes[0] = 0x50; // e.g. a PNG or text file
    expect(() => parseIdx(bytes, "notidx.bin")).toThrow(/notidx\.bin: wrong magic number 0x50000801/);
  });

  it("rejects unsupported data types, naming the type", () => {
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), "f.idx")).toThrow(/f\.idx: unsupported IDX data type 0x0d \(float32\)/);
    expect(() => parseIdx(idx([1], [0], 0x42), "g.idx")).toThrow(/g\.idx: unsupported IDX data type 0x42 \(unknown\)/);
  });

  it("rejects zero dimensions", () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]), "zero.idx")).toThrow(/zero\.idx: IDX header declares zero dimensions/);
  });

  it("rejects truncated data, stating expected and actual byte counts", () => {
    const bytes = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7]);
    expect(() => parseIdx(bytes, "trunc.idx")).toThrow(/trunc\.idx: truncated IDX data: dims \[2, 2, 2\] need 8 data bytes, file has 7/);
  });

  it("rejects trailing bytes", () => {
    const bytes = idx([2, 2], [1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(bytes, "long.idx")).toThrow(/long\.idx: 2 trailing bytes .* need 4 data bytes, file has 6/);
  });

  it("rejects 3-D dims whose product does not match the data", () => {
    // 2 × 3 × 3 = 18 declared, but the data holds 2 × 3 × 4 = 24 bytes.
    const bytes = idx([2, 3, 3], new Array(24).fill(1));
    expect(() => parseIdx(bytes, "dims.idx")).toThrow(/dims\.idx: 6 trailing bytes/);
    const fewer = idx([2, 4, 4], new Array(24).fill(1));
    expect(() => parseIdx(fewer, "dims.idx")).toThrow(/dims\.idx: truncated IDX data: dims \[2, 4, 4\] need 32 data bytes, file has 24/);
  });
});

describe("gunzipIfNeeded", () => {
  it("passes non-gzip bytes through unchanged", async () => {
    const bytes = idx([2], [9, 8]);
    expect(isGzip(bytes)).toBe(false);
    expect(await gunzipIfNeeded(bytes, "raw.idx")).toBe(bytes);
  });

  it("inflates gzip bytes to exactly what was compressed", async () => {
    const raw = idx([4, 3], Array.from({ length: 12 }, (_, i) => 255 - i));
    const gz = new Uint8Array(zlib.gzipSync(raw));
    expect(isGzip(gz)).toBe(true);
    expect(Array.from(await gunzipIfNeeded(gz, "x.gz"))).toEqual(Array.from(raw));
    const parsed = await decodeIdx(gz, "x.gz");
    expect(parsed.dims).toEqual([4, 3]);
    expect(parsed.data[0]).toBe(255);
  });

  it("rejects a corrupt gzip stream, naming the file", async () => {
    const gz = new Uint8Array(zlib.gzipSync(idx([100], new Array(100).fill(3))));
    const cut = gz.subarray(0, gz.length - 8);
    await expect(gunzipIfNeeded(cut, "cut.gz")).rejects.toThrow(/cut\.gz: not a valid gzip stream/);
    const garbled = gz.slice();
    garbled.fill(0xff, 10, 20);
    await expect(gunzipIfNeeded(garbled, "garbled.gz")).rejects.toThrow(/garbled\.gz: not a valid gzip stream/);
    await expect(gunzipIfNeeded(new Uint8Array([0x1f, 0x8b]), "magic-only.gz")).rejects.toThrow(
      /magic-only\.gz: not a valid gzip stream/,
    );
  });
});
