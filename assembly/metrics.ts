// Classification read-outs.

// Index of the largest of n values at row (the first one on ties; NaN never wins; 0 when all
// are NaN).
@inline
function rowArgmax(row: usize, n: i32): i32 {
  let best = 0;
  let bestValue = -Infinity as f32;
  for (let j = 0; j < n; j++) {
    const v = load<f32>(row + (<usize>j << 2));
    if (v > bestValue) {
      best = j;
      bestValue = v;
    }
  }
  return best;
}

/** out[i] (int32) = argmax of row i of an M×N matrix. */
export function argmaxRows(M: i32, N: i32, x: usize, out: usize): void {
  for (let i = 0; i < M; i++) store<i32>(out + (<usize>i << 2), rowArgmax(x + (<usize>i * N << 2), N));
}

/** How many rows of an M×N score matrix have their argmax at the label (labels: M bytes). */
export function countCorrect(M: i32, N: i32, x: usize, labels: usize): i32 {
  let correct = 0;
  for (let i = 0; i < M; i++) {
    if (rowArgmax(x + (<usize>i * N << 2), N) == <i32>load<u8>(labels + <usize>i)) correct++;
  }
  return correct;
}
