#!/usr/bin/env python3
"""PyTorch interoperability check for bioplausible model files (run with Debian's /usr/bin/python3).

bioplausible saves an MLP as safetensors: float32 tensors named like the state_dict of an
nn.Sequential held in `layers` (layers.{i}.weight [out, in] and .bias for nn.Linear, then
layers.{i+1}.{weight,bias,running_mean,running_var} for nn.BatchNorm1d when the model has batch
norm, then the activation module, which has no tensors), and the architecture in __metadata__:
format "bioplausible", version, model "mlp", config = JSON {layers, activations, batchNorm, ...}.
See ts-wrapper/models/file.ts and ts-wrapper/models/mlp.ts.

Commands:

  predict MODEL INPUTS OUT
      Load MODEL (a bioplausible-written file) into an nn.Sequential of the same architecture,
      run it in eval mode on INPUTS (a safetensors file with one float32 tensor "inputs"
      [N, in]) and write OUT, a safetensors file with "logits" [N, out].

  export MODEL IO --layers 8,16,16,3 [--activation relu|sigmoid|tanh|identity] [--batch-norm]
                  [--seed 0] [--count 32]
      Build a randomly initialised PyTorch MLP (with --batch-norm: random affine parameters and
      non-trivial running statistics), write it to MODEL as a file bioplausible's decodeModel
      reads, and write IO, a safetensors file with "inputs" [count, in] and PyTorch's eval-mode
      "logits" [count, out].

The safetensors reader and writer are written here with struct/json so that no package beyond
torch is needed (Debian has no python3-safetensors).
"""

import argparse
import json
import os
import struct
import sys
from array import array

import torch
from torch import nn

MODEL_FORMAT = "bioplausible"
BATCH_NORM_EPS = 1e-5  # PyTorch's BatchNorm1d default, which bioplausible uses too (mlp.ts)
ACTIVATION_MODULES = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity}


class InteropError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# safetensors


def read_safetensors(path):
    """(tensors: {name: float32 tensor}, metadata: {str: str}) from a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise InteropError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise InteropError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise InteropError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        shape = list(info["shape"])
        count = 1
        for s in shape:
            count *= s
        if end - start != 4 * count or end > len(body):
            raise InteropError(f"{path}: tensor {name} has inconsistent data_offsets {start}..{end} for shape {shape}")
        if count == 0:
            t = torch.zeros(shape, dtype=torch.float32)
        else:
            # bytearray: frombuffer wants a writable buffer. safetensors is little-endian.
            t = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32)
            if sys.byteorder != "little":
                t = t.view(torch.int32).byteswap().view(torch.float32)  # pragma: no cover
            t = t.reshape(shape).clone()
        tensors[name] = t
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Write {name: tensor} (as float32, in the given order) and a {str: str} metadata dict."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().to(torch.float32).contiguous().cpu()
        # Every float32 is exact as a Python float, so array("f") stores the same bits.
        raw = array("f", t.reshape(-1).tolist())
        if sys.byteorder != "little":
            raw.byteswap()  # pragma: no cover
        raw = raw.tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # data region 8-byte aligned, as bioplausible writes it
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------------------------------------
# models


def build_sequential(layers, activations, batch_norm):
    """nn.Sequential whose state_dict names match bioplausible's tensor names."""
    if len(layers) < 2:
        raise InteropError(f"an MLP needs at least 2 layer widths, got {layers}")
    if len(activations) != len(layers) - 2:
        raise InteropError(f"expected {len(layers) - 2} hidden activations, got {len(activations)}")
    modules = []
    for l in range(len(layers) - 1):
        modules.append(nn.Linear(layers[l], layers[l + 1]))
        if l + 2 < len(layers):
            if batch_norm:
                modules.append(nn.BatchNorm1d(layers[l + 1], eps=BATCH_NORM_EPS))
            name = activations[l]
            if name == "softlif":
                raise InteropError(
                    "activation 'softlif' (bioplausible's soft leaky-integrate-and-fire rate) has no PyTorch "
                    "module equivalent; this check supports relu, sigmoid, tanh and identity"
                )
            if name not in ACTIVATION_MODULES:
                raise InteropError(f"unknown activation {name!r} (expected one of {', '.join(ACTIVATION_MODULES)})")
            modules.append(ACTIVATION_MODULES[name]())
    return nn.Sequential(*modules)


class MLPWrapper(nn.Module):
    """Holds the Sequential as `layers`, so state_dict names are layers.{i}.*, like bioplausible's."""

    def __init__(self, layers, activations, batch_norm):
        super().__init__()
        self.layers = build_sequential(layers, activations, batch_norm)

    def forward(self, x):
        return self.layers(x)


def load_model(path):
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != MODEL_FORMAT:
        raise InteropError(f'{path}: not a bioplausible model (__metadata__ has no "format": "{MODEL_FORMAT}")')
    if metadata.get("model") != "mlp":
        raise InteropError(f'{path}: model type {metadata.get("model")!r} is not supported (only "mlp")')
    config = json.loads(metadata["config"])
    # Feedback alignment (config.feedbackAlignment) only changes training: the forward pass is the
    # plain MLP, and its feedback matrices are not in the file.
    model = MLPWrapper(config["layers"], config["activations"], bool(config.get("batchNorm")))
    result = model.load_state_dict(tensors, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise InteropError(f"{path}: tensors do not match the architecture: missing {missing}, unexpected {result.unexpected_keys}")
    return model.eval()


def package_version():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "package.json"), encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, KeyError, ValueError):
        return "0.0.0"


def save_model(path, model, layers, activations, batch_norm):
    """Write as bioplausible's encodeModel does (file.ts): same tensor names and metadata keys."""
    config = {"layers": layers, "activations": activations, "batchNorm": batch_norm}
    metadata = {
        "format": MODEL_FORMAT,
        "version": package_version(),
        "model": "mlp",
        "config": json.dumps(config, separators=(",", ":")),
    }
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(path, state, metadata)


# ---------------------------------------------------------------------------------------------
# commands


def cmd_predict(args):
    model = load_model(args.model)
    io, _ = read_safetensors(args.inputs)
    if "inputs" not in io:
        raise InteropError(f'{args.inputs}: no tensor named "inputs"')
    x = io["inputs"]
    with torch.no_grad():
        logits = model(x)
    write_safetensors(args.out, {"logits": logits})


def cmd_export(args):
    torch.manual_seed(args.seed)
    layers = [int(w) for w in args.layers.split(",")]
    activations = [args.activation] * (len(layers) - 2)
    model = MLPWrapper(layers, activations, args.batch_norm)
    with torch.no_grad():
        for m in model.layers:
            if isinstance(m, nn.BatchNorm1d):
                # Non-trivial affine parameters and running statistics, so eval mode's use of the
                # running mean and variance (not batch statistics) is actually tested.
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.25, 2.0)
    model.eval()
    x = torch.randn(args.count, layers[0])
    with torch.no_grad():
        logits = model(x)
    save_model(args.model, model, layers, activations, args.batch_norm)
    write_safetensors(args.io, {"inputs": x, "logits": logits})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="run a bioplausible model file in PyTorch")
    p.add_argument("model")
    p.add_argument("inputs")
    p.add_argument("out")
    p.set_defaults(run=cmd_predict)
    e = sub.add_parser("export", help="write a random PyTorch MLP as a bioplausible model file")
    e.add_argument("model")
    e.add_argument("io")
    e.add_argument("--layers", required=True, help="comma-separated widths, e.g. 8,16,16,3")
    e.add_argument("--activation", default="relu", choices=sorted(ACTIVATION_MODULES))
    e.add_argument("--batch-norm", action="store_true")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--count", type=int, default=32)
    e.set_defaults(run=cmd_export)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        args.run(args)
    except InteropError as error:
        print(f"torch-interop: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
