import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../../ts-wrapper/safetensors.js";

const FILE = "bad.safetensors";

/** Assembles a file straight from the format description: u64 LE length, header text, f32 LE data. */
function assemble(headerText: string, floats: number[], extraData: number[] = []): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + floats.length * 4 + extraData.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  floats.forEach((f, i) => view.setFloat32(8 + header.length + 4 * i, f, true));
  out.set(extraData, 8 + header.length + floats.length * 4);
  return out;
}

function bitsOf(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

describe("encodeSafetensors / decodeSafetensors", () => {
  it("decodes a Node Buffer (as readFile returns) whose memory is shared with other data", () => {
    const tensors: NamedTensor[] = [
      { name: "a", shape: [2], data: new Float32Array([1.5, -2]) },
      { name: "b", shape: [3], data: new Float32Array([3, 4, 5]) },
    ];
    // A small Buffer.from() lives inside Node's shared pool: its .buffer is far larger than the file.
    const file = Buffer.from(encodeSafetensors(tensors, {}));
    expect(file.buffer.byteLength).toBeGreaterThan(file.byteLength);
    const decoded = decodeSafetensors(file, "pooled.safetensors");
    expect([...decoded.tensors.get("a")!.data]).toEqual([1.5, -2]);
    expect([...decoded.tensors.get("b")!.data]).toEqual([3, 4, 5]);
  });

  it("round-trips names, shapes, metadata and exact float bits", () => {
    const specials = new Float32Array([-0, 0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity]);
    const tensors: NamedTensor[] = [
      { name: "layers.0.weight", shape: [2, 4], data: specials },
      { name: "layers.0.bias", shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
      { name: "scalar", shape: [], data: new Float32Array([42]) },
      { name: "one", shape: [1, 1], data: new Float32Array([-7]) },
      { name: "empty", shape: [0], data: new Float32Array(0) },
      { name: "empty2d", shape: [3, 0], data: new Float32Array(0) },
    ];
    const metadata = { format: "bioplausible", config: '{"model":"mlp"}', "ünïcode": "✓" };
    const bytes = encodeSafetensors(tensors, metadata);
    const decoded = decodeSafetensors(bytes, "rt.safetensors");
    expect(decoded.metadata).toEqual(metadata);
    expect([...decoded.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const d = decoded.tensors.get(t.name)!;
      expect(d.name).toBe(t.name);
      expect(d.shape).toEqual(t.shape);
      expect(bitsOf(d.data)).toEqual(bitsOf(t.data));
      expect(d.data.buffer).not.toBe(bytes.buffer);
    }
    expect(Object.is(decoded.tensors.get("layers.0.weight")!.data[0], -0)).toBe(true);
  });

  it("round-trips a file with no tensors", () => {
    const decoded = decodeSafetensors(encodeSafetensors([], {}), "none.safetensors");
    expect(decoded.tensors.size).toBe(0);
    expect(decoded.metadata).toEqual({});
  });

  it("pads the header with spaces so the data starts 8-byte aligned", () => {
    for (let nameLength = 1; nameLength <= 16; nameLength++) {
      const bytes = encodeSafetensors([{ name: "x".repeat(nameLength), shape: [1], data: new Float32Array([1]) }], {});
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(header).toMatch(/^\{.*\} *$/);
      expect(bytes.length).toBe(8 + n + 4);
    }
  });

  it("writes exactly the bytes of a file assembled by hand from the format", () => {
    const json =
      '{"__metadata__":{"seed":"7"},' +
      '"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},' +
      '"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}';
    const padded = json + " ".repeat((8 - ((8 + json.length) % 8)) % 8);
    const floats = [1, -2, 0.5, -0, 1e-3, 65504, 0.25, -0.125, 3];
    const expected = assemble(padded, floats);

    const actual = encodeSafetensors(
      [
        { name: "w", shape: [2, 3], data: new Float32Array(floats.slice(0, 6)) },
        { name: "b", shape: [3], data: new Float32Array(floats.slice(6)) },
      ],
      { seed: "7" },
    );
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it("reads a hand-assembled file with unpadded header, reordered data and no metadata", () => {
    // Header length 119 leaves the data region unaligned; "b" is stored before "a".
    const json = JSON.stringify(
      {
        a: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        b: { dtype: "F32", shape: [], data_offsets: [0, 4] },
      },
      null,
      1,
    );
    const bytes = assemble(json, [9, -1.5, 2.5]);
    expect((8 + json.length) % 4).not.toBe(0);
    // Also hand the decoder a view at an odd offset into a larger buffer.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const input of [bytes, shifted.subarray(3)]) {
      const { tensors, metadata } = decodeSafetensors(input, "hand.safetensors");
      expect(metadata).toEqual({});
      expect(tensors.get("a")).toEqual({ name: "a", shape: [2], data: new Float32Array([-1.5, 2.5]) });
      expect(tensors.get("b")).toEqual({ name: "b", shape: [], data: new Float32Array([9]) });
    }
  });

  describe("rejects invalid input to the encoder", () => {
    const one = new Float32Array([1]);
    it("shape that does not match the data, naming the tensor", () => {
      expect(() => encodeSafetensors([{ name: "fc.weight", shape: [2, 2], data: new Float32Array(3) }], {})).toThrow(
        /fc\.weight.*\[2,2\].*4.*3/,
      );
    });
    it("negative or fractional dimensions", () => {
      expect(() => encodeSafetensors([{ name: "t", shape: [-1], data: one }], {})).toThrow(/"t".*shape/);
      expect(() => encodeSafetensors([{ name: "t", shape: [0.5, 2], data: one }], {})).toThrow(/"t".*shape/);
    });
    it("duplicate, empty and reserved names", () => {
      expect(() =>
        encodeSafetensors(
          [
            { name: "t", shape: [1], data: one },
            { name: "t", shape: [1], data: one },
          ],
          {},
        ),
      ).toThrow(/"t" appears twice/);
      expect(() => encodeSafetensors([{ name: "", shape: [1], data: one }], {})).toThrow(/non-empty/);
      expect(() => encodeSafetensors([{ name: "__metadata__", shape: [1], data: one }], {})).toThrow(/reserved/);
    });
    it("non-string metadata values", () => {
      expect(() => encodeSafetensors([], { epochs: 3 } as unknown as Record<string, string>)).toThrow(
        /metadata "epochs" must be a string/,
      );
    });
  });

  describe("rejects malformed files, naming the file and the problem", () => {
    const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
    const cases: [string, Uint8Array, RegExp][] = [
      ["an empty file", new Uint8Array(0), /0 bytes, shorter than/],
      ["a 7-byte file", new Uint8Array(7), /7 bytes, shorter than/],
      ["a header length beyond the file", (() => {
        const b = assemble("{}", []);
        new DataView(b.buffer).setBigUint64(0, 3n, true);
        return b;
      })(), /header length 3 is larger than the 2 bytes/],
      ["a header length near 2^64", (() => {
        const b = assemble("{}", []);
        new DataView(b.buffer).setBigUint64(0, 0xffff_ffff_ffff_fff0n, true);
        return b;
      })(), /header length \d+ is larger/],
      ["a header that is not JSON", assemble("{not json", []), /not valid UTF-8 JSON/],
      ["a header that is not UTF-8", (() => {
        const b = assemble("{}  ", []);
        b[10] = 0xff;
        return b;
      })(), /not valid UTF-8 JSON/],
      ["a header that is an array", assemble("[]", []), /not a JSON object/],
      ["a header that is null", assemble("null", []), /not a JSON object/],
      ["metadata that is not an object", assemble('{"__metadata__":"x"}', []), /__metadata__ is not an object/],
      ["a metadata value that is not a string", assemble('{"__metadata__":{"n":1}}', []), /metadata "n" is not a string/],
      ["a tensor entry that is not an object", assemble('{"t":5}', []), /tensor "t" is not an object/],
      ["an F16 tensor", assemble(JSON.stringify({ half: entry("F16", [2], [0, 4]) }), [0]), /tensor "half" has dtype "F16"/],
      ["a tensor with no dtype", assemble(JSON.stringify({ t: { shape: [1], data_offsets: [0, 4] } }), [0]), /tensor "t" has dtype undefined/],
      ["a bad shape", assemble(JSON.stringify({ t: entry("F32", [-1], [0, 4]) }), [0]), /tensor "t" has an invalid shape/],
      ["bad data_offsets", assemble(JSON.stringify({ t: entry("F32", [1], [0]) }), [0]), /tensor "t" has invalid data_offsets/],
      ["offsets past the end", assemble(JSON.stringify({ t: entry("F32", [2], [0, 8]) }), [0]), /"t" data_offsets \[0, 8\] are outside the 4-byte/],
      ["reversed offsets", assemble(JSON.stringify({ t: entry("F32", [], [4, 0]) }), [0]), /"t" data_offsets \[4, 0\] end before they begin/],
      ["offsets not matching the shape", assemble(JSON.stringify({ t: entry("F32", [2], [0, 4]) }), [0, 0]), /"t" spans 4 bytes but shape \[2\] needs 8/],
      ["overlapping tensors", assemble(JSON.stringify({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) }), [0, 0, 0]), /"b" overlaps another tensor at byte 4/],
      ["a gap between tensors", assemble(JSON.stringify({ a: entry("F32", [], [0, 4]), b: entry("F32", [], [8, 12]) }), [0, 0, 0]), /data bytes 4\.\.8 are not covered/],
      ["trailing bytes", assemble(JSON.stringify({ a: entry("F32", [], [0, 4]) }), [0], [1, 2]), /data bytes 4\.\.6 are not covered/],
      ["data with no tensors", assemble("{}", [1]), /data bytes 0\.\.4 are not covered/],
    ];
    for (const [what, bytes, problem] of cases) {
      it(what, () => {
        let error: unknown;
        try {
          decodeSafetensors(bytes, FILE);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/^bad\.safetensors: /);
        expect((error as Error).message).toMatch(problem);
      });
    }
  });
});

// An independent reader/writer: the format implemented again in Python with json + struct, and the
// values interpreted by PyTorch. Skipped where Debian's python3-torch is not installed.
const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;

const PY_READ_WRITE = `
import json, struct, sys, torch
src, dst = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
for name, e in header.items():
    b, end = e["data_offsets"]
    t = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32) if end > b else torch.zeros(0)
    t = t.reshape(e["shape"])
    out["tensors"][name] = {"shape": list(t.shape), "values": t.flatten().tolist(), "sum": float(t.double().sum())}
# Write a file back: torch-made values, tensors in reverse order, header left unpadded.
ts = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4 - 1, "s": torch.tensor(-0.0)}
hdr, blob = {"__metadata__": {"from": "python"}}, b""
for name, t in ts.items():
    vals = t.flatten().tolist()
    hdr[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [len(blob), len(blob) + 4 * len(vals)]}
    blob += struct.pack("<%df" % len(vals), *vals)
h = json.dumps(hdr).encode()
open(dst, "wb").write(struct.pack("<Q", len(h)) + h + blob)
print(json.dumps(out))
`;

describe.skipIf(!hasTorch)("interoperability with a Python + PyTorch reader", () => {
  it("PyTorch reads what we write, and we read what Python writes", () => {
    const dir = mkdtempSync(join(tmpdir(), "safetensors-"));
    try {
      const ours = join(dir, "ours.safetensors");
      const theirs = join(dir, "theirs.safetensors");
      const w = new Float32Array([0.1, -0.2, 0.3, -0, 1e-30, 12345.678]);
      writeFileSync(
        ours,
        encodeSafetensors(
          [
            { name: "w", shape: [3, 2], data: w },
            { name: "e", shape: [0, 4], data: new Float32Array(0) },
          ],
          { note: "hello" },
        ),
      );
      const run = spawnSync(PYTHON, ["-c", PY_READ_WRITE, ours, theirs], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      const py = JSON.parse(run.stdout);
      expect(py.metadata).toEqual({ note: "hello" });
      expect(py.tensors.w.shape).toEqual([3, 2]);
      // Python floats are the float32 values widened exactly to float64.
      expect(py.tensors.w.values).toEqual(Array.from(w));
      expect(Object.is(py.tensors.w.values[3], -0)).toBe(true);
      expect(py.tensors.e).toEqual({ shape: [0, 4], values: [], sum: 0 });

      const back = decodeSafetensors(new Uint8Array(readFileSync(theirs)), theirs);
      expect(back.metadata).toEqual({ from: "python" });
      expect(back.tensors.get("w")).toEqual({
        name: "w",
        shape: [2, 3],
        data: new Float32Array([-1, -0.75, -0.5, -0.25, 0, 0.25]),
      });
      expect(back.tensors.get("s")!.shape).toEqual([]);
      expect(Object.is(back.tensors.get("s")!.data[0], -0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
