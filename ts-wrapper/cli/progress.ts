// Progress display for long CLI jobs. Writes to stderr by default: stdout carries results and the
// final JSON line, and must stay clean when piped.
//
// On a TTY: one line redrawn in place with "\r", at most every REDRAW_MS.
// Otherwise (logs, CI): plain lines, one per 10 % of progress, plus one after HEARTBEAT_MS of
// silence so a slow job still shows it is alive; never a carriage return.

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** What is being counted, e.g. "samples" (the default) or "images". */
  unit?: string;
  stream?: ProgressStream;
  /** Milliseconds on a monotonic clock; `performance.now()` unless a test injects one. */
  now?: () => number;
  /** Show only the percentage and ETA: for work measured in estimated units, not countable items. */
  percentOnly?: boolean;
}

const REDRAW_MS = 100;
const HEARTBEAT_MS = 10_000;
const QUIET_MS = 5_000;
const BAR_WIDTH = 20;

/** 0:04, 12:30, 1:02:03. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** 7.50, 123, 12.3k, 4.5M. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  if (perSecond >= 100) return perSecond.toFixed(0);
  return perSecond.toFixed(2);
}

export class Progress {
  private readonly label: string;
  private readonly total: number;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly percentOnly: boolean;
  private readonly start: number;
  private count = 0;
  private info = "";
  private lastDraw: number;
  private lastWidth = 0;
  private lastDecile = 0;
  private finished = false;

  constructor(opts: ProgressOptions) {
    if (!(Number.isFinite(opts.total) && opts.total >= 0)) {
      throw new Error(`Progress total must be a finite number ≥ 0, got ${opts.total}`);
    }
    this.label = opts.label;
    this.total = opts.total;
    this.unit = opts.unit ?? "samples";
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? (() => performance.now());
    this.tty = this.stream.isTTY === true;
    this.percentOnly = opts.percentOnly === true;
    this.start = this.now();
    // A TTY draws on the first tick; a log waits for the first decile or heartbeat.
    this.lastDraw = this.tty ? -Infinity : this.start;
  }

  tick(n = 1, info?: string): void {
    if (this.finished) return;
    this.count += n;
    if (info !== undefined) this.info = info;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw >= REDRAW_MS) this.redraw(this.line(true, t), t);
      return;
    }
    // Completion is reported by done(), so ticks print deciles 1–9 only, and only when the last
    // line is a few seconds old: a short job logs its summary line alone.
    const decile = Math.min(9, Math.floor(10 * this.fraction() + 1e-9));
    const quiet = t - this.lastDraw;
    if ((decile > this.lastDecile && quiet >= QUIET_MS) || quiet >= HEARTBEAT_MS) {
      this.lastDecile = Math.max(this.lastDecile, decile);
      this.lastDraw = t;
      this.stream.write(this.line(false, t) + "\n");
    }
  }

  done(summary?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (summary !== undefined) this.info = summary;
    const t = this.now();
    const seconds = (t - this.start) / 1000;
    const rate = seconds > 0 ? `${formatRate(this.count / seconds)} ${this.unit}/s` : `-- ${this.unit}/s`;
    const body = this.percentOnly
      ? `${this.percent()}% in ${formatDuration(seconds)}${this.suffix()}`
      : `${this.percent()}% ${this.count}/${this.total} ${rate} in ${formatDuration(seconds)}${this.suffix()}`;
    if (this.tty) {
      this.redraw(`${this.label} [${this.bar()}] ${body}`, t);
      this.stream.write("\n");
    } else {
      this.stream.write(`${this.label}: ${body}\n`);
    }
  }

  private fraction(): number {
    return this.total === 0 ? 1 : Math.min(1, this.count / this.total);
  }

  // Floor, so 100 % appears only when the work is complete.
  private percent(): number {
    return Math.floor(100 * this.fraction() + 1e-9);
  }

  private bar(): string {
    const filled = Math.floor(BAR_WIDTH * this.fraction() + 1e-9);
    return "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
  }

  private suffix(): string {
    return this.info ? ` ${this.info}` : "";
  }

  private line(withBar: boolean, t: number): string {
    const seconds = (t - this.start) / 1000;
    const perSecond = seconds > 0 ? this.count / seconds : 0;
    const rate = perSecond > 0 ? formatRate(perSecond) : "--";
    const remaining = Math.max(0, this.total - this.count);
    const eta = perSecond > 0 ? formatDuration(remaining / perSecond) : "--:--";
    const head = withBar ? `${this.label} [${this.bar()}]` : `${this.label}:`;
    if (this.percentOnly) return `${head} ${this.percent()}% ETA ${eta}${this.suffix()}`;
    return `${head} ${this.percent()}% ${this.count}/${this.total} ${rate} ${this.unit}/s ETA ${eta}${this.suffix()}`;
  }

  // Overwrites the current line; spaces erase what a longer previous line left behind. Lines are cut
  // to the terminal width because a wrapped line cannot be redrawn with "\r".
  private redraw(text: string, t: number): void {
    const columns = this.stream.columns;
    const fitted = columns && columns > 1 ? text.slice(0, columns - 1) : text;
    this.stream.write(`\r${fitted.padEnd(this.lastWidth)}`);
    this.lastWidth = fitted.length;
    this.lastDraw = t;
  }
}
