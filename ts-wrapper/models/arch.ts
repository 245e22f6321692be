// The architecture spec: a comma list of layers from the input to the output, the input's shape
// taken from the data.
//   conv<C>k<K>[s<S>][p<P>]   Conv2d to C channels, K×K kernel, stride S (1), zero padding P (0)
//   avgpool<K> / maxpool<K>   K×K pooling of stride K; H and W must be multiples of K
//   fc<N>                     Linear to N units; the last fc is the output layer
// e.g. "conv32k5p2,avgpool2,conv64k5p2,avgpool2,fc256,fc10". Every hidden conv and fc layer gets the
// network's activation (and batch norm). Every error names the token and the shapes, before any work.

import { OptionError } from "../errors.js";
import { convOutputSize } from "../ops/conv.js";

export type ArchLayer =
  | { kind: "conv"; token: string; channels: number; kernel: number; stride: number; padding: number }
  | { kind: "avgpool" | "maxpool"; token: string; kernel: number }
  | { kind: "fc"; token: string; units: number };

/** A layer with the shape it takes and the shape it gives ([C, H, W], or [F] once flat). */
export type ShapedLayer = ArchLayer & { input: number[]; output: number[] };

const GRAMMAR = "conv<C>k<K>[s<S>][p<P>], avgpool<K>, maxpool<K> or fc<N>";
const TOKEN = /^(?:conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?|(avgpool|maxpool)(\d+)|fc(\d+))$/;

/** The layers of a spec string, checked for form only (shapes come with `shapeArch`). */
export function parseArch(text: string, option = "arch"): ArchLayer[] {
  if (typeof text !== "string" || text.trim() === "") throw new OptionError(option, `expected a comma list of ${GRAMMAR}, got ${JSON.stringify(text)}`);
  const layers = text.split(",").map((raw, i): ArchLayer => {
    const token = raw.trim();
    const m = TOKEN.exec(token);
    if (!m) throw new OptionError(option, `layer ${i + 1} "${token}": expected ${GRAMMAR}`);
    const positive = (value: string, what: string, min = 1) => {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < min) throw new OptionError(option, `layer ${i + 1} "${token}": ${what} must be ${min === 0 ? "a non-negative" : "a positive"} integer, got ${value}`);
      return n;
    };
    if (m[1] !== undefined) {
      return {
        kind: "conv", token, channels: positive(m[1], "the channel count"), kernel: positive(m[2], "the kernel size"),
        stride: m[3] === undefined ? 1 : positive(m[3], "the stride"), padding: m[4] === undefined ? 0 : positive(m[4], "the padding", 0),
      };
    }
    if (m[5] !== undefined) return { kind: m[5] as "avgpool" | "maxpool", token, kernel: positive(m[6], "the pooling size") };
    return { kind: "fc", token, units: positive(m[7], "the width") };
  });
  const last = layers[layers.length - 1];
  if (last.kind !== "fc") throw new OptionError(option, `the last layer is the output and must be fc<classes>, got "${last.token}"`);
  return layers;
}

/** The canonical spec string (stride 1 and padding 0 left out). */
export function formatArch(layers: readonly ArchLayer[]): string {
  return layers.map((l) => {
    if (l.kind === "conv") return `conv${l.channels}k${l.kernel}${l.stride !== 1 ? `s${l.stride}` : ""}${l.padding ? `p${l.padding}` : ""}`;
    if (l.kind === "fc") return `fc${l.units}`;
    return `${l.kind}${l.kernel}`;
  }).join(",");
}

export interface ShapeOptions {
  /** The network will run as spikes: max pooling has no spiking counterpart. */
  spiking?: boolean;
  option?: string;
}

/**
 * Each layer's input and output shape from the data's sample shape ([C, H, W], or [F] flat for
 * fc-only specs).
 */
export function shapeArch(layers: readonly ArchLayer[], inputShape: readonly number[], options: ShapeOptions = {}): ShapedLayer[] {
  const option = options.option ?? "arch";
  let shape = [...inputShape];
  if (!shape.length || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new OptionError(option, `the input shape must be positive integers, got [${inputShape}]`);
  const dims = (s: number[]) => s.join("×");
  return layers.map((layer, i) => {
    const at = `layer ${i + 1} "${layer.token}"`;
    const input = shape;
    if (layer.kind === "fc") {
      shape = [layer.units];
      return { ...layer, input, output: shape };
    }
    if (input.length !== 3) {
      throw new OptionError(option, input.length === 1 && i > 0 && layers[i - 1].kind === "fc"
        ? `${at} follows a fully connected layer: convolution and pooling need an image`
        : `${at} needs an image input [C, H, W], got ${dims(input)} values`);
    }
    const [C, H, W] = input;
    if (layer.kind === "conv") {
      const { kernel: K, stride, padding } = layer;
      if (2 * padding > K) throw new OptionError(option, `${at}: padding ${padding} is more than half the kernel ${K} (as PyTorch, at most ${Math.floor(K / 2)})`);
      if (K > H + 2 * padding || K > W + 2 * padding) {
        throw new OptionError(option, `${at}: the ${K}×${K} kernel is larger than its input ${dims(input)} with padding ${padding}`);
      }
      shape = [layer.channels, convOutputSize(H, K, stride, padding), convOutputSize(W, K, stride, padding)];
      return { ...layer, input, output: shape };
    }
    if (layer.kind === "maxpool" && options.spiking) {
      throw new OptionError(option, `${at}: max pooling has no spiking counterpart; use avgpool${layer.kernel} for a network run as spikes`);
    }
    const K = layer.kernel;
    if (H % K !== 0 || W % K !== 0) throw new OptionError(option, `${at}: its input ${dims(input)} does not divide into ${K}×${K} windows`);
    shape = [C, H / K, W / K];
    return { ...layer, input, output: shape };
  });
}

/** Whether the spec has convolution or pooling (else it is an MLP of its fc widths). */
export function isConvolutional(layers: readonly ArchLayer[]): boolean {
  return layers.some((l) => l.kind !== "fc");
}

/** A network's layers as the model config keeps them (models/mlp.ts: MLPConfig). */
export interface ResolvedArch {
  /** The width entering each weight layer (conv or fc, flattened), then the output width. */
  layers: number[];
  /** A convolutional network's canonical spec and sample shape; absent for an fc-only spec. */
  arch?: string;
  inputShape?: number[];
}

/**
 * An arch spec against the data's sample shape: a conv net's config, or — without convolution or
 * pooling — the MLP of its widths, the same network as `layers` gives.
 */
export function resolveArch(text: string, inputShape: readonly number[], options: ShapeOptions = {}): ResolvedArch {
  const shaped = shapeArch(parseArch(text, options.option), inputShape, options);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const layers = [...shaped.filter((l) => l.kind !== "avgpool" && l.kind !== "maxpool").map((l) => size(l.input)), size(shaped[shaped.length - 1].output)];
  if (!isConvolutional(shaped)) return { layers };
  return { layers, arch: formatArch(shaped), inputShape: shaped[0].input };
}

/** The layers of a resolved config with their shapes (an MLP's widths as fc layers). */
export function shapedLayers(config: ResolvedArch): ShapedLayer[] {
  if (config.arch) return shapeArch(parseArch(config.arch), config.inputShape!);
  return config.layers.slice(1).map((units, l) => ({ kind: "fc", token: `fc${units}`, units, input: [config.layers[l]], output: [units] }));
}

/** Floats of a network's tensors: weights and biases, and batch norm's four per hidden channel. */
export function parameterFloats(config: ResolvedArch, batchNorm: boolean): number {
  const weighted = shapedLayers(config).filter((l) => l.kind === "conv" || l.kind === "fc");
  return weighted.reduce((floats, l, i) => {
    const fanIn = l.kind === "conv" ? l.input[0] * l.kernel ** 2 : l.input.reduce((a, b) => a * b, 1);
    const out = l.output[0];
    return floats + out * fanIn + out + (batchNorm && i < weighted.length - 1 ? 4 * out : 0);
  }, 0);
}
