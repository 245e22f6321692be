// Small inline helpers shared by the kernels.

/** n rounded up to a multiple of m. */
@inline
export function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** Address of element i of a float32 array at p. */
@inline
export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// i8x16.swizzle patterns that move the 32-bit lanes selected by a 4-bit mask to the front.
const PACK: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);
/**
 * Stores the 32-bit lanes of v selected by the 4-bit mask m, packed to the front, at p (16 bytes
 * written); returns how many: appends the selected lanes to a list at p (the LIF step's lists of
 * byte offsets, the soft-LIF activation's lists of values).
 */
// @ts-ignore: decorator
@inline
export function packLanes4(p: usize, v: v128, m: i32): i32 {
  v128.store(p, i8x16.swizzle(v, v128.load(PACK + (<usize>m << 4))));
  return <i32>popcnt(m);
}
