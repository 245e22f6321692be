// Bad input to `bioplausible train`: usage errors exit 2 with one stderr line naming the flag,
// before any work; malformed data exits 1 naming the file; no --out file is left behind by a
// failed or interrupted run.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../ts-wrapper/index.js";
import { IDX_NAMES, idxBytes, makeIdxFixture, writeIdxDir } from "../helpers/idx-fixtures.js";
import { BIN, lines, ROOT, runCli, tempDir, type CliResult } from "./e2e-cli.js";

let tmp: ReturnType<typeof tempDir>;
let data: string;
const fixture = makeIdxFixture({ train: 200, test: 100, side: 8, classes: 10, seed: 11 });
const OK = ["--layers", "64,8,10", "--epochs", "1", "--batch-size", "16"];

beforeAll(() => {
  tmp = tempDir("errors");
  data = writeIdxDir(join(tmp.dir, "data"), fixture);
});

afterAll(() => tmp?.cleanup());

/** A copy of the good fixture directory with one file replaced. */
function variant(name: string, file: string, bytes: Uint8Array, options: { gzip?: boolean } = {}): string {
  const dir = join(tmp.dir, name);
  writeIdxDir(dir, fixture, options);
  writeFileSync(join(dir, file), bytes);
  return dir;
}

/** Exactly one line on stderr, prefixed like every CLI error, and nothing on stdout. */
function oneErrorLine(r: CliResult): string {
  expect(r.stdout).toBe("");
  const err = lines(r.stderr);
  expect(err, r.stderr).toHaveLength(1);
  expect(err[0]).toMatch(/^bioplausible: /);
  return err[0]!;
}

describe("usage errors: exit 2, one line naming the flag, before any work", () => {
  const cases: [string, string[], string][] = [
    ["unknown model", ["--model", "foo"], "--model"],
    ["negative learning rate", ["--lr", "-1"], "--lr"],
    ["zero learning rate", ["--lr", "0"], "--lr"],
    ["non-numeric learning rate", ["--lr", "fast"], "--lr"],
    ["zero batch size", ["--batch-size", "0"], "--batch-size"],
    ["zero epochs", ["--epochs", "0"], "--epochs"],
    ["fractional epochs", ["--epochs", "1.5"], "--epochs"],
    ["layer widths that fit neither end of the data", ["--layers", "10,3"], "--layers"],
    ["first layer width not the data's features", ["--layers", "10,8,10"], "--layers"],
    ["last layer width not the data's classes", ["--layers", "64,8,3"], "--layers"],
    ["a single layer width", ["--layers", "64"], "--layers"],
    ["unknown flag", ["--frobnicate"], "--frobnicate"],
    ["missing value at the end", ["--epochs"], "--epochs"],
    ["missing value before another flag", ["--out", "--json"], "--out"],
    ["unknown optimizer", ["--optimizer", "rmsprop"], "--optimizer"],
    ["--limit larger than the training set", ["--limit", "201"], "--limit"],
  ];

  it.each(cases)("%s", async (_, flags, named) => {
    // The good flags first: a repeated flag takes its last value, so the bad one wins.
    const r = await runCli(["train", "--data-dir", data, ...OK, ...flags, "--json"]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain(named);
  });

  it("--dataset cifar10 without --data-dir names --data-dir", async () => {
    const r = await runCli(["train", "--dataset", "cifar10", "--json"]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain("--data-dir");
  });

  it("--out into a directory that does not exist: names --out and writes nothing", async () => {
    const work = join(tmp.dir, "out-missing");
    mkdirSync(work);
    const target = join(work, "no-such-dir", "model.safetensors");
    const r = await runCli(["train", "--data-dir", data, ...OK, "--out", target, "--json"]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain("--out");
    expect(existsSync(join(work, "no-such-dir"))).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  });

  it("--out naming an existing directory: names --out before training and leaves no temp file", async () => {
    const work = join(tmp.dir, "out-is-dir");
    const target = join(work, "models");
    mkdirSync(target, { recursive: true });
    const r = await runCli(["train", "--data-dir", data, ...OK, "--out", target, "--json"]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain("--out");
    expect(readdirSync(work)).toEqual(["models"]);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe("architecture specs: exit 2 before any work, naming --arch, the token and the shapes", () => {
  const BASE = ["--epochs", "1", "--batch-size", "16"];
  const cases: [string, string[], RegExp][] = [
    ["--arch with --layers", ["--layers", "64,8,10", "--arch", "fc10"], /--arch: not with --layers/],
    ["a token outside the grammar", ["--arch", "conv4k3,pool2,fc10"], /--arch: layer 2 "pool2": expected conv<C>k<K>/],
    ["a kernel larger than its input", ["--arch", "conv4k11,fc10"], /--arch: layer 1 "conv4k11": the 11×11 kernel is larger than its input 1×8×8 with padding 0/],
    ["pooling that does not divide", ["--arch", "conv4k3,avgpool4,fc10"], /--arch: layer 2 "avgpool4": its input 4×6×6 does not divide into 4×4 windows/],
    ["max pooling run as spikes", ["--model", "snn", "--arch", "conv4k3p1,maxpool2,fc10"], /--arch: layer 2 "maxpool2": max pooling has no spiking counterpart/],
    ["an output that is not the classes", ["--arch", "conv4k3,fc7"], /--arch: the output layer has 7 units but mnist has 10 classes/],
    ["--validation as large as the training set", ["--layers", "64,8,10", "--validation", "200"], /--validation: must be fewer than the 200 training samples/],
  ];
  it.each(cases)("%s", async (_, flags, message) => {
    const r = await runCli(["train", "--data-dir", data, ...BASE, ...flags, "--json"]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(message);
  });

  it("a conv net trains with --validation: reports on the held-out samples and on the test set, each by name", async () => {
    const r = await runCli(["train", "--data-dir", data, ...BASE, "--arch", "conv4k3p1,avgpool2,fc10", "--validation", "40", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(lines(r.stdout).pop()!);
    expect(result.validation_accuracy).toBeGreaterThanOrEqual(0);
    expect(result.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(result.config).toMatchObject({ arch: "conv4k3p1,avgpool2,fc10", inputShape: [1, 8, 8], validation: 40, validationSamples: 40, trainSamples: 160 });
    expect(result.history[0]).toHaveProperty("validation_accuracy");
    expect(result.history[0]).toHaveProperty("test_accuracy");
  });

  it("a conv net trains with --direct-feedback-alignment: the error reaches the conv layer through pooling, and it learns", async () => {
    const r = await runCli(["train", "--data-dir", data, "--epochs", "3", "--batch-size", "16", "--arch", "conv4k3p1,avgpool2,fc10", "--direct-feedback-alignment", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(lines(r.stdout).pop()!);
    expect(result.config).toMatchObject({ arch: "conv4k3p1,avgpool2,fc10", directFeedbackAlignment: true });
    // The training loss falls and the test accuracy clears chance (10 classes).
    expect(result.history[2].loss).toBeLessThan(result.history[0].loss);
    expect(result.test_accuracy).toBeGreaterThan(0.2);
  });

  it("an fc-only spec is the MLP of those widths: the same config and params_sha256 as --layers", async () => {
    const [spec, widths] = await Promise.all([
      runCli(["train", "--data-dir", data, ...BASE, "--arch", "fc12,fc10", "--validation", "40", "--json"]),
      runCli(["train", "--data-dir", data, ...BASE, "--layers", "64,12,10", "--validation", "40", "--json"]),
    ]);
    expect(spec.code, spec.stderr).toBe(0);
    const a = JSON.parse(lines(spec.stdout).pop()!), b = JSON.parse(lines(widths.stdout).pop()!);
    expect(a.config.layers).toEqual([64, 12, 10]);
    expect(a.config).not.toHaveProperty("arch");
    expect(a.params_sha256).toBe(b.params_sha256);
  });
});

describe("malformed data: exit 1, one line naming the file, no --out written", () => {
  const images = idxBytes([fixture.test.count, 8, 8], fixture.test.images);

  /** Runs train on `dir`; returns what the error says besides the prefix and the file's path. */
  async function failsNaming(dir: string, file: string): Promise<string> {
    const out = join(tmp.dir, `${dir.split("/").pop()}.safetensors`);
    const r = await runCli(["train", "--data-dir", dir, ...OK, "--out", out, "--json"]);
    expect(r.code).toBe(1);
    const msg = oneErrorLine(r);
    const path = join(dir, file);
    expect(msg).toContain(path);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((n) => n.includes(".tmp"))).toEqual([]);
    return msg.slice("bioplausible: ".length).split(path).join("");
  }

  it("a truncated images file", async () => {
    const dir = variant("truncated", IDX_NAMES.testImages, images.subarray(0, images.length - 100));
    expect(await failsNaming(dir, IDX_NAMES.testImages)).toMatch(/truncated/i);
  });

  it("an images file with trailing bytes", async () => {
    const padded = new Uint8Array(images.length + 3);
    padded.set(images);
    const dir = variant("trailing", IDX_NAMES.testImages, padded);
    await failsNaming(dir, IDX_NAMES.testImages);
  });

  it("a file that is not IDX at all", async () => {
    const dir = variant("not-idx", IDX_NAMES.trainLabels, new TextEncoder().encode("label,image\n1,foo.png\n"));
    await failsNaming(dir, IDX_NAMES.trainLabels);
  });

  it("a label out of range", async () => {
    const labels = fixture.train.labels.slice();
    labels[17] = 12;
    const dir = variant("bad-label", IDX_NAMES.trainLabels, idxBytes([labels.length], labels));
    expect(await failsNaming(dir, IDX_NAMES.trainLabels)).toMatch(/\b12\b/);
  });

  it("an image/label count mismatch", async () => {
    const labels = fixture.train.labels.subarray(0, 150);
    const dir = variant("count-mismatch", IDX_NAMES.trainLabels, idxBytes([150], labels));
    await failsNaming(dir, IDX_NAMES.trainLabels);
  });

  it("a truncated .gz file in a gzipped directory", async () => {
    const gz = gzipSync(idxBytes([fixture.train.count, 8, 8], fixture.train.images));
    const name = `${IDX_NAMES.trainImages}.gz`;
    const dir = variant("truncated-gz", name, gz.subarray(0, gz.length >> 1), { gzip: true });
    expect(await failsNaming(dir, name)).toMatch(/gzip/i);
  });

  it("a data directory without IDX files names the directory", async () => {
    const empty = join(tmp.dir, "empty");
    mkdirSync(empty);
    const r = await runCli(["train", "--data-dir", empty, ...OK, "--json"]);
    expect(r.code).not.toBe(0);
    expect(oneErrorLine(r)).toContain(empty);
  });
});

describe("an interrupted run leaves no --out file", () => {
  it("SIGTERM during training: no model file in the --out directory, only a whole checkpoint to resume from", async () => {
    const work = join(tmp.dir, "interrupted");
    mkdirSync(work);
    const out = join(work, "model.safetensors");
    // Enough epochs to run for minutes; it is stopped after the first epoch reports.
    const child = spawn(process.execPath, [BIN, "train", "--data-dir", data, ...OK, "--epochs", "1000000", "--out", out], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.on("close", (code, signal) => done({ code, signal }));
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/epoch 1\//.test(stderr)) child.kill("SIGTERM");
    });
    const { signal } = await ended;
    clearTimeout(guard);
    expect(stderr).toMatch(/epoch 1\//);
    expect(signal).toBe("SIGTERM");
    // The checkpoint's temporary may survive a kill mid-write; the next write reuses it.
    expect(readdirSync(work).filter((f) => f !== "model.safetensors.ckpt" && f !== "model.safetensors.ckpt.tmp")).toEqual([]);
    if (existsSync(`${out}.ckpt`)) expect(() => decodeCheckpoint(readFileSync(`${out}.ckpt`), `${out}.ckpt`)).not.toThrow();
  });
});

// Keep the fixture honest: the good directory trains, so every failure above is the bad input's.
it("the unmodified fixture trains with the same flags", async () => {
  const out = join(tmp.dir, "good.safetensors");
  const r = await runCli(["train", "--data-dir", data, ...OK, "--out", out, "--json"]);
  expect(r.code).toBe(0);
  expect(readFileSync(out).length).toBeGreaterThan(8);
});
