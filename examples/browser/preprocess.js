// A drawing to an MNIST-like digit. LeCun et al. fitted each NIST digit into a 20×20 box keeping
// its aspect ratio (anti-aliased, hence grey levels), then placed it in a 28×28 field so that its
// centre of mass sits at the field's centre. A network trained on MNIST only knows digits prepared
// that way, so a drawing goes through the same steps before it is classified.

const FIELD = 28;
const BOX = 20;
/** Ink fainter than this does not count toward the bounding box (stray antialiasing). */
const INK = 0.05;

/**
 * Area-average resampling weights from `from` source cells to `to` target cells: target cell j
 * covers the source interval [j·from/to, (j+1)·from/to), and each source cell contributes the
 * fraction of it that the interval covers, so the average intensity is preserved.
 */
function weights(from, to) {
  const scale = from / to;
  const out = [];
  for (let j = 0; j < to; j++) {
    const a = j * scale;
    const b = (j + 1) * scale;
    const taps = [];
    for (let i = Math.floor(a); i < Math.min(Math.ceil(b), from); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 0) taps.push([i, overlap / scale]);
    }
    out.push(taps);
  }
  return out;
}

/** Resample a w × h intensity image to tw × th (separable area averaging). */
function resample(src, w, h, tw, th) {
  const wx = weights(w, tw);
  const wy = weights(h, th);
  const rows = new Float32Array(tw * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (const [i, k] of wx[x]) s += src[y * w + i] * k;
      rows[y * tw + x] = s;
    }
  }
  const out = new Float32Array(tw * th);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (const [i, k] of wy[y]) s += rows[i * tw + x] * k;
      out[y * tw + x] = s;
    }
  }
  return out;
}

/**
 * `intensity`: width × height values in [0, 1] (1 = ink), row-major. Returns the 784 pixels of the
 * MNIST-style digit (row-major, values in [0, 1]), or null when nothing is drawn.
 */
export function toMnist(intensity, width, height) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (intensity[y * width + x] > INK) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) crop.set(intensity.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);

  // The longer side becomes 20 pixels; a thin stroke (a "1") stays thin.
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  const digit = resample(crop, w, h, tw, th);

  // Centre of mass, with pixel (i, j) standing for the unit square around (i + ½, j + ½).
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = digit[y * tw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  // Whole-pixel shifts keep the resampled grey levels as they are, as MNIST's centring did. A
  // lopsided drawing (mass more than 4 px from its box's centre) is stopped at the field's edge
  // rather than cut: losing ink would change the digit more than an off-centre mass does.
  const dx = Math.min(FIELD - tw, Math.max(0, Math.round(FIELD / 2 - mx / mass)));
  const dy = Math.min(FIELD - th, Math.max(0, Math.round(FIELD / 2 - my / mass)));
  const out = new Float32Array(FIELD * FIELD);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      out[(y + dy) * FIELD + x + dx] = Math.min(1, Math.max(0, digit[y * tw + x]));
    }
  }
  return out;
}
