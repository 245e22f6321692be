"""Dense clock-driven simulation, in PyTorch, of a trained spiking network on real digits: the
workload of `bioplausible bench --only snn-mnist`, which writes FIXTURE (a safetensors file: the
network's weights w0, b0, w1, ... as torch.nn.Linear stores them, the test digits `images` [N, 784]
in [0, 1], their `labels`, and the neuron and simulation settings in __metadata__) and times our
simulation of the same network and digits beside this one.

It extends ../shared/baselines/torch_snn.py, the way snnTorch runs a network on a CPU, to the
model bioplausible simulates: each step, Poisson input spikes (rate x/t_ref, area t_ref) and every
layer's spikes (area `amplitude`) go through a dense matrix product, a first-order low-pass synapse
(time constant tau_s), the current gain * (y + b), and a LIF update with a refractory period,
threshold 1 and reset 0. The class is the output neuron with the most spikes. Prints the images per
second (median over --repeats), the mean firing rate of each layer and the accuracy on the digits:
the accuracy shows that this is the same network, not just the same amount of arithmetic.

Run with Debian's /usr/bin/python3 (python3-torch, libopenblas0-pthread). Self-contained: Debian
has no python3-safetensors, so the file is read with struct and json."""
import argparse
import json
import math
import statistics
import struct
import time

import torch

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--fixture", required=True, help="safetensors file written by bioplausible bench")
p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
p.add_argument("--repeats", type=int, default=5, help="timed repeats; the median is reported")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    data = memoryview(blob)[8 + length :]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(entry["shape"])
    return tensors, meta


tensors, meta = read_safetensors(args.fixture)
settings = json.loads(meta["settings"])
layers = settings["layers"]
W = [tensors[f"w{l}"] for l in range(len(layers) - 1)]
bias = [tensors[f"b{l}"] for l in range(len(layers) - 1)]
images, labels = tensors["images"], tensors["labels"].long()
batch = settings["batch"]
tau_rc, t_ref, amplitude, gain = settings["tauRc"], settings["tRef"], settings["amplitude"], settings["gain"]
dt, tau_s = settings["dt"], settings["tauS"]
steps = round(settings["time"] / dt)
decay = math.exp(-dt / tau_rc)
synapse = math.exp(-dt / tau_s)


def simulate(x):
    n = x.shape[0]
    v = [torch.zeros(n, k) for k in layers[1:]]
    refr = [torch.zeros(n, k) for k in layers[1:]]
    y = [torch.zeros(n, k) for k in layers[1:]]
    counts = torch.zeros(n, layers[-1])
    spikes = [0.0] * len(layers)
    p_spike = x * (dt / t_ref)
    for _ in range(steps):
        s = (torch.rand_like(x) < p_spike).float() * (t_ref / dt)
        spikes[0] += float((s > 0).sum())
        for l in range(len(W)):
            u = s @ W[l].T
            y[l] = synapse * y[l] + (1 - synapse) * u
            j = gain * (y[l] + bias[l])
            active = refr[l] <= 0
            v[l] = torch.where(active, j + (v[l] - j) * decay, v[l])
            refr[l] = refr[l] - dt
            fired = v[l] > 1.0
            v[l] = torch.where(fired, torch.zeros_like(v[l]), v[l])
            refr[l] = torch.where(fired, torch.full_like(refr[l], t_ref), refr[l])
            spikes[l + 1] += float(fired.sum())
            s = fired.float() * (amplitude / dt)
        counts += s > 0
    return counts.argmax(1), spikes


def run_all():
    correct, spikes = 0, [0.0] * len(layers)
    for start in range(0, images.shape[0], batch):
        classes, counted = simulate(images[start : start + batch])
        correct += int((classes == labels[start : start + batch]).sum())
        spikes = [a + b for a, b in zip(spikes, counted)]
    return correct, spikes


run_all()  # warm-up
samples = []
for _ in range(args.repeats):
    t0 = time.perf_counter()
    correct, spikes = run_all()
    samples.append(time.perf_counter() - t0)
seconds = statistics.median(samples)
count = images.shape[0]
print(json.dumps({
    "images_per_s": round(count / seconds, 2),
    "digits": count,
    "accuracy": round(correct / count, 4),
    "firing_rates_hz": [round(s / (count * k * settings["time"]), 1) for s, k in zip(spikes, layers)],
    "time": settings["time"], "dt": dt, "batch": batch, "layers": layers,
    "torch": torch.__version__, "threads": torch.get_num_threads(),
}))
