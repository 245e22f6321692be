// The report of a comparison run: results.json in, one self-contained report.html out.

import type { CompareResults } from "../experiment/results.js";
import { reportHtml, type RenderedFigure } from "./html.js";
import { planFigures, RowStyles } from "./plots.js";
import { renderSvg } from "./render.js";

export { escapeHtml } from "./format.js";

export interface ReportOptions {
  /** Called with each warning vega or vega-lite logs while drawing (none are expected). */
  onWarning?: (message: string, figure: string) => void;
}

/**
 * Render the HTML report of a comparison run: a title with the run's provenance, the results
 * table, and one static SVG plot per figure whose data are present (a sentence for each that is
 * not). The page needs no script, no server and no network; the same results give the same bytes.
 */
export async function renderReport(results: CompareResults, options: ReportOptions = {}): Promise<string> {
  if (!results || typeof results !== "object") throw new TypeError("renderReport: results must be a CompareResults object");
  const figures: RenderedFigure[] = [];
  for (const plan of planFigures(results)) {
    if (!plan.spec) {
      figures.push({ plan });
      continue;
    }
    const { svg, warnings } = await renderSvg(plan.spec, plan.id);
    for (const w of warnings) options.onWarning?.(w, plan.id);
    figures.push({ plan, svg });
  }
  const names = new RowStyles(Array.isArray(results.rows) ? results.rows : []).names;
  return reportHtml(results, names, figures);
}
