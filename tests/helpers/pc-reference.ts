// An independent float64 reference of predictive coding (SCIENCE.md §3) and of backprop, written
// from the mathematics rather than from assembly/pc.ts or ts-wrapper/models/pcn.ts.
//
// Network: value layers x_0 (the clamped input), x_1 … x_L; weight layer i (0 … L−1) maps value
// layer i to i + 1 with W_i stored [out, in] like torch.nn.Linear:
//   u_1     = W_0 x_0 + b_0                      (the input is not passed through an activation)
//   u_{i+1} = W_i σ_i(x_i) + b_i                 (σ_i the activation of hidden layer i)
//   e_{i+1} = x_{i+1} − u_{i+1},   F = Σ ½‖e‖²
// With a cross-entropy output the output term of F is −Σ_j y_j log softmax(u_L)_j and
// e_L = y − softmax(u_L) (the negative gradient of that term at u_L).
// One inference step (synchronous: every error is computed from the state before the step):
//   x_i += γ (σ_i'(x_i) ⊙ W_iᵀ e_{i+1} − e_i)   for hidden i;  x_L −= γ e_L when the output is free.
// A captured gradient of weight layer i is the descent direction of F written as a loss gradient:
//   gW_i = −(1/B) Σ_b e_{i+1} σ_i(x_i)ᵀ,  gb_i = −(1/B) Σ_b e_{i+1}, and SGD does W −= lr · gW.
// Feedback alignment (Lillicrap et al. 2016): when `net.feedback[i]` is given, the backward products
// W_iᵀ e_{i+1} (PC) and δ_{i+1} W_i (backprop) use that fixed matrix in place of W_i; nothing else
// changes, and it is never updated. Direct feedback alignment (Nøkland 2016), `net.direct`: the
// product for every hidden layer i takes the output's error instead — e_L through feedback[i], which
// is then n_L × n_i (the PC step only).
// Tensors are named like the MLP's nn.Sequential state_dict without batch norm: Linear, act,
// Linear, act, …, Linear, so weight layer i is the module layers.{2i}.

export type Act = "relu" | "sigmoid" | "tanh" | "identity";
export type OutputMode = "free" | "mse" | "ce";

export interface Net64 {
  layers: number[];
  /** Activations of the hidden value layers 1 … L−1. */
  acts: Act[];
  W: Float64Array[];
  b: Float64Array[];
  /** Feedback alignment: per weight layer i ≥ 1, the [out, in] matrix used in place of W_i going back. */
  feedback?: (Float64Array | undefined)[];
  /** Direct feedback alignment: feedback[i] ([n_L, n_i]) takes the output layer's error to layer i (pcStep64 only). */
  direct?: boolean;
}

/** The matrix weight layer i sends errors back through: its feedback matrix, else W_i. */
function back(net: Net64, i: number): Float64Array {
  return net.feedback?.[i] ?? net.W[i];
}

export function weightName(i: number): string {
  return `layers.${2 * i}.weight`;
}
export function biasName(i: number): string {
  return `layers.${2 * i}.bias`;
}

export function act(kind: Act, v: number): number {
  switch (kind) {
    case "relu": return v > 0 ? v : 0;
    case "sigmoid": return 1 / (1 + Math.exp(-v));
    case "tanh": return Math.tanh(v);
    case "identity": return v;
  }
}

/** σ'(v) from the pre-activation v (ReLU's derivative at 0 is taken as 0). */
export function dact(kind: Act, v: number): number {
  switch (kind) {
    case "relu": return v > 0 ? 1 : 0;
    case "sigmoid": {
      const s = 1 / (1 + Math.exp(-v));
      return s * (1 - s);
    }
    case "tanh": {
      const t = Math.tanh(v);
      return 1 - t * t;
    }
    case "identity": return 1;
  }
}

export function cloneNet(net: Net64): Net64 {
  const copy: Net64 = { layers: [...net.layers], acts: [...net.acts], W: net.W.map((w) => w.slice()), b: net.b.map((b) => b.slice()) };
  if (net.feedback) copy.feedback = net.feedback.map((f) => f?.slice());
  if (net.direct) copy.direct = true;
  return copy;
}

/** The float64 network holding a model's (float32) weights. */
export function netFromParams(params: { view(name: string): Float32Array }, layers: number[], acts: Act[]): Net64 {
  const L = layers.length - 1;
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    W.push(Float64Array.from(params.view(weightName(i))));
    b.push(Float64Array.from(params.view(biasName(i))));
  }
  return { layers: [...layers], acts: [...acts], W, b };
}

/** out (B × nOut) = a (B × nIn) · Wᵀ + b. */
export function linear(a: Float64Array, B: number, W: Float64Array, b: Float64Array, nIn: number, nOut: number): Float64Array {
  const out = new Float64Array(B * nOut);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = b[o];
      for (let k = 0; k < nIn; k++) s += a[r * nIn + k] * W[o * nIn + k];
      out[r * nOut + o] = s;
    }
  }
  return out;
}

/** σ(x) of value layer i (the identity for the input and for the output layer). */
function activated(net: Net64, i: number, x: Float64Array): Float64Array {
  if (i === 0 || i === net.layers.length - 1) return x;
  const kind = net.acts[i - 1];
  return x.map((v) => act(kind, v));
}

/** Feedforward pass: linear outputs z_1 … z_L (index l − 1), each B × n_l. */
export function forward64(net: Net64, x0: Float64Array, B: number): Float64Array[] {
  const z: Float64Array[] = [];
  let a = x0;
  for (let i = 0; i < net.W.length; i++) {
    const zi = linear(a, B, net.W[i], net.b[i], net.layers[i], net.layers[i + 1]);
    z.push(zi);
    a = activated(net, i + 1, zi);
  }
  return z;
}

function softmaxRow(u: Float64Array, start: number, n: number): { p: number[]; logSum: number; peak: number } {
  let peak = -Infinity;
  for (let j = 0; j < n; j++) peak = Math.max(peak, u[start + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(u[start + j] - peak);
  const logSum = Math.log(sum);
  const p: number[] = [];
  for (let j = 0; j < n; j++) p.push(Math.exp(u[start + j] - peak - logSum));
  return { p, logSum, peak };
}

/** Mean loss over the batch: cross-entropy of softmax(logits) or ½‖logits − y‖². */
export function loss64(logits: Float64Array, y: Float64Array, B: number, n: number, loss: "ce" | "mse"): number {
  let total = 0;
  for (let r = 0; r < B; r++) {
    if (loss === "ce") {
      const { logSum, peak } = softmaxRow(logits, r * n, n);
      for (let j = 0; j < n; j++) total -= y[r * n + j] * (logits[r * n + j] - peak - logSum);
    } else {
      for (let j = 0; j < n; j++) total += 0.5 * (logits[r * n + j] - y[r * n + j]) ** 2;
    }
  }
  return total / B;
}

export interface Grads {
  W: Float64Array[];
  b: Float64Array[];
}

/** Backprop gradients of the mean loss (chain rule, written out layer by layer). */
export function backprop64(net: Net64, x0: Float64Array, y: Float64Array, B: number, loss: "ce" | "mse"): Grads {
  const L = net.W.length;
  const z = forward64(net, x0, B);
  const nL = net.layers[L];
  // δ_L = ∂loss/∂z_L.
  let delta = new Float64Array(B * nL);
  for (let r = 0; r < B; r++) {
    if (loss === "ce") {
      const { p } = softmaxRow(z[L - 1], r * nL, nL);
      for (let j = 0; j < nL; j++) delta[r * nL + j] = (p[j] - y[r * nL + j]) / B;
    } else {
      for (let j = 0; j < nL; j++) delta[r * nL + j] = (z[L - 1][r * nL + j] - y[r * nL + j]) / B;
    }
  }
  const gW: Float64Array[] = new Array(L);
  const gb: Float64Array[] = new Array(L);
  for (let i = L - 1; i >= 0; i--) {
    const nIn = net.layers[i];
    const nOut = net.layers[i + 1];
    const input = i === 0 ? x0 : activated(net, i, z[i - 1]);
    const w = new Float64Array(nOut * nIn);
    const bb = new Float64Array(nOut);
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < nOut; o++) {
        const d = delta[r * nOut + o];
        bb[o] += d;
        for (let k = 0; k < nIn; k++) w[o * nIn + k] += d * input[r * nIn + k];
      }
    }
    gW[i] = w;
    gb[i] = bb;
    if (i === 0) break;
    const next = new Float64Array(B * nIn);
    const kind = net.acts[i - 1];
    const M = back(net, i);
    for (let r = 0; r < B; r++) {
      for (let k = 0; k < nIn; k++) {
        let s = 0;
        for (let o = 0; o < nOut; o++) s += delta[r * nOut + o] * M[o * nIn + k];
        next[r * nIn + k] = s * dact(kind, z[i - 1][r * nIn + k]);
      }
    }
    delta = next;
  }
  return { W: gW, b: gb };
}

/** Plain SGD in place: W −= lr·gW, b −= lr·gb. */
export function sgd64(net: Net64, g: Grads, lr: number, only?: number): void {
  net.W.forEach((w, i) => {
    if (only !== undefined && i !== only) return;
    for (let k = 0; k < w.length; k++) w[k] -= lr * g.W[i][k];
    for (let k = 0; k < net.b[i].length; k++) net.b[i][k] -= lr * g.b[i][k];
  });
}

export interface StepResult64 {
  /** F summed over the batch, at the state before the step. */
  energy: number;
  /** e_1 … e_L (index l − 1) at the state before the step. */
  errors: Float64Array[];
  /** Captured gradients (entries for the captured layers only). */
  grads: Grads;
  /** Value layers 1 … L after the step. */
  values: Float64Array[];
}

/**
 * One inference step. `values` holds x_1 … x_L (the output holds the target when clamped); `u1`
 * overrides the first prediction (the kernel reads it from its caller); `capture` lists weight
 * layers whose gradients to return. Does not modify its arguments.
 */
export function pcStep64(
  net: Net64, x0: Float64Array, values: Float64Array[], B: number, gamma: number, mode: OutputMode, capture: number[], u1?: Float64Array,
): StepResult64 {
  const L = net.W.length;
  const acts = [x0, ...values.slice(0, L - 1).map((x, k) => activated(net, k + 1, x))];
  let energy = 0;
  const errors: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    const nOut = net.layers[i + 1];
    const u = i === 0 && u1 ? u1 : linear(acts[i], B, net.W[i], net.b[i], net.layers[i], nOut);
    const x = values[i];
    const e = new Float64Array(B * nOut);
    if (i === L - 1 && mode === "ce") {
      for (let r = 0; r < B; r++) {
        const { p, logSum, peak } = softmaxRow(u, r * nOut, nOut);
        for (let j = 0; j < nOut; j++) {
          const y = x[r * nOut + j];
          e[r * nOut + j] = y - p[j];
          energy -= y * (u[r * nOut + j] - peak - logSum);
        }
      }
    } else {
      for (let k = 0; k < e.length; k++) {
        e[k] = x[k] - u[k];
        energy += 0.5 * e[k] * e[k];
      }
    }
    errors.push(e);
  }
  const grads: Grads = { W: [], b: [] };
  for (const i of capture) {
    const nIn = net.layers[i];
    const nOut = net.layers[i + 1];
    const w = new Float64Array(nOut * nIn);
    const bb = new Float64Array(nOut);
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < nOut; o++) {
        const e = errors[i][r * nOut + o];
        bb[o] -= e / B;
        for (let k = 0; k < nIn; k++) w[o * nIn + k] -= (e * acts[i][r * nIn + k]) / B;
      }
    }
    grads.W[i] = w;
    grads.b[i] = bb;
  }
  const next = values.map((v) => v.slice());
  if (gamma !== 0) {
    for (let i = 1; i < L; i++) {
      const n = net.layers[i];
      const nNext = net.layers[i + 1];
      const kind = net.acts[i - 1];
      const M = back(net, i);
      const from = net.direct ? L - 1 : i;
      const nFrom = net.layers[from + 1];
      for (let r = 0; r < B; r++) {
        for (let k = 0; k < n; k++) {
          let sent = 0;
          for (let o = 0; o < nFrom; o++) sent += errors[from][r * nFrom + o] * M[o * n + k];
          const idx = r * n + k;
          next[i - 1][idx] = values[i - 1][idx] + gamma * (dact(kind, values[i - 1][idx]) * sent - errors[i - 1][idx]);
        }
      }
    }
    if (mode === "free") {
      const x = next[L - 1];
      for (let k = 0; k < x.length; k++) x[k] = values[L - 1][k] - gamma * errors[L - 1][k];
    }
  }
  return { energy, errors, grads, values: next };
}

export type Schedule = "il" | "zil" | "ipc";

export interface RunOptions {
  schedule: Schedule;
  /** Steps for il and ipc; zil takes L. */
  T?: number;
  gamma: number;
  lr: number;
  /** Hidden value layers' start (index l − 1 for l = 1 … L−1); the feedforward pass if absent. */
  hiddenStart?: Float64Array[];
}

export interface RunResult {
  net: Net64;
  /** Energy (mean over the batch) before each step. */
  trace: number[];
  /** Value layers after the relaxation. */
  values: Float64Array[];
  /** The gradients applied (il: the final ones; zil: one per layer; ipc: the last step's). */
  grads: Grads;
}

/**
 * One learning step on a batch with the output clamped to y, by a schedule:
 *   il  — T steps, then every layer from the errors at the relaxed state (one more γ = 0 step);
 *   zil — L steps; at step t the errors are computed, the gradient of weight layer L − t is
 *         captured, the value nodes move, and that layer is updated at once (Song et al.);
 *   ipc — T steps, every layer captured and updated after every step.
 */
export function learn64(net0: Net64, x0: Float64Array, y: Float64Array, B: number, mode: "mse" | "ce", o: RunOptions): RunResult {
  const net = cloneNet(net0);
  const L = net.W.length;
  const z = forward64(net, x0, B);
  let values: Float64Array[] = z.map((v, k) => (k === L - 1 ? y.slice() : o.hiddenStart?.[k] ? o.hiddenStart[k].slice() : v.slice()));
  const trace: number[] = [];
  let grads: Grads = { W: [], b: [] };
  if (o.schedule === "zil") {
    for (let t = 1; t <= L; t++) {
      const s = pcStep64(net, x0, values, B, o.gamma, mode, [L - t]);
      trace.push(s.energy / B);
      values = s.values;
      grads.W[L - t] = s.grads.W[L - t];
      grads.b[L - t] = s.grads.b[L - t];
      sgd64(net, s.grads, o.lr, L - t);
    }
  } else if (o.schedule === "ipc") {
    const all = Array.from({ length: L }, (_, i) => i);
    for (let t = 1; t <= o.T!; t++) {
      const s = pcStep64(net, x0, values, B, o.gamma, mode, all);
      trace.push(s.energy / B);
      values = s.values;
      grads = s.grads;
      sgd64(net, s.grads, o.lr);
    }
  } else {
    for (let t = 1; t <= o.T!; t++) {
      const s = pcStep64(net, x0, values, B, o.gamma, mode, []);
      trace.push(s.energy / B);
      values = s.values;
    }
    const s = pcStep64(net, x0, values, B, 0, mode, Array.from({ length: L }, (_, i) => i));
    grads = s.grads;
    sgd64(net, s.grads, o.lr);
  }
  return { net, trace, values, grads };
}

/** max_k |a_k − b_k| over every weight and bias of two networks. */
export function maxParamDiff(a: Net64, b: Net64): number {
  let worst = 0;
  a.W.forEach((w, i) => {
    for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(w[k] - b.W[i][k]));
    for (let k = 0; k < a.b[i].length; k++) worst = Math.max(worst, Math.abs(a.b[i][k] - b.b[i][k]));
  });
  return worst;
}
