// The kernel list: every export of the module, grouped by the file that implements it.
// Pointers are byte addresses in linear memory, 16-byte aligned for float arrays; sizes are
// element counts; matrices are row-major. Kernels never allocate: scratch comes from the caller.
// Every code and memory layout the TypeScript side shares with the kernels is declared once, in
// layout.ts, and exported here as an immutable i32 WebAssembly global (instance.exports.NAME.value).
// elementary.ts (deterministic exp/expm1/log1p) and simd.ts (inline helpers) export no kernel.

// layout.ts: activation codes, the neuron parameter block, the PC layer table, the generator size,
// the spiking simulation table.
export {
  ACTIVATION_IDENTITY, ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH, ACTIVATION_SOFTLIF,
  NEURON_TAU_RC, NEURON_T_REF, NEURON_AMPLITUDE, NEURON_GAIN, NEURON_SMOOTHING, NEURON_BYTES,
  PC_TABLE_WORDS, PC_INPUTS, PC_OUTPUTS, PC_WEIGHT, PC_BIAS, PC_SOURCE, PC_ACTIVATED, PC_KIND, PC_PREDICTION,
  PC_ERRORS, PC_SCRATCH, PC_TARGET, PC_NEURON, PC_FEEDBACK, PC_FEEDBACK_FROM,
  PC_OUTPUT_FREE, PC_OUTPUT_MSE, PC_OUTPUT_CE, PC_REFRESH_FIRST, PC_PREDICT, PC_ENERGY, PC_MOVE,
  RNG_BYTES,
  SNN_DT, SNN_TAU_S, SNN_TAU_RC, SNN_T_REF, SNN_AMPLITUDE, SNN_GAIN, SNN_PERIOD, SNN_ALPHA, SNN_POISSON, SNN_INPUTS, SNN_X,
  SNN_INPUT_SPIKES, SNN_GENERATORS, SNN_COUNTS, SNN_FIRST, SNN_DRIVE, SNN_FLOOR, SNN_HEADER_BYTES,
  SNN_OUTPUTS, SNN_WEIGHT_T, SNN_BIAS, SNN_U, SNN_Y, SNN_Z, SNN_CURRENT, SNN_VOLTAGE, SNN_REFRACTORY, SNN_SPIKES, SNN_CONV,
  SNN_CONV_CHANNELS, SNN_CONV_HEIGHT, SNN_CONV_WIDTH, SNN_CONV_CHANNELS_LAST, SNN_CONV_POOL, SNN_CONV_OUT_CHANNELS,
  SNN_CONV_KERNEL, SNN_CONV_STRIDE, SNN_CONV_PAD, SNN_LAYER_WORDS,
} from "./layout";

export { gemm, gemmWorkspaceBytes } from "./gemm";
export { fill, axpy, scale, columnSums, firstNonFinite, firstNonZero } from "./elementwise";
export { activationForward, activationBackward } from "./activation";
export { softmaxRows, softmaxCrossEntropy, squaredError } from "./loss";
export { argmaxRows, countCorrect } from "./metrics";
export { batchNormTrain, batchNormInfer, batchNormBackward, batchNorm2dTrain, batchNorm2dInfer, batchNorm2dBackward } from "./norm";
export { conv2dWorkBytes, conv2dForward, conv2dInputGrad, conv2dWeightGrad } from "./conv";
export { avgPoolForward, avgPoolBackward, maxPoolForward, maxPoolBackward } from "./pool";
export { sgdStep, adamStep } from "./optim";
export { pcStep, pcValues, pcRepredict, pcResidual, pcHalfSquares, pcMove } from "./pc";
export { lifStep } from "./lif";
export { lifRate } from "./rates";
export { poissonSpikesRows } from "./encode";
export { lowpassStep, alphaStep } from "./synapse";
export { propagateSpikes, propagateSpikesConv, spikingConvWorkBytes, neuronCurrent, recordSpikes } from "./snn";
export { snnSteps } from "./simulate";
export { fixedPointInput, fixedPointStep } from "./fixed";
export { rngSeed, rngNextU32, rngUniform, rngNormal, rngPermutation } from "./rng";

export { setThreadScratch } from "./thread";
import { THREAD_SCRATCH_BYTES } from "./thread";

/** Bytes of the scratch block each worker instance needs (setThreadScratch). */
export function threadScratchBytes(): i32 {
  return THREAD_SCRATCH_BYTES;
}

/** First free byte after the module's static data: the TypeScript heap starts here. */
export function heapBase(): usize {
  return __heap_base;
}
