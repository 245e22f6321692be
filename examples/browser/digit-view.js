// The drawing half of the page: what the network sees (the 28×28 digit), the spiking network's
// verdict with its output spike counts, and the raster of every spike.

import { prepare } from "./plot.js";
import { drawRaster } from "./raster.js";

export class DigitView {
  constructor(elements) {
    this.el = elements;
    this.last = undefined;
    this.buildCounts();
    this.preview(null);
  }

  buildCounts() {
    const counts = this.el.counts;
    counts.replaceChildren();
    this.rows = [];
    for (let c = 0; c < 10; c++) {
      const cls = Object.assign(document.createElement("span"), { className: "cls", textContent: String(c) });
      const track = Object.assign(document.createElement("span"), { className: "track" });
      const fill = Object.assign(document.createElement("span"), { className: "fill" });
      fill.style.display = "block";
      fill.style.width = "0";
      track.append(fill);
      const num = Object.assign(document.createElement("span"), { className: "num", textContent: "" });
      counts.append(cls, track, num);
      this.rows.push({ cls, track, fill, num });
    }
  }

  /** The 784 pixels as a grey image, white ink on black as MNIST stores them. */
  preview(pixels) {
    const ctx = this.el.preview.getContext("2d");
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * (pixels ? pixels[i] : 0));
      image.data.set([v, v, v, 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  /** Forget the last verdict (the preview stays: it shows what is on the pad). */
  clear(message) {
    this.last = undefined;
    this.el.predicted.textContent = "?";
    delete document.body.dataset.predicted;
    this.el.counts.removeAttribute("data-counts");
    for (const row of this.rows) {
      row.fill.style.width = "0";
      row.num.textContent = "";
      for (const e of [row.cls, row.num]) e.classList.remove("top");
      row.track.classList.remove("top");
    }
    this.el.rateSays.textContent = "";
    this.el.verdict.textContent = message;
    this.redraw();
  }

  /** A prediction message from the worker. */
  show({ prediction, counts, rate, raster }) {
    this.last = { prediction, raster };
    const el = this.el;
    el.predicted.textContent = String(prediction);
    document.body.dataset.predicted = String(prediction);
    el.counts.dataset.counts = counts.join(",");
    const max = Math.max(1, ...counts);
    counts.forEach((n, c) => {
      const row = this.rows[c];
      row.fill.style.width = `${(100 * n) / max}%`;
      row.num.textContent = String(n);
      for (const e of [row.cls, row.num, row.track]) e.classList.toggle("top", c === prediction);
    });
    const total = counts.reduce((a, b) => a + b, 0);
    const ms = Math.round(raster.steps * raster.dt * 1000);
    el.verdict.textContent = total > 0
      ? `The spiking network says ${prediction}: its output neuron ${prediction} fired most (${counts[prediction]} of ${total} output spikes in ${ms} ms).`
      : `No output neuron fired in ${ms} ms; the network falls back on the most input current and says ${prediction}.`;
    const best = rate.indexOf(Math.max(...rate));
    el.rateSays.textContent = `The rate network with the same weights says ${best} (softmax ${(100 * rate[best]).toFixed(0)} %).`;
    this.redraw();
  }

  redraw() {
    if (this.last) return drawRaster(this.el.raster, this.last.raster, this.last.prediction);
    const { ctx, width, height } = prepare(this.el.raster);
    ctx.fillStyle = "#f6f7f9";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#8a8f98";
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("the spikes of every layer appear here when the spiking network classifies a digit", width / 2, height / 2);
  }
}
