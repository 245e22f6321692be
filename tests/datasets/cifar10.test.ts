import { describe, it, expect, afterAll } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CIFAR10_MEAN, CIFAR10_STD, loadCifar10 } from "../../ts-wrapper/datasets/cifar10.js";

const RECORD = 1 + 3072;

/** Pixel p's value from its byte: scaled to [0, 1] in float32, then normalised with its channel's statistics. */
function pixel(byte: number, p: number): number {
  const c = Math.floor(p / 1024);
  return Math.fround((Math.fround(byte / 255) - CIFAR10_MEAN[c]) / CIFAR10_STD[c]);
}

/** Record r of batch b: label (b + r) % 10, pixel p = (p + 7·r + 31·b) % 256. */
function record(b: number, r: number): Uint8Array {
  const out = new Uint8Array(RECORD);
  out[0] = (b + r) % 10;
  for (let p = 0; p < 3072; p++) out[1 + p] = (p + 7 * r + 31 * b) % 256;
  return out;
}

function batch(b: number, records: number): Uint8Array {
  const out = new Uint8Array(records * RECORD);
  for (let r = 0; r < records; r++) out.set(record(b, r), r * RECORD);
  return out;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const TRAIN_SIZES = [2, 1, 3, 1, 2];

/** A directory with five tiny train batches (batch index b = 1..5) and a test batch (b = 0). */
function fixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bioplausible-cifar-"));
  dirs.push(dir);
  TRAIN_SIZES.forEach((n, i) => fs.writeFileSync(path.join(dir, `data_batch_${i + 1}.bin`), batch(i + 1, n)));
  fs.writeFileSync(path.join(dir, "test_batch.bin"), batch(0, 3));
  return dir;
}

describe("loadCifar10", () => {
  it("loads the five train batches in order with exact (normalised) pixels and labels", async () => {
    const d = await loadCifar10(fixture(), "train");
    expect(d).toMatchObject({ name: "cifar10", count: 9, features: 3072, classes: 10, shape: [3, 32, 32] });
    let row = 0;
    TRAIN_SIZES.forEach((n, i) => {
      for (let r = 0; r < n; r++, row++) {
        const rec = record(i + 1, r);
        expect(d.labels[row]).toBe(rec[0]);
        const img = d.images.subarray(row * 3072, (row + 1) * 3072);
        // Spot-check the first pixel of each channel and the last pixel, then the whole row.
        for (const p of [0, 1024, 2048, 3071]) expect(img[p]).toBe(pixel(rec[1 + p], p));
        expect(Array.from(img)).toEqual(Array.from(rec.subarray(1), (b, p) => pixel(b, p)));
      }
    });
  });

  it("loads the test batch", async () => {
    const d = await loadCifar10(fixture(), "test");
    expect(d.count).toBe(3);
    expect(Array.from(d.labels)).toEqual([0, 1, 2]);
    expect(d.images[3072]).toBe(pixel(7, 0));
  });

  it("normalises each channel with the published training-set statistics", async () => {
    expect(CIFAR10_MEAN).toEqual([0.4914, 0.4822, 0.4465]);
    expect(CIFAR10_STD).toEqual([0.247, 0.2435, 0.2616]);
    // One record: red all 255, green all 0, blue all 51 (0.2 after scaling).
    const bytes = new Uint8Array(RECORD);
    bytes.fill(255, 1, 1 + 1024);
    bytes.fill(51, 1 + 2048);
    const dir = fixture();
    fs.writeFileSync(path.join(dir, "test_batch.bin"), bytes);
    const d = await loadCifar10(dir, "test");
    // By hand: (1 − 0.4914) / 0.2470 = 0.5086 / 0.247 = 2.059109…, (0 − 0.4822) / 0.2435 = −1.980287…,
    // (0.2 − 0.4465) / 0.2616 = −0.2465 / 0.2616 = −0.942278….
    const expected = [2.059109, -1.980287, -0.942278];
    for (let c = 0; c < 3; c++) {
      for (const p of [0, 517, 1023]) expect(d.images[c * 1024 + p]).toBeCloseTo(expected[c], 5);
    }
  });

  it("rejects a file whose size is not a multiple of 3073, naming it and its size", async () => {
    const dir = fixture();
    const file = path.join(dir, "data_batch_3.bin");
    fs.writeFileSync(file, batch(3, 2).subarray(0, RECORD + 100));
    await expect(loadCifar10(dir, "train")).rejects.toThrow(
      new RegExp(`${escape(file)}: size ${RECORD + 100} bytes is not a positive multiple of the 3073-byte`),
    );
    fs.writeFileSync(path.join(dir, "test_batch.bin"), new Uint8Array(0));
    await expect(loadCifar10(dir, "test")).rejects.toThrow(/test_batch\.bin: size 0 bytes/);
  });

  it("rejects a label above 9, naming the file, record and value", async () => {
    const dir = fixture();
    const bytes = batch(0, 3);
    bytes[2 * RECORD] = 10;
    const file = path.join(dir, "test_batch.bin");
    fs.writeFileSync(file, bytes);
    await expect(loadCifar10(dir, "test")).rejects.toThrow(new RegExp(`${escape(file)}: record 2 has label 10, out of range`));
  });

  it("rejects a missing batch, naming it", async () => {
    const dir = fixture();
    fs.rmSync(path.join(dir, "data_batch_5.bin"));
    await expect(loadCifar10(dir, "train")).rejects.toThrow(/data_batch_5\.bin: CIFAR-10 batch file not found/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
