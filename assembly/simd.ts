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
