// The training half of the page: the learning curves, the PC energy and the final accuracies.
// Points arrive from the worker in bursts; redrawing waits for the next animation frame so a burst
// costs one redraw.

import { lineChart } from "./plot.js";

const COLOR = { train: "#2f6fde", test: "#e8590c", energy: "#7c5cc4" };
/** Smoothing of the per-batch curves: an exponential average over about this many batches. */
const SMOOTHING = 25;

const percent = (v) => `${(100 * v).toFixed(1)} %`;

export class TrainingView {
  constructor(elements) {
    this.el = elements;
    this.reset("mlp", 0);
    this.scheduled = false;
  }

  reset(kind, total) {
    this.kind = kind;
    this.total = total;
    this.steps = [];
    this.loss = [];
    this.accuracy = [];
    this.smoothLoss = [];
    this.smoothAccuracy = [];
    this.testSteps = [];
    this.testAccuracy = [];
    this.energy = [];
    this.el.results.hidden = true;
    this.redraw();
  }

  /** points: [step, loss, batch accuracy][]; energy: the latest batch's energy trace (PCN only). */
  add(points, energy) {
    const k = 2 / (SMOOTHING + 1);
    for (const [step, loss, accuracy] of points) {
      const n = this.steps.length;
      this.steps.push(step);
      this.loss.push(loss);
      this.accuracy.push(accuracy);
      this.smoothLoss.push(n ? this.smoothLoss[n - 1] + k * (loss - this.smoothLoss[n - 1]) : loss);
      this.smoothAccuracy.push(n ? this.smoothAccuracy[n - 1] + k * (accuracy - this.smoothAccuracy[n - 1]) : accuracy);
    }
    if (energy?.length) this.energy = energy;
    this.schedule();
  }

  addTest(step, accuracy) {
    this.testSteps.push(step);
    this.testAccuracy.push(accuracy);
    this.schedule();
  }

  showResults({ testAccuracy, testCount, spikingAccuracy, spikingCount, spikingTime, network }) {
    const el = this.el;
    el.rateAccuracy.textContent = percent(testAccuracy);
    el.rateLabel.textContent = `rate network · ${testCount.toLocaleString("en")} test digits`;
    el.spikeAccuracy.textContent = percent(spikingAccuracy);
    el.spikeLabel.textContent = `spiking network · first ${spikingCount.toLocaleString("en")} test digits · ${1000 * spikingTime} ms each`;
    const trained = this.kind === "pcn" ? "PCN trained by inference learning" : "network trained by backpropagation";
    el.spikingNote.textContent = `The spiking network is the ${trained}, its ${network} weights run unchanged as LIF neurons. ` +
      "It reads the class from output spike counts after a short, noisy presentation, so it differs a little from the rate network.";
    el.results.hidden = false;
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.redraw();
    });
  }

  redraw() {
    const xMax = Math.max(this.total, 1);
    const waiting = "the curves appear as it trains";
    lineChart(this.el.lossChart, {
      xMax, xLabel: "batch", yMin: 0, empty: waiting,
      series: [
        { xs: this.steps, ys: this.loss, color: COLOR.train, alpha: 0.22, width: 1 },
        { xs: this.steps, ys: this.smoothLoss, color: COLOR.train, width: 2 },
      ],
    });
    lineChart(this.el.accuracyChart, {
      xMax, xLabel: "batch", yMin: 0, yMax: 1, empty: waiting, yFormat: (v) => `${Math.round(100 * v)}%`,
      series: [
        { xs: this.steps, ys: this.accuracy, color: COLOR.train, alpha: 0.22, width: 1 },
        { xs: this.steps, ys: this.smoothAccuracy, color: COLOR.train, width: 2 },
        { xs: this.testSteps, ys: this.testAccuracy, color: COLOR.test, dots: true },
      ],
    });
    const steps = this.energy.map((_, t) => t);
    lineChart(this.el.energyChart, {
      xLabel: "inference step", xMax: Math.max(steps.length - 1, 1),
      empty: this.kind === "pcn" ? "the energy appears as it trains" : "backprop has no relaxation: pick the PCN",
      series: [{ xs: steps, ys: this.energy, color: COLOR.energy, width: 2 }],
    });
  }
}
