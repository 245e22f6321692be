// A tiny CIFAR-10 binary-version directory for tests (no CIFAR data can be downloaded here): five
// train batches and a test batch of seeded records (1 label byte, then 3 × 32 × 32 pixel bytes).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lcg } from "./lcg.js";

const RECORD = 1 + 3072;

function batch(records: number, rng: Lcg, firstLabel: number): Uint8Array {
  const out = new Uint8Array(records * RECORD);
  for (let r = 0; r < records; r++) {
    out[r * RECORD] = (firstLabel + r) % 10;
    for (let p = 1; p < RECORD; p++) out[r * RECORD + p] = rng.int(256);
  }
  return out;
}

/** Writes data_batch_1.bin … data_batch_5.bin (`perBatch` records each) and test_batch.bin (`test`) into `dir`. */
export function writeCifar10Dir(dir: string, options: { perBatch?: number; test?: number; seed?: number } = {}): string {
  const { perBatch = 4, test = 10, seed = 1 } = options;
  const rng = new Lcg(seed);
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), batch(perBatch, rng, b));
  writeFileSync(join(dir, "test_batch.bin"), batch(test, rng, 0));
  return dir;
}
