// The spike raster of one simulated digit: time across, one band of neurons per layer (input at the
// top, output at the bottom), a mark wherever a neuron fired. Layers differ a hundredfold in width,
// so bands get heights that grow with the square root of the width rather than with the width, and
// no band is too thin to read (the output's ten rows are the classes).

import { prepare, ticks } from "./plot.js";

const COLORS = ["#8a94a6", "#3b82c4", "#7c5cc4", "#d9480f"];
const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";

/** The least height of a band: 64 px, or 11 px per neuron for narrow layers (one labelled row per class). */
const minBand = (neurons) => (neurons <= 16 ? Math.max(64, 11 * neurons) : 64);

/**
 * Heights proportional to √width, raised to the minimum where that is less, the rest shared again;
 * the minimums shrink together when the bands (a conv net's channels) cannot all have them.
 */
function bandHeights(widths, available) {
  const scale = Math.min(1, available / widths.reduce((a, w) => a + minBand(w), 0));
  const least = (w) => scale * minBand(w);
  const fixed = new Set();
  for (;;) {
    const rest = available - [...fixed].reduce((a, i) => a + least(widths[i]), 0);
    const total = widths.reduce((a, w, i) => a + (fixed.has(i) ? 0 : Math.sqrt(w)), 0);
    const heights = widths.map((w, i) => (fixed.has(i) ? least(w) : (rest * Math.sqrt(w)) / total));
    const thin = heights.findIndex((h, i) => h < least(widths[i]) && !fixed.has(i));
    if (thin < 0 || fixed.size === widths.length - 1) return heights;
    fixed.add(thin);
  }
}

/** raster: { steps, dt, layers: [{ name, neurons, spikes: [step, neuron, step, neuron, …] }] }; `predicted` highlights an output row. */
export function drawRaster(canvas, raster, predicted) {
  const { ctx, width, height } = prepare(canvas);
  ctx.font = FONT;
  const left = 128, right = 28, top = 6, bottom = 42, gap = 10;
  const plotW = width - left - right;
  const layers = raster.layers;
  const heights = bandHeights(layers.map((l) => l.neurons), height - top - bottom - gap * (layers.length - 1));
  const ms = raster.dt * 1000;
  const x = (step) => left + ((step - 1) / raster.steps) * plotW;
  const markW = Math.max(1, plotW / raster.steps - 0.5);
  let y0 = top;
  layers.forEach((layer, l) => {
    const h = heights[l];
    const rowH = h / layer.neurons;
    const color = l === layers.length - 1 ? COLORS[3] : COLORS[Math.min(l, 2)];
    ctx.fillStyle = "#f6f7f9";
    ctx.fillRect(left, y0, plotW, h);
    if (l === layers.length - 1 && predicted !== undefined) {
      ctx.fillStyle = "rgba(217, 72, 15, 0.12)";
      ctx.fillRect(left, y0 + predicted * rowH, plotW, rowH);
    }
    ctx.fillStyle = color;
    const s = layer.spikes;
    const markH = Math.max(1, rowH - (rowH > 4 ? 1 : 0));
    for (let i = 0; i < s.length; i += 2) ctx.fillRect(x(s[i]), y0 + s[i + 1] * rowH, markW, markH);
    ctx.fillStyle = "#4a4f57";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(`${layer.name} · ${layer.neurons}`, left - 8, y0 + h / 2 - 7);
    ctx.fillStyle = "#8a8f98";
    ctx.fillText(`${(s.length / 2).toLocaleString("en")} spikes`, left - 8, y0 + h / 2 + 8);
    if (l === layers.length - 1) {
      // The output neurons are the classes: label each row.
      ctx.textAlign = "left";
      ctx.font = "10px system-ui, sans-serif";
      for (let c = 0; c < layer.neurons; c++) {
        ctx.fillStyle = c === predicted ? COLORS[3] : "#8a8f98";
        ctx.fillText(String(c), left + plotW + 6, y0 + (c + 0.5) * rowH);
      }
      ctx.font = FONT;
    }
    y0 += h + gap;
  });
  ctx.strokeStyle = "#8a8f98";
  ctx.fillStyle = "#4a4f57";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const axisY = height - bottom + 4;
  const duration = raster.steps * ms;
  for (const t of ticks(0, duration, Math.max(2, Math.floor(plotW / 80)))) {
    const px = Math.round(left + (t / duration) * plotW) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, axisY - 4);
    ctx.lineTo(px, axisY);
    ctx.stroke();
    ctx.fillText(`${t}`, px, axisY + 2);
  }
  ctx.fillStyle = "#8a8f98";
  ctx.fillText("time (ms)", left + plotW / 2, axisY + 20);
}
