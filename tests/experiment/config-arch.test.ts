// Experiment configs with an architecture spec: every row resolves against the data set's sample
// shape, and bad specs fail before any work, naming the file, the key and the token.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveExperiment } from "../../ts-wrapper/index.js";

const base = {
  name: "t", seed: 0, dataset: "mnist", epochs: 1, arch: "conv4k5p2,avgpool2,fc10",
  rows: [{ name: "bp", model: "mlp" }, { name: "zil", model: "pcn", algo: "zil" }, { name: "snn", model: "mlp", spiking: true }],
};

describe("experiment configs with arch", () => {
  it("resolves every row to the conv net from the data set's shape", () => {
    const { config, rows } = resolveExperiment(base, "t.json");
    expect(config.arch).toBe("conv4k5p2,avgpool2,fc10");
    for (const row of rows) {
      expect(row.options).toMatchObject({ arch: "conv4k5p2,avgpool2,fc10", inputShape: [1, 28, 28], layers: [784, 784, 10] });
    }
    expect(rows[2].options.activation).toBe("softlif");
  });

  it.each([
    [{ layers: [784, 10] }, /t\.json: arch: give layers or arch, not both/],
    [{ arch: "conv4k9,fc10", dataset: "mnist" }, null],
    [{ arch: "conv4x5,fc10" }, /t\.json: arch: layer 1 "conv4x5": expected conv<C>k<K>\[s<S>\]\[p<P>\], avgpool<K>, maxpool<K> or fc<N>/],
    [{ arch: "conv4k5,avgpool5,fc10" }, /layer 2 "avgpool5": its input 4×24×24 does not divide into 5×5 windows/],
    [{ arch: "conv4k29,fc10" }, /layer 1 "conv4k29": the 29×29 kernel is larger than its input 1×28×28 with padding 0/],
    [{ arch: "fc10,conv4k3" }, /the last layer is the output and must be fc<classes>, got "conv4k3"/],
    [{ arch: "conv4k3,maxpool2,fc10" }, /t\.json: arch \(as rows\[2\] \(snn\) uses it\): layer 2 "maxpool2": max pooling has no spiking counterpart; use avgpool2/],
    // CIFAR-10 is normalised per channel: its spiking rows cannot take Poisson input (the default).
    [{ dataset: "cifar10", arch: "conv4k5p2,avgpool2,fc10" }, /t\.json: spiking\.encoding \(as rows\[2\] \(snn\) uses it\): cifar10 inputs are normalised per channel .*; use spiking\.encoding current instead$/],
    [{ dataset: "cifar10", arch: "conv4k5p2,avgpool2,fc10", spiking: { encoding: "current" } }, null],
    [{ dataset: "cifar10", arch: "conv4k5p2,avgpool2,fc10", rows: base.rows.slice(0, 2) }, null],
  ])("%j", (change, error) => {
    const config = { ...base, ...change };
    if (error === null) expect(() => resolveExperiment(config, "t.json")).not.toThrow();
    else expect(() => resolveExperiment(config, "t.json")).toThrow(error);
  });

  it.each(["compare-conv.json", "compare-conv-fashion.json", "compare-cifar10.json"])("examples/%s resolves", (file) => {
    const raw = JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), "utf8"));
    const { rows } = resolveExperiment(raw, file);
    expect(rows.map((r) => r.name)).toEqual(["backprop", "pc-il", "pc-zil", "backprop-snn", "pc-snn", "backprop-fa", "pc-il-fa"]);
    expect(rows.every((r) => r.options.arch === "conv32k5p2,avgpool2,conv64k5p2,avgpool2,fc256,fc10")).toBe(true);
  });
});
