// A NIR graph in memory (the Neuromorphic Intermediate Representation, Pedersen et al. 2024,
// neuroir.org): named nodes, each a type and its parameters, and the edges between them. This is
// the file's content as declared, before any mapping onto bioplausible's neurons (import.ts,
// export.ts); hdf5.ts reads and writes it.

/** A numeric parameter: row-major values with their shape ([] for a scalar). */
export interface NirTensor {
  shape: number[];
  data: Float64Array;
}

export type NirValue = NirTensor | string;

export interface NirNode {
  type: string;
  params: Record<string, NirValue>;
}

export interface NirGraph {
  nodes: Record<string, NirNode>;
  edges: [string, string][];
  /** The graph's metadata group, as strings (bioplausible writes one JSON entry, METADATA_KEY). */
  metadata: Record<string, string>;
}

/** The NIR format version written (the `version` dataset at the file's root). */
export const NIR_VERSION = "1.0.0";

/** Where bioplausible keeps what NIR has no field for (the input coding, the readout), as JSON. */
export const METADATA_KEY = "bioplausible";

export function tensor(data: ArrayLike<number>, shape: number[] = [data.length]): NirTensor {
  return { shape, data: Float64Array.from(data) };
}

export function scalar(value: number): NirTensor {
  return { shape: [], data: Float64Array.of(value) };
}

/** A node's numeric parameter, or an error naming the node and the parameter. */
export function param(node: NirNode, name: string, nodeName: string): NirTensor {
  const value = node.params[name];
  if (value === undefined) throw new Error(`NIR node "${nodeName}" (${node.type}) has no "${name}"`);
  if (typeof value === "string") throw new Error(`NIR node "${nodeName}" (${node.type}): "${name}" is the string "${value}", expected numbers`);
  return value;
}

/** The integers of a parameter given as an int or a pair (stride, padding, kernel_size …), as a pair. */
export function pair(node: NirNode, name: string, nodeName: string): [number, number] {
  const { data } = param(node, name, nodeName);
  const values = data.length === 1 ? [data[0], data[0]] : [...data];
  if (values.length !== 2 || values.some((v) => !Number.isInteger(v))) {
    throw new Error(`NIR node "${nodeName}" (${node.type}): "${name}" must be an integer or a pair of integers, got [${[...data]}]`);
  }
  // Padding and dilation may be 0 (dilation 0 is refused later); kernels and strides are ≥ 1.
  const least = name === "padding" ? 0 : 1;
  if (values.some((v) => v < least)) throw new Error(`NIR node "${nodeName}" (${node.type}): "${name}" must be ${least ? "positive" : "≥ 0"}, got [${[...data]}]`);
  return values as [number, number];
}

/** The number of elements a shape holds. */
export function elements(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
