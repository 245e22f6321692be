// `bioplausible bench`, kept quick: one repeat of the GEMM suite. Only the shape of the result is
// checked; speed is what bench reports, never what a test asserts.

import { describe, expect, it } from "vitest";
import { lastJson, lines, runCli } from "./e2e-cli.js";

describe("bench", () => {
  it("--only gemm --repeats 1 --json reports positive GFLOP/s for the three GEMMs of the first layer", async () => {
    const r = await runCli(["bench", "--only", "gemm", "--repeats", "1", "--json"], { timeout: 25_000 });
    expect(r.stderr).not.toMatch(/^bioplausible:/m);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    const result = lastJson(r);
    for (const shape of ["fwd_128x784x256", "bwd_data_128x256x784", "bwd_weight_256x128x784"]) {
      const gflops = result.gemm?.[shape]?.gflops;
      expect(typeof gflops, `gemm.${shape}.gflops`).toBe("number");
      expect(Number.isFinite(gflops) && gflops > 0, `gemm.${shape}.gflops = ${gflops}`).toBe(true);
    }
    // --only restricts the run: no MLP figures.
    expect(result.mlp).toBeUndefined();
  });

  it("--only pc,lif reports the PC step time and LIF neuron updates per second", async () => {
    const r = await runCli(["bench", "--only", "pc,lif", "--repeats", "1", "--json"], { timeout: 60_000 });
    expect(r.code).toBe(0);
    const result = lastJson(r);
    expect(result.pc.ms_per_step).toBeGreaterThan(0);
    expect(result.pc).toMatchObject({ T: 20, batch: 128, layers: [784, 256, 256, 10] });
    expect(result.lif.neuron_updates_per_s).toBeGreaterThan(0);
    expect(result.gemm).toBeUndefined();
  });

  it.each([
    [["--only", "foo"], "--only"],
    [["--only", "gemm,foo"], "--only"],
    [["--repeats", "0"], "--repeats"],
    [["--frobnicate"], "--frobnicate"],
  ])("%j exits 2 naming %s, before timing anything", async (flags, named) => {
    const r = await runCli(["bench", ...flags, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(named);
  });
});
