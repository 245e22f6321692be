// The report of a sweep: sweep.json's summary in, one self-contained report.html out — the table
// of chosen settings and test accuracy over seeds, the differences to the reference row with their
// intervals, and learning curves with a band of one standard deviation over seeds.

import type { TopLevelSpec } from "vega-lite";
import type { SweepRow } from "../experiment/sweep-run.js";
import { escapeHtml } from "./format.js";
import { CSS } from "./html.js";
import { CONFIG, FONT, RowStyles, SCHEMA } from "./plots.js";
import { renderSvg } from "./render.js";

export interface SweepSummary {
  name: string;
  dataset: string;
  seed: number;
  budget: number;
  /** Seeds per trial (absent in sweeps from before it existed: one). */
  trial_seeds?: number;
  seeds: number;
  search: string;
  reference: string | null;
  rows: SweepRow[];
  seconds: number;
  /** Training time summed over every task, whichever session, process or worker ran it. */
  task_seconds: number;
  version: string;
}

const pct = (x: number) => (x * 100).toFixed(2);
const duration = (s: number) => (s < 3600 ? `${Math.round(s)} s` : `${(s / 3600).toFixed(1)} h`);

/** Which of a row's trials and seeds diverged, in words ("7 of 8 trials and 1 of 5 seeds"); undefined when none did. */
export function divergedText(row: SweepRow, budget: number, seeds: number): string | undefined {
  const parts = [...(row.trials_diverged ? [`${row.trials_diverged} of ${budget} trials`] : []), ...(row.diverged ? [`${row.diverged} of ${seeds} seeds`] : [])];
  return parts.length ? parts.join(" and ") : undefined;
}

export async function renderSweepReport(results: SweepSummary): Promise<string> {
  const styles = new RowStyles(results.rows);
  const all = results.rows.map((_, i) => i);
  const colour = { field: "row", type: "nominal", title: null, scale: styles.scale(all), legend: { orient: "bottom", columns: 4, symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 2 } } as const;
  const curve = results.rows.flatMap((r, i) => r.curves.map((c) => ({
    row: styles.names[i], epoch: c.epoch, mean: c.test_accuracy.mean, lo: c.test_accuracy.mean - c.test_accuracy.std, hi: Math.min(1, c.test_accuracy.mean + c.test_accuracy.std),
  })));
  const epoch = { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1, format: "d" }, scale: { nice: false } } as const;
  // The axis starts 2 points below the lowest final accuracy: the rows' ends, which are what is
  // compared, stay readable when one row's early epochs fall far below them.
  const floor = Math.max(0, Math.min(...results.rows.map((r) => r.curves.at(-1)?.test_accuracy.mean ?? 1)) - 0.02);
  const curves: TopLevelSpec = {
    $schema: SCHEMA, config: CONFIG, width: 520, height: 300, data: { values: curve },
    layer: [
      { mark: { type: "area", opacity: 0.18, clip: true }, encoding: { x: epoch, y: { field: "lo", type: "quantitative", title: "test accuracy", scale: { domain: [floor, 1] }, axis: { format: ".1~%" } }, y2: { field: "hi" }, color: colour } },
      { mark: { type: "line", point: { size: 24 }, strokeWidth: 1.8, clip: true }, encoding: { x: epoch, y: { field: "mean", type: "quantitative" }, color: colour } },
    ],
  } as TopLevelSpec;
  const diffs = results.rows.flatMap((r, i) => (r.difference ? [{ row: styles.names[i], mean: r.difference.test_accuracy.mean, lo: r.difference.test_accuracy.ci95[0], hi: r.difference.test_accuracy.ci95[1] }] : []));
  const difference: TopLevelSpec = {
    $schema: SCHEMA, config: CONFIG, width: 520, height: { step: 26 }, data: { values: diffs },
    layer: [
      { mark: { type: "rule", strokeWidth: 2 }, encoding: { y: { field: "row", type: "nominal", title: null, sort: null }, x: { field: "lo", type: "quantitative", title: `test accuracy − ${results.reference ?? "reference"} (95 % interval)`, axis: { format: ".2~%" } }, x2: { field: "hi" }, color: { ...colour, legend: null } } },
      { mark: { type: "point", filled: true, size: 50 }, encoding: { y: { field: "row", type: "nominal", sort: null }, x: { field: "mean", type: "quantitative" }, color: { ...colour, legend: null } } },
      { data: { values: [{ zero: 0 }] }, mark: { type: "rule", strokeDash: [4, 3], color: "#888" }, encoding: { x: { field: "zero", type: "quantitative" } } },
    ],
  } as TopLevelSpec;
  const figures = [{ id: "curves", title: "Learning curves over seeds", spec: curves, caption: `Test accuracy after each epoch of each row's best setting: the line is the mean over ${results.seeds} seeds, the band one standard deviation either side. The axis starts 2 points below the lowest final accuracy (${pct(floor)} %); what lies below is cut off.` }];
  if (diffs.length) figures.push({ id: "differences", title: `Differences to ${results.reference}`, spec: difference, caption: `Each row's test accuracy minus ${results.reference}'s, seed by seed (the same seeds: same initial draws where the networks match, same data order), with the 95 % t interval of the mean difference. An interval that holds 0 finds no difference at this number of seeds.` });
  const rendered = [];
  for (const f of figures) rendered.push({ ...f, svg: (await renderSvg(f.spec, f.id)).svg });
  const head = ["Row", "Best setting (by validation)", "Validation acc.", "Test acc. (mean ± std)", "95 % interval", `− ${results.reference ?? "reference"} (95 % interval)`, "Spiking acc.", "Diverged"];
  const body = results.rows.map((r, i) => [
    `<td class="text"><strong>${escapeHtml(styles.names[i])}</strong></td>`,
    `<td class="text"><code>${escapeHtml(Object.entries(r.best.setting).map(([k, v]) => `${k}=${v}`).join(" ") || "(as given)")}</code> (trial ${r.best.trial})</td>`,
    `<td>${pct(r.best.validation_accuracy)} %</td>`,
    `<td>${pct(r.test_accuracy.mean)} ± ${pct(r.test_accuracy.std)} %</td>`,
    `<td>[${pct(r.test_accuracy.ci95[0])}, ${pct(r.test_accuracy.ci95[1])}]</td>`,
    `<td>${r.difference ? `${pct(r.difference.test_accuracy.mean)} [${pct(r.difference.test_accuracy.ci95[0])}, ${pct(r.difference.test_accuracy.ci95[1])}]` : "—"}</td>`,
    `<td>${r.spiking_accuracy ? `${pct(r.spiking_accuracy.mean)} ± ${pct(r.spiking_accuracy.std)} %` : "—"}</td>`,
    `<td class="text">${divergedText(r, results.budget, results.seeds) ?? "—"}</td>`,
  ].join(""));
  const title = `bioplausible sweep — ${results.name}`;
  return [
    `<!DOCTYPE html>`, `<html lang="en">`, `<head>`, `<meta charset="utf-8">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="bioplausible ${escapeHtml(results.version)}">`, `<title>${escapeHtml(title)}</title>`, `<style>${CSS}</style>`, `</head>`,
    `<body style="font-family: ${escapeHtml(FONT)}"><main>`, `<h1>${escapeHtml(title)}</h1>`,
    `<p class="lead">${escapeHtml(results.dataset)}; every row got ${results.budget} ${escapeHtml(results.search)} trials judged on the validation split alone${(results.trial_seeds ?? 1) > 1 ? ` (the mean over ${results.trial_seeds} seeds each)` : ""}, then its best setting ran from ${results.seeds} seeds (${results.seed}…${results.seed + results.seeds - 1}) on the whole training set and was read once on the test set. ${duration(results.task_seconds)} of training in all.</p>`,
    `<div class="table-wrap"><table>`, `<thead><tr>${head.map((h, i) => `<th${i < 2 ? ' class="text"' : ""}>${escapeHtml(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>`, ...body.map((b) => `<tr>${b}</tr>`), `</tbody></table></div>`,
    ...rendered.map((f, i) => `<section><h2 id="${f.id}">${i + 1}. ${escapeHtml(f.title)}</h2><figure><div class="plot">${f.svg}</div><figcaption>${escapeHtml(f.caption)}</figcaption></figure></section>`),
    `</main></body></html>`, ``,
  ].join("\n");
}
