// Packed, register-blocked single-precision GEMM: C (+)= op(A) · op(B) (+ bias).
//
// op(A) is M×K and op(B) is K×N, each stored row-major, optionally transposed. Both operands are
// copied into contiguous panels first (Goto/BLIS style), so the inner kernel always reads memory
// in the same unit-stride pattern and no orientation falls back to a slow path. The summation
// order over k is fixed (k blocks in order, k ascending inside a block), so results are
// bit-identical wherever the module runs.

import { roundUp } from "./simd";

// Micro-tile: MR rows × NR columns of C in 8 f32x4 accumulators. V8 schedules every load of an
// iteration before its arithmetic, so the MR broadcasts, 2 B vectors, the accumulators and one
// product temporary are all live at once: 4×8 uses 15 of x64's 15 allocatable vector registers.
// 5×8, 6×8, 3×12 and a k-unrolled 4×8 all spill and run at half speed (measured, Node 20).
const MR: i32 = 4;
const NR: i32 = 8;
// A kc×NR panel of B (8 KiB) stays in L1 while MC×kc of packed A (64 KiB) streams from L2.
const KC: i32 = 256;
const MC: i32 = 64;

// Equal k blocks of at most KC (784 = 4 × 196, not 3 × 256 + 16).
@inline
function kBlock(K: i32): i32 {
  if (K <= 0) return 0;
  const blocks = (K + KC - 1) / KC;
  return (K + blocks - 1) / blocks;
}

/** Bytes of scratch `gemm` needs for these sizes; the caller passes that much as `work`. */
export function gemmWorkspaceBytes(M: i32, N: i32, K: i32): i32 {
  // min(K, KC) bounds every k block and never shrinks as K grows, so a workspace sized for the
  // largest batch serves every smaller one.
  const kc = max(min(K, KC), 0);
  const mc = min(roundUp(M, MR), MC);
  return (kc * roundUp(N, NR) + mc * kc + MR * NR) << 2;
}

// Four rows of `kc` floats (row r at src + r·step bytes) into columns: dst[k·width + r] = row r's
// k-th value, for a panel `width` floats wide. Four k at a time as a 4×4 register transpose, the
// rest one by one; a pure copy, so it moves no result.
@inline
function transposePanel(src: usize, step: usize, kc: i32, dst: usize, width: i32): void {
  const w = <usize>width << 2;
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const at = src + (<usize>k << 2);
    const r0 = v128.load(at), r1 = v128.load(at + step);
    const r2 = v128.load(at + 2 * step), r3 = v128.load(at + 3 * step);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const out = dst + <usize>k * w;
    v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(out + w, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(out + 2 * w, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(out + 3 * w, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
  for (; k < kc; k++) {
    const at = src + (<usize>k << 2), out = dst + <usize>k * w;
    for (let r = 0; r < 4; r++) store<f32>(out + (<usize>r << 2), load<f32>(at + <usize>r * step));
  }
}

// B block rows k0..k0+kc, all columns, into NR-wide panels: panel p holds kc rows of NR floats.
function packB(transB: bool, b: usize, ldb: i32, k0: i32, kc: i32, N: i32, dst: usize): void {
  for (let n0 = 0; n0 < N; n0 += NR) {
    const nr = min(NR, N - n0);
    if (!transB) {
      let src = b + ((<usize>k0 * ldb + n0) << 2);
      const step = <usize>ldb << 2;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += step;
          dst += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + (j << 2), j < nr ? load<f32>(src + (j << 2)) : 0);
          }
          src += step;
          dst += NR << 2;
        }
      }
    } else if (nr == NR) {
      // B is stored N×K: 4×4 blocks of (column, k) transposed in registers.
      for (let j = 0; j < NR; j += 4) {
        transposePanel(b + ((<usize>(n0 + j) * ldb + k0) << 2), <usize>ldb << 2, kc, dst + (<usize>j << 2), NR);
      }
      dst += <usize>kc * NR << 2;
    } else {
      // A partial panel: read each column's k run contiguously, write it with stride NR.
      for (let j = 0; j < NR; j++) {
        const out = dst + (j << 2);
        if (j < nr) {
          const src = b + ((<usize>(n0 + j) * ldb + k0) << 2);
          for (let k = 0; k < kc; k++) {
            store<f32>(out + (<usize>k * NR << 2), load<f32>(src + (<usize>k << 2)));
          }
        } else {
          for (let k = 0; k < kc; k++) store<f32>(out + (<usize>k * NR << 2), 0);
        }
      }
      dst += <usize>kc * NR << 2;
    }
  }
}

// A block rows m0..m0+mc, columns k0..k0+kc, into MR-tall panels: panel p holds kc columns of MR.
function packA(transA: bool, a: usize, lda: i32, m0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  for (let i0 = m0; i0 < m0 + mc; i0 += MR) {
    const mr = min(MR, m0 + mc - i0);
    if (transA) {
      // A is stored K×M: the MR values of one k are adjacent.
      let src = a + ((<usize>k0 * lda + i0) << 2);
      const step = <usize>lda << 2;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          src += step;
          dst += MR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let i = 0; i < MR; i++) {
            store<f32>(dst + (i << 2), i < mr ? load<f32>(src + (i << 2)) : 0);
          }
          src += step;
          dst += MR << 2;
        }
      }
    } else if (mr == MR) {
      transposePanel(a + ((<usize>i0 * lda + k0) << 2), <usize>lda << 2, kc, dst, MR);
      dst += <usize>kc * MR << 2;
    } else {
      for (let i = 0; i < MR; i++) {
        const out = dst + (i << 2);
        if (i < mr) {
          const src = a + ((<usize>(i0 + i) * lda + k0) << 2);
          for (let k = 0; k < kc; k++) {
            store<f32>(out + (<usize>k * MR << 2), load<f32>(src + (<usize>k << 2)));
          }
        } else {
          for (let k = 0; k < kc; k++) store<f32>(out + (<usize>k * MR << 2), 0);
        }
      }
      dst += <usize>kc * MR << 2;
    }
  }
}

// One MR×NR tile: acc = Σ_k pa[k] ⊗ pb[k]; then acc += bias (if given); then C = acc or C += acc.
// `ldc` is in bytes.
@inline
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, load: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pb + (<usize>kc * NR << 2);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += MR << 2;
    pb += NR << 2;
  }
  if (bias) {
    const bias0 = v128.load(bias);
    const bias1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, bias0); c01 = f32x4.add(c01, bias1);
    c10 = f32x4.add(c10, bias0); c11 = f32x4.add(c11, bias1);
    c20 = f32x4.add(c20, bias0); c21 = f32x4.add(c21, bias1);
    c30 = f32x4.add(c30, bias0); c31 = f32x4.add(c31, bias1);
  }
  if (load) {
    c00 = f32x4.add(v128.load(c), c00); c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + 1 * ldc), c10); c11 = f32x4.add(v128.load(c + 1 * ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20); c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30); c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16);
  c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16);
  c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
  c += ldc;
}

/**
 * C[M×N] = op(A)·op(B) (+ bias[N] per row) — or C += … when `accumulate` is non-zero.
 * transA: A is stored K×M (leading dimension lda) instead of M×K; transB: B is stored N×K instead
 * of K×N. `bias` may be 0 (none). `work` must hold gemmWorkspaceBytes(M, N, K) bytes, 16-aligned.
 * Leading dimensions are in elements.
 */
export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  accumulate: i32, bias: usize, work: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    // The empty sum: C = bias (or 0), or C += bias.
    for (let i = 0; i < M; i++) {
      const row = c + (<usize>i * ldc << 2);
      for (let j = 0; j < N; j++) {
        const v: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
        store<f32>(row + (<usize>j << 2), accumulate ? load<f32>(row + (<usize>j << 2)) + v : v);
      }
    }
    return;
  }
  const kcMax = kBlock(K);
  const packedB = work;
  const packedA = packedB + (<usize>kcMax * roundUp(N, NR) << 2);
  const tile = packedA + (<usize>min(roundUp(M, MR), MC) * kcMax << 2);
  const ldcBytes = <usize>ldc << 2;
  const kStep = kBlock(K);
  for (let k0 = 0; k0 < K; k0 += kStep) {
    const kc = min(kStep, K - k0);
    packB(transB != 0, b, ldb, k0, kc, N, packedB);
    const loadC = accumulate != 0 || k0 > 0;
    const withBias = k0 == 0 && bias != 0;
    for (let m0 = 0; m0 < M; m0 += MC) {
      const mc = min(MC, M - m0);
      packA(transA != 0, a, lda, m0, mc, k0, kc, packedA);
      for (let n0 = 0; n0 < N; n0 += NR) {
        const nr = min(NR, N - n0);
        const pb = packedB + (<usize>n0 * kc << 2);
        for (let i0 = m0; i0 < m0 + mc; i0 += MR) {
          const mr = min(MR, M - i0);
          const pa = packedA + (<usize>(i0 - m0) * kc << 2);
          const cTile = c + (<usize>i0 * ldc + n0 << 2);
          if (mr == MR && nr == NR) {
            microKernel(kc, pa, pb, cTile, ldcBytes, loadC, withBias ? bias + (<usize>n0 << 2) : 0);
          } else {
            // Edge tile: compute the whole padded tile aside, then write back the part that exists,
            // in the same order of operations as the full-tile path.
            microKernel(kc, pa, pb, tile, NR << 2, false, 0);
            for (let i = 0; i < mr; i++) {
              for (let j = 0; j < nr; j++) {
                let v = load<f32>(tile + (<usize>(i * NR + j) << 2));
                if (withBias) v += load<f32>(bias + (<usize>(n0 + j) << 2));
                const dst = cTile + (<usize>i * ldcBytes) + (<usize>j << 2);
                store<f32>(dst, loadC ? load<f32>(dst) + v : v);
              }
            }
          }
        }
      }
    }
  }
}
