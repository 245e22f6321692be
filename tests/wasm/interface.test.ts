// The one wasm interface: what ts-wrapper/wasm/ binds and reads must be exactly what the module
// exports — every kernel bound, every layout global read, nothing extra on either side — and the
// layouts the facade writes must be the ones the kernels read.

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTIVATIONS, init, Matrix, ops, type NeuronParams, type Runtime } from "../../ts-wrapper/index.js";
import { KERNEL_NAMES } from "../../ts-wrapper/wasm/kernels.js";
import { layoutExportNames, LAYOUT_EXPORTS } from "../../ts-wrapper/wasm/layout.js";
import { softLif64 } from "../helpers/softlif.js";

const exportsOf = (file: string) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL(`../../build/${file}`, import.meta.url))));

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

describe.each(["release.wasm", "threads.wasm", "debug.wasm"])("the module %s and the bridge", (file) => {
  const exported = exportsOf(file);
  const named = (kind: string) => exported.filter((e) => e.kind === kind).map((e) => e.name).sort();

  it("every exported function is a bound kernel, and every bound kernel is exported", () => {
    expect(named("function")).toEqual([...KERNEL_NAMES].sort());
  });

  it("every exported global is a layout the bridge reads, and every layout it reads is exported", () => {
    expect(named("global")).toEqual(layoutExportNames().sort());
  });
});

describe("the layout read at init()", () => {
  it("has a code for every activation the library names, and no other", () => {
    expect(Object.keys(rt.layout.activation).sort()).toEqual([...ACTIVATIONS].sort());
    expect(new Set(Object.values(rt.layout.activation)).size).toBe(ACTIVATIONS.length);
    expect(Object.keys(LAYOUT_EXPORTS.activation).sort()).toEqual([...ACTIVATIONS].sort());
  });

  it("lays out the neuron block as the soft-LIF kernel reads it (five distinct parameters)", () => {
    // Each parameter changes the activation differently, so a swapped or shifted field shows.
    const neuron: NeuronParams = { tauRc: 0.031, tRef: 0.0023, amplitude: 0.07, gain: 1.7, smoothing: 0.045 };
    const z = Float32Array.from([-0.5, 0.2, 0.55, 0.6, 0.9, 1.3, 3, 12]);
    const block = ops.neuronBlock(rt, neuron);
    const zm = Matrix.from(rt, 1, z.length, z);
    const a = new Matrix(rt, 1, z.length);
    try {
      ops.activationForward(rt.layout.activation.softlif, zm, a, block);
      const got = a.toArray();
      z.forEach((v, i) => {
        const want = softLif64(Math.fround(v), neuron);
        // The kernel rounds a float64 result once (≤ 0.5 ulp, SCIENCE.md §2): allow 1 ulp.
        expect(Math.abs(got[i] - want), `z = ${v}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(want));
      });
    } finally {
      for (const m of [zm, a]) m.free();
      block.free();
    }
  });

  it("sizes the PC table and the generators as the module says", () => {
    expect(rt.layout.pc.tableWords).toBe(Object.keys(rt.layout.pc.field).length);
    expect(new Set(Object.values(rt.layout.pc.field)).size).toBe(rt.layout.pc.tableWords);
    expect(Math.max(...Object.values(rt.layout.pc.field))).toBe(rt.layout.pc.tableWords - 1);
    expect(rt.layout.neuron.bytes).toBe(4 * 5);
    const a = new ops.Rng(rt, 7, 3);
    expect(a.save()).toHaveLength(2 * rt.layout.rngBytes);
    a.free();
  });
});
