// A float64 simulation of a NIR graph from its declaration (node types and parameters as plain
// lists, as scripts/nir-reference-graph.py prints them), written from NIR's node equations and the
// discretisation docs/nir.md documents, independently of bioplausible's import and kernels:
//
//   - the signal on an edge is a rate: a spike is a unit-area impulse, 1/dt for one step; the
//     input, a constant current, is x/period (the mean rate of a pixel's unit spikes at period dt);
//   - Linear/Affine: W·s (+ b); Conv2d: the convolution (stride, padding); SumPool2d/AvgPool2d: the
//     window's sum or mean; Flatten: (C, H, W) order; Scale: s ⊙ x;
//   - CubaLIF: I ← a·I + (1 − a)·w_in·u with a = e^{−dt/tau_syn} (the first layer's I is its constant
//     input from the start: a current needs no filter); LIF: I = u;
//   - the membrane in units of the threshold: v ← j + (v − j)·e^{−dt/τ} with
//     j = (r·I + v_leak)/v_threshold; v > 1 fires (once a step at most), resets to 0 at the
//     crossing and integrates from there to the step's end; no floor.
//
// Returns the last layer's spike counts per sample.

export interface DeclaredNode {
  type: string;
  params: Record<string, unknown>;
}

type Nested = number | Nested[];
const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as Nested[]).flatMap((x) => flat(x)) : [v as number]);
const dims = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...dims(v[0])] : []);

export function simulateNir64(
  nodes: Record<string, DeclaredNode>, order: string[], x: Float32Array, count: number, steps: number, dt: number, period: number,
): number[][] {
  const input = nodes[order[0]];
  const inputs = flat(input.params.shape).reduce((a, b) => a * b, 1);
  const results: number[][] = [];
  for (let r = 0; r < count; r++) {
    const state = new Map<string, { I: Float64Array; v: Float64Array; first: boolean }>();
    let counts: number[] = [];
    for (let step = 1; step <= steps; step++) {
      let s = Array.from(x.subarray(r * inputs, (r + 1) * inputs), (v) => v / period);
      let shape = flat(input.params.shape);
      let firstNeurons = true;
      for (const name of order.slice(1, -1)) {
        const { type, params: p } = nodes[name];
        if (type === "Linear" || type === "Affine") {
          const w = flat(p.weight), [m, n] = dims(p.weight);
          const b = type === "Affine" ? flat(p.bias) : new Array<number>(m).fill(0);
          s = Array.from({ length: m }, (_, o) => {
            let sum = b[o];
            for (let i = 0; i < n; i++) sum += w[o * n + i] * s[i];
            return sum;
          });
          shape = [m];
        } else if (type === "Conv2d") {
          const w = flat(p.weight), [O, C, K] = dims(p.weight);
          const [st] = flat(p.stride), [pad] = flat(p.padding), b = flat(p.bias);
          const [, H, W] = shape;
          const oh = Math.floor((H + 2 * pad - K) / st) + 1, ow = Math.floor((W + 2 * pad - K) / st) + 1;
          const out = new Array<number>(O * oh * ow).fill(0);
          for (let o = 0; o < O; o++) for (let yy = 0; yy < oh; yy++) for (let xx = 0; xx < ow; xx++) {
            let sum = b[o];
            for (let c = 0; c < C; c++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
              const iy = yy * st + ky - pad, ix = xx * st + kx - pad;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) sum += w[((o * C + c) * K + ky) * K + kx] * s[(c * H + iy) * W + ix];
            }
            out[(o * oh + yy) * ow + xx] = sum;
          }
          s = out;
          shape = [O, oh, ow];
        } else if (type === "SumPool2d" || type === "AvgPool2d") {
          const [K] = flat(p.kernel_size), [C, H, W] = shape;
          const oh = H / K, ow = W / K;
          const out = new Array<number>(C * oh * ow).fill(0);
          for (let c = 0; c < C; c++) for (let yy = 0; yy < H; yy++) for (let xx = 0; xx < W; xx++) {
            out[(c * oh + Math.floor(yy / K)) * ow + Math.floor(xx / K)] += s[(c * H + yy) * W + xx] / (type === "AvgPool2d" ? K * K : 1);
          }
          s = out;
          shape = [C, oh, ow];
        } else if (type === "Flatten") {
          shape = [s.length];
        } else if (type === "Scale") {
          const k = flat(p.scale);
          s = s.map((v, i) => v * k[k.length === 1 ? 0 : i]);
        } else if (type === "LIF" || type === "CubaLIF") {
          const n = s.length;
          const get = (key: string, fallback?: number) => {
            if (p[key] === undefined) return new Array<number>(n).fill(fallback!);
            const v = flat(p[key]);
            return v.length === 1 ? new Array<number>(n).fill(v[0]) : v;
          };
          const tau = get(type === "LIF" ? "tau" : "tau_mem"), R = get("r"), leak = get("v_leak"), theta = get("v_threshold");
          let st = state.get(name);
          if (!st) state.set(name, (st = { I: new Float64Array(n), v: new Float64Array(n), first: firstNeurons }));
          if (type === "CubaLIF") {
            const tauS = get("tau_syn"), wIn = get("w_in", 1);
            for (let o = 0; o < n; o++) {
              const u = wIn[o] * s[o];
              if (st.first) st.I[o] = u;
              else {
                const a = Math.exp(-dt / tauS[o]);
                st.I[o] = a * st.I[o] + (1 - a) * u;
              }
            }
          } else {
            for (let o = 0; o < n; o++) st.I[o] = s[o];
          }
          const spikes = new Array<number>(n).fill(0);
          for (let o = 0; o < n; o++) {
            const j = (R[o] * st.I[o] + leak[o]) / theta[o];
            const v = j + (st.v[o] - j) * Math.exp(-dt / tau[o]);
            // A crossing carried from the last step (v began above 1) fires at this step's start.
            const carried = st.v[o] > 1;
            if (v > 1 || carried) {
              // The crossing was s before the step's end (at its start if v began above 1); from
              // there the neuron integrates again from 0.
              const s = !carried && j > v ? Math.min(dt, tau[o] * Math.log((j - 1) / (j - v))) : dt;
              st.v[o] = j * (1 - Math.exp(-s / tau[o]));
              spikes[o] = 1 / dt;
            } else {
              st.v[o] = v;
            }
          }
          s = spikes;
          firstNeurons = false;
        } else {
          throw new Error(`simulateNir64: no reference for ${type}`);
        }
      }
      // The last neurons' spikes.
      if (counts.length !== s.length) counts = new Array<number>(s.length).fill(0);
      s.forEach((v, o) => (counts[o] += v > 0 ? 1 : 0));
    }
    results.push(counts);
  }
  return results;
}
