// argmaxRows and countCorrect against a scalar reference. Exact (integer results).

import { argmaxRows, countCorrect } from "../../assembly/metrics";
import { GUARD, allocBytes, allocF32, expectAllBits, free, getF, setF, seedData, fillData, dataIndex } from "./helpers";

/** Reference: first index of the maximum, ignoring NaN (the kernel documents "NaN never wins"). */
function refArgmax(x: usize, N: i32, i: i32): i32 {
  let best = -1;
  let bestValue: f32 = 0;
  for (let j = 0; j < N; j++) {
    const v = getF(x, i * N + j);
    if (isNaN(v)) continue;
    if (best < 0 || v > bestValue) { best = j; bestValue = v; }
  }
  return best < 0 ? 0 : best;
}

function checkArgmax(M: i32, N: i32, levels: i32): void {
  const name = "argmaxRows(" + M.toString() + "x" + N.toString() + ", " + levels.toString() + " levels)";
  seedData(<u64>(M * 7 + N * 3 + levels));
  const x = allocF32(M * N), out = allocBytes((M + 2) << 2);
  // Few distinct levels → many ties; the first index must win.
  for (let i = 0; i < M * N; i++) setF(x, i, <f32>(dataIndex(levels) - levels / 2) * 0.25);
  argmaxRows(M, N, x, out);
  for (let i = 0; i < M; i++) {
    const got = load<i32>(out + (<usize>i << 2));
    if (got != refArgmax(x, N, i)) { expect<i32>(got).toBe(refArgmax(x, N, i), name + " row " + i.toString()); return; }
  }
  expectAllBits(out + (<usize>M << 2), 2, GUARD, name + ": past M");
  free(x); free(out);
}

describe("argmaxRows", () => {
  it("matches the reference for N = 1, 2, 3, 4, 5, 7, 10, 33 with many ties (first index wins)", () => {
    const Ns: i32[] = [1, 2, 3, 4, 5, 7, 10, 33];
    for (let a = 0; a < Ns.length; a++) {
      checkArgmax(50, Ns[a], 3);
      checkArgmax(50, Ns[a], 1000);
      checkArgmax(1, Ns[a], 2);
    }
  });
  it("explicit ties and negatives", () => {
    const x = allocF32(12), out = allocBytes(16);
    const v: f32[] = [5, 5, 5, 5, -1, -3, -1, -2, 0, 2, 7, 7];
    for (let i = 0; i < 12; i++) setF(x, i, v[i]);
    argmaxRows(3, 4, x, out);
    expect<i32>(load<i32>(out)).toBe(0, "all equal → 0");
    expect<i32>(load<i32>(out, 4)).toBe(0, "tie at -1 → first");
    expect<i32>(load<i32>(out, 8)).toBe(2, "tie at 7 → first");
    free(x); free(out);
  });
  it("M = 0 writes nothing", () => {
    const x = allocF32(4), out = allocBytes(16);
    argmaxRows(0, 4, x, out);
    expectAllBits(out, 4, GUARD, "M = 0");
    free(x); free(out);
  });
  it("NaN never wins (as documented in metrics.ts), also when it is the first element", () => {
    const x = allocF32(8), out = allocBytes(16);
    const v: f32[] = [1, NaN, 3, 2, NaN, 1, 3, 2];
    for (let i = 0; i < 8; i++) setF(x, i, v[i]);
    argmaxRows(2, 4, x, out);
    expect<i32>(load<i32>(out)).toBe(2, "[1, NaN, 3, 2]");
    expect<i32>(load<i32>(out, 4)).toBe(2, "[NaN, 1, 3, 2]");
    free(x); free(out);
  });
});

describe("countCorrect", () => {
  it("counts rows whose argmax equals the u8 label (ties: first index), N not divisible by 4", () => {
    const Ms: i32[] = [0, 1, 7, 100];
    const Ns: i32[] = [1, 3, 10, 13];
    for (let a = 0; a < Ms.length; a++) {
      for (let b = 0; b < Ns.length; b++) {
        const M = Ms[a], N = Ns[b];
        seedData(<u64>(M * 101 + N));
        const x = allocF32(max(M * N, 1)), labels = allocBytes(M);
        for (let i = 0; i < M * N; i++) setF(x, i, <f32>(dataIndex(4)));
        let expected = 0;
        for (let i = 0; i < M; i++) {
          // Half the rows labelled with the true first-argmax, the rest with a random class.
          const label = (i & 1) ? dataIndex(N) : refArgmax(x, N, i);
          store<u8>(labels + <usize>i, <u8>label);
          if (label == refArgmax(x, N, i)) expected++;
        }
        expect<i32>(countCorrect(M, N, x, labels)).toBe(expected, "countCorrect " + M.toString() + "x" + N.toString());
        free(x); free(labels);
      }
    }
  });
  it("closed form: scores [[0,9,1],[5,5,0],[1,2,3]] with labels [1,1,2] → 2 (tie goes to 0)", () => {
    const x = allocF32(9), labels = allocBytes(3);
    const v: f32[] = [0, 9, 1, 5, 5, 0, 1, 2, 3];
    for (let i = 0; i < 9; i++) setF(x, i, v[i]);
    store<u8>(labels, 1); store<u8>(labels, 1, 1); store<u8>(labels, 2, 2);
    expect<i32>(countCorrect(3, 3, x, labels)).toBe(2);
    store<u8>(labels, 0, 1);
    expect<i32>(countCorrect(3, 3, x, labels)).toBe(3);
    free(x); free(labels);
  });
  it("labels up to 255 are read as unsigned bytes", () => {
    const N = 256;
    const x = allocF32(N), labels = allocBytes(1);
    fillData(x, N, -1, 0);
    setF(x, 255, 10);
    store<u8>(labels, 255);
    expect<i32>(countCorrect(1, N, x, labels)).toBe(1);
    free(x); free(labels);
  });
});
