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
  const m = await h5();
  const fs = (await m.ready).FS;
  // HDF5's signature: \x89HDF\r\n\x1a\n.
  if (bytes.length < 8 || bytes[1] !== 0x48 || bytes[2] !== 0x44 || bytes[3] !== 0x46) throw new Error(`${file}: not an HDF5 file, so not a NIR graph`);
  const path = `/nir-read-${files++}.h5`;
  fs.writeFile(path, bytes);
  let f: InstanceType<H5["File"]> | undefined;
  try {
    f = new m.File(path, "r");
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
