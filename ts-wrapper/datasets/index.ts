export { type IdxArray, isGzip, gunzipIfNeeded, parseIdx, decodeIdx } from "./idx.js";
export { type Dataset, fromIdx, subset, oneHot, gatherBatch, normalizeBytes } from "./dataset.js";
export { type IdxDatasetName, loadIdxDir, loadMNIST, idxFileNames } from "./mnist.js";
export { loadCifar10 } from "./cifar10.js";
