// The report's plots as Vega-Lite specs, one function per figure. Each returns either a spec with
// its caption or the sentence that says why the figure is absent; none throws on missing data.
// Data are inlined in the spec (no URLs: the report renders offline).

import type { TopLevelSpec } from "vega-lite";
import type { CompareResults, RateCurves, Raster, RowResult, WeightDifference } from "../experiment/results.js";
import { compact, isFiniteNumber } from "./format.js";

/** A figure of the report: a spec to render, or the reason it is left out. */
export interface FigurePlan {
  /** Anchor and SVG id prefix, e.g. "learning-curves". */
  id: string;
  title: string;
  /** One paragraph of plain text (escaped when the page is assembled). */
  caption: string;
  spec?: TopLevelSpec;
  /** Present instead of `spec` when the data are absent. */
  omitted?: string;
}

/** System fonts only: nothing is fetched when the page opens. */
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

// d3's category10: strong enough to tell seven lines apart on white.
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export const CONFIG = {
  font: FONT,
  background: "white",
  padding: 8,
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, gridColor: "#e6e6e6" },
  // Keep the top label inside the plot: otherwise it pushes that panel's title up, out of line with its neighbours'.
  axisYQuantitative: { labelFlush: true },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, symbolStrokeWidth: 2 },
  title: { fontSize: 14, subtitleFontSize: 12, anchor: "start", subtitleColor: "#555" },
  header: { labelFontSize: 12, titleFontSize: 12 },
} as const;

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"; // an identifier only; never fetched

/** The legend name of each row (its label, made unique) and one colour per row for every plot. */
export class RowStyles {
  readonly names: string[];
  private readonly colours: string[];

  constructor(rows: readonly Pick<RowResult, "name" | "label">[]) {
    const seen = new Map<string, number>();
    this.names = rows.map((row, i) => {
      const base = typeof row.label === "string" && row.label !== "" ? row.label : typeof row.name === "string" ? row.name : `row ${i + 1}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return n === 1 ? base : `${base} (${n})`;
    });
    this.colours = rows.map((_, i) => PALETTE[i % PALETTE.length]);
  }

  /** A colour scale over the given rows (by index), keeping each row's colour across plots. */
  scale(indices: readonly number[]): { domain: string[]; range: string[] } {
    return { domain: indices.map((i) => this.names[i]), range: indices.map((i) => this.colours[i]) };
  }
}

const finite = (xs: unknown): number[] => (Array.isArray(xs) ? xs : []).filter(isFiniteNumber);

/** A log scale when positive values span at least `ratio`; otherwise linear. */
function logWorthy(values: readonly number[], ratio: number): boolean {
  if (values.length === 0 || values.some((v) => v <= 0)) return false;
  return Math.max(...values) / Math.min(...values) >= ratio;
}

// ---------------------------------------------------------------------------------------------
// 1. Learning curves

export function learningCurves(results: CompareResults, styles: RowStyles): FigurePlan {
  const id = "learning-curves";
  const title = "Learning curves";
  const accuracy: { row: string; epoch: number; value: number }[] = [];
  const loss: { row: string; epoch: number; value: number }[] = [];
  const withAccuracy = new Set<number>();
  const withLoss = new Set<number>();
  results.rows.forEach((row, i) => {
    for (const h of Array.isArray(row.history) ? row.history : []) {
      if (!isFiniteNumber(h.epoch)) continue;
      if (isFiniteNumber(h.test_accuracy)) {
        accuracy.push({ row: styles.names[i], epoch: h.epoch, value: h.test_accuracy });
        withAccuracy.add(i);
      }
      if (isFiniteNumber(h.loss)) {
        loss.push({ row: styles.names[i], epoch: h.epoch, value: h.loss });
        withLoss.add(i);
      }
    }
  });
  if (accuracy.length === 0 && loss.length === 0) {
    return { id, title, caption: "", omitted: "No row recorded a training history, so there are no learning curves to draw." };
  }
  const all = [...new Set([...withAccuracy, ...withLoss])].sort((a, b) => a - b);
  const colour = { field: "row", type: "nominal", title: null, scale: styles.scale(all), legend: { orient: "bottom", columns: 4, symbolType: "stroke" } } as const;
  const epochAxis = { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1, format: "d" }, scale: { nice: false } } as const;
  const logLoss = logWorthy(loss.map((d) => d.value), 20);
  // One panel per curve: points per epoch, one colour per row.
  const panel = (title: string, values: typeof loss, y: Record<string, unknown>): TopLevelSpec => ({
    title,
    width: 380,
    height: 240,
    data: { values },
    mark: { type: "line", point: { size: 28 }, strokeWidth: 1.8 },
    encoding: { x: epochAxis, y: { field: "value", type: "quantitative", ...y }, color: colour },
  } as TopLevelSpec);
  const panels: TopLevelSpec[] = [];
  if (accuracy.length > 0) {
    panels.push(panel("Test accuracy", accuracy, { title: "test accuracy", scale: { zero: false }, axis: { format: ".1~%" } }));
  }
  if (loss.length > 0) {
    panels.push(panel(`Training loss${logLoss ? " (log scale)" : ""}`, loss, {
      title: "training loss", scale: logLoss ? { type: "log" } : { zero: false }, axis: logLoss ? { tickCount: 5, format: "~g" } : {},
    }));
  }
  const missing = results.rows.map((_, i) => i).filter((i) => !withAccuracy.has(i) && !withLoss.has(i));
  return {
    id,
    title,
    caption:
      "Each line is one row of the table, one point per training epoch. Left: accuracy on the test set after each epoch; " +
      "the curves should rise quickly and then flatten, and a row that keeps climbing at the last epoch would gain from " +
      "more epochs. Right: the mean training loss over the epoch" +
      (logLoss ? " on a logarithmic axis, because the rows' losses span orders of magnitude" : "") +
      ". Compare the shapes, not the heights, of the loss curves: predictive-coding rows minimise an energy (squared " +
      "errors) and backprop rows a cross-entropy, which are measured in different units." +
      (missing.length > 0 ? ` Not drawn (no history recorded): ${missing.map((i) => styles.names[i]).join(", ")}.` : ""),
    spec: { $schema: SCHEMA, config: CONFIG, hconcat: panels, resolve: { scale: { color: "shared" } }, spacing: 36 } as TopLevelSpec,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Rate curves (the thesis's figure 3)

export function rateCurves(results: CompareResults): FigurePlan {
  const id = "rate-curves";
  const title = "LIF and soft-LIF rate curves (thesis figure 3)";
  const rc: Partial<RateCurves> | undefined = results.figures?.rate_curves;
  const pairs = (xs: unknown, ys: unknown, series: string): { x: number; y: number; series: string }[] => {
    const a = Array.isArray(xs) ? xs : [];
    const b = Array.isArray(ys) ? ys : [];
    const out: { x: number; y: number; series: string }[] = [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (isFiniteNumber(a[i]) && isFiniteNumber(b[i])) out.push({ x: a[i], y: b[i], series });
    return out;
  };
  const lif = pairs(rc?.current, rc?.lif, "LIF r(j)");
  const soft = pairs(rc?.current, rc?.softlif, "soft-LIF r\u03C1(j)");
  const simulated = pairs(rc?.current, rc?.simulated, "simulated LIF neuron");
  const scaled = pairs(rc?.z, rc?.scaled, "amplitude \u00B7 r\u03C1(z)");
  const relu = pairs(rc?.z, rc?.relu, "ReLU(z)");
  if (lif.length + soft.length + simulated.length + scaled.length + relu.length === 0) {
    return { id, title, caption: "", omitted: "The results hold no rate curves, so figure 3 is not drawn." };
  }
  const panel = (heading: string, data: { x: number; y: number; series: string }[], xTitle: string, yTitle: string, colours: [string, string], pointsFor?: string): TopLevelSpec => {
    const names = [...new Set(data.map((d) => d.series))];
    const colour = { field: "series", type: "nominal", title: null, scale: { domain: names, range: colours.slice(0, names.length) }, legend: { orient: "top-left", padding: 4, symbolType: "stroke" } } as const;
    const x = { field: "x", type: "quantitative", title: xTitle, scale: { nice: false } } as const;
    const y = { field: "y", type: "quantitative", title: yTitle } as const;
    const lines = data.filter((d) => d.series !== pointsFor);
    const points = data.filter((d) => d.series === pointsFor);
    const layers: object[] = [];
    if (lines.length > 0) layers.push({ data: { values: lines }, mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color: colour } });
    if (points.length > 0) layers.push({ data: { values: points }, mark: { type: "point", size: 18, filled: true, opacity: 0.9 }, encoding: { x, y, color: colour } });
    return { title: heading, width: 260, height: 220, layer: layers } as TopLevelSpec;
  };
  const panels: TopLevelSpec[] = [];
  if (lif.length + soft.length > 0) panels.push(panel("(a) LIF and soft-LIF rate", [...lif, ...soft], "input current j", "rate (Hz)", ["#1f77b4", "#ff7f0e"]));
  if (lif.length + simulated.length > 0) panels.push(panel("(b) theory against simulation", [...lif, ...simulated], "input current j", "rate (Hz)", ["#1f77b4", "#d62728"], "simulated LIF neuron"));
  if (scaled.length + relu.length > 0) panels.push(panel("(c) scaled soft-LIF against ReLU", [...scaled, ...relu], "z", "activation", ["#ff7f0e", "#2ca02c"]));
  const n = rc?.neuron;
  const params = n
    ? ` The neuron: \u03C4_RC = ${compact(n.tauRc)} s, t_ref = ${compact(n.tRef)} s, smoothing \u03B3_s = ${compact(n.smoothing)}, amplitude ${compact(n.amplitude)}, gain ${compact(n.gain)}.`
    : "";
  const simSeconds = isFiniteNumber(rc?.simulated_seconds) ? ` for ${compact(rc.simulated_seconds)} s at dt 1 ms` : "";
  return {
    id,
    title,
    caption:
      "(a) The firing rate of a leaky integrate-and-fire neuron driven by a constant current j: zero below the threshold " +
      "j = 1, then a steep rise that levels off towards 1/t_ref. The soft-LIF rate smooths the corner at j = 1 so that it " +
      "has a usable derivative for training; away from the threshold the two curves coincide. (b) The same theoretical " +
      `LIF rate (line) against the rate of a simulated neuron${simSeconds} (dots): the dots should sit on the line. ` +
      "(c) Multiplied by its amplitude, the soft-LIF rate of the input z behaves much like ReLU(z) on [0, 10]: this is why " +
      "a network trained with soft-LIF units can be run with spiking neurons." +
      params,
    spec: { $schema: SCHEMA, config: CONFIG, hconcat: panels, spacing: 30, resolve: { scale: { color: "independent" } } } as TopLevelSpec,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. PC energy during relaxation

export function energyTraces(results: CompareResults, styles: RowStyles): FigurePlan {
  const id = "pc-energy";
  const title = "Predictive-coding energy during relaxation";
  const data: { row: string; step: number; energy: number }[] = [];
  const present: number[] = [];
  let longest = 0;
  results.rows.forEach((row, i) => {
    const trace = Array.isArray(row.energy_trace) ? row.energy_trace : [];
    let any = false;
    trace.forEach((e, t) => {
      if (!isFiniteNumber(e)) return;
      data.push({ row: styles.names[i], step: t + 1, energy: e });
      any = true;
    });
    if (any) present.push(i);
    longest = Math.max(longest, trace.length);
  });
  if (data.length === 0) {
    return { id, title, caption: "", omitted: "No row recorded an energy trace (only predictive-coding rows record one), so this plot is not drawn." };
  }
  const log = logWorthy(data.map((d) => d.energy), 10);
  return {
    id,
    title,
    caption:
      "A predictive-coding network infers before it learns: with the image at the input and the label clamped at the " +
      "output, its hidden activities relax step by step to lower the network's energy (the sum of squared prediction " +
      "errors, or cross-entropy at a softmax output). Each line is one predictive-coding row, showing the mean energy " +
      "over its last training batch at the start of each inference step (Z-IL takes one step per layer, and its energy " +
      "rises as the output error spreads down the layers)" +
      (log ? ", on a logarithmic axis because it spans orders of magnitude" : "") +
      ". The energy should fall at every step and level off; a curve that rises or oscillates means the step size " +
      "\u03B3 is too large, and one still falling steeply at the end means more steps would help.",
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      width: 560,
      height: 280,
      data: { values: data },
      mark: { type: "line", strokeWidth: 2, point: longest <= 30 ? { size: 24 } : false },
      encoding: {
        x: { field: "step", type: "quantitative", title: "inference step", axis: { tickMinStep: 1, format: "d" }, scale: { nice: false, domain: [1, Math.max(longest, 2)] } },
        y: { field: "energy", type: "quantitative", title: `energy${log ? " (log scale)" : ""}`, scale: log ? { type: "log" } : { zero: true }, axis: log ? { tickCount: 5, format: "~g" } : {} },
        color: { field: "row", type: "nominal", title: null, scale: styles.scale(present), legend: { orient: "right", symbolType: "stroke" } },
      },
    } as TopLevelSpec,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Spike raster

export function spikeRaster(results: CompareResults, styles: RowStyles): FigurePlan {
  const id = "spike-raster";
  const title = "Spike raster of one test digit";
  const raster: Partial<Raster> | undefined = results.figures?.raster;
  const layers = Array.isArray(raster?.layers) ? raster.layers : [];
  const drawn = layers
    .map((layer, index) => ({ layer, index, spikes: (Array.isArray(layer.spikes) ? layer.spikes : []).filter((s) => Array.isArray(s) && isFiniteNumber(s[0]) && isFiniteNumber(s[1])) }))
    .filter((l) => l.spikes.length > 0);
  if (!raster || drawn.length === 0) {
    return { id, title, caption: "", omitted: "The results hold no spike raster, so this plot is not drawn." };
  }
  const timeMs = isFiniteNumber(raster.time) && raster.time > 0 ? raster.time * 1000 : Math.max(...drawn.flatMap((l) => l.spikes.map((s) => s[0])));
  const rowIndex = results.rows.findIndex((r) => r.name === raster.row);
  const rowName = rowIndex >= 0 ? styles.names[rowIndex] : String(raster.row ?? "");
  const prediction = Number.isInteger(raster.prediction) ? (raster.prediction as number) : undefined;
  const last = layers.length - 1;
  const panels = drawn.map(({ layer, index, spikes }, k) => {
    const neurons = isFiniteNumber(layer.neurons) && layer.neurons > 0 ? layer.neurons : Math.max(...spikes.map((s) => s[1])) + 1;
    const height = Math.round(neurons <= 20 ? Math.max(70, neurons * 13) : Math.min(220, Math.max(70, neurons * 0.3)));
    const tick = Math.min(6, Math.max(1.5, (height / neurons) * 0.8));
    const rate = spikes.length / neurons / (timeMs / 1000);
    const isOutput = index === last && prediction !== undefined && neurons <= 100;
    const colour = isOutput ? { condition: { test: `datum.neuron === ${prediction}`, value: "#d62728" }, value: "#222" } : { value: "#222" };
    return {
      title: { text: `${String(layer.name ?? `layer ${index}`)}: ${neurons} neurons, ${spikes.length} spikes, mean ${rate.toFixed(1)} Hz`, fontSize: 12, fontWeight: 600, frame: "group" },
      width: 760,
      height,
      data: { values: spikes.map((s) => ({ t: s[0], neuron: s[1] })) },
      mark: { type: "tick", orient: "vertical", thickness: 1, size: tick, opacity: 1, aria: false, tooltip: false },
      encoding: {
        x: {
          field: "t",
          type: "quantitative",
          title: k === drawn.length - 1 ? "time (ms)" : null,
          scale: { domain: [0, timeMs], nice: false },
          axis: { labels: true, grid: false },
        },
        y: {
          field: "neuron",
          type: "quantitative",
          title: "neuron",
          scale: { domain: [-0.5, neurons - 0.5], nice: false, zero: false },
          axis: neurons <= 20 ? { values: Array.from({ length: neurons }, (_, i) => i), grid: false } : { grid: false, tickMinStep: 1, format: "d" },
        },
        color: colour,
      },
    };
  });
  const silent = layers.filter((l) => !(Array.isArray(l.spikes) && l.spikes.length > 0)).map((l) => String(l.name));
  const correct = raster.label === raster.prediction;
  return {
    id,
    title,
    caption:
      "Every tick is one spike: time runs left to right and each line of ticks is one neuron. " +
      (drawn[0].index === 0
        ? "The digit enters at the top as input spikes (denser where the image is brighter) and each layer below fires in response to the one above. "
        : "The image enters as a constant current, so the top panel is the first layer that spikes; each layer below fires in response to the one above. ") +
      "In the output layer, at the bottom, one neuron per class counts its spikes and the most active one is the " +
      "prediction (drawn in red). Look at how quickly the predicted neuron starts to dominate: that is why accuracy " +
      "depends on how long each digit is shown." +
      (silent.length > 0 ? ` Not drawn, because they have no spikes: ${silent.join(", ")}.` : ""),
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      title: {
        text: raster.prediction === -1 ? `Digit ${raster.label}: no answer (the readout was left with a tie)` : `Digit ${raster.label}: predicted ${raster.prediction} (${correct ? "correct" : "wrong"})`,
        subtitle: `test sample ${raster.sample} \u00B7 ${rowName} \u00B7 ${compact(timeMs)} ms at dt ${compact(isFiniteNumber(raster.dt) ? raster.dt * 1000 : NaN)} ms`,
      },
      vconcat: panels,
      spacing: 14,
    } as TopLevelSpec,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Spiking accuracy against presentation time

export function spikingAccuracy(results: CompareResults, styles: RowStyles): FigurePlan {
  const id = "spiking-accuracy";
  const title = "Spiking accuracy against presentation time";
  const points: { row: string; ms: number; accuracy: number }[] = [];
  const rates: { row: string; accuracy: number }[] = [];
  const operations: { row: string; ms: number; operations: number }[] = [];
  const macs: { row: string; operations: number }[] = [];
  const present: number[] = [];
  results.rows.forEach((row, i) => {
    const byTime = row.spiking?.accuracy_by_time_ms;
    if (!byTime || typeof byTime !== "object") return;
    const entries = Object.entries(byTime)
      .map(([ms, a]) => ({ ms: Number(ms), a }))
      .filter((e) => isFiniteNumber(e.ms) && e.ms > 0 && isFiniteNumber(e.a))
      .sort((p, q) => p.ms - q.ms);
    if (entries.length === 0) return;
    present.push(i);
    for (const e of entries) points.push({ row: styles.names[i], ms: e.ms, accuracy: e.a as number });
    if (isFiniteNumber(row.test_accuracy)) rates.push({ row: styles.names[i], accuracy: row.test_accuracy });
    // What the answers cost (records older than these counts have none).
    for (const [ms, perLayer] of Object.entries(row.spiking?.synaptic_operations_by_time_ms ?? {})) {
      const total = Array.isArray(perLayer) ? perLayer.reduce((a, b) => a + b, 0) : NaN;
      if (isFiniteNumber(Number(ms)) && isFiniteNumber(total) && total > 0) operations.push({ row: styles.names[i], ms: Number(ms), operations: total });
    }
    const rateMacs = row.spiking?.rate_multiply_accumulates;
    if (Array.isArray(rateMacs) && rateMacs.length > 0) macs.push({ row: styles.names[i], operations: rateMacs.reduce((a, b) => a + b, 0) });
  });
  if (points.length === 0) {
    return { id, title, caption: "", omitted: "No row was run as a spiking network, so there is no accuracy against presentation time to draw." };
  }
  const colour = { field: "row", type: "nominal", title: null, scale: styles.scale(present), legend: { orient: "right", symbolType: "stroke" } } as const;
  const y = { field: "accuracy", type: "quantitative", title: "test accuracy", scale: { zero: false }, axis: { format: ".1~%" } } as const;
  const ticks = [...new Set(points.map((p) => p.ms))].sort((a, b) => a - b);
  const layers: object[] = [
    {
      data: { values: points },
      mark: { type: "line", strokeWidth: 2, point: { size: 30, filled: true } },
      encoding: {
        x: { field: "ms", type: "quantitative", title: "presentation time (ms, log scale)", scale: { type: "log", nice: false }, axis: { values: ticks, format: "~g" } },
        y,
        color: colour,
      },
    },
  ];
  if (rates.length > 0) layers.push({ data: { values: rates }, mark: { type: "rule", strokeDash: [5, 4], strokeWidth: 1.2, opacity: 0.8 }, encoding: { y, color: colour } });
  const x = { field: "ms", type: "quantitative", title: "presentation time (ms, log scale)", scale: { type: "log", nice: false }, axis: { values: ticks, format: "~g" } } as const;
  const accuracyPanel = { width: 560, height: 280, layer: layers };
  const reading = "A spiking network answers by counting output spikes, so the longer a digit is shown the more spikes there are to " +
    "count and the more reliable the answer. Each solid line is one converted row, with one point per presentation " +
    "time (on a logarithmic axis); the dashed line of the same colour is the accuracy of the same weights run as a " +
    "rate (non-spiking) network, the level the spiking accuracy should approach. Look at how long each row needs to " +
    "get close to its dashed line.";
  if (operations.length === 0) {
    return { id, title, caption: reading, spec: { $schema: SCHEMA, config: CONFIG, ...accuracyPanel } as TopLevelSpec };
  }
  // Below, on its own axis: what the answers cost by then, against the rate network's one pass.
  const ops = { field: "operations", type: "quantitative", title: "operations per digit (log scale)", scale: { type: "log" }, axis: { format: "~s" } } as const;
  const costPanel = {
    width: 560, height: 200,
    layer: [
      { data: { values: operations }, mark: { type: "line", strokeWidth: 2, point: { size: 30, filled: true } }, encoding: { x, y: ops, color: colour } },
      ...(macs.length > 0 ? [{ data: { values: macs }, mark: { type: "rule", strokeDash: [5, 4], strokeWidth: 1.2, opacity: 0.8 }, encoding: { y: ops, color: colour } }] : []),
    ],
  };
  return {
    id,
    title,
    caption: `${reading} The lower panel is the price: the synaptic operations per digit (each spike times the neurons it ` +
      "reaches, an addition each) spent by each presentation time, and dashed, the rate network's multiply-accumulates " +
      "for one pass (each costs about five additions' energy: 4.6 pJ against 0.9 pJ, Horowitz 2014). Together they are " +
      "the trade-off between answering soon and answering well.",
    spec: { $schema: SCHEMA, config: CONFIG, vconcat: [accuracyPanel, costPanel], resolve: { scale: { color: "shared" } } } as TopLevelSpec,
  };
}

// ---------------------------------------------------------------------------------------------
// 6. Z-IL against backprop: weight differences

const MEASURES = ["Z-IL: max |W \u2212 W_backprop|", "IL: max |W \u2212 W_backprop|", "backprop: max |W| (scale)"] as const;

export function weightDifferences(results: CompareResults): FigurePlan {
  const id = "weight-differences";
  const title = "Z-IL against backprop: weight differences";
  const diffs: Partial<WeightDifference>[] = Array.isArray(results.figures?.weight_differences) ? results.figures.weight_differences : [];
  const data: { layer: string; measure: string; value: number; text: string }[] = [];
  const layerNames: string[] = [];
  diffs.forEach((d, i) => {
    const layer = typeof d.layer === "string" && d.layer !== "" && !layerNames.includes(d.layer) ? d.layer : `${d.layer ?? "layer"} #${i + 1}`;
    layerNames.push(layer);
    const values = [d.zil_max_abs, d.il_max_abs, d.backprop_max_abs];
    values.forEach((v, m) => {
      if (!isFiniteNumber(v)) return;
      data.push({ layer, measure: MEASURES[m], value: Math.abs(v), text: v === 0 ? "0 (exactly)" : compact(v) });
    });
  });
  if (data.length === 0) {
    return { id, title, caption: "", omitted: "The results hold no Z-IL weight comparison (it needs a Z-IL row and a backprop row trained from the same seed), so this plot is not drawn." };
  }
  const zilValues = data.filter((d) => d.measure === MEASURES[0]).map((d) => d.value);
  const allZero = zilValues.length > 0 && zilValues.every((v) => v === 0);
  const y = { field: "layer", type: "nominal", title: "weight layer", sort: layerNames, axis: { labelLimit: 200 } } as const;
  const yOffset = { field: "measure", type: "nominal", sort: [...MEASURES] } as const;
  const x = { field: "value", type: "quantitative", title: "max |\u0394W| or max |W| (linear scale)" } as const;
  const colour = { field: "measure", type: "nominal", title: null, scale: { domain: [...MEASURES], range: ["#2ca02c", "#ff7f0e", "#9a9a9a"] }, legend: { orient: "bottom", columns: 1 } } as const;
  return {
    id,
    title,
    caption:
      "Z-IL is the variant of predictive coding that, started from the same weights, should make exactly the weight " +
      "updates of backpropagation. For each weight layer the green bar is the largest absolute difference between the " +
      "Z-IL weights and the backprop weights after training, the orange bar the same for ordinary inference learning " +
      "(IL), for contrast, and the grey bar the largest backprop weight, for scale. Zero cannot be drawn as a bar, so " +
      "every bar carries its value: \u201C0 (exactly)\u201D means the weights are bit-for-bit equal." +
      (zilValues.length === 0 ? "" : allZero ? " In this run every Z-IL difference is exactly 0, as expected." : " In this run some Z-IL differences are not zero: compare them with the backprop scale to judge whether they are rounding or a real divergence."),
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      width: 480,
      height: { step: 16 },
      data: { values: data },
      encoding: { y, yOffset, x },
      layer: [
        { mark: { type: "bar", height: { band: 0.9 } }, encoding: { color: colour } },
        { mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 11 }, encoding: { text: { field: "text" }, color: { value: "#222" } } },
      ],
    } as TopLevelSpec,
  };
}

/** Every figure of the report, in page order. */
export function planFigures(results: CompareResults): FigurePlan[] {
  const styles = new RowStyles(Array.isArray(results.rows) ? results.rows : []);
  const safe = { ...results, rows: Array.isArray(results.rows) ? results.rows : [], figures: results.figures ?? ({} as CompareResults["figures"]) };
  return [
    learningCurves(safe, styles),
    rateCurves(safe),
    energyTraces(safe, styles),
    spikeRaster(safe, styles),
    spikingAccuracy(safe, styles),
    weightDifferences(safe),
  ];
}
