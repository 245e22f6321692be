#!/usr/bin/env python3
"""PyTorch interoperability check for bioplausible model files (run with Debian's /usr/bin/python3).

bioplausible saves an MLP as safetensors: float32 tensors named like the state_dict of an
nn.Sequential held in `layers` (layers.{i}.weight [out, in] and .bias for nn.Linear, then
layers.{i+1}.{weight,bias,running_mean,running_var} for nn.BatchNorm1d when the model has batch
norm, then the activation module, which has no tensors), and the architecture in __metadata__:
format "bioplausible", version, model "mlp", config = JSON {layers, activations, batchNorm, ...}.
A convolutional network's config also has "arch" (e.g. "conv8k3p1,maxpool2,fc10": Conv2d at
layers.{i} with weight [out, in, K, K], BatchNorm2d after it with batch norm, the activation,
AvgPool2d / MaxPool2d, then Flatten before the first Linear) and "inputShape" [C, H, W]; inputs
are stored flat, [N, C*H*W], and reshaped. See ts-wrapper/models/file.ts, mlp.ts and arch.ts.

Commands:

  predict MODEL INPUTS OUT
      Load MODEL (a bioplausible-written file) into an nn.Sequential of the same architecture,
      run it in eval mode on INPUTS (a safetensors file with one float32 tensor "inputs"
      [N, in]) and write OUT, a safetensors file with "logits" [N, out].

  export MODEL IO (--layers 8,16,16,3 | --arch conv4k3p1,avgpool2,fc3 --input-shape 2,6,6)
                  [--activation relu|sigmoid|tanh|identity] [--batch-norm] [--seed 0] [--count 32]
      Build a randomly initialised PyTorch MLP (with --batch-norm: random affine parameters and
      non-trivial running statistics), write it to MODEL as a file bioplausible's decodeModel
      reads, and write IO, a safetensors file with "inputs" [count, in] and PyTorch's eval-mode
      "logits" [count, out].

  grad MODEL BATCH OUT
      Load MODEL in training mode (batch statistics), run BATCH ("inputs" [N, in] and one-hot
      "targets" [N, classes]) through it, and write OUT: the mean softmax cross-entropy "loss" [1]
      and the gradient of every trainable tensor, under its own name.

The safetensors reader and writer are written here with struct/json so that no package beyond
torch is needed (Debian has no python3-safetensors).
"""

import argparse
import json
import os
import re
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


ARCH_TOKEN = re.compile(r"^(?:conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?|(avgpool|maxpool)(\d+)|fc(\d+))$")


def activation_module(name):
    if name == "softlif":
        raise InteropError(
            "activation 'softlif' (bioplausible's soft leaky-integrate-and-fire rate) has no PyTorch "
            "module equivalent; this check supports relu, sigmoid, tanh and identity"
        )
    if name not in ACTIVATION_MODULES:
        raise InteropError(f"unknown activation {name!r} (expected one of {', '.join(ACTIVATION_MODULES)})")
    return ACTIVATION_MODULES[name]()


def build_sequential(layers, activations, batch_norm, arch=None, input_shape=None):
    """nn.Sequential whose state_dict names match bioplausible's tensor names."""
    if arch is not None:
        return build_conv_sequential(arch, input_shape, activations, batch_norm)
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
            modules.append(activation_module(activations[l]))
    return nn.Sequential(*modules)


def build_conv_sequential(arch, input_shape, activations, batch_norm):
    """The same grammar as ts-wrapper/models/arch.ts, written again here from its description."""
    c, h, w = input_shape
    flat = None  # features once flattened
    tokens = arch.split(",")
    weighted = [t for t in tokens if t.startswith("conv") or t.startswith("fc")]
    if len(activations) != len(weighted) - 1:
        raise InteropError(f"expected {len(weighted) - 1} hidden activations, got {len(activations)}")
    modules, hidden = [], 0
    for token in tokens:
        m = ARCH_TOKEN.match(token)
        if not m:
            raise InteropError(f"arch token {token!r} is not conv<C>k<K>[s<S>][p<P>], avgpool<K>, maxpool<K> or fc<N>")
        if m.group(1):
            out, k = int(m.group(1)), int(m.group(2))
            stride, pad = int(m.group(3) or 1), int(m.group(4) or 0)
            modules.append(nn.Conv2d(c, out, k, stride=stride, padding=pad))
            c, h, w = out, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
            if batch_norm:
                modules.append(nn.BatchNorm2d(out, eps=BATCH_NORM_EPS))
        elif m.group(5):
            k = int(m.group(6))
            modules.append((nn.AvgPool2d if m.group(5) == "avgpool" else nn.MaxPool2d)(k))
            h, w = h // k, w // k
            continue
        else:
            if flat is None:
                modules.append(nn.Flatten())
                flat = c * h * w
            units = int(m.group(7))
            modules.append(nn.Linear(flat, units))
            flat = units
            if hidden < len(activations) and batch_norm:
                modules.append(nn.BatchNorm1d(units, eps=BATCH_NORM_EPS))
        if hidden < len(activations):
            modules.append(activation_module(activations[hidden]))
            hidden += 1
    return nn.Sequential(*modules)


class MLPWrapper(nn.Module):
    """Holds the Sequential as `layers`, so state_dict names are layers.{i}.*, like bioplausible's.
    Inputs arrive flat; a convolutional network reshapes them to [N, C, H, W]."""

    def __init__(self, layers, activations, batch_norm, arch=None, input_shape=None):
        super().__init__()
        self.input_shape = input_shape if arch is not None else None
        self.layers = build_sequential(layers, activations, batch_norm, arch, input_shape)

    def forward(self, x):
        if self.input_shape is not None:
            x = x.reshape(x.shape[0], *self.input_shape)
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
    model = MLPWrapper(config["layers"], config["activations"], bool(config.get("batchNorm")), config.get("arch"), config.get("inputShape"))
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


def save_model(path, model, layers, activations, batch_norm, arch=None, input_shape=None):
    """Write as bioplausible's encodeModel does (file.ts): same tensor names and metadata keys."""
    config = {"layers": layers, "activations": activations, "batchNorm": batch_norm}
    if arch is not None:
        config.update(arch=arch, inputShape=list(input_shape))
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
    if args.arch is not None:
        if args.input_shape is None:
            raise InteropError("--arch needs --input-shape C,H,W")
        input_shape = [int(d) for d in args.input_shape.split(",")]
        hidden = len([t for t in args.arch.split(",") if t.startswith("conv") or t.startswith("fc")]) - 1
        activations = [args.activation] * hidden
        model = MLPWrapper(None, activations, args.batch_norm, args.arch, input_shape)
        # The widths entering each weight layer, then the output width (as bioplausible's config has them).
        x = torch.zeros(1, *input_shape)
        layers = []
        model.eval()
        for m in model.layers:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                layers.append(x[0].numel())
            x = m(x)
        layers.append(x[0].numel())
        features = input_shape[0] * input_shape[1] * input_shape[2]
    else:
        if args.layers is None:
            raise InteropError("give --layers or --arch")
        layers = [int(w) for w in args.layers.split(",")]
        activations = [args.activation] * (len(layers) - 2)
        model = MLPWrapper(layers, activations, args.batch_norm)
        input_shape, features = None, layers[0]
    with torch.no_grad():
        for m in model.layers:
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                # Non-trivial affine parameters and running statistics, so eval mode's use of the
                # running mean and variance (not batch statistics) is actually tested.
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.25, 2.0)
    model.eval()
    x = torch.randn(args.count, features)
    with torch.no_grad():
        logits = model(x)
    save_model(args.model, model, layers, activations, args.batch_norm, args.arch, input_shape)
    write_safetensors(args.io, {"inputs": x, "logits": logits})


def cmd_grad(args):
    model = load_model(args.model).train()
    batch, _ = read_safetensors(args.batch)
    for key in ("inputs", "targets"):
        if key not in batch:
            raise InteropError(f'{args.batch}: no tensor named "{key}"')
    logits = model(batch["inputs"])
    loss = torch.nn.functional.cross_entropy(logits, batch["targets"].argmax(dim=1))
    loss.backward()
    grads = {"loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        grads[name] = p.grad
    write_safetensors(args.out, grads)


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
    e.add_argument("--layers", help="comma-separated widths, e.g. 8,16,16,3")
    e.add_argument("--arch", help="a bioplausible architecture spec, e.g. conv4k3p1,avgpool2,fc3")
    e.add_argument("--input-shape", help="C,H,W for --arch")
    e.add_argument("--activation", default="relu", choices=sorted(ACTIVATION_MODULES))
    e.add_argument("--batch-norm", action="store_true")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--count", type=int, default=32)
    e.set_defaults(run=cmd_export)
    g = sub.add_parser("grad", help="one training-mode forward and backward pass: the loss and every gradient")
    g.add_argument("model")
    g.add_argument("batch")
    g.add_argument("out")
    g.set_defaults(run=cmd_grad)
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
