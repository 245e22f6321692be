// The codes and layouts of assembly/layout.ts against what the kernels actually read: a neuron block
// written through the NEURON_* offsets with five distinct values, the activation kinds through the
// ACTIVATION_* codes, and a two-layer predictive-coding table written through the PC_* indices,
// whose step has exact results (small dyadic numbers) computed by hand below. Any kernel that kept
// a private copy disagreeing with layout.ts fails here.

import { activationForward } from "../../assembly/activation";
import { gemmWorkspaceBytes } from "../../assembly/gemm";
import {
  ACTIVATION_IDENTITY, ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH, ACTIVATION_SOFTLIF,
  NEURON_TAU_RC, NEURON_T_REF, NEURON_AMPLITUDE, NEURON_GAIN, NEURON_SMOOTHING, NEURON_BYTES,
  PC_TABLE_WORDS, PC_INPUTS, PC_OUTPUTS, PC_WEIGHT, PC_BIAS, PC_SOURCE, PC_ACTIVATED, PC_KIND, PC_PREDICTION,
  PC_ERRORS, PC_SCRATCH, PC_TARGET, PC_NEURON, PC_FEEDBACK, PC_FEEDBACK_FROM,
  PC_OUTPUT_FREE, PC_OUTPUT_MSE, PC_OUTPUT_CE, PC_REFRESH_FIRST, PC_PREDICT, PC_ENERGY, PC_MOVE,
} from "../../assembly/layout";
import { pcStep } from "../../assembly/pc";
import { U, allocBytes, allocF32, expectClose, free, getD, getBits, getF, setF } from "./helpers";

// τ_RC, t_ref, amplitude, gain, γ_s: all different, so a swapped offset changes the rate.
const TAU: f32 = 0.03, TREF: f32 = 0.003, AMP: f32 = 0.1, GAIN: f32 = 1.7, SMOOTH: f32 = 0.1;

function neuronBlock(): usize {
  const p = allocBytes(NEURON_BYTES);
  store<f32>(p + <usize>NEURON_TAU_RC, TAU);
  store<f32>(p + <usize>NEURON_T_REF, TREF);
  store<f32>(p + <usize>NEURON_AMPLITUDE, AMP);
  store<f32>(p + <usize>NEURON_GAIN, GAIN);
  store<f32>(p + <usize>NEURON_SMOOTHING, SMOOTH);
  return p;
}

/** amplitude / (t_ref + τ·log1p(1/ρ)), ρ = γ_s·log1p(e^{x/γ_s}), x = gain·z − 1: plain float64. */
function softLifRef(z: f64): f64 {
  const s = <f64>SMOOTH;
  const rho = s * Math.log1p(Math.exp((<f64>GAIN * z - 1) / s));
  return <f64>AMP / (<f64>TREF + <f64>TAU * Math.log1p(1 / rho));
}

describe("layout.ts: activation codes and the neuron block", () => {
  it("the five fields sit inside NEURON_BYTES at distinct float32 offsets", () => {
    const offsets: i32[] = [NEURON_TAU_RC, NEURON_T_REF, NEURON_AMPLITUDE, NEURON_GAIN, NEURON_SMOOTHING];
    let seen = 0;
    for (let i = 0; i < offsets.length; i++) {
      expect<bool>(offsets[i] >= 0 && offsets[i] + 4 <= NEURON_BYTES && (offsets[i] & 3) == 0).toBe(true, "offset " + i.toString());
      seen |= 1 << (offsets[i] >> 2);
    }
    expect<i32>(seen).toBe(31, "five distinct fields");
    expect<i32>(NEURON_BYTES).toBe(20);
  });

  it("activationForward reads the codes and the block as layout.ts lays them out", () => {
    const n = 8;
    const z = allocF32(n), a = allocF32(n);
    const neuron = neuronBlock();
    for (let i = 0; i < n; i++) setF(z, i, <f32>(0.2 + 0.25 * <f64>i)); // across threshold 1/gain
    activationForward(ACTIVATION_SOFTLIF, n, z, a, neuron);
    for (let i = 0; i < n; i++) {
      const r = softLifRef(getD(z, i));
      if (!expectClose(getD(a, i), r, 2 * U * r, "soft-LIF with the block's parameters", i)) break;
    }
    setF(z, 0, -0.5);
    activationForward(ACTIVATION_RELU, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(0, "ACTIVATION_RELU");
    activationForward(ACTIVATION_IDENTITY, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(-0.5, "ACTIVATION_IDENTITY");
    setF(z, 0, 0);
    activationForward(ACTIVATION_SIGMOID, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(0.5, "ACTIVATION_SIGMOID");
    activationForward(ACTIVATION_TANH, 1, z, a, 0);
    expect<f32>(getF(a, 0)).toBe(0, "ACTIVATION_TANH");
    free(z); free(a); free(neuron);
  });
});

// A 1 → 1 → 1 network, B = 1. Layer 0: x = 2, W0 = 3, b0 = 1, so u1 = 7 after PC_REFRESH_FIRST.
// Layer 1: ReLU, W1 = 0.5, b1 = 0.25, feedback M1 = 2 (≠ W1), target y = 4. Start u1 = 5, e1 = 3:
// x1 = u1 + e1 = 8 = σ(x1); refreshing u1 to 7 leaves x1 where it is, e1 = 3 − (7 − 5) = 1.
// u2 = 0.5·8 + 0.25 = 4.25. Each output mode, with γ = 0 (nothing moves):
//   MSE: e2 = y − u2 = −0.25, energy ½·1² + ½·0.25² = 0.53125;
//   CE (one class, softmax = 1): e2 = y − 1 = 3, energy ½·1² + 0 = 0.5;
//   FREE (u2, e2 start at 0): the new prediction goes through PC_SCRATCH, e2 = 0 − (4.25 − 0) =
//   −4.25, energy ½·1 + ½·4.25² = 9.53125; in every mode u2 ends at 4.25.
// With MSE, capture all, gradScale 1 and γ = 0.5: gW0 = −e1·x = −2, gB0 = −1, gW1 = −e2·σ(x1) = 2,
// gB1 = 0.25; then e2·M1 = −0.5 (ReLU' = 1 at 8), e1 += γ·(−0.5 − e1) = 0.25.
class Net {
  table: usize = allocBytes(2 * PC_TABLE_WORDS * 4);
  buffers: usize[] = [];
  work: usize = allocBytes(gemmWorkspaceBytes(4, 4, 4));
  constructor() {
    for (let i = 0; i < 2 * PC_TABLE_WORDS; i++) store<u32>(this.table + (<usize>i << 2), 0xFFFFFFFF);
  }
  set(layer: i32, field: i32, value: u32): void {
    store<u32>(this.table + (<usize>(layer * PC_TABLE_WORDS + field) << 2), value);
  }
  buffer(layer: i32, field: i32, v: f32): usize {
    const p = allocF32(1);
    setF(p, 0, v);
    this.buffers.push(p);
    this.set(layer, field, <u32>p);
    return p;
  }
  free(): void {
    for (let i = 0; i < this.buffers.length; i++) free(this.buffers[i]);
    free(this.table); free(this.work);
  }
}

function net(u2: f32, e2: f32): Net {
  const t = new Net();
  for (let l = 0; l < 2; l++) { t.set(l, PC_INPUTS, 1); t.set(l, PC_OUTPUTS, 1); t.set(l, PC_NEURON, 0); t.set(l, PC_FEEDBACK_FROM, l); }
  const x = t.buffer(0, PC_ACTIVATED, 2);
  t.set(0, PC_SOURCE, <u32>x);
  t.set(0, PC_KIND, <u32>ACTIVATION_IDENTITY);
  t.buffer(0, PC_WEIGHT, 3); t.buffer(0, PC_BIAS, 1); t.buffer(0, PC_FEEDBACK, 99);
  t.buffer(0, PC_PREDICTION, 5); t.buffer(0, PC_ERRORS, 3); t.buffer(0, PC_SCRATCH, 99);
  t.buffer(0, PC_TARGET, 99);
  t.buffer(1, PC_SOURCE, 99); t.buffer(1, PC_ACTIVATED, 99);
  t.set(1, PC_KIND, <u32>ACTIVATION_RELU);
  t.buffer(1, PC_WEIGHT, 0.5); t.buffer(1, PC_BIAS, 0.25); t.buffer(1, PC_FEEDBACK, 2);
  t.buffer(1, PC_PREDICTION, u2); t.buffer(1, PC_ERRORS, e2); t.buffer(1, PC_SCRATCH, 99);
  t.buffer(1, PC_TARGET, 4);
  return t;
}

function field(t: Net, layer: i32, f: i32): f32 {
  return load<f32>(<usize>load<u32>(t.table + (<usize>(layer * PC_TABLE_WORDS + f) << 2)));
}

describe("layout.ts: the predictive-coding layer table", () => {
  it("pcStep reads every word, output mode, flag and phase where layout.ts puts them", () => {
    const modes: i32[] = [PC_OUTPUT_MSE, PC_OUTPUT_CE, PC_OUTPUT_FREE];
    const e2s: f32[] = [-0.25, 3, -4.25];
    const energies: f64[] = [0.53125, 0.5, 9.53125];
    const STATE = PC_PREDICT | PC_ENERGY;
    for (let m = 0; m < modes.length; m++) {
      const t = net(0, 0);
      const energy = pcStep(2, 0, 1, t.table, 0, modes[m] | PC_REFRESH_FIRST | STATE, t.work, 0);
      const what = "mode " + modes[m].toString();
      expect<f64>(energy).toBe(energies[m], what + ": energy");
      expect<f32>(field(t, 1, PC_SOURCE)).toBe(8, what + ": x1 = u1 + e1 in PC_SOURCE");
      expect<f32>(field(t, 1, PC_ACTIVATED)).toBe(8, what + ": ReLU(x1) in PC_ACTIVATED");
      expect<f32>(field(t, 0, PC_PREDICTION)).toBe(7, what + ": u1 refreshed (PC_REFRESH_FIRST)");
      expect<f32>(field(t, 0, PC_ERRORS)).toBe(1, what + ": e1 follows the refreshed u1");
      expect<f32>(field(t, 1, PC_ERRORS)).toBe(e2s[m], what + ": e2");
      expect<f32>(field(t, 1, PC_PREDICTION)).toBe(4.25, what + ": u2 = W1·σ(x1) + b1 in PC_PREDICTION");
      t.free();
    }
    // Without PC_REFRESH_FIRST u1 and e1 stay.
    const t0 = net(0, 0);
    pcStep(2, 0, 1, t0.table, 0, PC_OUTPUT_MSE | STATE, t0.work, 0);
    expect<f32>(field(t0, 0, PC_PREDICTION)).toBe(5, "u1 kept without PC_REFRESH_FIRST");
    expect<f32>(field(t0, 0, PC_ERRORS)).toBe(3, "e1 kept without PC_REFRESH_FIRST");
    t0.free();
    // Each phase alone: PC_PREDICT neither sums an energy nor sets the clamped output's error;
    // PC_ENERGY then does; PC_MOVE moves along PC_FEEDBACK (not PC_WEIGHT).
    const t = net(0, 0);
    expect<f64>(pcStep(2, 0, 1, t.table, 0.5, PC_OUTPUT_MSE | PC_REFRESH_FIRST | PC_PREDICT, t.work, 0)).toBe(0, "PC_PREDICT returns no energy");
    expect<f32>(field(t, 1, PC_PREDICTION)).toBe(4.25, "PC_PREDICT predicts u2");
    expect<f32>(field(t, 1, PC_ERRORS)).toBe(0, "PC_PREDICT leaves the clamped output's error");
    expect<f32>(field(t, 0, PC_ERRORS)).toBe(1, "PC_PREDICT does not move e1");
    expect<f64>(pcStep(2, 0, 1, t.table, 0.5, PC_OUTPUT_MSE | PC_ENERGY, t.work, 0)).toBe(0.53125, "PC_ENERGY");
    expect<f32>(field(t, 1, PC_ERRORS)).toBe(-0.25, "PC_ENERGY sets e2 = y − u2");
    pcStep(2, 0, 1, t.table, 0.5, PC_OUTPUT_MSE | PC_MOVE, t.work, 0);
    expect<f32>(field(t, 0, PC_ERRORS)).toBe(0.25, "e1 moved along e2·PC_FEEDBACK (not PC_WEIGHT)");
    expect<f32>(field(t, 1, PC_ERRORS)).toBe(-0.25, "a clamped output does not move");
    t.free();
    // PC_FEEDBACK_FROM names whose errors the move sends down: layer 0's own e1 = 1 (after PC_ENERGY)
    // gives e1·M1 = 2 and e1 += γ·(2 − 1) = 1.5.
    const d = net(0, 0);
    d.set(1, PC_FEEDBACK_FROM, 0);
    pcStep(2, 0, 1, d.table, 0.5, PC_OUTPUT_MSE | PC_REFRESH_FIRST | STATE | PC_MOVE, d.work, 0);
    expect<f32>(field(d, 0, PC_ERRORS)).toBe(1.5, "e1 moved along the errors PC_FEEDBACK_FROM names");
    d.free();
  });

  it("pcStep passes PC_NEURON's block to the activation", () => {
    const t = net(0, 0);
    const neuron = neuronBlock();
    t.set(1, PC_KIND, <u32>ACTIVATION_SOFTLIF);
    t.set(1, PC_NEURON, <u32>neuron);
    pcStep(2, 0, 1, t.table, 0, PC_OUTPUT_MSE | PC_PREDICT, t.work, 0);
    const z = allocF32(1), a = allocF32(1);
    setF(z, 0, 8);
    activationForward(ACTIVATION_SOFTLIF, 1, z, a, neuron);
    const got = <usize>load<u32>(t.table + (<usize>(PC_TABLE_WORDS + PC_ACTIVATED) << 2));
    expect<u32>(getBits(got, 0)).toBe(getBits(a, 0), "σ(x1) with the block at PC_NEURON");
    expectClose(getD(a, 0), softLifRef(8), 2 * U * softLifRef(8), "soft-LIF(8)");
    free(z); free(a); free(neuron);
    t.free();
  });
});
