// Output layers: row softmax, softmax cross-entropy and squared error, each returning the summed
// loss (float64, so a large batch does not lose the small terms) and writing the gradient with
// respect to the pre-activations, scaled by gradScale (1/batch for a mean loss).

/** out = softmax(z) row by row over an M×N matrix (out may alias z). */
export function softmaxRows(M: i32, N: i32, z: usize, out: usize): void {
  for (let i = 0; i < M; i++) {
    const zr = z + (<usize>i * N << 2);
    const or = out + (<usize>i * N << 2);
    let peak = -Infinity as f32;
    for (let j = 0; j < N; j++) peak = max(peak, load<f32>(zr + (<usize>j << 2)));
    let sum: f32 = 0;
    for (let j = 0; j < N; j++) {
      const e = Mathf.exp(load<f32>(zr + (<usize>j << 2)) - peak);
      store<f32>(or + (<usize>j << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    for (let j = 0; j < N; j++) store<f32>(or + (<usize>j << 2), load<f32>(or + (<usize>j << 2)) * inv);
  }
}

/**
 * Σ_rows −Σ_j y_j log softmax(z)_j for targets y whose rows sum to 1, and
 * grad = (softmax(z) − y) · gradScale. grad may alias z.
 */
export function softmaxCrossEntropy(M: i32, N: i32, z: usize, y: usize, grad: usize, gradScale: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < M; i++) {
    const zr = z + (<usize>i * N << 2);
    const yr = y + (<usize>i * N << 2);
    const gr = grad + (<usize>i * N << 2);
    let peak = -Infinity as f32;
    for (let j = 0; j < N; j++) peak = max(peak, load<f32>(zr + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < N; j++) sum += Math.exp(<f64>(load<f32>(zr + (<usize>j << 2)) - peak));
    // log softmax_j = z_j − peak − log Σ exp(z − peak): no overflow, no log of 0.
    const logSum = Math.log(sum);
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2;
      const logP = <f64>(load<f32>(zr + o) - peak) - logSum;
      const t = load<f32>(yr + o);
      if (t != 0) total -= <f64>t * logP;
      store<f32>(gr + o, (<f32>Math.exp(logP) - t) * gradScale);
    }
  }
  return total;
}

/** Σ ½ (ŷ − y)² over n values, and grad = (ŷ − y) · gradScale (grad may alias ŷ). */
export function squaredError(n: i32, yHat: usize, y: usize, grad: usize, gradScale: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(yHat + o) - load<f32>(y + o);
    total += 0.5 * <f64>d * <f64>d;
    store<f32>(grad + o, d * gradScale);
  }
  return total;
}
