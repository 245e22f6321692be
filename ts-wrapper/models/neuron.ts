// LIF neuron parameters (SCIENCE.md §2): what the soft-LIF activation of a rate network and the
// neurons of the spiking network converted from it share. Times in seconds.

import { OptionError } from "../errors.js";
import type { NeuronParams } from "../ops/activation.js";

export type { NeuronParams };

/**
 * Named settings. "thesis": the thesis's τ_RC and t_ref and its 0.05 scaling (§3.4.1); it gives no
 * γ_s, so Hunsberger's 0.02 is used. "mnist" and "cifar": Hunsberger's (his PhD thesis and training
 * configs, via SCIENCE.md §2); MNIST keeps the thesis's amplitude, gain and γ_s, which he does not
 * state for it.
 */
export const NEURON_PRESETS = {
  thesis: { tauRc: 0.02, tRef: 0.004, amplitude: 0.05, gain: 1, smoothing: 0.02 },
  mnist: { tauRc: 0.022, tRef: 0.002, amplitude: 0.05, gain: 1, smoothing: 0.02 },
  cifar: { tauRc: 0.05, tRef: 0.001, amplitude: 0.063, gain: 0.825, smoothing: 0.02 },
} as const satisfies Record<string, NeuronParams>;

export type NeuronPreset = keyof typeof NEURON_PRESETS;

/**
 * τ (s) that makes our LIF an integrate-and-fire neuron: with gain multiplied by it,
 * τ dv/dt = τ·j − v is dv/dt = j up to a leak of dt/τ = 10⁻⁶ of the voltage a 1 ms step.
 */
export const IF_TAU = 1000;
export const PRESET_NAMES = Object.keys(NEURON_PRESETS) as NeuronPreset[];

/** A preset (default "thesis") with some fields overridden. */
export interface NeuronOptions extends Partial<NeuronParams> {
  preset?: NeuronPreset;
}

const FIELDS = ["tauRc", "tRef", "amplitude", "gain", "smoothing"] as const;

/** Resolve and validate; errors are OptionErrors naming "neuron.<field>". */
export function resolveNeuron(options: NeuronOptions = {}): NeuronParams {
  const preset = options.preset ?? "thesis";
  if (!Object.hasOwn(NEURON_PRESETS, preset)) {
    throw new OptionError("neuron.preset", `unknown preset "${preset}" (expected ${PRESET_NAMES.join(", ")})`);
  }
  const params: NeuronParams = { ...NEURON_PRESETS[preset] };
  for (const field of FIELDS) {
    const value = options[field];
    if (value !== undefined) params[field] = value;
  }
  if (options.voltageFloor !== undefined) params.voltageFloor = options.voltageFloor;
  for (const field of FIELDS) {
    const value = params[field];
    // t_ref = 0 is NIR's neuron (at most one spike a step); γ_s = 0 the LIF rate itself.
    const zeroOk = field === "smoothing" || field === "tRef";
    const ok = zeroOk ? value >= 0 : value > 0;
    if (typeof value !== "number" || !Number.isFinite(value) || !ok) {
      throw new OptionError(`neuron.${field}`, `must be a finite number ${zeroOk ? "≥ 0" : "> 0"}, got ${value}`);
    }
  }
  if (params.voltageFloor !== undefined && typeof params.voltageFloor !== "boolean") {
    throw new OptionError("neuron.voltageFloor", `must be true or false, got ${JSON.stringify(params.voltageFloor)}`);
  }
  return params;
}
