import { writeFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import type { CompareResults } from "../../ts-wrapper/experiment/results.js";
import { escapeHtml, renderReport } from "../../ts-wrapper/report/index.js";
import { prefixSvgIds, roundSvgCoordinates } from "../../ts-wrapper/report/render.js";
import { rateCurves, realisticResults, smallResults } from "./fixture.js";

async function render(results: CompareResults): Promise<{ html: string; warnings: string[] }> {
  const warnings: string[] = [];
  const html = await renderReport(results, { onWarning: (message, figure) => warnings.push(`${figure}: ${message}`) });
  return { html, warnings };
}

const count = (text: string, needle: string | RegExp) => (typeof needle === "string" ? text.split(needle).length - 1 : [...text.matchAll(needle)].length);

/** The HTML of one figure section, from its heading to the end of the section. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<h2 id="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</section>", start));
}

/** The number of mark items drawn by the spike ticks: one <path> each inside the tick mark groups. */
function spikeMarks(svg: string): number {
  let total = 0;
  for (const m of svg.matchAll(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)) total += count(m[1], "<path");
  return total;
}

const FIGURES = ["learning-curves", "rate-curves", "pc-energy", "spike-raster", "spiking-accuracy", "weight-differences"];

/** Results with nothing but learning curves: no spiking, no PC, no figures beyond empty rate curves. */
function sparseResults(): CompareResults {
  const r = smallResults();
  r.rows = r.rows.map(({ spiking: _s, energy_trace: _e, ...row }) => row);
  const empty = rateCurves(2);
  r.figures = { rate_curves: { ...empty, current: [], lif: [], softlif: [], simulated: [], z: [], scaled: [], relu: [] } };
  return r;
}

describe("renderReport", () => {
  test("draws one inline SVG per figure, without a vega warning", async () => {
    const { html, warnings } = await render(smallResults());
    expect(warnings).toEqual([]);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(count(html, "<svg ")).toBe(FIGURES.length);
    for (const id of FIGURES) expect(count(section(html, id), "<svg ")).toBe(1);
    expect(count(html, "<figcaption>")).toBe(FIGURES.length);
  });

  test("the title and provenance name scale, dataset, seed, version and runtime, and no date", async () => {
    const { html } = await render(smallResults());
    expect(html).toContain("<title>bioplausible comparison — test scale</title>");
    expect(html).toContain("mnist (600 training, 100 test samples)");
    expect(html).toContain("<dt>Seed</dt><dd>5</dd>");
    expect(html).toContain("<dt>bioplausible</dt><dd>0.1.0</dd>");
    expect(html).toContain("node 20.20.2 · v8 11.3.244.8-node.33 · platform linux · arch x64");
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\d/);
  });

  test("accuracy against presentation time has a panel of what the answers cost, when the records count it", async () => {
    const { html } = await render(smallResults());
    const figure = section(html, "spiking-accuracy");
    expect(figure).toContain("operations per digit (log scale)");
    expect(figure).toContain("The lower panel is the price");
    // A record written before synaptic operations were counted: the accuracy panel alone.
    const old = smallResults();
    for (const row of old.rows) {
      if (!row.spiking) continue;
      const { synaptic_operations_by_time_ms: _o, rate_multiply_accumulates: _m, energy_nj: _e, ...rest } = row.spiking;
      row.spiking = rest as typeof row.spiking;
    }
    const older = section((await render(old)).html, "spiking-accuracy");
    expect(older).toContain("presentation time (ms, log scale)");
    expect(older).not.toContain("operations per digit");
  });

  test("the results table has one row per result with its figures", async () => {
    const results = smallResults();
    const { html } = await render(results);
    const table = html.slice(html.indexOf("<table>"), html.indexOf("</table>"));
    expect(count(table, /<tr id="row-\d+">/g)).toBe(results.rows.length);
    const rows = table.split(/<tr id="row-\d+">/).slice(1);
    expect(rows[0]).toContain("<strong>Backprop MLP</strong>");
    expect(rows[0]).toContain("91.00 %");
    expect(rows[0]).toContain(`<code title="${results.rows[0].params_sha256}">${results.rows[0].params_sha256.slice(0, 12)}</code>`);
    expect(rows[1]).toContain("4.50"); // training seconds, 3 epochs × 1.5 s
    // Spiking columns: the union of the presentation times, in numeric order.
    expect(table).toMatch(/<th scope="col">10 ms<\/th><th scope="col">50 ms<\/th><th scope="col">100 ms<\/th>/);
    expect(rows[2]).toMatch(/40\.00 %<\/td><td>80\.00 %<\/td><td>86\.00 %/);
    expect(rows[2]).toContain("0.0 · 30.5 · 12.3");
    // What an answer costs at the last time (100 ms): the fixture's (2560 + 1280 + 100)·100 operations and 3.546·100 nJ.
    expect(rows[2]).toContain("3.94e+5 ops, 355 nJ; 2.69e+5 MACs, 1260 nJ");
    expect(count(rows[0], /class="na[ "]/g)).toBe(5); // three times, the firing rates and the cost
  });

  test("escapes every string from the results", async () => {
    const { html } = await render(smallResults());
    expect(html).toContain(`<strong>${escapeHtml(`PC <Z-IL> & "friends"`)}</strong>`);
    expect(html).toContain("PC &lt;Z-IL&gt; &amp; &quot;friends&quot;");
    expect(html).toContain("Z-IL with &lt;b&gt;markup&lt;/b&gt; in its description.");
    expect(html).toContain("&lt;/script&gt;&lt;b&gt;not markup&lt;/b&gt;"); // in the configuration JSON
    for (const raw of ["<Z-IL>", "<b>", "</script>", "<script"]) expect(html).not.toContain(raw);
    // The legends in the SVGs carry the label too, escaped by vega's SVG writer.
    expect(section(html, "pc-energy")).toContain("PC &lt;Z-IL&gt; &amp;");
  });

  test("omits figures whose data are absent, with a sentence, never an error", async () => {
    const { html, warnings } = await render(sparseResults());
    expect(warnings).toEqual([]);
    expect(count(html, "<svg ")).toBe(1);
    expect(count(section(html, "learning-curves"), "<svg ")).toBe(1);
    expect(section(html, "rate-curves")).toContain("The results hold no rate curves, so figure 3 is not drawn.");
    expect(section(html, "pc-energy")).toContain("No row recorded an energy trace");
    expect(section(html, "spike-raster")).toContain("The results hold no spike raster");
    expect(section(html, "spiking-accuracy")).toContain("No row was run as a spiking network");
    expect(section(html, "weight-differences")).toContain("The results hold no Z-IL weight comparison");
    expect(count(html, `<p class="omitted">`)).toBe(5);
    expect(html).not.toContain("Spiking accuracy when shown for");

    const bare = await render({ ...sparseResults(), rows: [], figures: undefined } as unknown as CompareResults);
    expect(count(bare.html, "<svg ")).toBe(0);
    expect(bare.html).toContain("The results hold no rows.");
    expect(bare.html).toContain("No row recorded a training history");
  });

  test("tolerates JSON nulls and values a log scale cannot show", async () => {
    const r = smallResults();
    (r.rows[0].history[1] as unknown as Record<string, unknown>).test_accuracy = null;
    r.rows[1].energy_trace = [2, 0.5, 0, 0]; // zero energy: drawn on a linear axis
    r.rows[2].energy_trace = [1, null as unknown as number, 0.5];
    r.rows[2].spiking!.accuracy_by_time_ms = { "0": 0.1, "10": 0.5, x: 0.7, "20": 0.8 };
    const { html, warnings } = await render(r);
    expect(warnings).toEqual([]);
    expect(count(html, "<svg ")).toBe(FIGURES.length);
    expect(section(html, "pc-energy")).not.toContain("logarithmic");
  });

  test("the same results render to the same bytes", async () => {
    const a = (await render(realisticResults())).html;
    const b = (await render(structuredClone(realisticResults()))).html;
    expect(b === a).toBe(true);
  });

  test("the raster draws one mark per spike", async () => {
    const results = smallResults();
    const spikes = results.figures.raster!.layers.reduce((n, l) => n + l.spikes.length, 0);
    const { html } = await render(results);
    const raster = section(html, "spike-raster");
    expect(spikeMarks(raster)).toBe(spikes);
    expect(raster).toContain("Digit 2: predicted 1 (wrong)");
    expect(raster).toContain("Not drawn, because they have no spikes: input.");
    expect(raster).toContain("constant current");
    // Per-spike marks carry no tooltip or ARIA text: the SVG stays small.
    expect(raster).not.toMatch(/<path[^>]*aria-label="[^"]*t: /);
  });

  test("Z-IL's zero differences are labelled, on a linear axis", async () => {
    const { html } = await render(smallResults());
    const fig = section(html, "weight-differences");
    expect(count(fig, ">0 (exactly)</text>")).toBe(2);
    expect(fig).toContain(">0.05</text>");
    expect(fig).toContain("every Z-IL difference is exactly 0");
  });

  test("the page is self-contained: no script, no external resource, ids unique across plots", async () => {
    const { html } = await render(smallResults());
    for (const bad of ["<script", "<link", " src=", "@import", "url(http", "<iframe"]) expect(html).not.toContain(bad);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]));
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(FIGURES.length);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  test("renders the realistic seven-row fixture", async () => {
    const results = realisticResults();
    const { html, warnings } = await render(results);
    expect(warnings).toEqual([]);
    expect(count(html, "<svg ")).toBe(FIGURES.length);
    expect(count(html, /<tr id="row-\d+">/g)).toBe(7);
    const spikes = results.figures.raster!.layers.reduce((n, l) => n + l.spikes.length, 0);
    expect(spikes).toBeGreaterThan(3000);
    expect(spikeMarks(section(html, "spike-raster"))).toBe(spikes);
    expect(html.length).toBeLessThan(1.5e6);
    if (process.env.REPORT_HTML_OUT) writeFileSync(process.env.REPORT_HTML_OUT, html);
  });
});

describe("SVG post-processing", () => {
  test("prefixSvgIds renames ids and their references only", () => {
    const svg = `<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/><text>url(#other)</text></g></svg>`;
    expect(prefixSvgIds(svg, "fig")).toBe(
      `<svg><defs><clipPath id="fig-clip1"><rect/></clipPath></defs><g clip-path="url(#fig-clip1)"><use href="#fig-clip1"/><text>url(#other)</text></g></svg>`,
    );
    expect(prefixSvgIds("<svg><g/></svg>", "fig")).toBe("<svg><g/></svg>");
  });

  test("roundSvgCoordinates rounds path data and transforms to 0.01 px, nothing else", () => {
    const svg = `<path d="M7.1000000000000005,60h1v6h-1Z" transform="translate(3.14159,-2.718281)"/><text>1.23456</text>`;
    expect(roundSvgCoordinates(svg)).toBe(`<path d="M7.1,60h1v6h-1Z" transform="translate(3.14,-2.72)"/><text>1.23456</text>`);
  });
});
