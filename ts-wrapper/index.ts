// The public API of bioplausible.

export { init, runtime, type InitOptions, type Runtime } from "./runtime.js";
export { Matrix } from "./tensor.js";
export { Heap, Arena } from "./wasm/heap.js";
export type { Kernels } from "./wasm/kernels.js";
export { MLP, type MLPOptions, type MLPConfig } from "./models/mlp.js";
export { ACTIVATIONS, type ActivationName } from "./models/activations.js";
export { ParameterSet, type TensorSpec } from "./models/params.js";
export { encodeSafetensors, decodeSafetensors, type NamedTensor } from "./models/safetensors.js";
export { Optimizer, OPTIMIZERS, type OptimizerName, type OptimizerOptions } from "./training/optimizers.js";
export { OUTPUT_LOSSES, type OutputLoss } from "./training/losses.js";
export { train, LR_SCHEDULES, type LRSchedule, type TrainOptions, type TrainResult, type EpochResult } from "./training/trainer.js";
export type { TrainableModel } from "./training/model.js";
export { evaluate, type Evaluation } from "./evaluation/metrics.js";
export * from "./datasets/index.js";
export { encodeModel, decodeModel, MODEL_FORMAT } from "./models/file.js";
export { VERSION } from "./version.js";
export { PCN, PC_ALGORITHMS, type PCAlgorithm, type PCNOptions } from "./models/pcn.js";
export { DivergenceError, type StepResult } from "./training/model.js";
export { BatchBuffer } from "./training/batches.js";
export { lossAndGradient } from "./training/losses.js";
export { SNN, ENCODINGS, READOUTS, SYNAPSES, CHECKPOINTS, SIMULATION_DEFAULTS, resolveSimulation, type Encoding, type Readout, type Synapse, type SimulationOptions, type SpikingRun } from "./models/snn.js";
export { NEURON_PRESETS, PRESET_NAMES, resolveNeuron, type NeuronParams, type NeuronOptions, type NeuronPreset } from "./models/neuron.js";
export { fuseBatchNorm, fusedLinearLayers, type LinearWeights } from "./models/fuse.js";
