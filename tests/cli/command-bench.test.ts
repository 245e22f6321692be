// `bioplausible bench`, kept quick: one repeat of the GEMM suite. Only the shape of the result is
// checked; speed is what bench reports, never what a test asserts.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastJson, lines, runCli, tempDir } from "./e2e-cli.js";

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir("bench")));
afterAll(() => tmp?.cleanup());

describe("bench", () => {
  it("--only gemm --repeats 1 --json reports positive GFLOP/s for the three GEMMs of the first layer", async () => {
    const r = await runCli(["bench", "--only", "gemm", "--repeats", "1", "--rounds", "1", "--threads", "1", "--json"], { timeout: 25_000 });
    expect(r.stderr).not.toMatch(/^bioplausible:/m);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    const result = lastJson(r);
    for (const shape of ["fwd_128x784x256", "bwd_data_128x256x784", "bwd_weight_256x128x784"]) {
      const gflops = result.by_threads["1"].gemm?.[shape]?.gflops;
      expect(typeof gflops, `gemm.${shape}.gflops`).toBe("number");
      expect(Number.isFinite(gflops) && gflops > 0, `gemm.${shape}.gflops = ${gflops}`).toBe(true);
    }
    // --only restricts the run: no MLP figures.
    expect(result.by_threads["1"].mlp).toBeUndefined();
    expect(Object.keys(result.by_threads)).toEqual(["1"]);
    expect(result.runtime.threads).toEqual([1]);
  });

  it("--only pc,lif --threads 1,2 reports the PC step time and LIF neuron updates per second on each count, and their ratio", async () => {
    const r = await runCli(["bench", "--only", "pc,lif", "--repeats", "1", "--rounds", "1", "--threads", "1,2", "--json"], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = lastJson(r);
    for (const threads of ["1", "2"]) {
      const figures = result.by_threads[threads];
      expect(figures.pc.ms_per_step).toBeGreaterThan(0);
      expect(figures.pc).toMatchObject({ T: 20, batch: 128, layers: [784, 256, 256, 10] });
      expect(figures.lif.neuron_updates_per_s).toBeGreaterThan(0);
      expect(figures.gemm).toBeUndefined();
    }
    const { pc, lif } = { pc: result.by_threads["2"].pc.ms_per_step / result.by_threads["1"].pc.ms_per_step, lif: result.by_threads["2"].lif.neuron_updates_per_s / result.by_threads["1"].lif.neuron_updates_per_s };
    // Ratios > 1 mean faster on 2 threads: one thread's step time over two's, two's rate over one's.
    expect(result.speedup_vs_1_thread["2"]["pc.ms_per_step"]).toBeCloseTo(1 / pc, 2);
    expect(result.speedup_vs_1_thread["2"]["lif.neuron_updates_per_s"]).toBeCloseTo(lif, 2);
  });

  it("--baseline refuses a PyTorch that multiplies with the reference BLAS, saying why, before timing anything", async () => {
    // A stand-in for Python whose process maps the reference BLAS, as Debian's PyTorch does without libopenblas0-pthread.
    const python = join(tmp.dir, "python");
    writeFileSync(python, "#!/bin/sh\necho /usr/lib/x86_64-linux-gnu/blas/libblas.so.3\n", { mode: 0o755 });
    const baselines = join(tmp.dir, "baselines");
    mkdirSync(baselines);
    writeFileSync(join(baselines, "torch_mlp.py"), "raise SystemExit('not to be run')\n");
    const r = await runCli(["bench", "--only", "mlp", "--baseline", baselines, "--python", python, "--json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3, not OpenBLAS");
    expect(r.stderr).toContain("libopenblas0-pthread");
    expect(r.stderr).not.toContain("round 1");
  });

  it.each([
    [["--only", "foo"], "--only"],
    [["--only", "gemm,foo"], "--only"],
    [["--repeats", "0"], "--repeats"],
    [["--frobnicate"], "--frobnicate"],
    [["--threads", "0"], "--threads"],
    [["--threads", "1,x"], "--threads"],
  ])("%j exits 2 naming %s, before timing anything", async (flags, named) => {
    const r = await runCli(["bench", ...flags, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(named);
  });
});
