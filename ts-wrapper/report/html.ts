// The report page: one self-contained HTML file (inline CSS, inline SVG, no script, no external
// resource). Every string taken from the results is escaped here.

import type { CompareResults, RowResult } from "../experiment/results.js";
import { answerCost } from "../evaluation/energy.js";
import { compact, escapeHtml, isFiniteNumber, percent, seconds, shortHash } from "./format.js";
import type { FigurePlan } from "./plots.js";
import { FONT } from "./plots.js";

/** A figure ready for the page: its plan and, when drawn, the SVG text. */
export interface RenderedFigure {
  plan: FigurePlan;
  svg?: string;
}

export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fafafa; color: #1d1d1f; font: 15px/1.55 ${FONT}; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 28px 60px; background: #fff; min-height: 100vh; }
h1 { font-size: 1.7rem; margin: 0 0 4px; line-height: 1.25; }
h2 { font-size: 1.25rem; margin: 40px 0 10px; padding-top: 10px; border-top: 1px solid #e3e3e3; }
p.lead { margin: 0 0 16px; color: #444; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 12px 0 8px; }
dl.facts dt { font-weight: 600; color: #555; }
dl.facts dd { margin: 0; }
nav ul { margin: 6px 0 0; padding-left: 0; list-style: none; columns: 2; }
nav a { color: #1a5fb4; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #1a5fb4; }
pre { background: #f4f4f6; padding: 10px 12px; overflow-x: auto; font-size: 12.5px; line-height: 1.4; border-radius: 4px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { width: 100%; border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid #e3e3e3; vertical-align: top; text-align: right; white-space: nowrap; }
th { background: #f4f4f6; font-weight: 600; vertical-align: bottom; }
th.group { text-align: center; border-bottom: 1px solid #d0d0d6; }
td.rates { white-space: normal; min-width: 9em; text-align: left; }
th.text, td.text { text-align: left; white-space: normal; }
td.text { min-width: 15em; max-width: 24em; }
td .desc { display: block; color: #666; font-size: 12.5px; }
td.na { color: #aaa; }
tr:hover td { background: #fbfbfd; }
figure { margin: 12px 0 0; }
figure .plot { overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { margin-top: 8px; max-width: 60em; color: #333; }
p.omitted { color: #666; font-style: italic; }
footer { margin-top: 48px; color: #777; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
`;

function runtimeText(runtime: unknown): string {
  if (!runtime || typeof runtime !== "object") return "—";
  const r = runtime as Record<string, unknown>;
  const parts: string[] = [];
  if (r.name !== undefined || r.version !== undefined) parts.push([r.name, r.version].filter((x) => x !== undefined).map(String).join(" "));
  for (const [key, value] of Object.entries(r)) {
    if (key === "name" || key === "version") continue;
    parts.push(`${key} ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return parts.join(" · ") || "—";
}

/** Presentation times (ms) that any row reports, ascending. */
function spikingTimes(rows: readonly RowResult[]): string[] {
  const times = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.spiking?.accuracy_by_time_ms ?? {})) if (isFiniteNumber(Number(key))) times.add(key);
  return [...times].sort((a, b) => Number(a) - Number(b));
}

function costText(cost: ReturnType<typeof answerCost>): string {
  if (!cost) return "—";
  return escapeHtml(`${compact(cost.synapticOperations)} ops, ${compact(cost.energyNj)} nJ; ${compact(cost.rateMacs)} MACs, ${compact(cost.rateEnergyNj)} nJ`);
}

function resultsTable(rows: readonly RowResult[], names: readonly string[]): string {
  if (rows.length === 0) return `<p class="omitted">The results hold no rows.</p>`;
  const times = spikingTimes(rows);
  const anyRates = rows.some((r) => Array.isArray(r.spiking?.firing_rates_hz) && r.spiking.firing_rates_hz.length > 0);
  const costs = rows.map((r) => (r.spiking ? answerCost(r.spiking) : undefined));
  const anyCost = costs.some((c) => c !== undefined);
  const rs = times.length > 0 ? ` rowspan="2"` : "";
  const firstRow = [
    `<th class="text" scope="col"${rs}>Row</th>`,
    `<th scope="col"${rs}>Test<br>accuracy</th>`,
    `<th scope="col"${rs}>Epochs</th>`,
    `<th scope="col"${rs}>Training<br>(s)</th>`,
    `<th scope="col"${rs}>s / epoch</th>`,
    ...(times.length > 0 ? [`<th scope="colgroup" colspan="${times.length}" class="group">Spiking accuracy when shown for</th>`] : []),
    ...(anyRates ? [`<th scope="col"${rs} class="text">Mean firing rates (Hz),<br>input first</th>`] : []),
    ...(anyCost ? [`<th scope="col"${rs} class="text">Per sample at the full time:<br>synaptic operations, energy;<br>the rate network's</th>`] : []),
    `<th scope="col"${rs} class="text">params_sha256</th>`,
  ];
  const secondRow = times.map((t) => `<th scope="col">${escapeHtml(t)} ms</th>`);
  const head = `<tr>${firstRow.join("")}</tr>${secondRow.length > 0 ? `<tr>${secondRow.join("")}</tr>` : ""}`;
  const cell = (text: string, cls = "") => `<td${text === "—" ? ` class="na${cls ? ` ${cls}` : ""}"` : cls ? ` class="${cls}"` : ""}>${text}</td>`;
  const body = rows.map((row, i) => {
    const byTime = row.spiking?.accuracy_by_time_ms ?? {};
    const firing = row.spiking?.firing_rates_hz;
    const label = `<strong>${escapeHtml(names[i])}</strong>${typeof row.description === "string" && row.description !== "" ? `<span class="desc">${escapeHtml(row.description)}</span>` : ""}`;
    const hash = typeof row.params_sha256 === "string" ? `<code title="${escapeHtml(row.params_sha256)}">${escapeHtml(shortHash(row.params_sha256))}</code>` : "—";
    return [
      `<tr id="row-${i + 1}">`,
      `<td class="text">${label}</td>`,
      cell(escapeHtml(percent(row.test_accuracy))),
      cell(isFiniteNumber(row.epochs) ? String(row.epochs) : "—"),
      cell(escapeHtml(seconds(row.seconds))),
      cell(escapeHtml(seconds(row.seconds_per_epoch))),
      ...times.map((t) => cell(escapeHtml(percent(byTime[t])))),
      ...(anyRates ? [cell(Array.isArray(firing) && firing.length > 0 ? escapeHtml(firing.map((r) => (isFiniteNumber(r) ? r.toFixed(1) : "—")).join(" · ")) : "—", "rates")] : []),
      ...(anyCost ? [cell(costText(costs[i]), "rates")] : []),
      cell(hash, "text"),
      `</tr>`,
    ].join("");
  });
  return `<div class="table-wrap"><table>\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table></div>`;
}

function figureSection(figure: RenderedFigure, number: number): string {
  const { plan, svg } = figure;
  const heading = `<h2 id="${escapeHtml(plan.id)}">${number}. ${escapeHtml(plan.title)}</h2>`;
  if (svg === undefined) return `<section>\n${heading}\n<p class="omitted">${escapeHtml(plan.omitted ?? "This plot has no data.")}</p>\n</section>`;
  return `<section>\n${heading}\n<figure>\n<div class="plot">${svg}</div>\n<figcaption>${escapeHtml(plan.caption)}</figcaption>\n</figure>\n</section>`;
}

/** Assemble the page from the results and the rendered figures (in page order). */
export function reportHtml(results: CompareResults, names: readonly string[], figures: readonly RenderedFigure[]): string {
  const rows = Array.isArray(results.rows) ? results.rows : [];
  const title = `bioplausible comparison — ${String(results.scale ?? "")} scale`;
  const facts: [string, string][] = [
    ["Scale", escapeHtml(results.scale ?? "—")],
    ["Dataset", `${escapeHtml(results.dataset ?? "—")} (${isFiniteNumber(results.train_samples) ? results.train_samples : "—"} training, ${isFiniteNumber(results.test_samples) ? results.test_samples : "—"} test samples)`],
    ["Seed", escapeHtml(results.seed ?? "—")],
    ["bioplausible", escapeHtml(results.version ?? "—")],
    ["Runtime", escapeHtml(runtimeText(results.runtime))],
    ["Run time", `${escapeHtml(seconds(results.seconds))} s in total${isFiniteNumber(results.seconds) && results.seconds >= 120 ? ` (${(results.seconds / 60).toFixed(1)} min)` : ""}`],
    ["Rows", String(rows.length)],
  ];
  const toc = figures.map((f, i) => `<li>${i + 1}. <a href="#${escapeHtml(f.plan.id)}">${escapeHtml(f.plan.title)}</a>${f.svg === undefined ? " (not drawn)" : ""}</li>`).join("");
  const configJson = JSON.stringify(results.config ?? {}, null, 2);
  return [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="bioplausible ${escapeHtml(results.version ?? "")}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    `</head>`,
    `<body>`,
    `<main>`,
    `<header>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="lead">Backprop, predictive coding and spiking networks trained and tested on the same data from the same seed. ` +
      `Accuracies are on the test set. Replaying the configuration below with the same version reproduces these numbers bit for bit.</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`,
    `<details><summary>Resolved configuration (JSON)</summary><pre><code>${escapeHtml(configJson)}</code></pre></details>`,
    `<nav><strong>Contents</strong><ul><li><a href="#results">Results table</a></li>${toc}</ul></nav>`,
    `</header>`,
    `<section>`,
    `<h2 id="results">Results</h2>`,
    `<p>One row per model. Test accuracy is that of the rate (non-spiking) network; the spiking columns give the accuracy of the ` +
      `same weights run as a spiking network when each digit is shown for that long. Hover a hash for all its digits.</p>`,
    resultsTable(rows, names),
    `</section>`,
    ...figures.map((f, i) => figureSection(f, i + 1)),
    `<footer>Made by bioplausible ${escapeHtml(results.version ?? "")} from the run's results.json. Plots: Vega-Lite, rendered to static SVG; ` +
      `this page uses no script and loads nothing from the network.</footer>`,
    `</main>`,
    `</body>`,
    `</html>`,
    ``,
  ].join("\n");
}
