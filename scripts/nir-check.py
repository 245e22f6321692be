#!/usr/bin/python3
"""Check a NIR file against NIR's schema with an independent reader (h5py), and summarise it.

    /usr/bin/python3 scripts/nir-check.py net.nir

Checks the layout the reference implementation (the `nir` package) reads: a `version` string, the
graph in the group `node` (type NIRGraph) with `nodes` and `edges`; every node's type and the
parameters that type declares, with their ranks; the edges naming nodes; and the shapes, propagated
from the Input along the edges through every node to the Output, agreeing with each node's
parameters. Prints one JSON object: the version, each node's type, parameter shapes and dtypes, the
sum of each parameter (float64), and each node's output shape. Exits 1 naming the node on the first
violation. Needs h5py and numpy (Debian: python3-h5py).
"""

import json
import sys

import h5py
import numpy as np

# Each node type's parameters (NIR's primitives, nir/ir/*.py): name -> rank, None for "any rank".
REQUIRED = {
    "Input": {"shape": 1},
    "Output": {"shape": 1},
    "Affine": {"weight": 2, "bias": 1},
    "Linear": {"weight": 2},
    "Conv2d": {"weight": 4, "bias": 1, "stride": None, "padding": None, "dilation": None, "groups": 0},
    "AvgPool2d": {"kernel_size": None, "stride": None, "padding": None},
    "SumPool2d": {"kernel_size": None, "stride": None, "padding": None},
    "Flatten": {"start_dim": 0, "end_dim": 0},
    "Scale": {"scale": None},
    "Threshold": {"threshold": None},
    "LIF": {"tau": None, "r": None, "v_leak": None, "v_threshold": None},
    "CubaLIF": {"tau_mem": None, "tau_syn": None, "r": None, "v_leak": None, "v_threshold": None},
    "IF": {"r": None, "v_threshold": None},
    "LI": {"tau": None, "r": None, "v_leak": None},
    "CubaLI": {"tau_mem": None, "tau_syn": None, "r": None, "v_leak": None},
}
NEURONS = {"LIF", "CubaLIF", "IF", "LI", "CubaLI", "Threshold", "Scale"}


def fail(message):
    print(f"nir-check: {message}", file=sys.stderr)
    sys.exit(1)


def text(dataset):
    value = dataset[()]
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def pair(value):
    value = np.atleast_1d(np.asarray(value)).astype(np.int64)
    return (int(value[0]), int(value[0])) if value.size == 1 else (int(value[0]), int(value[1]))


def output_shape(name, kind, p, shape):
    """The shape a node passes on, given the shape it receives; fails where they disagree."""
    if kind in ("Affine", "Linear"):
        w = p["weight"]
        if list(shape) != [w.shape[1]]:
            fail(f'node "{name}" ({kind}): weight {list(w.shape)} takes {w.shape[1]} inputs, receives {list(shape)}')
        if kind == "Affine" and p["bias"].shape != (w.shape[0],):
            fail(f'node "{name}": bias {list(p["bias"].shape)} for {w.shape[0]} outputs')
        return [w.shape[0]]
    if kind == "Conv2d":
        w = p["weight"]
        if len(shape) != 3 or shape[0] != w.shape[1]:
            fail(f'node "{name}" (Conv2d): weight {list(w.shape)} takes {w.shape[1]} channels, receives {list(shape)}')
        (sh, sw), (dh, dw) = pair(p["stride"]), pair(p["dilation"])
        padding = p["padding"]
        if isinstance(padding, str):
            ph, pw = (0, 0) if padding == "valid" else ((w.shape[2] - 1) // 2, (w.shape[3] - 1) // 2)
        else:
            ph, pw = pair(padding)
        if "input_shape" in p and list(np.asarray(p["input_shape"]).astype(int)) != list(shape[1:]):
            fail(f'node "{name}" (Conv2d): input_shape {list(p["input_shape"])} but receives {list(shape[1:])}')
        h = (shape[1] + 2 * ph - dh * (w.shape[2] - 1) - 1) // sh + 1
        wd = (shape[2] + 2 * pw - dw * (w.shape[3] - 1) - 1) // sw + 1
        if p["bias"].shape != (w.shape[0],):
            fail(f'node "{name}": bias {list(p["bias"].shape)} for {w.shape[0]} channels')
        return [w.shape[0], h, wd]
    if kind in ("AvgPool2d", "SumPool2d"):
        (kh, kw), (sh, sw), (ph, pw) = pair(p["kernel_size"]), pair(p["stride"]), pair(p["padding"])
        if len(shape) != 3:
            fail(f'node "{name}" ({kind}): pools a (C, H, W) map, receives {list(shape)}')
        return [shape[0], (shape[1] + 2 * ph - kh) // sh + 1, (shape[2] + 2 * pw - kw) // sw + 1]
    if kind == "Flatten":
        start, end = int(p["start_dim"]), int(p["end_dim"])
        end = end if end >= 0 else len(shape) + end
        if "input_type" in p and list(np.asarray(p["input_type"]).astype(int)) != list(shape):
            fail(f'node "{name}" (Flatten): input_type {list(p["input_type"])} but receives {list(shape)}')
        return list(shape[:start]) + [int(np.prod(shape[start:end + 1]))] + list(shape[end + 1:])
    if kind in NEURONS:
        for key, value in p.items():
            if isinstance(value, np.ndarray) and value.size > 1 and list(value.shape) != list(shape):
                fail(f'node "{name}" ({kind}): {key} has shape {list(value.shape)}, receives {list(shape)}')
        return list(shape)
    if kind == "Output":
        if list(np.asarray(p["shape"]).astype(int)) != list(shape):
            fail(f'node "{name}" (Output): shape {list(p["shape"])} but receives {list(shape)}')
        return list(shape)
    fail(f'node "{name}": unknown type {kind}')


def main(path):
    with h5py.File(path, "r") as f:
        if "version" not in f:
            fail("no version dataset at the root")
        version = text(f["version"])
        if "node" not in f or text(f["node"]["type"]) != "NIRGraph":
            fail('no NIRGraph in the group "node"')
        graph = f["node"]
        nodes, summary = {}, {}
        for name, group in graph["nodes"].items():
            kind = text(group["type"])
            if kind not in REQUIRED:
                fail(f'node "{name}": type {kind} is not a NIR primitive this checker knows')
            params = {}
            for key, rank in REQUIRED[kind].items():
                if key not in group:
                    fail(f'node "{name}" ({kind}): missing {key}')
                value = group[key][()]
                if isinstance(value, bytes):
                    value = value.decode("utf8")
                elif rank is not None and np.ndim(value) != rank:
                    fail(f'node "{name}" ({kind}): {key} has rank {np.ndim(value)}, NIR declares {rank}')
                params[key] = value
            for key in group:
                if key not in params and key != "type" and isinstance(group[key], h5py.Dataset):
                    value = group[key][()]
                    params[key] = value.decode("utf8") if isinstance(value, bytes) else value
            nodes[name] = (kind, params)
            summary[name] = {
                "type": kind,
                "params": {
                    k: {"shape": list(np.shape(v)), "dtype": str(np.asarray(v).dtype), "sum": float(np.sum(np.asarray(v, dtype=np.float64)))}
                    for k, v in params.items() if not isinstance(v, str)
                },
            }
        edges = [(text_of(a), text_of(b)) for a, b in graph["edges"][()]]
        for a, b in edges:
            for n in (a, b):
                if n not in nodes:
                    fail(f"edge {a} -> {b} names no node {n}")
        inputs = [n for n, (k, _) in nodes.items() if k == "Input"]
        if len(inputs) != 1:
            fail(f"{len(inputs)} Input nodes")
        shapes = {inputs[0]: [int(d) for d in np.asarray(nodes[inputs[0]][1]["shape"])]}
        frontier = [inputs[0]]
        while frontier:
            a = frontier.pop()
            for x, b in edges:
                if x != a:
                    continue
                shape = output_shape(b, nodes[b][0], nodes[b][1], shapes[a])
                if b in shapes and shapes[b] != shape:
                    fail(f'node "{b}": reached with shapes {shapes[b]} and {shape}')
                shapes[b] = [int(d) for d in shape]
                frontier.append(b)
        unreached = [n for n in nodes if n not in shapes]
        if unreached:
            fail(f'node "{unreached[0]}" is not reached from the Input')
        for name in summary:
            summary[name]["output_shape"] = shapes[name]
        print(json.dumps({"version": version, "nodes": summary, "edges": edges}))


def text_of(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: nir-check.py FILE.nir")
    main(sys.argv[1])
