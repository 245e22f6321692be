// Vega-Lite spec → Vega → static SVG, in Node, without a canvas and without network: text widths
// are estimated (vega's fallback without node-canvas), data are inline, and the loader is never
// asked for anything. vega and vega-lite are imported on first use, so importing the library does
// not load them.

import type { TopLevelSpec } from "vega-lite";

type Vega = typeof import("vega");
type VegaLite = typeof import("vega-lite");

let modules: Promise<[Vega, VegaLite]> | undefined;

function load(): Promise<[Vega, VegaLite]> {
  modules ??= Promise.all([import("vega"), import("vega-lite")]);
  return modules;
}

/** Collects vega and vega-lite log messages at warning level and above. */
function collectingLogger(warnings: string[]) {
  let level = 2; // vega.Warn
  const text = (args: readonly unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
  const logger = {
    level(l?: number): any {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]): any {
      warnings.push(`error: ${text(args)}`);
      return logger;
    },
    warn(...args: readonly unknown[]): any {
      warnings.push(text(args));
      return logger;
    },
    info(): any {
      return logger;
    },
    debug(): any {
      return logger;
    },
  };
  return logger;
}

/**
 * Give every id of one SVG a prefix. Vega numbers its clip paths and gradients from 1 in every
 * SVG, and inline SVGs share the page's id namespace: without a prefix, a second plot's
 * `url(#clip1)` would use the first plot's clip rectangle.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  const rename = (id: string) => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, head: string, id: string) => `${head}${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${rename(id)})`)
    .replace(/(\s(?:xlink:)?href=")#([^"]+)"/g, (_, head: string, id: string) => `${head}#${rename(id)}"`);
}

/**
 * Round the coordinates in path data and transforms to 0.01 px: vega writes them at full float
 * precision (7.1000000000000005), which only makes a raster of thousands of spikes larger.
 */
export function roundSvgCoordinates(svg: string): string {
  const round = (text: string) => text.replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (n) => String(Math.round(Number(n) * 100) / 100));
  return svg.replace(/(\s(?:d|transform)=")([^"]*)"/g, (_, head: string, value: string) => `${head}${round(value)}"`);
}

export interface RenderedSvg {
  svg: string;
  warnings: string[];
}

/** Compile a Vega-Lite spec and render it to an SVG string whose ids start with `idPrefix`. */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<RenderedSvg> {
  const [vega, vl] = await load();
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = vl.compile(spec, { logger }).spec;
  // A loader that refuses every request: the report must never touch the network or the disk.
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    throw new Error(`the report loads nothing, but a plot asked for ${uri}`);
  };
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logger, loader } as ConstructorParameters<Vega["View"]>[1]);
  try {
    const svg = await view.toSVG();
    return { svg: prefixSvgIds(roundSvgCoordinates(svg), idPrefix), warnings };
  } finally {
    view.finalize();
  }
}
