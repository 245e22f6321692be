// A layer: one module of the network's nn.Sequential, with its forward and backward side by side and
// its tensors in the model's one ParameterSet (named `layers.{index}.…`, as PyTorch names them).
// Forward keeps what backward needs (its input, its output, batch statistics) until the next forward.

import type { ParameterSet, TensorSpec } from "../params.js";
import type { Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Rng } from "../ops/rng.js";

/** Kinds whose backward pass may write dx over dy (equal widths, elementwise in the batch). */
export const IN_PLACE_BACKWARD: ReadonlySet<Layer["kind"]> = new Set(["activation", "batchnorm", "flatten"]);

export interface Layer {
  readonly kind: "linear" | "conv" | "avgpool" | "maxpool" | "flatten" | "batchnorm" | "activation";
  /** Place in the nn.Sequential: the prefix of its tensors. */
  readonly index: number;
  readonly inputs: number;
  readonly outputs: number;
  /** Its tensors, to be laid out in the model's ParameterSet. */
  tensors(): TensorSpec[];
  /** Attach to the ParameterSet holding its tensors. */
  bind(params: ParameterSet): void;
  /** Initial values of its tensors. */
  initialize(rng: Rng): void;
  /** Buffers for batches of up to `capacity` rows, from `arena`. */
  allocate(arena: Arena, capacity: number): void;
  /** The output of B = x.rows rows (a view valid until the next forward). */
  forward(x: Matrix, training: boolean): Matrix;
  /**
   * From the gradient at the output (dy, B × outputs) to the gradients of the layer's tensors (in
   * the ParameterSet's gradient block) and, when `dx` is given, the gradient at its input (dx may be
   * dy for layers of equal width).
   */
  backward(dy: Matrix, dx?: Matrix): void;
}
