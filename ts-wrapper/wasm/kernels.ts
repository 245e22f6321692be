// Typed bindings of every kernel the module exports, bound once. Nothing outside ts-wrapper/wasm
// touches instance.exports, and nothing outside ts-wrapper/ops calls a kernel. A trap or an abort inside a kernel becomes an Error that names the
// kernel ("wasm kernel gemm: memory access out of bounds").

type Ptr = number;

export interface Kernels {
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: Ptr, lda: number, b: Ptr, ldb: number, c: Ptr, ldc: number, accumulate: number, bias: Ptr, work: Ptr): void;
  gemmWorkspaceBytes(M: number, N: number, K: number): number;
  fill(n: number, value: number, p: Ptr): void;
  axpy(n: number, alpha: number, x: Ptr, y: Ptr): void;
  scale(n: number, alpha: number, x: Ptr): void;
  columnSums(M: number, N: number, x: Ptr, ldx: number, out: Ptr, accumulate: number): void;
  firstNonFinite(n: number, p: Ptr): number;
  firstNonZero(n: number, p: Ptr): number;
  activationForward(kind: number, n: number, z: Ptr, a: Ptr, neuron: Ptr): void;
  activationBackward(kind: number, n: number, z: Ptr, a: Ptr, da: Ptr, dz: Ptr, neuron: Ptr): void;
  softmaxRows(M: number, N: number, z: Ptr, out: Ptr): void;
  softmaxCrossEntropy(M: number, N: number, z: Ptr, y: Ptr, grad: Ptr, gradScale: number): number;
  squaredError(n: number, yHat: Ptr, y: Ptr, grad: Ptr, gradScale: number): number;
  argmaxRows(M: number, N: number, x: Ptr, out: Ptr): void;
  countCorrect(M: number, N: number, x: Ptr, labels: Ptr): number;
  batchNormTrain(B: number, F: number, x: Ptr, weight: Ptr, bias: Ptr, y: Ptr, xHat: Ptr, mean: Ptr, invStd: Ptr, runningMean: Ptr, runningVar: Ptr, momentum: number, eps: number): void;
  batchNormInfer(B: number, F: number, x: Ptr, weight: Ptr, bias: Ptr, runningMean: Ptr, runningVar: Ptr, eps: number, y: Ptr, scratch: Ptr): void;
  batchNormBackward(B: number, F: number, dy: Ptr, xHat: Ptr, weight: Ptr, invStd: Ptr, dx: Ptr, dWeight: Ptr, dBias: Ptr): void;
  batchNorm2dTrain(N: number, C: number, S: number, x: Ptr, weight: Ptr, bias: Ptr, y: Ptr, xHat: Ptr, mean: Ptr, invStd: Ptr, runningMean: Ptr, runningVar: Ptr, momentum: number, eps: number): void;
  batchNorm2dInfer(N: number, C: number, S: number, x: Ptr, weight: Ptr, bias: Ptr, runningMean: Ptr, runningVar: Ptr, eps: number, y: Ptr): void;
  batchNorm2dBackward(N: number, C: number, S: number, dy: Ptr, xHat: Ptr, weight: Ptr, invStd: Ptr, dx: Ptr, dWeight: Ptr, dBias: Ptr): void;
  conv2dWorkBytes(C: number, H: number, W: number, O: number, K: number, stride: number, pad: number): number;
  conv2dForward(N: number, C: number, H: number, W: number, O: number, K: number, stride: number, pad: number, x: Ptr, w: Ptr, bias: Ptr, y: Ptr, work: Ptr): void;
  conv2dInputGrad(N: number, C: number, H: number, W: number, O: number, K: number, stride: number, pad: number, dy: Ptr, w: Ptr, dx: Ptr, work: Ptr): void;
  conv2dWeightGrad(N: number, C: number, H: number, W: number, O: number, K: number, stride: number, pad: number, x: Ptr, dy: Ptr, dw: Ptr, dbias: Ptr, work: Ptr, first: number, count: number): void;
  avgPoolForward(planes: number, H: number, W: number, K: number, x: Ptr, y: Ptr): void;
  avgPoolBackward(planes: number, H: number, W: number, K: number, dy: Ptr, dx: Ptr): void;
  maxPoolForward(planes: number, H: number, W: number, K: number, x: Ptr, y: Ptr, index: Ptr): void;
  maxPoolBackward(planes: number, H: number, W: number, K: number, dy: Ptr, index: Ptr, dx: Ptr): void;
  sgdStep(n: number, p: Ptr, g: Ptr, v: Ptr, lr: number, momentum: number, weightDecay: number, nesterov: number): void;
  adamStep(n: number, p: Ptr, g: Ptr, m: Ptr, v: Ptr, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  pcStep(L: number, row0: number, rows: number, table: Ptr, gamma: number, mode: number, work: Ptr, workBytes: number): number;
  pcValues(n: number, u: Ptr, e: Ptr, x: Ptr): void;
  pcRepredict(n: number, p: Ptr, u: Ptr, e: Ptr): void;
  pcResidual(n: number, y: Ptr, u: Ptr, e: Ptr): number;
  pcHalfSquares(n: number, e: Ptr): number;
  pcMove(n: number, gamma: number, g: Ptr, e: Ptr): void;
  fixedPointInput(B: number, nIn: number, nOut: number, x: Ptr, events: number, q: Ptr, acc: Ptr): number;
  fixedPointStep(B: number, nOut: number, acc: Ptr, mult: Ptr, bias: Ptr, synK: number, memK: number, refSteps: number, floor: number, y: Ptr, v: Ptr, refractory: Ptr, spikes: Ptr): number;
  lifStep(n: number, dt: number, tauRc: number, tRef: number, current: Ptr, voltage: Ptr, refractory: Ptr, spikes: Ptr, amplitude: number, floor: number): number;
  lifRate(n: number, tauRc: number, tRef: number, j: Ptr, out: Ptr): void;
  poissonSpikesRows(g: Ptr, B: number, n: number, x: Ptr, dt: number, period: number, amplitude: number, out: Ptr): number;
  lowpassStep(n: number, dt: number, tauS: number, u: Ptr, y: Ptr): void;
  alphaStep(n: number, dt: number, tauS: number, u: Ptr, y: Ptr, z: Ptr): void;
  propagateSpikes(B: number, nIn: number, nOut: number, spikes: Ptr, wT: Ptr, out: Ptr, scratch: Ptr): number;
  propagateSpikesConv(B: number, C: number, H: number, W: number, channelsLast: number, pool: number, O: number, K: number, stride: number, pad: number, spikes: Ptr, wT: Ptr, out: Ptr, scratch: Ptr): number;
  spikingConvWorkBytes(C: number, H: number, W: number, pool: number, O: number, K: number, stride: number, pad: number): number;
  neuronCurrent(B: number, n: number, y: Ptr, bias: Ptr, gain: number, out: Ptr): void;
  recordSpikes(n: number, tEnd: number, dt: number, tRef: number, spikes: Ptr, refractory: Ptr, counts: Ptr, first: Ptr): void;
  snnSteps(table: Ptr, L: number, row0: number, rows: number, step0: number, steps: number, work: Ptr, workBytes: number, totals: Ptr): void;
  rngSeed(g: Ptr, seed: number, stream: number): void;
  rngNextU32(g: Ptr): number;
  rngUniform(g: Ptr, n: number, low: number, high: number, out: Ptr): void;
  rngNormal(g: Ptr, n: number, mean: number, std: number, out: Ptr): void;
  rngPermutation(g: Ptr, n: number, out: Ptr): void;
  threadScratchBytes(): number;
  setThreadScratch(p: Ptr): void;
  heapBase(): number;
}

export const KERNEL_NAMES: readonly (keyof Kernels)[] = [
  "gemm", "gemmWorkspaceBytes", "fill", "axpy", "scale", "columnSums", "firstNonFinite", "firstNonZero",
  "activationForward", "activationBackward", "softmaxRows", "softmaxCrossEntropy", "squaredError",
  "argmaxRows", "countCorrect", "batchNormTrain", "batchNormInfer", "batchNormBackward",
  "batchNorm2dTrain", "batchNorm2dInfer", "batchNorm2dBackward", "conv2dWorkBytes", "conv2dForward", "conv2dInputGrad", "conv2dWeightGrad",
  "avgPoolForward", "avgPoolBackward", "maxPoolForward", "maxPoolBackward",
  "sgdStep", "adamStep", "pcStep", "pcValues", "pcRepredict", "pcResidual", "pcHalfSquares", "pcMove", "lifStep", "lifRate", "poissonSpikesRows", "lowpassStep", "alphaStep",
  "propagateSpikes", "propagateSpikesConv", "spikingConvWorkBytes", "neuronCurrent", "recordSpikes", "snnSteps", "fixedPointInput", "fixedPointStep", "rngSeed", "rngNextU32", "rngUniform", "rngNormal", "rngPermutation",
  "threadScratchBytes", "setThreadScratch", "heapBase",
];

export function bindKernels(exports: Record<string, unknown>): Kernels {
  const bound: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) {
    const fn = exports[name];
    if (typeof fn !== "function") {
      throw new Error(`bioplausible wasm module has no export '${name}': the .wasm file does not match this version of the library`);
    }
    bound[name] = (...args: number[]) => {
      try {
        return (fn as (...a: number[]) => number)(...args);
      } catch (error) {
        throw new Error(`wasm kernel ${name}: ${(error as Error).message}`, { cause: error });
      }
    };
  }
  return bound as unknown as Kernels;
}
