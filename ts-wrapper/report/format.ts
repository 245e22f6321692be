// Text helpers of the report: HTML escaping and deterministic number formatting (toFixed and
// toPrecision only; no locale, no dates).

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML element content and for double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** A fraction as a percentage, "97.52 %"; "—" for a missing or non-finite value. */
export function percent(fraction: unknown, digits = 2): string {
  return isFiniteNumber(fraction) ? `${(fraction * 100).toFixed(digits)} %` : "—";
}

/** Seconds with a precision that suits their size: 0.123, 4.56, 78.9, 1234. */
export function seconds(s: unknown): string {
  if (!isFiniteNumber(s)) return "—";
  const a = Math.abs(s);
  return a < 1 ? s.toFixed(3) : a < 10 ? s.toFixed(2) : a < 100 ? s.toFixed(1) : s.toFixed(0);
}

/** A value in three significant digits, in exponent form when very small or large; 0 as "0". */
export function compact(x: unknown): string {
  if (!isFiniteNumber(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

/** The first 12 hex digits of a SHA-256: enough to tell runs apart in a table. */
export function shortHash(hash: unknown): string {
  return typeof hash === "string" ? hash.slice(0, 12) : "—";
}
