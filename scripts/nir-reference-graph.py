#!/usr/bin/python3
"""Write NIR graphs as NIR's reference implementation lays them out, without bioplausible.

    /usr/bin/python3 scripts/nir-reference-graph.py OUT_DIR [SEED]

Writes OUT_DIR/<name>.nir for a few small graphs and prints one JSON object with every node's type
and parameters as plain lists, so that a test can simulate the graphs from the declaration itself,
independently of bioplausible's reader. The layout is the `nir` package's (nir.write of a
NIRGraph): a `version` string at the root; the group `node` holding `type` "NIRGraph", `nodes`
(a group per node: `type`, one dataset per field, and the `input_type` / `output_type` groups the
package adds) and `edges` (n x 2 strings). Weights are float32, gzip-compressed, as a PyTorch
export gives them; integers int64. Needs h5py and numpy (Debian: python3-h5py).
"""

import json
import os
import sys

import h5py
import numpy as np


def graphs(rng):
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    per_channel = lambda values, shape: np.broadcast_to(np.asarray(values, dtype=np.float32)[:, None, None], shape).copy()

    conv_w = f32(rng.normal(0.002, 0.003, (3, 1, 3, 3)))
    conv_shape = (3, 8, 8)
    fc1 = f32(rng.normal(0.0005, 0.002, (12, 48)))
    fc2 = f32(rng.normal(0.001, 0.004, (5, 12)))
    cuba = {
        "input": ("Input", {"shape": np.array([1, 8, 8])}),
        "conv": ("Conv2d", {
            "weight": conv_w, "bias": f32(np.zeros(3)), "stride": np.array([1, 1]), "padding": np.array([1, 1]),
            "dilation": np.array([1, 1]), "groups": np.int64(1), "input_shape": np.array([8, 8]),
        }),
        "lif_conv": ("CubaLIF", {
            "tau_mem": f32(np.full(conv_shape, 0.02)), "tau_syn": f32(np.full(conv_shape, 0.005)),
            "r": per_channel([1.2, 0.9, 1.5], conv_shape), "v_leak": per_channel([0.5, 0.9, 0.3], conv_shape),
            "v_threshold": per_channel([0.8, 1.0, 1.2], conv_shape), "v_reset": f32(np.zeros(conv_shape)),
            "w_in": f32(np.ones(conv_shape)),
        }),
        "pool": ("SumPool2d", {"kernel_size": np.array([2, 2]), "stride": np.array([2, 2]), "padding": np.array([0, 0])}),
        "flatten": ("Flatten", {"start_dim": np.int64(0), "end_dim": np.int64(-1), "input_type": np.array([3, 4, 4])}),
        "fc1": ("Linear", {"weight": fc1}),
        "gain1": ("Scale", {"scale": f32(rng.uniform(0.5, 1.5, 12))}),
        "lif1": ("CubaLIF", {
            "tau_mem": f32(np.full(12, 0.02)), "tau_syn": f32(np.full(12, 0.005)), "r": f32(rng.uniform(0.8, 1.6, 12)),
            "v_leak": f32(rng.uniform(0.3, 1.2, 12)), "v_threshold": f32(rng.uniform(0.7, 1.3, 12)), "v_reset": f32(np.zeros(12)),
            "w_in": f32(rng.uniform(0.8, 1.2, 12)),
        }),
        "fc2": ("Linear", {"weight": fc2}),
        "lif2": ("CubaLIF", {
            "tau_mem": f32(np.full(5, 0.02)), "tau_syn": f32(np.full(5, 0.005)), "r": f32(np.ones(5)),
            "v_leak": f32(rng.uniform(0.6, 1.0, 5)), "v_threshold": f32(np.ones(5)), "v_reset": f32(np.zeros(5)), "w_in": f32(np.ones(5)),
        }),
        "output": ("Output", {"shape": np.array([5])}),
    }
    dense = {
        "input": ("Input", {"shape": np.array([6])}),
        "fc1": ("Affine", {"weight": f32(rng.normal(0.002, 0.004, (8, 6))), "bias": f32(rng.uniform(0.2, 0.8, 8))}),
        "lif1": ("LIF", {
            "tau": f32(np.full(8, 0.01)), "r": f32(rng.uniform(0.8, 1.4, 8)), "v_leak": f32(rng.uniform(0.2, 1.0, 8)),
            "v_threshold": f32(rng.uniform(0.8, 1.2, 8)), "v_reset": f32(np.zeros(8)),
        }),
        "fc2": ("Affine", {"weight": f32(rng.normal(0.002, 0.004, (4, 8))), "bias": f32(rng.uniform(0.3, 0.8, 4))}),
        "lif2": ("LIF", {
            "tau": f32(np.full(4, 0.01)), "r": f32(np.ones(4)), "v_leak": f32(rng.uniform(0.4, 0.8, 4)),
            "v_threshold": f32(np.ones(4)), "v_reset": f32(np.zeros(4)),
        }),
        "output": ("Output", {"shape": np.array([4])}),
    }
    return {"cuba-conv": cuba, "lif-affine": dense}


def shapes(nodes):
    """The (input, output) shape of each node in the chain, as the nir package's input_type/output_type."""
    order = list(nodes)
    result, shape = {}, None
    for name in order:
        kind, p = nodes[name]
        before = shape
        if kind == "Input":
            shape = list(p["shape"])
            before = shape
        elif kind in ("Linear", "Affine"):
            shape = [p["weight"].shape[0]]
        elif kind == "Conv2d":
            shape = [p["weight"].shape[0], *[int(d) for d in p["input_shape"]]]
        elif kind == "SumPool2d":
            shape = [shape[0], shape[1] // 2, shape[2] // 2]
        elif kind == "Flatten":
            shape = [int(np.prod(shape))]
        result[name] = (before, shape)
    return result


def write(path, nodes):
    io = shapes(nodes)
    order = list(nodes)
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.0", dtype=h5py.string_dtype())
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        group = g.create_group("nodes")
        for name, (kind, params) in nodes.items():
            n = group.create_group(name)
            n.create_dataset("type", data=kind, dtype=h5py.string_dtype())
            for key, value in params.items():
                value = np.asarray(value)
                big = value.size > 16
                n.create_dataset(key, data=value, dtype=value.dtype, **({"compression": "gzip"} if big else {}))
            before, after = io[name]
            # Flatten keeps its input_type as a dataset (nir's Flatten.to_dict), the others as a group.
            if "input_type" not in params:
                n.create_group("input_type").create_dataset("input", data=np.array(before, dtype=np.int64))
            n.create_group("output_type").create_dataset("output", data=np.array(after, dtype=np.int64))
        g.create_dataset("edges", data=[(order[i], order[i + 1]) for i in range(len(order) - 1)], dtype=h5py.string_dtype())


def main(out_dir, seed):
    rng = np.random.default_rng(seed)
    summary = {}
    for name, nodes in graphs(rng).items():
        path = os.path.join(out_dir, f"{name}.nir")
        write(path, nodes)
        order = list(nodes)
        summary[name] = {
            "file": path,
            "nodes": {n: {"type": k, "params": {key: np.asarray(v, dtype=np.float64).tolist() for key, v in p.items()}} for n, (k, p) in nodes.items()},
            "order": order,
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print("usage: nir-reference-graph.py OUT_DIR [SEED]", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 0)
