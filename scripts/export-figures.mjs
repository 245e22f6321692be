#!/usr/bin/env node
// Writes the plots of a report.html as standalone SVG files (for docs pages): one per section,
// named by the section's id, e.g. learning-curves.svg.
//
//   node scripts/export-figures.mjs results/report.html docs/figures

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [html, outDir] = process.argv.slice(2);
if (!html || !outDir) {
  process.stderr.write("usage: node scripts/export-figures.mjs report.html out-dir\n");
  process.exit(2);
}
const text = readFileSync(html, "utf8");
mkdirSync(outDir, { recursive: true });
let written = 0;
for (const section of text.split("<section>").slice(1)) {
  const id = /<h2 id="([^"]+)"/.exec(section)?.[1];
  const svg = /<svg[\s\S]*?<\/svg>/.exec(section)?.[0];
  if (!id || !svg) continue;
  const standalone = svg.includes("xmlns=") ? svg : svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"');
  writeFileSync(join(outDir, `${id}.svg`), `${standalone}\n`);
  written++;
}
process.stdout.write(`wrote ${written} figures to ${outDir}\n`);
