// Seed summaries (ts-wrapper/experiment/stats.ts) against independent references: Student's t
// probabilities against a Simpson integration of the t density (its normalising constant from
// lgamma-free closed forms: Γ ratios by the product formula), the 97.5 % quantiles against the
// published table (to its 3 decimals), and the summaries against hand-computed values.

import { describe, expect, it } from "vitest";
import { pairedDifference, summarize, tCentralProbability, tQuantile975 } from "../../ts-wrapper/experiment/stats.js";

/** Γ((ν+1)/2) / Γ(ν/2) for integer ν, by Γ(x + 1) = xΓ(x) from Γ(1) = 1 and Γ(1/2) = √π. */
function gammaRatio(nu: number): number {
  const gamma = (x2: number): number => { // Γ(x2 / 2)
    if (x2 === 2) return 1;
    if (x2 === 1) return Math.sqrt(Math.PI);
    return (x2 / 2 - 1) * gamma(x2 - 2);
  };
  return gamma(nu + 1) / gamma(nu);
}

/** P(|T| < t) by Simpson's rule on the density over [−t, t]. */
function simpson(t: number, nu: number): number {
  const c = gammaRatio(nu) / Math.sqrt(nu * Math.PI);
  const f = (x: number) => c * (1 + (x * x) / nu) ** (-(nu + 1) / 2);
  const n = 20000;
  const h = (2 * t) / n;
  let s = f(-t) + f(t);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(-t + i * h);
  return (s * h) / 3;
}

describe("Student's t", () => {
  it.each([1, 2, 3, 4, 5, 7, 10, 29])("P(|T| < t), ν = %i, matches the integrated density", (nu) => {
    for (const t of [0.1, 0.7, 1.5, 2.5, 4]) expect(Math.abs(tCentralProbability(t, nu) - simpson(t, nu))).toBeLessThan(1e-9);
  });

  it.each([
    [1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [9, 2.262], [10, 2.228], [20, 2.086], [30, 2.042],
  ])("the 97.5 %% quantile for ν = %i is the table's %f", (nu, table) => {
    expect(Math.abs(tQuantile975(nu) - table)).toBeLessThan(5e-4);
  });

  it("refuses degrees of freedom that are not a positive integer", () => {
    expect(() => tCentralProbability(1, 0)).toThrow(/degrees of freedom/);
    expect(() => tCentralProbability(1, 2.5)).toThrow(/degrees of freedom/);
  });
});

describe("seed summaries", () => {
  it("mean, sample standard deviation and the t interval of 1 … 5", () => {
    const s = summarize([1, 2, 3, 4, 5]);
    expect(s.mean).toBe(3);
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12);
    // t(0.975, 4) · s/√5 with s = √2.5: 2.7764451 · 0.7071068 = 1.9632.
    expect(s.ci95[0]).toBeCloseTo(3 - 1.96324, 4);
    expect(s.ci95[1]).toBeCloseTo(3 + 1.96324, 4);
    expect(s.values).toEqual([1, 2, 3, 4, 5]);
  });

  it("one value: no spread, the interval is the value", () => {
    expect(summarize([0.97])).toEqual({ mean: 0.97, std: 0, ci95: [0.97, 0.97], values: [0.97] });
  });

  it("paired differences cancel what the seeds share", () => {
    const d = pairedDifference([0.981, 0.975, 0.979], [0.980, 0.974, 0.978]);
    expect(d.mean).toBeCloseTo(0.001, 12);
    expect(d.std).toBeLessThan(1e-12);
  });

  it("refuses no values, non-finite values and unpaired lists, naming the problem", () => {
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([1, NaN])).toThrow(/value 1 is NaN/);
    expect(() => pairedDifference([1, 2], [1])).toThrow(/2 values against 1/);
  });
});
