// NIR files: HDF5, read and written with h5wasm (libhdf5 compiled to wasm; the same in Node and
// browsers). The layout is the reference implementation's (the `nir` Python package): a `version`
// string at the root and the graph in the group `node` — its `type` "NIRGraph", a group `nodes`
// with one group per node (a `type` string and one dataset per parameter), `edges` as an n × 2
// array of strings, and an optional `metadata` group. h5wasm works on its own in-memory file
// system, so bytes go in and out whole.

import { NIR_VERSION, type NirGraph, type NirNode, type NirTensor, type NirValue } from "./graph.js";

type H5 = typeof import("h5wasm");
type Group = InstanceType<H5["Group"]>;

let library: Promise<H5> | undefined;
let files = 0;

async function h5(): Promise<H5> {
  library ??= import("h5wasm").then(async (m) => {
    await m.ready;
    return m;
  });
  return library;
}

/** The graph in a NIR file's bytes; `file` names it in every error. */
export async function readNir(bytes: Uint8Array, file: string): Promise<NirGraph> {
  checkHdf5(bytes, file);
  const m = await h5();
  const fs = (await m.ready).FS;
  const path = `/nir-read-${files++}.h5`;
  fs.writeFile(path, bytes);
  let f: InstanceType<H5["File"]> | undefined;
  try {
    f = new m.File(path, "r");
    if (f.file_id < 0n) {
      f = undefined;
      throw new Error(`${file}: a damaged HDF5 file (libhdf5 cannot open it)`);
    }
    const root = f.get("node");
    if (!(root instanceof m.Group)) throw new Error(`${file}: no group "node" at the root: not a NIR file`);
    const type = stringAt(m, root, "type", `${file}: node`);
    if (type !== "NIRGraph") throw new Error(`${file}: the root node is a ${type}, expected a NIRGraph`);
    return readGraph(m, root, file);
  } finally {
    f?.close();
    fs.unlink(path);
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` hold HDF5's signature where a superblock can start: 0, 512, 1024, 2048, … */
export function isHdf5(bytes: Uint8Array): boolean {
  return superblockAt(bytes) >= 0;
}

function superblockAt(bytes: Uint8Array): number {
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return at;
  }
  return -1;
}

/**
 * Refuse what is not HDF5, and a truncated file, before libhdf5 sees it (it would print its error
 * stack to stderr): the superblock states the file's length (its end-of-file address).
 */
function checkHdf5(bytes: Uint8Array, file: string): void {
  const at = superblockAt(bytes);
  if (at < 0) throw new Error(`${file}: not an HDF5 file (no HDF5 signature), so not a NIR graph`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[at + 8];
  const sizeAt = version <= 1 ? at + 13 : at + 9;
  const offsets = bytes[sizeAt];
  if (![2, 4, 8].includes(offsets)) throw new Error(`${file}: a damaged HDF5 superblock (offsets of ${offsets} bytes)`);
  // Base address, then (v0/v1) the free-space and (v2/v3) the extension address, then the end of file.
  const base = version <= 1 ? at + (version === 0 ? 24 : 28) : at + 12;
  const read = (p: number) => (p + offsets > bytes.length ? NaN : offsets === 8 ? Number(view.getBigUint64(p, true)) : offsets === 4 ? view.getUint32(p, true) : view.getUint16(p, true));
  const start = read(base), end = read(base + 2 * offsets);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`${file}: a truncated HDF5 file (${bytes.length} bytes, its superblock is cut)`);
  if (start + end > bytes.length) throw new Error(`${file}: a truncated HDF5 file: ${bytes.length} bytes, its superblock says ${start + end}`);
}

function readGraph(m: H5, group: Group, file: string): NirGraph {
  const nodesGroup = group.get("nodes");
  if (!(nodesGroup instanceof m.Group)) throw new Error(`${file}: the graph has no group "nodes"`);
  const nodes: Record<string, NirNode> = {};
  for (const name of nodesGroup.keys()) {
    const g = nodesGroup.get(name);
    if (!(g instanceof m.Group)) throw new Error(`${file}: nodes/${name} is not a group`);
    const type = stringAt(m, g, "type", `${file}: node "${name}"`);
    if (type === "NIRGraph") throw new Error(`${file}: node "${name}" is a nested NIRGraph, which bioplausible does not run (a subgraph: flatten it into the graph)`);
    const params: Record<string, NirValue> = {};
    for (const key of g.keys()) {
      if (key === "type") continue;
      const item = g.get(key);
      // input_type/output_type groups and metadata carry no parameter.
      if (item instanceof m.Dataset) params[key] = value(item, `${file}: node "${name}", "${key}"`);
    }
    nodes[name] = { type, params };
  }
  const edgesSet = group.get("edges");
  if (!(edgesSet instanceof m.Dataset)) throw new Error(`${file}: the graph has no dataset "edges"`);
  const flat = edgesSet.value;
  const names = Array.isArray(flat) ? flat.map(String) : [];
  if (names.length % 2 !== 0 || (names.length === 0 && Object.keys(nodes).length > 0)) {
    throw new Error(`${file}: "edges" must be a list of [from, to] node names, got ${JSON.stringify(flat)}`);
  }
  const edges: [string, string][] = [];
  for (let i = 0; i < names.length; i += 2) edges.push([names[i], names[i + 1]]);
  const metadata: Record<string, string> = {};
  const meta = group.get("metadata");
  if (meta instanceof m.Group) {
    for (const key of meta.keys()) {
      const item = meta.get(key);
      if (item instanceof m.Dataset) {
        const v = item.value;
        metadata[key] = typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));
      }
    }
  }
  return { nodes, edges, metadata };
}

function stringAt(m: H5, group: Group, key: string, where: string): string {
  const item = group.get(key);
  const v = item instanceof m.Dataset ? item.value : undefined;
  if (typeof v !== "string") throw new Error(`${where} has no "${key}" string`);
  return v;
}

function value(dataset: InstanceType<H5["Dataset"]>, where: string): NirValue {
  const v = dataset.value;
  const shape = (dataset.shape ?? []).map(Number);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return { shape, data: Float64Array.of(Number(v)) };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const data = Float64Array.from(v as ArrayLike<number | bigint>, Number);
    return { shape, data };
  }
  throw new Error(`${where}: a dataset of a type bioplausible does not read (${dataset.dtype})`);
}

/** A NIR file's bytes for the graph: float64 parameters, gzip-compressed as the reference writer does. */
export async function writeNir(graph: NirGraph): Promise<Uint8Array> {
  const m = await h5();
  const fs = (await m.ready).FS;
  const path = `/nir-write-${files++}.h5`;
  const f = new m.File(path, "w");
  try {
    f.create_dataset({ name: "version", data: NIR_VERSION });
    const root = f.create_group("node");
    root.create_dataset({ name: "type", data: "NIRGraph" });
    const nodes = root.create_group("nodes");
    for (const [name, node] of Object.entries(graph.nodes)) {
      const g = nodes.create_group(name);
      g.create_dataset({ name: "type", data: node.type });
      for (const [key, v] of Object.entries(node.params)) writeValue(g, key, v);
    }
    root.create_dataset({ name: "edges", data: graph.edges.flat(), shape: [graph.edges.length, 2] });
    const keys = Object.keys(graph.metadata);
    if (keys.length) {
      const meta = root.create_group("metadata");
      for (const key of keys) meta.create_dataset({ name: key, data: graph.metadata[key] });
    }
  } catch (error) {
    f.close();
    fs.unlink(path);
    throw error;
  }
  f.close();
  try {
    return fs.readFile(path) as Uint8Array;
  } finally {
    fs.unlink(path);
  }
}

function writeValue(g: Group, key: string, v: NirValue): void {
  if (typeof v === "string") {
    g.create_dataset({ name: key, data: v });
    return;
  }
  const t: NirTensor = v;
  // Integer parameters (strides, shapes, groups) are int64, as numpy writes them.
  const integral = INTEGER_PARAMS.has(key);
  const data = integral ? BigInt64Array.from(t.data, (x) => BigInt(x)) : t.data;
  const big = t.shape.length > 0 && t.data.length > 64 && !integral;
  g.create_dataset({ name: key, data, shape: t.shape, ...(big ? { chunks: t.shape, compression: "gzip" as const } : {}) });
}

const INTEGER_PARAMS = new Set(["shape", "input_shape", "stride", "padding", "dilation", "groups", "kernel_size", "start_dim", "end_dim", "input_type"]);
