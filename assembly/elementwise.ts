// Elementwise vector arithmetic on float32 arrays. SIMD over four lanes with a scalar tail, so
// sizes need not be multiples of 4; the tail does the same operation in the same order.

/** p[0..n) = value */
export function fill(n: i32, value: f32, p: usize): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), value);
}

/** y += alpha · x */
export function axpy(n: i32, alpha: f32, x: usize, y: usize): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** x *= alpha */
export function scale(n: i32, alpha: f32, x: usize): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(a, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, alpha * load<f32>(x + o));
  }
}

/**
 * out[j] (+)= Σ_i x[i·ldx + j] for an M×N matrix: the bias gradient, summed over the batch in
 * row order.
 */
export function columnSums(M: i32, N: i32, x: usize, ldx: i32, out: usize, accumulate: i32): void {
  if (!accumulate) fill(N, 0, out);
  for (let i = 0; i < M; i++) axpy(N, 1, x + (<usize>i * ldx << 2), out);
}

/** Index of the first NaN or ±Inf in p[0..n), or -1 when every value is finite. */
export function firstNonFinite(n: i32, p: usize): i32 {
  // v − v is 0 for finite v and NaN for NaN and ±Inf: four values are cleared with one compare.
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    if (v128.any_true(f32x4.ne(f32x4.sub(v, v), zero))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (!isFinite(v)) return i;
  }
  return -1;
}

/** Index of the first value of p[0..n) that is not ±0, or -1 when all are. */
export function firstNonZero(n: i32, p: usize): i32 {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (v128.any_true(f32x4.ne(v128.load(p + (<usize>i << 2)), zero))) break;
  }
  for (; i < n; i++) {
    if (load<f32>(p + (<usize>i << 2)) != 0) return i;
  }
  return -1;
}

/** Σ p[0..n): four lane sums over i ≡ lane (mod 4), added lane 0 to 3, then the tail in order. */
export function sum(n: i32, p: usize): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}
