// The spiking network's per-step kernels (assembly/snn.ts) and the batched Poisson encoder
// (poissonSpikesRows, assembly/encode.ts) against independent references written here.
//
// propagateSpikes(B, nIn, nOut, s, wT, out, scratch): out[b, :] = Σ_{i: s[b,i] ≠ 0} s[b, i]·wT[i, :].
//   (scratch: room for nIn event indices; every call here gets exactly that, with a guard zone after.)
//   - float64 oracle: the exact sum. The kernel forms each product in float32 (one rounding) and adds
//     the m spiking inputs' terms one after another, so by the standard bound for recursive summation
//     |out − exact| ≤ γ_m·Σ_i |s_i·w_ij| with γ_m = mU/(1 − mU) (U = 2^-24; m − 1 additions and the
//     product's rounding give m rounding factors on every term). We allow exactly that (plus 2^-126
//     for the tiny values that could be subnormal).
//   - float32 oracle: the same sum as a scalar loop over i = 0, 1, … in index order, each step
//     acc = fl(acc + fl(s·w)) from acc = 0. The kernel's documented order is this one ("each output
//     sums its events in index order from 0, whatever the blocking"), so it must agree bit for bit in
//     every column — in blocks of 16 outputs, of 4, and single ones alike. A constructed case where
//     another order gives a different float32 result (2^24 + 1 + 1 − 2^24 → 0 in order, 2 reversed)
//     makes the order observable.
//   - the result, the synaptic operations: nOut for every (b, i) with s ≠ 0 (−0 == 0 in IEEE
//     arithmetic, so −0 is no spike).
//   - rows without spikes are exactly +0, whatever `out` held before.
// neuronCurrent(B, n, y, bias, gain, out): out = gain·(y + bias[j]) with two roundings:
//   |out − exact| ≤ 2U·(|gain·(y + bias)| + |gain|·|y + bias|·U) ≈ 2U|exact| (+ 2^-126); and bitwise
//   equal to the float32 expression gain·(y + bias) (same two operations, lane-independent).
// recordSpikes(n, tEnd, dt, tRef, spikes, refractory, counts, first): exact bookkeeping, checked bit
//   for bit against the float32 expressions of its contract; and, with lifStep, the first spike time
//   of a neuron at constant current j started at v = 0 equals the closed form τ·ln(j/(j − 1)).
// poissonSpikesRows(g, B, n, x, …): row b bit for bit the same as that row alone (B = 1, checked
//   against an independent PCG32 in encode.spec.ts) with the generator at g + 16·b, and the
//   generators end in the same states.

import { propagateSpikes, neuronCurrent, recordSpikes } from "../../assembly/snn";
import { poissonSpikesRows } from "../../assembly/encode";
import { lifStep } from "../../assembly/lif";
import { rngSeed } from "../../assembly/rng";
import {
  U, MIN_NORMAL, GUARD, allocBytes, allocF32, expectAllBits, expectClose, expectGuard, expectSameBits, free, getF, getD,
  getBits, setF, seedData, dataF32, dataIndex,
} from "./helpers";

// ---- propagateSpikes ---------------------------------------------------------------------------

/**
 * propagateSpikes with its scratch (room for nIn event indices, as documented) in a guarded block:
 * the kernel must not write past nIn entries.
 */
function propagate(B: i32, nIn: i32, nOut: i32, s: usize, wT: usize, out: usize): f64 {
  const scratch = allocBytes(nIn << 2);
  const operations = propagateSpikes(B, nIn, nOut, s, wT, out, scratch);
  expectGuard(scratch, nIn << 2, "propagateSpikes scratch (nIn = " + nIn.toString() + ")");
  free(scratch);
  return operations;
}

/**
 * Fill B×nIn spikes: each input spikes with probability ~1/3, with a value drawn from a mix of a
 * constant (amplitude/dt = 50) and arbitrary values of either sign; whole groups of four are left
 * silent now and then (the kernel skips those four at a time) and, in other groups, exactly one lane
 * spikes (each lane position in turn). −0 appears as a non-spike.
 */
function fillSpikes(s: usize, B: i32, nIn: i32): void {
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < nIn; i++) {
      const group = i >> 2;
      let v: f32 = 0;
      const kind = (b * 7 + group * 3) % 5;
      if (kind == 0) {
        v = 0; // a silent group of four
      } else if (kind == 1) {
        v = (i & 3) == ((b + group) & 3) ? dataF32(-3, 3) : <f32>0; // one lane of the group
      } else {
        const r = dataIndex(6);
        if (r == 0) v = 50;
        else if (r == 1) v = dataF32(-2, 4);
        else if (r == 2) v = -0.0;
        else v = 0;
      }
      setF(s, b * nIn + i, v);
    }
  }
}

/** Scalar float32 reference, inputs added in index order: acc = fl(acc + fl(s·w)). */
function propagateRef32(b: i32, nIn: i32, nOut: i32, s: usize, wT: usize, j: i32): f32 {
  let acc: f32 = 0;
  for (let i = 0; i < nIn; i++) {
    const v = getF(s, b * nIn + i);
    if (v != 0) {
      const p: f32 = v * getF(wT, i * nOut + j);
      acc = acc + p;
    }
  }
  return acc;
}

function checkPropagate(B: i32, nIn: i32, nOut: i32, seed: u64): void {
  const name = "propagateSpikes B=" + B.toString() + " nIn=" + nIn.toString() + " nOut=" + nOut.toString();
  seedData(seed);
  const s = allocF32(B * nIn);
  const wT = allocF32(nIn * nOut);
  const out = allocF32(B * nOut); // GUARD (NaN) filled: unwritten outputs show
  fillSpikes(s, B, nIn);
  for (let k = 0; k < nIn * nOut; k++) setF(wT, k, dataF32(-1, 1));
  let expectedEvents = 0;
  for (let k = 0; k < B * nIn; k++) if (getF(s, k) != 0) expectedEvents++;
  const operations = propagate(B, nIn, nOut, s, wT, out);
  expect<f64>(operations).toBe(<f64>(expectedEvents * nOut), name + ": synaptic operations = nonzero spikes × nOut");
  let bitMismatch = 0;
  for (let b = 0; b < B; b++) {
    let m = 0;
    for (let i = 0; i < nIn; i++) if (getF(s, b * nIn + i) != 0) m++;
    const gammaM = <f64>m * U / (1 - <f64>m * U);
    for (let j = 0; j < nOut; j++) {
      let exact: f64 = 0;
      let absSum: f64 = 0;
      for (let i = 0; i < nIn; i++) {
        const v = getD(s, b * nIn + i);
        if (v != 0) {
          const t = v * getD(wT, i * nOut + j);
          exact += t;
          absSum += Math.abs(t);
        }
      }
      const actual = getF(out, b * nOut + j);
      if (m == 0) {
        // No spike in this row: +0 exactly (the buffer held NaN before).
        if (!expectSameBits(actual, 0, name + " silent row " + b.toString(), j)) return;
        continue;
      }
      if (!expectClose(<f64>actual, exact, gammaM * absSum + MIN_NORMAL, name + " row " + b.toString() + " vs float64", j)) return;
      if (reinterpret<u32>(actual) != reinterpret<u32>(propagateRef32(b, nIn, nOut, s, wT, j))) bitMismatch++;
    }
  }
  expect<i32>(bitMismatch).toBe(0, name + ": outputs differing from the in-order float32 scalar sum");
  expectGuard(out, (B * nOut) << 2, name + " out");
  free(s); free(wT); free(out);
}

describe("propagateSpikes", () => {
  it("equals the dense product Σ_i s_i·wT[i, :] (float64, within γ_m·Σ|s·w|) and the in-order float32 sum bit for bit; nIn, nOut not multiples of 4 or 16", () => {
    const shapes: i32[][] = [
      [1, 1, 1], [1, 3, 5], [1, 4, 4], [2, 5, 7], [3, 13, 9], [4, 8, 3], [5, 17, 6], [2, 33, 11], [7, 20, 13], [1, 64, 1],
      // nOut ≥ 16: blocks of 16 outputs, then of 4, then single ones.
      [2, 9, 16], [3, 21, 37], [1, 5, 33], [4, 40, 22], [2, 3, 64],
    ];
    for (let k = 0; k < shapes.length; k++) checkPropagate(shapes[k][0], shapes[k][1], shapes[k][2], <u64>(1000 + k));
  });

  it("returns the count of nonzero spikes over all rows, arbitrary values of both signs; −0 is not a spike", () => {
    const B = 3;
    const nIn = 9;
    const nOut = 5;
    const s = allocF32(B * nIn);
    const wT = allocF32(nIn * nOut);
    const out = allocF32(B * nOut);
    for (let k = 0; k < nIn * nOut; k++) setF(wT, k, <f32>(k % 7) - 3);
    // Row 0: three spikes of different values (two in the first SIMD group, one in the tail).
    // Row 1: only −0 and +0. Row 2: every input spikes, values 1, −2, 3, −4, ….
    for (let i = 0; i < nIn; i++) {
      setF(s, i, i == 1 ? <f32>0.5 : i == 3 ? <f32>-7.25 : i == 8 ? <f32>1e-3 : <f32>0);
      setF(s, nIn + i, (i & 1) ? <f32>-0.0 : <f32>0);
      setF(s, 2 * nIn + i, (i & 1) ? <f32>-(i + 1) : <f32>(i + 1));
    }
    expect<f64>(propagate(B, nIn, nOut, s, wT, out)).toBe(<f64>((3 + 0 + 9) * nOut));
    for (let j = 0; j < nOut; j++) {
      // Row 0 in float64: w are integers in [−3, 3], so 0.5·w, −7.25·w and their sum are exact in
      // float32; only fl(1e-3·w) (≤ U·0.003) and the last addition (≤ U·24, |partial sums| ≤ 23.25)
      // round: tolerance 2U·24.
      const e0 = 0.5 * getD(wT, 1 * nOut + j) - 7.25 * getD(wT, 3 * nOut + j) + <f64><f32>1e-3 * getD(wT, 8 * nOut + j);
      expectClose(getD(out, j), e0, 2 * U * 24, "row 0", j);
      expectSameBits(getF(out, nOut + j), 0, "row 1 (only ±0 spikes)", j);
      let e2: f64 = 0;
      for (let i = 0; i < nIn; i++) e2 += getD(s, 2 * nIn + i) * getD(wT, i * nOut + j);
      // Integers throughout: exact.
      expect<f64>(getD(out, 2 * nOut + j)).toBe(e2, "row 2 (all spike, integer values)");
    }
    free(s); free(wT); free(out);
  });

  it("sums in index order: 2^24, 1, 1, −2^24 gives 0 in order (2 in reverse), across SIMD groups and the tail", () => {
    // Inputs 0 (first group), 5 (second group), 8 (tail of nIn = 10 after two groups) and 9 carry
    // 2^24, 1, 1 and −2^24 in every column: fl(fl(fl(2^24 + 1) + 1) − 2^24) = 0 (each +1 rounds
    // back to 2^24, ties to even), while reversed order gives exactly 2 and pairwise gives 2.
    const nIn = 10;
    const nOut = 22; // one block of 16 outputs, one of 4, two single
    const B = 2;
    const s = allocF32(B * nIn);
    const wT = allocF32(nIn * nOut);
    const out = allocF32(B * nOut);
    for (let i = 0; i < nIn; i++) {
      const w: f32 = i == 0 ? 16777216 : i == 5 || i == 8 ? 1 : i == 9 ? -16777216 : 1000; // 1000: never spikes
      for (let j = 0; j < nOut; j++) setF(wT, i * nOut + j, w);
      const spikes = i == 0 || i == 5 || i == 8 || i == 9;
      setF(s, i, spikes ? <f32>1 : <f32>0);
      // Row 1: spike values −1 on inputs 0 and 9 flip the big terms to −2^24, 1, 1, +2^24: in order
      // −16777215, −16777214 (both exact), then 2; in reverse order 0.
      setF(s, nIn + i, i == 0 || i == 9 ? <f32>-1 : spikes ? <f32>1 : <f32>0);
    }
    expect<f64>(propagate(B, nIn, nOut, s, wT, out)).toBe(<f64>(8 * nOut));
    for (let j = 0; j < nOut; j++) {
      expectSameBits(getF(out, j), 0, "row 0: in-order float32 sum", j);
      expectSameBits(getF(out, nOut + j), 2, "row 1: in-order float32 sum", j);
    }
    free(s); free(wT); free(out);
  });

  it("zeroes rows with no spikes whatever out held, and B = 0 / nIn = 0 / nOut = 0 behave", () => {
    // B = 0: nothing written, no synaptic operations.
    const s = allocF32(8);
    const wT = allocF32(8 * 5);
    const out = allocF32(16);
    for (let k = 0; k < 8; k++) setF(s, k, 1);
    for (let k = 0; k < 40; k++) setF(wT, k, 1);
    expect<f64>(propagate(0, 8, 5, s, wT, out)).toBe(0, "B = 0: no synaptic operations");
    expectAllBits(out, 16, GUARD, "out for B = 0");
    // nIn = 0: every row is an empty sum, +0.
    expect<f64>(propagate(3, 0, 5, s, wT, out)).toBe(0, "nIn = 0: no synaptic operations");
    for (let k = 0; k < 15; k++) expectSameBits(getF(out, k), 0, "nIn = 0 out", k);
    expect<u32>(getBits(out, 15)).toBe(GUARD, "nIn = 0: wrote past B·nOut");
    // nOut = 0: the spikes reach nothing, nothing is written.
    const out2 = allocF32(4);
    expect<f64>(propagate(2, 4, 0, s, wT, out2)).toBe(0, "nOut = 0: no synaptic operations");
    expectAllBits(out2, 4, GUARD, "out for nOut = 0");
    // Stale values (finite, not just NaN) in a silent row are cleared.
    const B = 3;
    const nIn = 6;
    const nOut = 7;
    const s3 = allocF32(B * nIn);
    const w3 = allocF32(nIn * nOut);
    const o3 = allocF32(B * nOut);
    for (let k = 0; k < nIn * nOut; k++) setF(w3, k, 0.25);
    for (let k = 0; k < B * nIn; k++) setF(s3, k, 0);
    setF(s3, nIn + 2, 4); // only row 1 spikes
    for (let k = 0; k < B * nOut; k++) setF(o3, k, 123.5);
    expect<f64>(propagate(B, nIn, nOut, s3, w3, o3)).toBe(<f64>nOut);
    for (let j = 0; j < nOut; j++) {
      expectSameBits(getF(o3, j), 0, "row 0", j);
      expectSameBits(getF(o3, nOut + j), 1, "row 1 = 4·0.25", j);
      expectSameBits(getF(o3, 2 * nOut + j), 0, "row 2", j);
    }
    expectGuard(o3, (B * nOut) << 2, "out");
    free(s); free(wT); free(out); free(out2); free(s3); free(w3); free(o3);
  });
});

// ---- neuronCurrent -----------------------------------------------------------------------------

describe("neuronCurrent", () => {
  it("out[b, j] = gain·(y[b, j] + bias[j]) within two roundings and bitwise equal to the float32 expression; B = 0, 1, 3; n = 1, 3, 4, 5, 7, 13", () => {
    const Bs: i32[] = [0, 1, 3];
    const ns: i32[] = [1, 3, 4, 5, 7, 13];
    const gains: f32[] = [1, 0.825, -1.5];
    for (let a = 0; a < Bs.length; a++) {
      for (let c = 0; c < ns.length; c++) {
        const B = Bs[a];
        const n = ns[c];
        seedData(<u64>(B * 100 + n));
        const y = allocF32(B * n);
        const bias = allocF32(n);
        const out = allocF32(B * n);
        for (let k = 0; k < B * n; k++) setF(y, k, dataF32(-20, 20));
        for (let j = 0; j < n; j++) setF(bias, j, dataF32(-2, 2));
        for (let g = 0; g < gains.length; g++) {
          const gain = gains[g];
          const name = "B=" + B.toString() + " n=" + n.toString() + " gain=" + gain.toString();
          neuronCurrent(B, n, y, bias, gain, out);
          for (let b = 0; b < B; b++) {
            for (let j = 0; j < n; j++) {
              const k = b * n + j;
              const exact = <f64>gain * (getD(y, k) + getD(bias, j));
              if (!expectClose(getD(out, k), exact, 2 * U * Math.abs(exact) * (1 + U) + MIN_NORMAL, name, k)) return;
              const sum: f32 = getF(y, k) + getF(bias, j);
              const ref: f32 = gain * sum;
              if (!expectSameBits(getF(out, k), ref, name + " vs float32 gain·(y + bias)", k)) return;
            }
          }
          if (B == 0) expectAllBits(out, 4, GUARD, name + ": out for B = 0");
          expectGuard(out, (B * n) << 2, name + " out");
        }
        free(y); free(bias); free(out);
      }
    }
  });

  it("works in place (out = y) with the same bits as out-of-place", () => {
    const B = 3;
    const n = 7;
    seedData(77);
    const y = allocF32(B * n);
    const bias = allocF32(n);
    const out = allocF32(B * n);
    for (let k = 0; k < B * n; k++) setF(y, k, dataF32(-5, 5));
    for (let j = 0; j < n; j++) setF(bias, j, dataF32(-1, 1));
    neuronCurrent(B, n, y, bias, 0.825, out);
    neuronCurrent(B, n, y, bias, 0.825, y);
    for (let k = 0; k < B * n; k++) expectSameBits(getF(y, k), getF(out, k), "in place", k);
    expectGuard(y, (B * n) << 2, "y");
    free(y); free(bias); free(out);
  });
});

// ---- recordSpikes ------------------------------------------------------------------------------

describe("recordSpikes", () => {
  it("counts += 1 only where spikes ≠ 0; first set only where it was +Inf, to tEnd − min(tRef − refractory, dt); n = 0, 1, 5, 7, 13", () => {
    const ns: i32[] = [0, 1, 5, 7, 13];
    const tEnd: f32 = 0.137;
    const dt: f32 = 0.001;
    const tRef: f32 = 0.004;
    for (let c = 0; c < ns.length; c++) {
      const n = ns[c];
      const name = "n=" + n.toString();
      seedData(<u64>(300 + n));
      const spikes = allocF32(n);
      const refr = allocF32(n);
      const counts = allocF32(n);
      const first = allocF32(n);
      const counts0 = new Array<f32>(n);
      const first0 = new Array<f32>(n);
      for (let i = 0; i < n; i++) {
        // Spike values: 0, −0, amplitude/dt, and an arbitrary other nonzero value.
        const kind = i % 4;
        setF(spikes, i, kind == 0 ? <f32>0 : kind == 1 ? <f32>-0.0 : kind == 2 ? <f32>50 : dataF32(-3, -0.5));
        // Refractory left: within the last step (crossing inside it), 0 (crossing clamped to the
        // step start), and anything in between.
        const r = i % 3;
        setF(refr, i, r == 0 ? tRef - dataF32(0, <f64>dt) : r == 1 ? <f32>0 : dataF32(0, <f64>tRef));
        counts0[i] = <f32>(i % 3);
        first0[i] = (i % 2 == 0) ? <f32>Infinity : <f32>(0.05 + 0.001 * <f32>i);
        setF(counts, i, counts0[i]);
        setF(first, i, first0[i]);
      }
      recordSpikes(n, tEnd, dt, tRef, spikes, refr, counts, first);
      for (let i = 0; i < n; i++) {
        const fired = getF(spikes, i) != 0;
        expectSameBits(getF(counts, i), fired ? counts0[i] + 1 : counts0[i], name + " counts", i);
        let expected = first0[i];
        if (fired && first0[i] == Infinity) {
          const since: f32 = min<f32>(tRef - getF(refr, i), dt);
          expected = tEnd - since;
          // The spike time lies within the step that just ended, up to the rounding of tEnd − since
          // (half an ulp at 0.137, 7.5e-9 s).
          const t = <f64>expected;
          expect<bool>(t >= <f64>tEnd - <f64>dt - 1e-8 && t <= <f64>tEnd + 1e-8).toBe(true, name + ": first spike outside the step, i " + i.toString());
        }
        expectSameBits(getF(first, i), expected, name + " first", i);
        // Refractory and spikes are inputs only.
      }
      expectGuard(counts, n << 2, name + " counts");
      expectGuard(first, n << 2, name + " first");
      if (n == 0) {
        expectAllBits(counts, 4, GUARD, "counts for n = 0");
      }
      free(spikes); free(refr); free(counts); free(first);
    }
  });

  it("refractory 0 left after a spike (period shorter than the remaining step) puts the spike at the step start, tEnd − dt", () => {
    const spikes = allocF32(1);
    const refr = allocF32(1);
    const counts = allocF32(1);
    const first = allocF32(1);
    setF(spikes, 0, 20);
    setF(refr, 0, 0);
    setF(counts, 0, 0);
    setF(first, 0, Infinity);
    recordSpikes(1, 0.25, 0.001, 0.004, spikes, refr, counts, first);
    const expected: f32 = <f32>0.25 - <f32>0.001;
    expectSameBits(getF(first, 0), expected, "first");
    expectSameBits(getF(counts, 0), 1, "counts");
    free(spikes); free(refr); free(counts); free(first);
  });

  it("with lifStep: a neuron at constant current j from v = 0 records its first spike at τ·ln(j/(j − 1)) and counts ⌊r(t + t_ref)⌋ spikes", () => {
    // Closed forms (SCIENCE.md §2): v(t) = j(1 − e^{−t/τ}) reaches 1 at t1 = τ·ln(j/(j − 1)); with
    // interpolated crossings spike k happens at t1 + (k − 1)/r = k/r − t_ref (t1 = 1/r − t_ref), so after time t
    // the count is ⌊r(t + t_ref)⌋ (r = 1/(t_ref + τ·ln(1 + 1/(j − 1)))).
    // Tolerance on t1: lifStep interpolates the crossing from the float32 end-of-step voltage. Each
    // step adds ≤ 8U·j to the voltage's error (lif.spec.ts's one-step bound) and the error contracts
    // by e^{−dt/τ} per step, so it stays below δv = (τ/dt + 1)·8U·j; near the crossing v rises at
    // (j − 1)/τ, so the crossing moves by ≤ τ·δv/(j − 1) (4e-6 s at j = 1.05, 4e-7 s at j = 2), and
    // tEnd − since rounds at ≤ 1e-8 s. That is ≤ 1/250 of a step, while taking the step's end or start
    // instead of the crossing would be off by up to dt = 1 ms (0.5 ms on average).
    // Counts: the ideal r(T + t_ref) of these currents lies ≥ 0.07 from an integer (checked below at
    // 0.02), far more than the drift of ≤ 71 spike times by ≤ 1e-6 s each (≤ 0.01 spikes).
    const n = 5; // one SIMD group and a tail lane
    const js: f64[] = [1.05, 1.5, 2, 3.3, 7];
    const dt: f32 = 0.001;
    const tau: f32 = 0.02;
    const tRef: f32 = 0.004;
    const J = allocF32(n), V = allocF32(n), R = allocF32(n), S = allocF32(n), C = allocF32(n), F = allocF32(n);
    for (let i = 0; i < n; i++) {
      setF(J, i, <f32>js[i]);
      setF(V, i, 0); setF(R, i, 0); setF(C, i, 0); setF(F, i, Infinity);
    }
    const steps = 500;
    for (let step = 1; step <= steps; step++) {
      lifStep(n, dt, tau, tRef, J, V, R, S, 0.05, 0);
      recordSpikes(n, <f32>step * dt, dt, tRef, S, R, C, F);
    }
    const T = <f64>steps * <f64>dt;
    for (let i = 0; i < n; i++) {
      const j = getD(J, i);
      const t1 = <f64>tau * Math.log(j / (j - 1));
      const dv = (<f64>tau / <f64>dt + 1) * 8 * U * j;
      expectClose(getD(F, i), t1, <f64>tau * dv / (j - 1) + 1e-8, "first spike time, j = " + j.toString(), i);
      const r = 1 / (<f64>tRef + <f64>tau * Math.log1p(1 / (j - 1)));
      const ideal = r * (T + <f64>tRef);
      expect<bool>(Math.abs(ideal - Math.round(ideal)) > 0.02).toBe(true, "test design: a spike falls near T for j = " + j.toString());
      expect<f64>(getD(C, i)).toBe(Math.floor(ideal), "spike count after " + T.toString() + " s, j = " + j.toString());
    }
    free(J); free(V); free(R); free(S); free(C); free(F);
  });
});

// ---- poissonSpikesRows -------------------------------------------------------------------------

function newGens(count: i32, seed: u32): usize {
  const g = allocBytes(count * 16);
  for (let b = 0; b < count; b++) rngSeed(g + (<usize>b << 4), seed + <u32>b * 7, <u32>(0x10000 + b));
  return g;
}

describe("poissonSpikesRows", () => {
  it("row b equals the row alone (B = 1) with the generator at g + 16·b, bit for bit, for 200 steps; returns the total; B = 1, 2, 3, 5; n = 1, 5, 7", () => {
    const Bs: i32[] = [1, 2, 3, 5];
    const ns: i32[] = [1, 5, 7];
    const dt: f32 = 0.001;
    const period: f32 = 0.004;
    const amplitude: f32 = 0.004;
    for (let a = 0; a < Bs.length; a++) {
      for (let c = 0; c < ns.length; c++) {
        const B = Bs[a];
        const n = ns[c];
        const name = "B=" + B.toString() + " n=" + n.toString();
        seedData(<u64>(B * 31 + n));
        const x = allocF32(B * n);
        // Rows differ (so a row reading another row's inputs shows), probabilities up to 0.25.
        for (let k = 0; k < B * n; k++) setF(x, k, dataF32(0, 1));
        // B + 1 generators: the extra one after the last row must stay untouched.
        const gRows = newGens(B + 1, 11);
        const gRef = newGens(B + 1, 11);
        const extra0 = load<u64>(gRows + (<usize>B << 4));
        const out = allocF32(B * n);
        const outRef = allocF32(n);
        let badBits = 0;
        let badCount = 0;
        let total = 0;
        for (let step = 0; step < 200; step++) {
          const count = poissonSpikesRows(gRows, B, n, x, dt, period, amplitude, out);
          let expectedCount = 0;
          for (let b = 0; b < B; b++) {
            expectedCount += poissonSpikesRows(gRef + (<usize>b << 4), 1, n, x + (<usize>(b * n) << 2), dt, period, amplitude, outRef);
            for (let i = 0; i < n; i++) if (getBits(out, b * n + i) != getBits(outRef, i)) badBits++;
          }
          if (count != expectedCount) badCount++;
          total += count;
        }
        expect<i32>(badBits).toBe(0, name + ": spikes differing from the rows run alone");
        expect<i32>(badCount).toBe(0, name + ": returned count ≠ sum of the rows' counts");
        // The test is not vacuous: about 200·B·n·mean(x)/4 spikes.
        expect<bool>(total > 0).toBe(true, name + ": no spikes at all");
        for (let b = 0; b < B; b++) {
          expect<u64>(load<u64>(gRows + (<usize>b << 4))).toBe(load<u64>(gRef + (<usize>b << 4)), name + ": generator " + b.toString() + " state");
          expect<u64>(load<u64>(gRows + (<usize>b << 4), 8)).toBe(load<u64>(gRef + (<usize>b << 4), 8), name + ": generator " + b.toString() + " increment");
        }
        expect<u64>(load<u64>(gRows + (<usize>B << 4))).toBe(extra0, name + ": the generator after the last row was used");
        expectGuard(out, (B * n) << 2, name + " out");
        free(x); free(gRows); free(gRef); free(out); free(outRef);
      }
    }
  });

  it("rows with the same inputs but different generators give different trains; the same generators the same", () => {
    const B = 2;
    const n = 7;
    const x = allocF32(B * n);
    for (let k = 0; k < B * n; k++) setF(x, k, 0.8);
    const g = newGens(B, 5);
    const out = allocF32(B * n);
    let differ = 0;
    for (let step = 0; step < 300; step++) {
      poissonSpikesRows(g, B, n, x, 0.001, 0.004, 1, out);
      for (let i = 0; i < n; i++) if (getF(out, i) != getF(out, n + i)) differ++;
    }
    // Independent rows with p = 0.2 differ at a position with probability 2p(1 − p) = 0.32:
    // ≈ 670 of 2100; far from 0.
    expect<bool>(differ > 300).toBe(true, "rows identical at " + (2100 - differ).toString() + " of 2100 positions");
    free(x); free(g); free(out);
  });

  it("B = 0 returns 0, draws nothing and writes nothing", () => {
    const x = allocF32(4);
    const out = allocF32(4);
    const g = newGens(1, 3);
    const s0 = load<u64>(g);
    expect<i32>(poissonSpikesRows(g, 0, 4, x, 0.001, 0.004, 1, out)).toBe(0);
    expect<u64>(load<u64>(g)).toBe(s0, "generator unchanged");
    expectAllBits(out, 4, GUARD, "out");
    free(x); free(out); free(g);
  });
});
