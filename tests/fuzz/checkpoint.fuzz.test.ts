// Property-based fuzzing of checkpoint files (decodeCheckpoint, and train() resuming from what it
// accepts) with fast-check: truncated, bit-flipped and rewritten checkpoints, and checkpoints whose
// state holds random JSON, end in an Error naming the file (or "resume:"), never in another error
// or a resumed run that goes wrong silently. Runs: FUZZ_RUNS (default 10 000); seed: FUZZ_SEED.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint, init, MLP, train, type Checkpoint } from "../../ts-wrapper/index.js";
import { rings } from "../helpers/rings.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FILE = "fuzz/odd ü.ckpt";
const data = rings("rings", 70, 1);
const options = { epochs: 2, batchSize: 16, lr: 0.1, momentum: 0.9, seed: 3 };
const build = () => new MLP({ layers: [2, 6, 3], seed: 2 });
let valid: Uint8Array[];
let expected: string;

beforeAll(async () => {
  await init();
  const saved: Uint8Array[] = [];
  const model = build();
  train(model, data, { ...options, checkpoint: { every: 2, save: (c) => saved.push(encodeCheckpoint(c, { run: 1 })) } });
  expected = await model.params.sha256();
  model.free();
  valid = saved;
});

/** The oracle: decoding fails with an Error naming the file, or resuming fails with "resume:" or ends finite. */
function check(bytes: Uint8Array, resume: boolean): void {
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(bytes, FILE).checkpoint;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message.startsWith(`${FILE}: `), (error as Error).message).toBe(true);
    return;
  }
  if (!resume) return;
  const model = build();
  try {
    const { history } = train(model, data, { ...options, resume: checkpoint });
    // Accepted: a run of this model, whatever the checkpoint's values, must report like one.
    expect(model.params.firstNonFinite()).toBeUndefined();
    expect(history.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of history) expect(e.loss >= 0 && Number.isFinite(e.loss) && e.accuracy >= 0 && e.accuracy <= 1, JSON.stringify(e)).toBe(true);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message, (error as Error).stack).toMatch(new RegExp(`^(resume from ${FILE}: |training diverged )`));
  } finally {
    model.free();
  }
}

const validIndex = () => fc.nat({ max: valid.length - 1 });

describe("fuzz: decodeCheckpoint", () => {
  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(bytes, false)), { numRuns: RUNS, seed: SEED });
  });

  it("valid checkpoints truncated, or with bytes overwritten", () => {
    const mutated = fc.tuple(validIndex(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }))
      .map(([i, writes, cut]) => {
        const bytes = valid[i].slice(0, cut === undefined ? undefined : cut % (valid[i].length + 1));
        for (const [at, b] of writes) if (bytes.length) bytes[at % bytes.length] = b;
        return bytes;
      });
    fc.assert(fc.property(mutated, (bytes) => check(bytes, true)), { numRuns: RUNS, seed: SEED });
  });

  it("valid checkpoints whose state has a field replaced by random JSON", () => {
    const keys = ["epoch", "batch", "steps", "optimizerSteps", "shuffle", "lossSum", "correct", "seen", "seconds", "epochSeconds", "history", "extra"];
    const rewritten = fc.tuple(validIndex(), fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 })).map(([i, key, value]) => {
      const { checkpoint } = decodeCheckpoint(valid[i], "valid");
      const state = { ...checkpoint.state, [key]: value } as unknown as Checkpoint["state"];
      return encodeCheckpoint({ ...checkpoint, state }, { run: 1 });
    });
    fc.assert(fc.property(rewritten, (bytes) => check(bytes, true)), { numRuns: Math.max(1, Math.round(RUNS / 5)), seed: SEED });
  });

  it("the untouched checkpoints resume to the uninterrupted run's parameters", async () => {
    for (const bytes of valid) {
      const model = build();
      train(model, data, { ...options, resume: decodeCheckpoint(bytes, FILE).checkpoint });
      expect(await model.params.sha256()).toBe(expected);
      model.free();
    }
  });
});
