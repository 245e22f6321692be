// lifRate (assembly/rates.ts) against eq. 33 of SCIENCE.md §2 in the thesis's own form,
// r(j) = 1/(t_ref − τ·log(1 − 1/j)), evaluated in float64 (helpers.ts, independent of the kernel's
// log1p form).
//
// Tolerance (u = 2^-24): float64 evaluation (relative error ~1e-15; the eq. 33 form loses ≤ 1e-10 to
// cancellation in 1 − 1/j for j ≤ 1e6) then one rounding to float32 (≤ u): we allow 2u·|r| + 2^-126.

import { lifRate } from "../../assembly/rates";
import { U, MIN_NORMAL, allocF32, expectClose, expectGuard, free, getD, getF, getBits, setF, lifRateRef } from "./helpers";

// Thesis defaults and Hunsberger's MNIST setting.
const TAU_THESIS: f32 = 0.02, TREF_THESIS: f32 = 0.004;
const TAU_MNIST: f32 = 0.022, TREF_MNIST: f32 = 0.002;

function rateTol(r: f64): f64 {
  return 2 * U * Math.abs(r) + MIN_NORMAL;
}

const SPOT_J: f32[] = [-100, -1, 0, 0.5, 1, 1.0000001, 1.001, 1.05, 1.5, 2, 3, 5, 10, 20, 100, 1e3, 1e6];

describe("lifRate", () => {
  it("equals eq. 33 at spot values, 0 at and below threshold (13 and 17 elements, guard intact)", () => {
    const sizes: i32[] = [13, 17];
    for (let q = 0; q < sizes.length; q++) {
      const n = sizes[q];
      const J = allocF32(n), O = allocF32(n);
      for (let i = 0; i < n; i++) setF(J, i, SPOT_J[i]);
      const cases: f32[] = [TAU_THESIS, TREF_THESIS, TAU_MNIST, TREF_MNIST];
      for (let c = 0; c < 4; c += 2) {
        lifRate(n, cases[c], cases[c + 1], J, O);
        for (let i = 0; i < n; i++) {
          const r = lifRateRef(getD(J, i), <f64>cases[c], <f64>cases[c + 1]);
          if (getD(J, i) <= 1) expect<u32>(getBits(O, i)).toBe(0, "j ≤ 1 gives +0");
          else expectClose(getD(O, i), r, rateTol(r), "lifRate", i);
        }
      }
      expectGuard(O, n << 2, "lifRate");
      free(J); free(O);
    }
  });

  it("j = 2 at the thesis defaults is 1/(0.004 + 0.02·ln 2) ≈ 55.98 Hz", () => {
    const J = allocF32(1), O = allocF32(1);
    setF(J, 0, 2);
    lifRate(1, 0.02, 0.004, J, O);
    const r = 1 / (0.004 + 0.02 * Math.LN2);
    expect<bool>(r > 55.98 && r < 55.99).toBe(true, "oracle");
    expectClose(getD(O, 0), r, rateTol(r), "lifRate(2)");
    free(J); free(O);
  });

  it("is finite and non-negative at extreme currents, and saturates at 1/t_ref", () => {
    const js: f32[] = [-3.0e38, -1, 1, 1.0000001, 1e6, 3.0e38];
    const n = js.length;
    const J = allocF32(n), O = allocF32(n);
    for (let i = 0; i < n; i++) setF(J, i, js[i]);
    lifRate(n, TAU_THESIS, TREF_THESIS, J, O);
    for (let i = 0; i < n; i++) {
      expect<bool>(isFinite(getF(O, i)) && getF(O, i) >= 0).toBe(true, "rate at j=" + js[i].toString());
    }
    // At j = 3e38 the rate saturates at 1/t_ref = 250 Hz.
    expectClose(getD(O, 5), 250, rateTol(250), "saturation");
    expectGuard(O, n << 2, "lifRate");
    free(J); free(O);
  });
});
