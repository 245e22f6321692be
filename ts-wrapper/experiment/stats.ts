// Summaries of a figure over seeds, for comparisons that state their uncertainty: the mean, the
// sample standard deviation, and the 95 % confidence interval of the mean from Student's t with
// n − 1 degrees of freedom — and the same for paired differences (row − reference, seed by seed),
// which cancel what a seed does to both rows alike.

/** A figure over seeds. ci95 is the 95 % interval of the mean ([mean, mean] for one value). */
export interface SeedSummary {
  mean: number;
  std: number;
  ci95: [number, number];
  values: number[];
}

/** Mean, sample standard deviation (n − 1) and the t interval of `values` (at least one, all finite). */
export function summarize(values: readonly number[]): SeedSummary {
  const n = values.length;
  if (n === 0) throw new RangeError("summarize: no values");
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`summarize: value ${bad} is ${values[bad]}`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, std: 0, ci95: [mean, mean], values: [...values] };
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = tQuantile975(n - 1) * (std / Math.sqrt(n));
  return { mean, std, ci95: [mean - half, mean + half], values: [...values] };
}

/** The summary of a[i] − b[i]: two figures measured with the same seeds. */
export function pairedDifference(a: readonly number[], b: readonly number[]): SeedSummary {
  if (a.length !== b.length) throw new RangeError(`pairedDifference: ${a.length} values against ${b.length}`);
  return summarize(a.map((v, i) => v - b[i]));
}

/**
 * P(|T| < t) for Student's t with ν degrees of freedom (an integer ≥ 1), from the finite series in
 * θ = atan(t/√ν) (Abramowitz & Stegun 26.7.3–4): for odd ν, (2/π)(θ + sin θ (cos θ + (2/3)cos³θ
 * + … + ((2·4…(ν−3))/(3·5…(ν−2)))cos^(ν−2)θ)); for even ν, sin θ (1 + (1/2)cos²θ + … +
 * ((1·3…(ν−3))/(2·4…(ν−2)))cos^(ν−2)θ).
 */
export function tCentralProbability(t: number, nu: number): number {
  if (!Number.isInteger(nu) || nu < 1) throw new RangeError(`tCentralProbability: degrees of freedom must be an integer ≥ 1, got ${nu}`);
  const theta = Math.atan(Math.abs(t) / Math.sqrt(nu));
  const c = Math.cos(theta), s = Math.sin(theta);
  if (nu % 2 === 1) {
    let term = c, sum = nu > 1 ? c : 0;
    for (let k = 3; k <= nu - 2; k += 2) {
      term *= ((k - 1) / k) * c * c;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * sum);
  }
  let term = 1, sum = 1;
  for (let k = 2; k <= nu - 2; k += 2) {
    term *= ((k - 1) / k) * c * c;
    sum += term;
  }
  return s * sum;
}

/** The 97.5 % quantile of Student's t with ν degrees of freedom: the half-width factor of a 95 % interval. */
export function tQuantile975(nu: number): number {
  // P(|T| < t) rises from 0 to 1 with t: bisection to the last bit.
  let lo = 0, hi = 1;
  while (tCentralProbability(hi, nu) < 0.95) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCentralProbability(mid, nu) < 0.95) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
