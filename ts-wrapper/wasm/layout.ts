// Every code and memory layout shared with the assembly, read from the module itself at init():
// assembly/layout.ts declares them once and exports them as wasm globals. This file only names the
// exports it expects; a module without one of them (another version's .wasm) is refused, and
// tests/wasm/layout.test.ts checks that the two lists are the same.

export interface Layout {
  /** Activation kernel codes by name. */
  activation: { identity: number; relu: number; sigmoid: number; tanh: number; softlif: number };
  /** The neuron parameter block: byte offsets of its float32 fields, and its size. */
  neuron: { tauRc: number; tRef: number; amplitude: number; gain: number; smoothing: number; bytes: number };
  /** The predictive-coding layer table: words per layer, field indices, output modes and flags. */
  pc: {
    tableWords: number;
    field: {
      inputs: number; outputs: number; weight: number; bias: number; source: number; activated: number; kind: number;
      prediction: number; errors: number; scratch: number; target: number; neuron: number; feedback: number; feedbackFrom: number;
    };
    output: { free: number; mse: number; ce: number };
    refreshFirst: number;
    /** The phases of a step, flags added to the output mode. */
    phase: { predict: number; energy: number; move: number };
  };
  /** Bytes of one PCG32 generator state. */
  rngBytes: number;
  /** The spiking simulation table: header byte offsets (float64 scalars, then u32 words), layer word indices. */
  snn: {
    header: {
      dt: number; tauS: number; tauRc: number; tRef: number; amplitude: number; gain: number; period: number; alpha: number; poisson: number;
      inputs: number; x: number; inputSpikes: number; generators: number; counts: number; first: number; drive: number; floor: number; bytes: number;
    };
    layer: {
      outputs: number; weightT: number; bias: number; u: number; y: number; z: number; current: number; voltage: number; refractory: number;
      spikes: number; conv: number; channels: number; height: number; width: number; channelsLast: number; pool: number; outChannels: number;
      kernel: number; stride: number; pad: number; words: number;
    };
  };
}

/** The module's export names, by place in the layout. */
export const LAYOUT_EXPORTS = {
  activation: {
    identity: "ACTIVATION_IDENTITY", relu: "ACTIVATION_RELU", sigmoid: "ACTIVATION_SIGMOID", tanh: "ACTIVATION_TANH", softlif: "ACTIVATION_SOFTLIF",
  },
  neuron: {
    tauRc: "NEURON_TAU_RC", tRef: "NEURON_T_REF", amplitude: "NEURON_AMPLITUDE", gain: "NEURON_GAIN", smoothing: "NEURON_SMOOTHING", bytes: "NEURON_BYTES",
  },
  pc: {
    tableWords: "PC_TABLE_WORDS",
    field: {
      inputs: "PC_INPUTS", outputs: "PC_OUTPUTS", weight: "PC_WEIGHT", bias: "PC_BIAS", source: "PC_SOURCE", activated: "PC_ACTIVATED",
      kind: "PC_KIND", prediction: "PC_PREDICTION", errors: "PC_ERRORS", scratch: "PC_SCRATCH", target: "PC_TARGET", neuron: "PC_NEURON", feedback: "PC_FEEDBACK", feedbackFrom: "PC_FEEDBACK_FROM",
    },
    output: { free: "PC_OUTPUT_FREE", mse: "PC_OUTPUT_MSE", ce: "PC_OUTPUT_CE" },
    refreshFirst: "PC_REFRESH_FIRST",
    phase: { predict: "PC_PREDICT", energy: "PC_ENERGY", move: "PC_MOVE" },
  },
  rngBytes: "RNG_BYTES",
  snn: {
    header: {
      dt: "SNN_DT", tauS: "SNN_TAU_S", tauRc: "SNN_TAU_RC", tRef: "SNN_T_REF", amplitude: "SNN_AMPLITUDE", gain: "SNN_GAIN", period: "SNN_PERIOD",
      alpha: "SNN_ALPHA", poisson: "SNN_POISSON", inputs: "SNN_INPUTS", x: "SNN_X", inputSpikes: "SNN_INPUT_SPIKES", generators: "SNN_GENERATORS",
      counts: "SNN_COUNTS", first: "SNN_FIRST", drive: "SNN_DRIVE", floor: "SNN_FLOOR", bytes: "SNN_HEADER_BYTES",
    },
    layer: {
      outputs: "SNN_OUTPUTS", weightT: "SNN_WEIGHT_T", bias: "SNN_BIAS", u: "SNN_U", y: "SNN_Y", z: "SNN_Z", current: "SNN_CURRENT", voltage: "SNN_VOLTAGE",
      refractory: "SNN_REFRACTORY", spikes: "SNN_SPIKES", conv: "SNN_CONV", channels: "SNN_CONV_CHANNELS", height: "SNN_CONV_HEIGHT", width: "SNN_CONV_WIDTH",
      channelsLast: "SNN_CONV_CHANNELS_LAST", pool: "SNN_CONV_POOL", outChannels: "SNN_CONV_OUT_CHANNELS", kernel: "SNN_CONV_KERNEL", stride: "SNN_CONV_STRIDE",
      pad: "SNN_CONV_PAD", words: "SNN_LAYER_WORDS",
    },
  },
} as const;

type Names = { [key: string]: string | Names };

/** The layout from the module's exports; names the first missing one. */
export function readLayout(exports: Record<string, unknown>): Layout {
  const read = (names: Names): Record<string, unknown> =>
    Object.fromEntries(Object.entries(names).map(([key, name]) => {
      if (typeof name !== "string") return [key, read(name)];
      const global = exports[name];
      if (!(global instanceof WebAssembly.Global)) {
        throw new Error(`bioplausible wasm module has no layout export '${name}': the .wasm file does not match this version of the library`);
      }
      return [key, global.value as number];
    }));
  return read(LAYOUT_EXPORTS as unknown as Names) as unknown as Layout;
}

/** Every export name the layout reads. */
export function layoutExportNames(names: Names = LAYOUT_EXPORTS as unknown as Names): string[] {
  return Object.values(names).flatMap((n) => (typeof n === "string" ? [n] : layoutExportNames(n)));
}
