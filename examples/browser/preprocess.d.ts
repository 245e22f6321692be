// Types of preprocess.js for the TypeScript tests.
/** A width × height ink image (values in [0, 1]) to the 784 pixels of an MNIST-style digit, or null when blank. */
export function toMnist(intensity: Float32Array, width: number, height: number): Float32Array | null;
