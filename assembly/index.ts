// The kernel list: every export of the module, grouped by the file that implements it.
// Pointers are byte addresses in linear memory, 16-byte aligned for float arrays; sizes are
// element counts; matrices are row-major. Kernels never allocate: scratch comes from the caller.

export { gemm, gemmWorkspaceBytes } from "./gemm";
export { fill, axpy, scale, columnSums, firstNonFinite } from "./elementwise";
export { activationForward, activationBackward } from "./activation";
export { softmaxRows, softmaxCrossEntropy, squaredError } from "./loss";
export { argmaxRows, countCorrect } from "./metrics";
export { batchNormTrain, batchNormInfer, batchNormBackward } from "./norm";
export { sgdStep, adamStep } from "./optim";
export { pcStep } from "./pc";
export { lifStep, lifRate, lifRateDerivative, softLifRate, softLifRateDerivative } from "./lif";
export { poissonSpikes, poissonSpikesRows, constantCurrent } from "./encode";
export { lowpassStep, alphaStep } from "./synapse";
export { propagateSpikes, neuronCurrent, recordSpikes } from "./snn";
export { rngSeed, rngNextU32, rngUniform, rngNormal, rngPermutation, rngBernoulli } from "./rng";

/** First free byte after the module's static data: the TypeScript heap starts here. */
export function heapBase(): usize {
  return __heap_base;
}
