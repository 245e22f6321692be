// 2-D convolution in NCHW with weights [out, in, K, K] as PyTorch stores them, lowered onto the
// packed GEMM (gemm.ts) one image at a time. An image's K·K·C input patches are unrolled into the
// columns of `cols` (im2col: row (c, ky, kx), column (oy, ox)), so that
//   forward          y_n  = W · cols_n               (out × P, P = OH·OW) + bias per row
//   input gradient   dx_n = col2im(Wᵀ · dy_n)
//   weight gradient  dW   = Σ_n dy_n · cols_nᵀ,  db = Σ_n Σ_p dy_n
// and every orientation runs in the GEMM's packed inner kernel. The unrolling costs C·K²·P writes
// against out·C·K²·P multiply-adds: 1/out of the work. Images are taken in order and each sum keeps
// a fixed order, so results are the same bits everywhere.

import { fill, sum } from "./elementwise";
import { gemm, gemmWorkspaceBytes } from "./gemm";
import { roundUp } from "./simd";

@inline
function outSize(size: i32, K: i32, stride: i32, pad: i32): i32 {
  return (size + 2 * pad - K) / stride + 1;
}

/**
 * Bytes of scratch the three convolution kernels need for one image of C×H×W into O channels: the
 * unrolled patches, then the GEMM's packing space.
 */
export function conv2dWorkBytes(C: i32, H: i32, W: i32, O: i32, K: i32, stride: i32, pad: i32): i32 {
  const P = outSize(H, K, stride, pad) * outSize(W, K, stride, pad);
  const rows = C * K * K;
  const gemmBytes = max(gemmWorkspaceBytes(O, P, rows), max(gemmWorkspaceBytes(rows, P, O), gemmWorkspaceBytes(O, rows, P)));
  return colsBytes(rows, P) + paddedBytes(C, H, W, stride, pad) + gemmBytes;
}

// The unrolled patches, and a vector's slack past them for the last run's overhang.
@inline
function colsBytes(rows: i32, P: i32): i32 {
  return roundUp((rows * P + 4) << 2, 16);
}

// Stride 1: the image inside a zero border of `pad`, with a vector's slack (0 for other strides).
@inline
function paddedBytes(C: i32, H: i32, W: i32, stride: i32, pad: i32): i32 {
  return stride == 1 ? roundUp((C * (H + 2 * pad) * (W + 2 * pad) + 4) << 2, 16) : 0;
}

// x[C×H×W] into the middle of a zeroed (H + 2·pad) × (W + 2·pad) frame per channel.
function padImage(C: i32, H: i32, W: i32, pad: i32, x: usize, padded: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad;
  fill(C * Hp * Wp, 0, padded);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      memory.copy(padded + (<usize>((c * Hp + y + pad) * Wp + pad) << 2), x + (<usize>((c * H + y) * W) << 2), <usize>W << 2);
    }
  }
}

// im2col at stride 1 from the padded image: every run is OW floats straight from one padded row,
// copied as whole vectors; a run's overhang (up to 3 floats) lands where the next run is written
// after it, or in the slack.
function im2colPadded(C: i32, H: i32, W: i32, K: i32, pad: i32, OH: i32, OW: i32, padded: usize, cols: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad;
  const run = <usize>((OW + 3) & ~3) << 2;
  let dst = cols;
  for (let c = 0; c < C; c++) {
    for (let ky = 0; ky < K; ky++) {
      for (let kx = 0; kx < K; kx++) {
        let src = padded + (<usize>((c * Hp + ky) * Wp + kx) << 2);
        for (let oy = 0; oy < OH; oy++) {
          for (let i: usize = 0; i < run; i += 16) v128.store(dst + i, v128.load(src + i));
          src += <usize>Wp << 2;
          dst += <usize>OW << 2;
        }
      }
    }
  }
}

// col2im at stride 1 into the padded frame (zeroed first), then its middle into x: the same sums
// in the same order as col2im, the border's share dropped.
function col2imPadded(C: i32, H: i32, W: i32, K: i32, pad: i32, OH: i32, OW: i32, cols: usize, padded: usize, x: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad;
  fill(C * Hp * Wp, 0, padded);
  let src = cols;
  for (let c = 0; c < C; c++) {
    for (let ky = 0; ky < K; ky++) {
      for (let kx = 0; kx < K; kx++) {
        let row = padded + (<usize>((c * Hp + ky) * Wp + kx) << 2);
        for (let oy = 0; oy < OH; oy++) {
          let ox = 0;
          for (; ox + 4 <= OW; ox += 4) {
            const d = row + (<usize>ox << 2);
            v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>ox << 2))));
          }
          for (; ox < OW; ox++) {
            const d = row + (<usize>ox << 2);
            store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
          }
          row += <usize>Wp << 2;
          src += <usize>OW << 2;
        }
      }
    }
  }
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      memory.copy(x + (<usize>((c * H + y) * W) << 2), padded + (<usize>((c * Hp + y + pad) * Wp + pad) << 2), <usize>W << 2);
    }
  }
}

/** Bytes `unrollPatches` needs for a C×H×W image: the patches (first), then the padded copy. */
export function unrollBytes(C: i32, H: i32, W: i32, K: i32, stride: i32, pad: i32): i32 {
  const P = outSize(H, K, stride, pad) * outSize(W, K, stride, pad);
  return colsBytes(C * K * K, P) + paddedBytes(C, H, W, stride, pad);
}

/** One image's patches as im2col lays them out, at the start of `work` (unrollBytes long). */
export function unrollPatches(C: i32, H: i32, W: i32, K: i32, stride: i32, pad: i32, x: usize, work: usize): void {
  const OH = outSize(H, K, stride, pad), OW = outSize(W, K, stride, pad);
  unroll(C, H, W, K, stride, pad, OH, OW, x, work, work + colsBytes(C * K * K, OH * OW));
}

// The patches of one image into cols, by whichever path its stride allows.
@inline
function unroll(C: i32, H: i32, W: i32, K: i32, stride: i32, pad: i32, OH: i32, OW: i32, x: usize, cols: usize, padded: usize): void {
  if (stride == 1) {
    padImage(C, H, W, pad, x, padded);
    im2colPadded(C, H, W, K, pad, OH, OW, padded, cols);
  } else {
    im2col(C, H, W, K, stride, pad, OH, OW, x, cols);
  }
}

// cols[(c·K + ky)·K + kx][oy·OW + ox] = x[c][oy·s + ky − pad][ox·s + kx − pad], 0 outside the
// image: the general path, for strides above 1 (stride 1 goes through im2colPadded).
function im2col(C: i32, H: i32, W: i32, K: i32, stride: i32, pad: i32, OH: i32, OW: i32, x: usize, cols: usize): void {
  let dst = cols;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>(c * H * W) << 2);
    for (let ky = 0; ky < K; ky++) {
      for (let kx = 0; kx < K; kx++) {
        // Output columns whose input column lies inside the image: lo ≤ ox < hi.
        const lo = min(OW, max(0, (pad - kx + stride - 1) / stride));
        const hi = max(lo, min(OW, (W + pad - kx + stride - 1) / stride));
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= H) {
            fill(OW, 0, dst);
          } else {
            const row = plane + (<usize>(iy * W) << 2);
            for (let ox = 0; ox < lo; ox++) store<f32>(dst + (<usize>ox << 2), 0);
            for (let ox = lo; ox < hi; ox++) {
              store<f32>(dst + (<usize>ox << 2), load<f32>(row + (<usize>(ox * stride + kx - pad) << 2)));
            }
            for (let ox = hi; ox < OW; ox++) store<f32>(dst + (<usize>ox << 2), 0);
          }
          dst += <usize>OW << 2;
        }
      }
    }
  }
}

// The adjoint of im2col: x[c][iy][ix] += cols[…] for every patch entry inside the image, rows of
// cols in order (so each input's sum has a fixed order); strides above 1.
function col2im(C: i32, H: i32, W: i32, K: i32, stride: i32, pad: i32, OH: i32, OW: i32, cols: usize, x: usize): void {
  let src = cols;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>(c * H * W) << 2);
    for (let ky = 0; ky < K; ky++) {
      for (let kx = 0; kx < K; kx++) {
        const lo = min(OW, max(0, (pad - kx + stride - 1) / stride));
        const hi = max(lo, min(OW, (W + pad - kx + stride - 1) / stride));
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * stride + ky - pad;
          if (iy >= 0 && iy < H) {
            const row = plane + (<usize>(iy * W + kx - pad) << 2);
            for (let ox = lo; ox < hi; ox++) {
              const d = row + (<usize>(ox * stride) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
            }
          }
          src += <usize>OW << 2;
        }
      }
    }
  }
}

/**
 * y[N×O×OH×OW] = conv(x[N×C×H×W], w[O×C×K×K]) + bias[O] (bias may be 0), with zero padding `pad`
 * on every side and stride `stride`; OH = (H + 2·pad − K)/stride + 1 (floored), likewise OW.
 * `work` holds conv2dWorkBytes(…) bytes, 16-aligned.
 */
export function conv2dForward(
  N: i32, C: i32, H: i32, W: i32, O: i32, K: i32, stride: i32, pad: i32,
  x: usize, w: usize, bias: usize, y: usize, work: usize,
): void {
  const OH = outSize(H, K, stride, pad), OW = outSize(W, K, stride, pad);
  const P = OH * OW, rows = C * K * K;
  const cols = work, padded = cols + colsBytes(rows, P), gemmWork = padded + paddedBytes(C, H, W, stride, pad);
  for (let n = 0; n < N; n++) {
    const image = x + (<usize>(n * C * H * W) << 2);
    const out = y + (<usize>(n * O * P) << 2);
    unroll(C, H, W, K, stride, pad, OH, OW, image, cols, padded);
    gemm(0, 0, O, P, rows, w, rows, cols, P, out, P, 0, 0, gemmWork);
    if (bias) {
      for (let o = 0; o < O; o++) addScalar(P, load<f32>(bias + (<usize>o << 2)), out + (<usize>(o * P) << 2));
    }
  }
}

/** dx[N×C×H×W] = the gradient at the input from dy[N×O×OH×OW] through w (W or a fixed feedback kernel). */
export function conv2dInputGrad(
  N: i32, C: i32, H: i32, W: i32, O: i32, K: i32, stride: i32, pad: i32,
  dy: usize, w: usize, dx: usize, work: usize,
): void {
  const OH = outSize(H, K, stride, pad), OW = outSize(W, K, stride, pad);
  const P = OH * OW, rows = C * K * K;
  const cols = work, padded = cols + colsBytes(rows, P), gemmWork = padded + paddedBytes(C, H, W, stride, pad);
  for (let n = 0; n < N; n++) {
    const grad = dy + (<usize>(n * O * P) << 2);
    const image = dx + (<usize>(n * C * H * W) << 2);
    gemm(1, 0, rows, P, O, w, rows, grad, P, cols, P, 0, 0, gemmWork);
    if (stride == 1) {
      col2imPadded(C, H, W, K, pad, OH, OW, cols, padded, image);
    } else {
      fill(C * H * W, 0, image);
      col2im(C, H, W, K, stride, pad, OH, OW, cols, image);
    }
  }
}

/**
 * dw[O×C×K×K] = Σ_n dy_n · cols(x_n)ᵀ and, when dbias ≠ 0, dbias[O] = Σ_n Σ_(oy,ox) dy_n — the
 * gradients summed over the batch (not averaged), images in order — for the output channels
 * [first, first + count) only: rows of dw and dbias that threads can share out, each channel's sums
 * the same whoever computes it.
 */
export function conv2dWeightGrad(
  N: i32, C: i32, H: i32, W: i32, O: i32, K: i32, stride: i32, pad: i32,
  x: usize, dy: usize, dw: usize, dbias: usize, work: usize, first: i32, count: i32,
): void {
  const OH = outSize(H, K, stride, pad), OW = outSize(W, K, stride, pad);
  const P = OH * OW, rows = C * K * K;
  const cols = work, padded = cols + colsBytes(rows, P), gemmWork = padded + paddedBytes(C, H, W, stride, pad);
  const dwRows = dw + (<usize>(first * rows) << 2);
  const dbRows = dbias ? dbias + (<usize>first << 2) : 0;
  if (N <= 0) fill(count * rows, 0, dwRows);
  if (dbias) fill(count, 0, dbRows);
  for (let n = 0; n < N; n++) {
    const image = x + (<usize>(n * C * H * W) << 2);
    const grad = dy + (<usize>((n * O + first) * P) << 2);
    unroll(C, H, W, K, stride, pad, OH, OW, image, cols, padded);
    gemm(0, 1, count, rows, P, grad, P, cols, P, dwRows, rows, n > 0 ? 1 : 0, 0, gemmWork);
    if (dbias) {
      for (let o = 0; o < count; o++) {
        const d = dbRows + (<usize>o << 2);
        store<f32>(d, load<f32>(d) + sum(P, grad + (<usize>(o * P) << 2)));
      }
    }
  }
}

// p[0..n) += v
@inline
function addScalar(n: i32, v: f32, p: usize): void {
  const s = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), f32x4.add(v128.load(p + (<usize>i << 2)), s));
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + v);
}
