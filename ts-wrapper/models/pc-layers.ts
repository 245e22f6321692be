// Predictive-coding relaxation over a network's layer list, for networks the fused table kernel
// (assembly/pc.ts) does not describe: convolutional ones. One value layer per weight layer's output
// (Conv2d or Linear); between value layer i and weight layer i sit fixed maps — the activation,
// pooling, Flatten — whose forward and backward passes are the layers' own. The step is the table
// kernel's, operation for operation, with each product a layer op:
//   a_i = chain_i(x_i), x_i = u_i + e_i                 (activation, pooling, flatten)
//   u_{i+1} = W_i a_i + b_i,  e_{i+1} = x_{i+1} − u_{i+1} (repredicted: e −= u' − u)
//   x_i += γ (−e_i + chain_i'(x_i)ᵀ M_iᵀ e_{i+1})       (M_i = W_i, or feedback alignment's B_i)
// and the state kept as u and e, so that Z-IL equals backprop bit for bit here too (Song et al.
// 2020 show the equivalence for convolutional networks). Max pooling's chain derivative routes
// the error to each window's current maximum.
//
// From the feedforward state the errors spread down one layer a step, so in IL's first steps the
// lower layers neither move nor see an error. With `reuse` (the weights are unchanged since the
// last step) a stage whose error is all zero sends back zeros without the product, and a stage
// whose value layer below neither moved nor was repredicted keeps its prediction: both skip only
// what would be exactly the same, so the bits do not change (tests/pc/conv.test.ts checks).

import { IN_PLACE_BACKWARD, type Layer, type WeightModule } from "../layers/index.js";
import { fill, isZero, scale } from "../ops/elementwise.js";
import { pcHalfSquares, pcMove, pcOutputError, pcRepredict, pcValues, type PcOutput } from "../ops/pc.js";
import { Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { MLP } from "./mlp.js";

interface Stage {
  module: WeightModule;
  /** The fixed layers between the value layer below (or the input) and this weight layer. */
  chain: Layer[];
  /** x of the value layer below (hidden stages only). */
  values?: Matrix;
  /** What the chain made of it last: this weight layer's input. */
  input?: Matrix;
  /** u' before it replaces u. */
  scratch: Matrix;
  /** M_iᵀ e_{i+1} (the module's input width), then through the chain (two buffers: pooling changes width). */
  back: Matrix[];
}

export interface LayerStepOptions {
  refreshFirst?: boolean;
  /** The weights are those of this batch's previous step: unmoved layers keep their predictions. */
  reuse?: boolean;
  capture?: number | "none" | "all";
  gradScale: number;
}

export class LayerRelaxation {
  private readonly stages: Stage[];
  private input?: Matrix;
  private target?: Matrix;
  /** Per value layer, whether the previous step's move changed it (unknown: all true). */
  private moved: boolean[] = [];

  /** Buffers for `capacity` rows from `arena`; `predictions` and `errors` are u_1 … u_L and e_1 … e_L. */
  constructor(readonly mlp: MLP, capacity: number, arena: Arena, readonly predictions: Matrix[], readonly errors: Matrix[]) {
    const rt = mlp.runtime;
    const chains: Layer[][] = [[]];
    for (const layer of mlp.layers) {
      if (layer.kind === "linear" || layer.kind === "conv") chains.push([]);
      else chains[chains.length - 1].push(layer);
    }
    this.stages = mlp.weightLayers.map(({ linear }, i) => {
      const chain = chains[i];
      const widest = Math.max(linear.inputs, ...chain.map((l) => l.inputs));
      return {
        module: linear, chain,
        values: i > 0 ? Matrix.scratch(rt, arena, capacity, mlp.weightLayers[i - 1].linear.outputs) : undefined,
        scratch: Matrix.scratch(rt, arena, capacity, linear.outputs),
        back: i > 0 ? [Matrix.scratch(rt, arena, capacity, widest), Matrix.scratch(rt, arena, capacity, widest)] : [],
      };
    });
  }

  /** The clamped input of this batch (passed through any fixed layers before the first weight layer). */
  setInput(x: Matrix): void {
    this.input = x;
    this.moved = [];
    this.stages[0].input = this.throughChain(this.stages[0], x);
  }

  /** The clamped output's targets, or none: the output is free. */
  setTarget(target: Matrix | undefined): void {
    this.target = target;
  }

  /** One inference step of B rows; returns the summed energy before the step's move. */
  step(B: number, gamma: number, output: PcOutput, options: LayerStepOptions): number {
    const L = this.stages.length;
    const u = (i: number) => this.predictions[i].head(B);
    const e = (i: number) => this.errors[i].head(B);
    const reuse = options.reuse === true && this.moved.length === L;
    // Stage i's input, value layer i − 1, is as it was at its last prediction.
    const still = (i: number) => reuse && !this.moved[i - 1];
    for (let i = 1; i < L; i++) {
      if (still(i)) continue;
      const s = this.stages[i];
      const x = s.values!.head(B);
      pcValues(u(i - 1), e(i - 1), x);
      s.input = this.throughChain(s, x);
    }
    if (options.refreshFirst) this.stages[0].input = this.throughChain(this.stages[0], this.input!.head(B));
    // A repredicted layer's x = u + e may change in its last bits, so it counts as moved.
    const repredicted = new Array<boolean>(L).fill(false);
    for (let i = options.refreshFirst ? 0 : 1; i < L; i++) {
      if (i > 0 && still(i)) continue;
      repredicted[i] = true;
      const s = this.stages[i];
      const clamped = i === L - 1 && output !== "free";
      const p = clamped ? u(i) : s.scratch.head(B);
      s.module.predict(s.input!, p);
      if (!clamped) pcRepredict(p, u(i), e(i));
    }
    let energy = 0;
    for (let i = 0; i < L; i++) {
      energy += i === L - 1 && output !== "free" ? pcOutputError(output, u(i), this.target!.head(B), e(i)) : pcHalfSquares(e(i));
    }
    const capture = options.capture ?? "none";
    for (let i = 0; i < L; i++) {
      if (capture !== "all" && capture !== i) continue;
      const { module } = this.stages[i];
      module.weightGradient(this.stages[i].input!, e(i));
      scale(-options.gradScale, this.mlp.params.gradMatrix(module.weight));
      scale(-options.gradScale, this.mlp.params.gradMatrix(module.bias));
    }
    if (gamma === 0) {
      this.moved = repredicted;
      return energy;
    }
    const moved = new Array<boolean>(L).fill(true);
    for (let i = 1; i < L; i++) {
      const s = this.stages[i];
      const below = e(i - 1);
      if (options.reuse && isZero(e(i))) {
        // M_iᵀ·0 through the chain is 0: the layer below moves only by its own error.
        const zero = s.back[0].prefix(B, below.cols);
        fill(zero, 0);
        moved[i - 1] = repredicted[i - 1] || !isZero(below);
        pcMove(gamma, zero, below);
        continue;
      }
      let g = s.back[0].prefix(B, s.module.inputs);
      s.module.inputGradient(e(i), g);
      for (let k = s.chain.length - 1; k >= 0; k--) {
        const layer = s.chain[k];
        if (IN_PLACE_BACKWARD.has(layer.kind)) {
          layer.backward(g, g);
        } else {
          const next = (g.ptr === s.back[0].ptr ? s.back[1] : s.back[0]).prefix(B, layer.inputs);
          layer.backward(g, next);
          g = next;
        }
      }
      pcMove(gamma, g, below);
    }
    if (output === "free") scale(1 - gamma, e(L - 1));
    this.moved = moved;
    return energy;
  }

  // The chain's forward pass (no chain: x itself).
  private throughChain(s: Stage, x: Matrix): Matrix {
    let a = x;
    for (const layer of s.chain) a = layer.forward(a, false);
    return a;
  }
}
