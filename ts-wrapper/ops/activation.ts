// Activation functions by name, and the neuron parameter block soft-LIF reads (assembly/activation.ts,
// laid out as the module's layout says).

import { Bytes, type Matrix } from "../tensor.js";
import type { Arena } from "../wasm/heap.js";
import type { Runtime } from "../wasm/load.js";

export const ACTIVATIONS = ["relu", "sigmoid", "tanh", "identity", "softlif"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** LIF neuron parameters, times in seconds (models/neuron.ts resolves them). */
export interface NeuronParams {
  /** Membrane time constant τ_RC. */
  tauRc: number;
  /** Refractory period t_ref. */
  tRef: number;
  /** Area of one spike; the rate activation is amplitude·r(gain·z). */
  amplitude: number;
  /** Input gain: a neuron's current is gain·(W·a + b). */
  gain: number;
  /** Soft-LIF smoothing γ_s; 0 is the LIF rate itself (not differentiable at threshold). */
  smoothing: number;
  /**
   * Whether a spiking neuron's voltage is floored at 0 (default true, nengo's min_voltage, as the
   * rate model assumes); false for NIR's neurons, which have no floor. The rate curve ignores it.
   */
  voltageFloor?: boolean;
}

const NEURON_FIELDS = ["tauRc", "tRef", "amplitude", "gain", "smoothing"] as const;

/** A neuron parameter block for soft-LIF activations, in the heap (or in `arena`). */
export function neuronBlock(rt: Runtime, params: NeuronParams, arena?: Arena): Bytes {
  const layout = rt.layout.neuron;
  const block = new Bytes(rt, layout.bytes, arena);
  const view = new DataView(rt.memory.buffer, block.ptr, layout.bytes);
  for (const field of NEURON_FIELDS) view.setFloat32(layout[field], params[field], true);
  return block;
}

/** The activation's kernel code. */
export function activationCode(rt: Runtime, name: ActivationName): number {
  const code = rt.layout.activation[name];
  if (code === undefined) throw new RangeError(`unknown activation "${name}" (expected one of ${ACTIVATIONS.join(", ")})`);
  return code;
}

/** a = σ(z) (a may alias z); `neuron` for soft-LIF. */
export function activationForward(code: number, z: Matrix, a: Matrix, neuron?: Bytes): void {
  z.runtime.kernels.activationForward(code, z.size, z.ptr, a.ptr, neuron ? neuron.ptr : 0);
}

/** dz = da ⊙ σ'(z), from z and a = σ(z) (dz may alias da). */
export function activationBackward(code: number, z: Matrix, a: Matrix, da: Matrix, dz: Matrix, neuron?: Bytes): void {
  z.runtime.kernels.activationBackward(code, z.size, z.ptr, a.ptr, da.ptr, dz.ptr, neuron ? neuron.ptr : 0);
}
