// Every code and memory layout the TypeScript side must agree on, in one place. The kernels import
// them from here, and index.ts exports them as WebAssembly globals, so that the facade reads them
// from the module instead of keeping copies (ts-wrapper/wasm checks its names against these).

// ---- Activation kinds (activation.ts) ------------------------------------------------------------
// The facade's Activation enum. Soft-LIF takes its parameters from a neuron block (below); the other
// kinds ignore the pointer.

export const ACTIVATION_IDENTITY: i32 = 0;
export const ACTIVATION_RELU: i32 = 1;
export const ACTIVATION_SIGMOID: i32 = 2;
export const ACTIVATION_TANH: i32 = 3;
export const ACTIVATION_SOFTLIF: i32 = 4;

// ---- The neuron parameter block (activation.ts) --------------------------------------------------
// Five float32 at a 4-byte-aligned address: the byte offsets of its fields, and its size.

export const NEURON_TAU_RC: i32 = 0; //    τ_RC, the membrane time constant (s)
export const NEURON_T_REF: i32 = 4; //     t_ref, the refractory period (s)
export const NEURON_AMPLITUDE: i32 = 8; // the output scale: a = amplitude·r(gain·z)
export const NEURON_GAIN: i32 = 12; //     the input scale
export const NEURON_SMOOTHING: i32 = 16; // γ_s; 0 gives the LIF rate itself
export const NEURON_BYTES: i32 = 20;

// ---- The predictive-coding layer table (pc.ts) ---------------------------------------------------
// PC_TABLE_WORDS u32 words per weight layer i (pointers are byte addresses); the word indices:

export const PC_INPUTS: i32 = 0; //     n_i
export const PC_OUTPUTS: i32 = 1; //    n_{i+1}
export const PC_WEIGHT: i32 = 2; //     W_i, n_{i+1} × n_i
export const PC_BIAS: i32 = 3; //       b_i
export const PC_SOURCE: i32 = 4; //     x_i (B × n_i), written here as u_i + e_i; the input itself for i = 0
export const PC_ACTIVATED: i32 = 5; //  σ_i(x_i) (B × n_i); the input itself for i = 0 (and whenever σ_i is the identity)
export const PC_KIND: i32 = 6; //       σ_i's activation code (identity for i = 0)
export const PC_PREDICTION: i32 = 7; // u_{i+1} (B × n_{i+1})
export const PC_ERRORS: i32 = 8; //     e_{i+1} (B × n_{i+1})
export const PC_SCRATCH: i32 = 9; //    B × n_{i+1}: a new prediction, then e_{i+2} W_{i+1} on its way back to x_{i+1}
export const PC_TARGET: i32 = 10; //    the last layer's clamped target (B × n_L); unused elsewhere and when free
export const PC_NEURON: i32 = 11; //     σ_i's parameter block (NEURON_* above), for activations that take one
export const PC_FEEDBACK: i32 = 12; //   M_i, n_{i+1} × n_i, in place of W_i in e_{i+1} W_i (= PC_WEIGHT without
//                                      feedback alignment); unused for i = 0
export const PC_FEEDBACK_FROM: i32 = 13; // j: the layer whose errors e_{j+1} the move sends to x_i through M_i —
//                                      i itself, or the output layer L−1 for direct feedback alignment (M_i is then
//                                      n_L × n_i); unused for i = 0
export const PC_TABLE_WORDS: i32 = 14;

/** Output modes. */
export const PC_OUTPUT_FREE: i32 = 0; // prediction: the output relaxes like any value node
export const PC_OUTPUT_MSE: i32 = 1; //  clamped to the target, energy ½‖e_L‖²
export const PC_OUTPUT_CE: i32 = 2; //   clamped, energy = cross-entropy of softmax(u_L); e_L = y − softmax(u_L)
/** Flag added to the output mode: recompute u_1 from the input (W_0 has changed). */
export const PC_REFRESH_FIRST: i32 = 4;

/** The phases of an inference step that a pcStep call runs, added to the output mode. */
export const PC_PREDICT: i32 = 8; // values, activities, new predictions: row by row
export const PC_ENERGY: i32 = 16; // the clamped output's error, the energy: a sum over the rows
export const PC_MOVE: i32 = 32; //   the value nodes' move: row by row

// ---- The random generator (rng.ts) ---------------------------------------------------------------

/** Bytes of one PCG32 generator state: the u64 state, then the u64 increment. */
export const RNG_BYTES: i32 = 16;

// ---- The spiking simulation table (simulate.ts) --------------------------------------------------
// A header of SNN_HEADER_BYTES, then SNN_LAYER_WORDS u32 words per layer. The header's scalars are
// float64 — the numbers the facade has — and each becomes float32 where a kernel takes one, as it
// would crossing into that kernel from JavaScript. Pointers are byte addresses.

export const SNN_DT: i32 = 0; //           f64: the step dt (s)
export const SNN_TAU_S: i32 = 8; //        f64: the synapse's τ_s; 0 passes the weighted input through
export const SNN_TAU_RC: i32 = 16; //      f64: the neurons' τ_RC
export const SNN_T_REF: i32 = 24; //       f64: their t_ref
export const SNN_AMPLITUDE: i32 = 32; //   f64: a spike's area
export const SNN_GAIN: i32 = 40; //        f64: the input gain
export const SNN_PERIOD: i32 = 48; //      f64: the Poisson input's period and its spikes' area
export const SNN_ALPHA: i32 = 56; //       u32: 1 for the alpha synapse, else the low-pass (or none)
export const SNN_POISSON: i32 = 60; //     u32: 1 when the input is Poisson spikes, 0 when it is a current already in layer 0
export const SNN_INPUTS: i32 = 64; //      u32: n_0, the input width
export const SNN_X: i32 = 68; //           the input, rows × n_0
export const SNN_INPUT_SPIKES: i32 = 72; // its spikes this step, rows × n_0
export const SNN_GENERATORS: i32 = 76; //  one PCG32 generator per row (RNG_BYTES each)
export const SNN_COUNTS: i32 = 80; //      the output layer's spike counts, rows × n_L
export const SNN_FIRST: i32 = 84; //       its first spike times (+Inf until one)
export const SNN_DRIVE: i32 = 88; //       its summed input current (the readout's tie-break)
export const SNN_FLOOR: i32 = 92; //       u32: 1 when voltages are floored at 0, 0 for none (NIR's neurons)
export const SNN_HEADER_BYTES: i32 = 96;

// Layer words (rows × outputs buffers, as one batch of the simulation holds them):
export const SNN_OUTPUTS: i32 = 0; //     its neurons
export const SNN_WEIGHT_T: i32 = 1; //    inputs × outputs, or a convolution's C·K² × O
export const SNN_BIAS: i32 = 2; //        1 × outputs
export const SNN_U: i32 = 3; //           the weighted input of this step
export const SNN_Y: i32 = 4; //           filtered
export const SNN_Z: i32 = 5; //           the alpha filter's intermediate
export const SNN_CURRENT: i32 = 6;
export const SNN_VOLTAGE: i32 = 7;
export const SNN_REFRACTORY: i32 = 8;
export const SNN_SPIKES: i32 = 9;
export const SNN_CONV: i32 = 10; //       1 for a convolution (its geometry follows), else 0
export const SNN_CONV_CHANNELS: i32 = 11; // C, H, W of the map the spikes come from
export const SNN_CONV_HEIGHT: i32 = 12;
export const SNN_CONV_WIDTH: i32 = 13;
export const SNN_CONV_CHANNELS_LAST: i32 = 14;
export const SNN_CONV_POOL: i32 = 15;
export const SNN_CONV_OUT_CHANNELS: i32 = 16;
export const SNN_CONV_KERNEL: i32 = 17;
export const SNN_CONV_STRIDE: i32 = 18;
export const SNN_CONV_PAD: i32 = 19;
export const SNN_LAYER_WORDS: i32 = 20;
