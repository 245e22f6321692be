// A drawing pad: pointer events (mouse, touch and pen alike) paint round strokes onto a canvas of
// fixed resolution, whatever size CSS gives it. The ink is read back as intensities in [0, 1].

/** Stroke width as a fraction of the pad: about an MNIST pen's once the digit is fitted to 20 px. */
const STROKE = 0.075;

export class DrawingPad {
  /** `onStroke` runs when a stroke ends. */
  constructor(canvas, onStroke) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.onStroke = onStroke;
    this.last = undefined;
    this.pointer = undefined;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", (e) => this.up(e));
    this.clear();
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Ink per canvas pixel, row-major, from the alpha channel (the strokes are opaque, edges antialiased). */
  intensity() {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const out = new Float32Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i + 3] / 255;
    return out;
  }

  point(e) {
    const box = this.canvas.getBoundingClientRect();
    return [((e.clientX - box.left) / box.width) * this.canvas.width, ((e.clientY - box.top) / box.height) * this.canvas.height];
  }

  down(e) {
    if (this.pointer !== undefined) return;
    e.preventDefault();
    this.pointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.dot(this.last);
  }

  move(e) {
    if (e.pointerId !== this.pointer) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser batches pointer moves.
    const events = e.getCoalescedEvents?.() ?? [e];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.segment(this.last, p);
      this.last = p;
    }
  }

  up(e) {
    if (e.pointerId !== this.pointer) return;
    this.pointer = undefined;
    this.last = undefined;
    this.onStroke();
  }

  /** A tap leaves a round mark (a zero-length line draws nothing everywhere). */
  dot([x, y]) {
    const { ctx, canvas } = this;
    ctx.fillStyle = "#16181d";
    ctx.beginPath();
    ctx.arc(x, y, (STROKE * canvas.width) / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  segment(from, to) {
    const { ctx, canvas } = this;
    ctx.strokeStyle = "#16181d";
    ctx.lineWidth = STROKE * canvas.width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }
}
