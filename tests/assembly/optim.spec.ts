// sgdStep and adamStep against float64 scalar references of PyTorch's update rules, written from
// the algorithm boxes of the torch.optim.SGD and torch.optim.Adam documentation:
//
//   SGD (dampening τ = 0):  g ← ∇ + λθ;  if μ ≠ 0: b ← (t = 1 ? g : μ·b + g);
//                           g ← nesterov ? g + μ·b : b;   θ ← θ − γ·g
//   Adam (amsgrad off):     g ← ∇ + λθ;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//                           m̂ ← m/(1 − β1^t);  v̂ ← v/(1 − β2^t);  θ ← θ − γ·m̂/(sqrt(v̂) + ε)
//
// The hyperparameters are float32 arguments, so the reference uses exactly those float32 values
// (e.g. β1 = 0.9f = 0.89999997615…) in float64 arithmetic.
//
// Each step is checked from the kernel's own float32 state before the step (so tolerances do not
// compound over steps, while the step counter, bias corrections and the momentum/moment buffers
// carry over), over 5–10 steps with fresh gradients. Tolerances are first-order float32 bounds
// (u = 2^-24) relative to the magnitudes of the terms, because sums like μ·b + g can cancel:
//   D = |∇| + λ|θ|                         (d's error ≤ 2u·D)
//   SGD: Bmag = μ|b| + D, Smag = nesterov ? D + μ·Bmag : Bmag
//        |b' − b̂'| ≤ 4u·Bmag,  |θ' − θ̂'| ≤ u·|θ'| + 6u·γ·Smag
//   Adam: the decayed gradient d = ∇ + λθ is taken as the float32 tensor PyTorch also
//        materialises (rounded once per operation, exactly as a float32 implementation must),
//        because v and the denominator are nonlinear in d and λθ may cancel ∇; then, in float64,
//        Mmag = β1|m| + (1 − β1)·|d|, v' = β2·v + (1 − β2)·d² (no cancellation)
//        |m' − m̂'| ≤ 5u·Mmag,  |v' − v̂'| ≤ 8u·v' + 2^-149 (subnormal floor for d ~ 1e-9),
//        |θ' − θ̂'| ≤ u·|θ'| + 20u·(γ/c1)·Mmag/(sqrt(v'/c2) + ε)
//   (the 20u collects: 5u·Mmag in m', 2u in γ/c1, ≤ 9u in the denominator via sqrt of v' and the
//   float32 sqrt(c2), and 2 roundings of the product and quotient, with headroom).

import { sgdStep, adamStep } from "../../assembly/optim";
import { U, SUBNORMAL_STEP, GUARD, allocF32, expectAllBits, expectClose, free, getD, getF, getBits, setF, seedData, fillData, copyF32,
  dataF32 } from "./helpers";

const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 13, 101];

function checkSgd(n: i32, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32, steps: i32): void {
  const name = "sgdStep(n=" + n.toString() + ", lr=" + lr.toString() + ", μ=" + momentum.toString() + ", λ=" +
    weightDecay.toString() + ", nesterov=" + nesterov.toString() + ")";
  seedData(<u64>(n * 7 + <i32>(momentum * 10) + nesterov * 3 + <i32>(weightDecay * 100)));
  const p = allocF32(n + 1), g = allocF32(n + 1), v = allocF32(n + 1), p0 = allocF32(n + 1), v0 = allocF32(n + 1);
  fillData(p, n, -2, 2);
  if (momentum != 0) fillData(v, n, 0, 0); // PyTorch's buffer does not exist before step 1; the kernel starts at 0.
  const mu = <f64>momentum, wd = <f64>weightDecay, lr64 = <f64>lr;
  for (let t = 1; t <= steps; t++) {
    fillData(g, n, -1, 1);
    copyF32(p, p0, n);
    copyF32(v, v0, n);
    sgdStep(n, p, g, v, lr, momentum, weightDecay, nesterov);
    for (let i = 0; i < n; i++) {
      const w = getD(p0, i), grad = getD(g, i);
      const d = grad + wd * w;
      const D = Math.abs(grad) + wd * Math.abs(w);
      let step = d, smag = D;
      if (momentum != 0) {
        const b = t == 1 ? d : mu * getD(v0, i) + d;
        const bmag = t == 1 ? D : mu * Math.abs(getD(v0, i)) + D;
        if (!expectClose(getD(v, i), b, 4 * U * bmag, name + " step " + t.toString() + " buffer", i)) return;
        step = nesterov ? d + mu * b : b;
        smag = nesterov ? D + mu * bmag : bmag;
      }
      const ref = w - lr64 * step;
      if (!expectClose(getD(p, i), ref, U * Math.abs(ref) + 6 * U * lr64 * smag, name + " step " + t.toString() + " param", i)) return;
    }
  }
  if (momentum == 0) expectAllBits(v, n + 1, GUARD, name + ": v must be unused when μ = 0");
  expectAllBits(p + (<usize>n << 2), 1, GUARD, name + ": past n");
  expectAllBits(v + (<usize>n << 2), 1, GUARD, name + ": buffer past n");
  free(p); free(g); free(v); free(p0); free(v0);
}

describe("sgdStep", () => {
  it("plain SGD: θ ← θ − γ∇", () => {
    for (let s = 0; s < SIZES.length; s++) checkSgd(SIZES[s], 0.1, 0, 0, 0, 5);
  });
  it("weight decay: ∇ + λθ", () => {
    for (let s = 0; s < SIZES.length; s++) checkSgd(SIZES[s], 0.05, 0, 0.01, 0, 5);
  });
  it("momentum (first step b = g, then b ← μb + g)", () => {
    for (let s = 0; s < SIZES.length; s++) checkSgd(SIZES[s], 0.1, 0.9, 0, 0, 6);
  });
  it("nesterov (step g + μb)", () => {
    for (let s = 0; s < SIZES.length; s++) checkSgd(SIZES[s], 0.1, 0.9, 0, 1, 6);
  });
  it("momentum + nesterov + weight decay", () => {
    for (let s = 0; s < SIZES.length; s++) {
      checkSgd(SIZES[s], 0.01, 0.5, 0.1, 1, 6);
      checkSgd(SIZES[s], 0.01, 0.5, 0.1, 0, 6);
    }
  });
  it("closed form: θ = 1, ∇ = 0.5, γ = 0.5, μ = 0.5, nesterov, two steps", () => {
    const p = allocF32(1), g = allocF32(1), v = allocF32(1);
    setF(p, 0, 1); setF(g, 0, 0.5); setF(v, 0, 0);
    // Step 1: b = 0.5, step = 0.5 + 0.25 = 0.75, θ = 1 − 0.375 = 0.625.
    sgdStep(1, p, g, v, 0.5, 0.5, 0, 1);
    expect<f32>(getF(v, 0)).toBe(0.5);
    expect<f32>(getF(p, 0)).toBe(0.625);
    // Step 2: b = 0.25 + 0.5 = 0.75, step = 0.5 + 0.375 = 0.875, θ = 0.625 − 0.4375 = 0.1875.
    sgdStep(1, p, g, v, 0.5, 0.5, 0, 1);
    expect<f32>(getF(v, 0)).toBe(0.75);
    expect<f32>(getF(p, 0)).toBe(0.1875);
    free(p); free(g); free(v);
  });
  it("n = 0 touches nothing", () => {
    const p = allocF32(4), g = allocF32(4), v = allocF32(4);
    sgdStep(0, p, g, v, 0.1, 0.9, 0.1, 1);
    expectAllBits(p, 4, GUARD, "p");
    expectAllBits(v, 4, GUARD, "v");
    free(p); free(g); free(v);
  });
});

function checkAdam(n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, steps: i32): void {
  const name = "adamStep(n=" + n.toString() + ", lr=" + lr.toString() + ", β=(" + beta1.toString() + "," + beta2.toString() +
    "), ε=" + eps.toString() + ", λ=" + weightDecay.toString() + ")";
  seedData(<u64>(n * 11 + <i32>(weightDecay * 1000) + <i32>(lr * 1000)));
  const p = allocF32(n + 1), g = allocF32(n + 1), m = allocF32(n + 1), v = allocF32(n + 1);
  const p0 = allocF32(n + 1), m0 = allocF32(n + 1), v0 = allocF32(n + 1);
  fillData(p, n, -2, 2);
  fillData(m, n, 0, 0);
  fillData(v, n, 0, 0);
  const b1 = <f64>beta1, b2 = <f64>beta2, e = <f64>eps, lr64 = <f64>lr;
  for (let t = 1; t <= steps; t++) {
    // Gradients of varied scale, some tiny (ε matters) and some exactly 0.
    for (let i = 0; i < n; i++) {
      const r = dataScale(i);
      setF(g, i, <f32>(<f64>dataF32(-1, 1) * r));
    }
    copyF32(p, p0, n); copyF32(m, m0, n); copyF32(v, v0, n);
    adamStep(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, t);
    const c1 = 1 - Math.pow(b1, <f64>t), c2 = 1 - Math.pow(b2, <f64>t);
    for (let i = 0; i < n; i++) {
      const w = getD(p0, i);
      // The decayed gradient as the float32 tensor PyTorch materialises (∇ + λθ, rounded to
      // float32); everything after it in float64.
      const dF: f32 = getF(g, i) + weightDecay * getF(p0, i);
      const d = <f64>dF;
      const mi = b1 * getD(m0, i) + (1 - b1) * d;
      const vi = b2 * getD(v0, i) + (1 - b2) * d * d;
      const mmag = b1 * Math.abs(getD(m0, i)) + (1 - b1) * Math.abs(d);
      const what = name + " step " + t.toString();
      if (!expectClose(getD(m, i), mi, 5 * U * mmag, what + " m", i)) return;
      if (!expectClose(getD(v, i), vi, 8 * U * vi + SUBNORMAL_STEP, what + " v", i)) return;
      const mHat = mi / c1, vHat = vi / c2;
      const ref = w - lr64 * mHat / (Math.sqrt(vHat) + e);
      const tol = U * Math.abs(ref) + 20 * U * (lr64 / c1) * mmag / (Math.sqrt(vHat) + e);
      if (!expectClose(getD(p, i), ref, tol, what + " param", i)) return;
    }
  }
  expectAllBits(p + (<usize>n << 2), 1, GUARD, name + ": past n");
  expectAllBits(m + (<usize>n << 2), 1, GUARD, name + ": m past n");
  expectAllBits(v + (<usize>n << 2), 1, GUARD, name + ": v past n");
  free(p); free(g); free(m); free(v); free(p0); free(m0); free(v0);
}

function dataScale(i: i32): f64 {
  const k = i % 5;
  if (k == 0) return 1;
  if (k == 1) return 1e-3;
  if (k == 2) return 1e-9; // comparable to ε = 1e-8
  if (k == 3) return 10;
  return 0; // exactly zero gradient
}

describe("adamStep", () => {
  it("PyTorch defaults (γ = 1e-3, β = (0.9, 0.999), ε = 1e-8), 10 steps with bias correction", () => {
    for (let s = 0; s < SIZES.length; s++) checkAdam(SIZES[s], 1e-3, 0.9, 0.999, 1e-8, 0, 10);
  });
  it("with L2 weight decay added to the gradient", () => {
    for (let s = 0; s < SIZES.length; s++) checkAdam(SIZES[s], 1e-3, 0.9, 0.999, 1e-8, 0.01, 10);
  });
  it("large step, other betas", () => {
    for (let s = 0; s < SIZES.length; s++) checkAdam(SIZES[s], 0.1, 0.5, 0.9, 1e-6, 0.1, 8);
  });
  it("closed form first step: θ moves by −γ·sign(∇)·|∇|/(|∇| + ε) (m̂ = ∇, v̂ = ∇²)", () => {
    const n = 7;
    const p = allocF32(n), g = allocF32(n), m = allocF32(n), v = allocF32(n);
    const gs: f32[] = [1, -1, 0.5, -4, 1e-3, 2, -0.25];
    for (let i = 0; i < n; i++) { setF(p, i, 1); setF(g, i, gs[i]); setF(m, i, 0); setF(v, i, 0); }
    adamStep(n, p, g, m, v, 0.01, 0.9, 0.999, 1e-8, 0, 1);
    for (let i = 0; i < n; i++) {
      const gi = <f64>gs[i];
      const ref = 1 - 0.01 * gi / (Math.abs(gi) + 1e-8);
      expectClose(getD(p, i), ref, 8 * U, "first step", i);
    }
    free(p); free(g); free(m); free(v);
  });
  it("n = 0 touches nothing", () => {
    const p = allocF32(4), g = allocF32(4), m = allocF32(4), v = allocF32(4);
    adamStep(0, p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 0.1, 1);
    expectAllBits(p, 4, GUARD, "p");
    expectAllBits(m, 4, GUARD, "m");
    expectAllBits(v, 4, GUARD, "v");
    free(p); free(g); free(m); free(v);
  });
});
