// Non-overlapping K×K pooling (stride K) over planes of H×W, H and W multiples of K (the facade
// checks): `planes` is N·C, each plane contiguous as in NCHW.

/** y = the mean of each K×K window (the sum in row order, divided by K²). */
export function avgPoolForward(planes: i32, H: i32, W: i32, K: i32, x: usize, y: usize): void {
  const OH = H / K, OW = W / K;
  const area = <f32>(K * K);
  for (let p = 0; p < planes; p++) {
    const plane = x + (<usize>(p * H * W) << 2);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let s: f32 = 0;
        for (let ky = 0; ky < K; ky++) {
          const row = plane + (<usize>((oy * K + ky) * W + ox * K) << 2);
          for (let kx = 0; kx < K; kx++) s += load<f32>(row + (<usize>kx << 2));
        }
        store<f32>(y, s / area);
        y += 4;
      }
    }
  }
}

/** dx = dy / K² spread over each window. */
export function avgPoolBackward(planes: i32, H: i32, W: i32, K: i32, dy: usize, dx: usize): void {
  const OH = H / K, OW = W / K;
  const area = <f32>(K * K);
  for (let p = 0; p < planes; p++) {
    const plane = dx + (<usize>(p * H * W) << 2);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = load<f32>(dy) / area;
        dy += 4;
        for (let ky = 0; ky < K; ky++) {
          const row = plane + (<usize>((oy * K + ky) * W + ox * K) << 2);
          for (let kx = 0; kx < K; kx++) store<f32>(row + (<usize>kx << 2), g);
        }
      }
    }
  }
}

/**
 * y = the largest value of each window; index (i32 per output) = its offset within the plane, the
 * first in row order among equals (a NaN wins, so it is not hidden).
 */
export function maxPoolForward(planes: i32, H: i32, W: i32, K: i32, x: usize, y: usize, index: usize): void {
  const OH = H / K, OW = W / K;
  for (let p = 0; p < planes; p++) {
    const plane = x + (<usize>(p * H * W) << 2);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = oy * K * W + ox * K;
        let m = load<f32>(plane + (<usize>best << 2));
        for (let ky = 0; ky < K; ky++) {
          for (let kx = 0; kx < K; kx++) {
            const i = (oy * K + ky) * W + ox * K + kx;
            const v = load<f32>(plane + (<usize>i << 2));
            if (v > m || (v != v && m == m)) {
              m = v;
              best = i;
            }
          }
        }
        store<f32>(y, m);
        store<i32>(index, best);
        y += 4;
        index += 4;
      }
    }
  }
}

/** dx = dy at each window's maximum (from maxPoolForward's index), 0 elsewhere. */
export function maxPoolBackward(planes: i32, H: i32, W: i32, K: i32, dy: usize, index: usize, dx: usize): void {
  const outputs = (H / K) * (W / K);
  for (let p = 0; p < planes; p++) {
    const plane = dx + (<usize>(p * H * W) << 2);
    memory.fill(plane, 0, <usize>(H * W) << 2);
    for (let o = 0; o < outputs; o++) {
      store<f32>(plane + (<usize>load<i32>(index) << 2), load<f32>(dy));
      dy += 4;
      index += 4;
    }
  }
}
