export { type IdxArray, isGzip, gunzipIfNeeded, parseIdx, decodeIdx } from "./idx.js";
export { type Dataset, fromIdx, subset, oneHot, gatherBatch, normalizeBytes, normalizeChannels } from "./dataset.js";
export { type IdxDatasetName, loadIdxDir, loadMNIST, idxFileNames } from "./mnist.js";
export { loadCifar10, CIFAR10_MEAN, CIFAR10_STD } from "./cifar10.js";
