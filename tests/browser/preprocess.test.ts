// The demo's drawing-to-MNIST step (examples/browser/preprocess.js), checked against what MNIST's
// preparation means: the digit's longer side becomes 20 pixels (aspect ratio kept), ink is
// preserved by area averaging, and the centre of mass lands at the middle of the 28×28 field
// (within half a pixel: the shift is by whole pixels, as MNIST's was).

import { describe, expect, it } from "vitest";
import { toMnist } from "../../examples/browser/preprocess.js";

const W = 280, H = 280;

function canvas(paint: (x: number, y: number) => number): Float32Array {
  const img = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) img[y * W + x] = paint(x, y);
  return img;
}

function stats(pixels: Float32Array) {
  let mass = 0, mx = 0, my = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  pixels.forEach((v, i) => {
    const x = i % 28, y = Math.floor(i / 28);
    mass += v;
    mx += v * (x + 0.5);
    my += v * (y + 0.5);
    if (v > 0) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  });
  return { mass, cx: mx / mass, cy: my / mass, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

describe("examples/browser/preprocess.js toMnist", () => {
  it("returns null for a blank pad", () => {
    expect(toMnist(new Float32Array(W * H), W, H)).toBeNull();
  });

  it("fits an off-centre tall bar into 20 pixels of height, keeping its aspect ratio, centred by mass", () => {
    // 40 × 200 pixels of full ink in the top-left: scaled by 20/200 it is 4 × 20.
    const out = toMnist(canvas((x, y) => (x >= 10 && x < 50 && y >= 5 && y < 205 ? 1 : 0)), W, H)!;
    expect(out).toHaveLength(784);
    const s = stats(out);
    expect(s.height).toBe(20);
    expect(s.width).toBe(4);
    expect(Math.abs(s.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.cy - 14)).toBeLessThanOrEqual(0.5);
    // Area averaging keeps full ink full: 80 pixels of 1.
    expect(s.mass).toBeCloseTo(80, 4);
    for (const v of out) expect(v === 0 || Math.abs(v - 1) < 1e-6).toBe(true);
  });

  it("moves the centre of mass, not the box centre, to the middle", () => {
    // A T with a thin top bar and a thick stem: in 20-pixel units the bar is 20 × 2, the stem 4 × 20,
    // so the mass sits at y = 7.43 of the box, 2.57 below the box's centre.
    const out = toMnist(canvas((x, y) => ((y >= 20 && y < 40 && x >= 40 && x < 240) || (x >= 120 && x < 160 && y >= 20 && y < 220) ? 1 : 0)), W, H)!;
    const s = stats(out);
    expect([s.width, s.height]).toEqual([20, 20]);
    expect(s.mass).toBeCloseTo(112, 4);
    expect(Math.abs(s.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.cy - 14)).toBeLessThanOrEqual(0.5);
    // Box-centred, the bar would be in rows 4 and 5; centred by mass it is in rows 7 and 8.
    expect(out[6 * 28 + 14]).toBe(0);
    expect(out[7 * 28 + 14]).toBe(1);
  });

  it("keeps a lopsided drawing whole, at the edge of the field, rather than cutting it", () => {
    // An L with a heavy foot: its mass is more than 4 px from its box's centre.
    const out = toMnist(canvas((x, y) => ((y >= 180 && y < 220 && x >= 40 && x < 240) || (x >= 40 && x < 50 && y >= 20 && y < 220) ? 1 : 0)), W, H)!;
    const s = stats(out);
    expect([s.width, s.height]).toEqual([20, 20]);
    expect(s.mass).toBeCloseTo(96, 4); // the foot's 20 × 4 and the stem's 16 pixels above it: nothing lost
    expect(out.subarray(0, 28).some((v) => v > 0)).toBe(true); // moved up only until the stem touches the top row
    expect(s.cy).toBeGreaterThan(14.5); // so the mass stays a little low
  });

  it("keeps grey levels in [0, 1] and averages partial coverage", () => {
    // 280 × 42 pixels, the top half ink 1, the bottom half 0.5: at 20/280 it is 20 × 3 pixels whose
    // rows cover 14 source rows each: all 1, half 1 and half 0.5, all 0.5.
    const out = toMnist(canvas((_x, y) => (y >= 100 && y < 121 ? 1 : y >= 121 && y < 142 ? 0.5 : 0)), W, H)!;
    const s = stats(out);
    expect([s.width, s.height]).toEqual([20, 3]);
    for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
    const rows = [...new Set([...out].filter((v) => v > 0).map((v) => v.toFixed(5)))].sort();
    expect(rows).toEqual(["0.50000", "0.75000", "1.00000"]);
    expect(s.mass).toBeCloseTo(20 * (1 + 0.75 + 0.5), 4);
  });
});
