// Optimiser updates over flat parameter arrays, with PyTorch's semantics so results compare.
// Four lanes at a time, then a scalar tail doing the same operations in the same order.

/**
 * SGD (torch.optim.SGD, dampening 0): d ← g + weightDecay·p; with momentum μ > 0,
 * v ← μ·v + d and the step uses v (or d + μ·v with Nesterov); p ← p − lr·step.
 * v starts at zero, which equals PyTorch's first-step v = d. v is unused when μ = 0.
 */
export function sgdStep(
  n: i32, p: usize, g: usize, v: usize, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32,
): void {
  const lr4 = f32x4.splat(lr), mu4 = f32x4.splat(momentum), wd4 = f32x4.splat(weightDecay);
  const useMomentum = momentum != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const w = v128.load(p + o);
    let d = f32x4.add(v128.load(g + o), f32x4.mul(wd4, w));
    if (useMomentum) {
      const buf = f32x4.add(f32x4.mul(mu4, v128.load(v + o)), d);
      v128.store(v + o, buf);
      d = nesterov ? f32x4.add(d, f32x4.mul(mu4, buf)) : buf;
    }
    v128.store(p + o, f32x4.sub(w, f32x4.mul(lr4, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w = load<f32>(p + o);
    let d = load<f32>(g + o) + weightDecay * w;
    if (useMomentum) {
      const buf = momentum * load<f32>(v + o) + d;
      store<f32>(v + o, buf);
      d = nesterov ? d + momentum * buf : buf;
    }
    store<f32>(p + o, w - lr * d);
  }
}

/**
 * Adam (torch.optim.Adam, L2 weight decay added to the gradient): m ← β1·m + (1 − β1)·d,
 * v ← β2·v + (1 − β2)·d², p ← p − (lr/c1)·m / (sqrt(v)/sqrt(c2) + eps) with the bias
 * corrections c = 1 − β^step (step counted from 1), computed here so every runtime rounds alike.
 */
export function adamStep(
  n: i32, p: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32, beta2: f32, eps: f32,
  weightDecay: f32, step: i32,
): void {
  const stepSize = lr / <f32>(1 - Math.pow(<f64>beta1, <f64>step));
  const c2Sqrt = <f32>Math.sqrt(1 - Math.pow(<f64>beta2, <f64>step));
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const nb1 = f32x4.splat(1 - beta1), nb2 = f32x4.splat(1 - beta2);
  const wd4 = f32x4.splat(weightDecay), eps4 = f32x4.splat(eps);
  const size4 = f32x4.splat(stepSize), c2 = f32x4.splat(c2Sqrt);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const w = v128.load(p + o);
    const d = f32x4.add(v128.load(g + o), f32x4.mul(wd4, w));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(nb1, d));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(f32x4.mul(nb2, d), d));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), c2), eps4);
    v128.store(p + o, f32x4.sub(w, f32x4.div(f32x4.mul(size4, mi), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w = load<f32>(p + o);
    const d = load<f32>(g + o) + weightDecay * w;
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * d;
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * d * d;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, w - stepSize * mi / (Mathf.sqrt(vi) / c2Sqrt + eps));
  }
}
