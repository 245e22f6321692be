// A small line chart on a <canvas>: axes with round ticks, any number of series. Ours rather than a
// plotting library's so the demo needs no download and no build step.

const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const AXIS = "#8a8f98";
const GRID = "#eceef1";
const TEXT = "#4a4f57";

/** Sizes the backing store to the element's CSS size at the device's pixel ratio (crisp lines). */
export function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function ticks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function label(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/**
 * series: [{ xs, ys, color, width = 1.5, alpha = 1, dots = false }]. x and y ranges default to the
 * data's; `yMin`/`yMax` fix them (accuracy is 0 … 1), `xMax` keeps the axis still while a run grows.
 */
export function lineChart(canvas, { series, xLabel = "", yLabel = "", xMin = 0, xMax, yMin, yMax, yFormat = label, empty = "" }) {
  const { ctx, width, height } = prepare(canvas);
  ctx.font = FONT;
  const left = 48, right = 12, top = 10, bottom = 34;
  const plotW = width - left - right, plotH = height - top - bottom;
  const all = series.filter((s) => s.xs.length > 0);
  if (all.length === 0) {
    ctx.fillStyle = AXIS;
    ctx.textAlign = "center";
    ctx.fillText(empty, width / 2, height / 2);
    return;
  }
  let x1 = xMax ?? -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of all) {
    for (let i = 0; i < s.xs.length; i++) {
      if (xMax === undefined) x1 = Math.max(x1, s.xs[i]);
      if (Number.isFinite(s.ys[i])) {
        y0 = Math.min(y0, s.ys[i]);
        y1 = Math.max(y1, s.ys[i]);
      }
    }
  }
  if (yMin !== undefined) y0 = yMin;
  if (yMax !== undefined) y1 = yMax;
  if (!(y1 > y0)) {
    y1 = y0 + (Math.abs(y0) || 1) * 0.1;
    y0 -= (Math.abs(y0) || 1) * 0.1;
  }
  if (!(x1 > xMin)) x1 = xMin + 1;
  const yTicks = ticks(y0, y1, Math.max(2, Math.floor(plotH / 36)));
  // Round the data range out to the ticks, so the top line is labelled.
  if (yMin === undefined) y0 = Math.min(y0, yTicks[0]);
  if (yMax === undefined) {
    const step = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 0;
    if (yTicks[yTicks.length - 1] < y1 && step) yTicks.push(yTicks[yTicks.length - 1] + step);
    y1 = Math.max(y1, yTicks[yTicks.length - 1]);
  }
  const px = (x) => left + ((x - xMin) / (x1 - xMin)) * plotW;
  const py = (y) => top + (1 - (y - y0) / (y1 - y0)) * plotH;

  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yTicks) {
    if (t < y0 - 1e-12 || t > y1 + 1e-12) continue;
    const y = Math.round(py(t)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + plotW, y);
    ctx.stroke();
    ctx.fillStyle = TEXT;
    ctx.fillText(yFormat(t), left - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks(xMin, x1, Math.max(2, Math.floor(plotW / 55)))) {
    if (!Number.isInteger(t) && x1 - xMin > 10) continue;
    const x = Math.round(px(t)) + 0.5;
    ctx.strokeStyle = AXIS;
    ctx.beginPath();
    ctx.moveTo(x, top + plotH);
    ctx.lineTo(x, top + plotH + 4);
    ctx.stroke();
    ctx.fillStyle = TEXT;
    ctx.fillText(label(t), x, top + plotH + 6);
  }
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, top + plotH + 0.5);
  ctx.lineTo(left + plotW, top + plotH + 0.5);
  ctx.stroke();
  ctx.fillStyle = AXIS;
  ctx.fillText(xLabel, left + plotW / 2, height - 14);
  if (yLabel) {
    ctx.save();
    ctx.translate(11, top + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(yLabel, 0, 0);
    ctx.restore();
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top - 2, plotW + 2, plotH + 4);
  ctx.clip();
  for (const s of all) {
    ctx.globalAlpha = s.alpha ?? 1;
    ctx.strokeStyle = ctx.fillStyle = s.color;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.lineJoin = "round";
    if (s.dots) {
      for (let i = 0; i < s.xs.length; i++) {
        ctx.beginPath();
        ctx.arc(px(s.xs[i]), py(s.ys[i]), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      continue;
    }
    ctx.beginPath();
    for (let i = 0; i < s.xs.length; i++) {
      const x = px(s.xs[i]), y = py(s.ys[i]);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.globalAlpha = 1;
}
