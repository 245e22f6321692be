// Batch-norm fusion (SCIENCE.md §2, thesis eq. 38): inference-mode batch norm after a linear layer
// is an affine map per feature (after a convolution, per channel: row o of W [out, in·K²] is output
// channel o's kernel), so it folds into that layer's weights and bias. A spiking network
// has no place for batch norm; after fusion it needs none.

import { BATCH_NORM_EPS } from "../ops/norm.js";
import { layerOptions, MLP } from "./mlp.js";

export interface LinearWeights {
  /** [outputs, inputs] like torch.nn.Linear, or [out, in, K, K] like Conv2d; row-major. */
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Every linear layer's weights with its batch norm folded in: with s = γ/sqrt(σ²_mov + ε),
 * W̄ = diag(s)·W and b̄ = s·(b − μ_mov) + β. Computed in float64, rounded once.
 */
export function fusedLinearLayers(mlp: MLP): LinearWeights[] {
  const p = mlp.params;
  return mlp.linearLayers.map((layer) => {
    const weight = p.view(layer.weight).slice();
    const bias = p.view(layer.bias).slice();
    if (!layer.norm) return { weight, bias };
    const normWeight = p.view(`${layer.norm}.weight`);
    const normBias = p.view(`${layer.norm}.bias`);
    const mean = p.view(`${layer.norm}.running_mean`);
    const variance = p.view(`${layer.norm}.running_var`);
    const rows = bias.length, cols = weight.length / rows;
    for (let o = 0; o < rows; o++) {
      const s = normWeight[o] / Math.sqrt(variance[o] + BATCH_NORM_EPS);
      for (let i = 0; i < cols; i++) weight[o * cols + i] *= s;
      bias[o] = s * (bias[o] - mean[o]) + normBias[o];
    }
    return { weight, bias };
  });
}

/** The same network without batch norm: its inference-mode outputs equal the original's. */
export function fuseBatchNorm(mlp: MLP): MLP {
  const { activations, neuron } = mlp.config;
  const fused = new MLP({ ...layerOptions(mlp.config), activation: activations, neuron, runtime: mlp.runtime });
  fusedLinearLayers(mlp).forEach(({ weight, bias }, l) => {
    const layer = fused.linearLayers[l];
    fused.params.view(layer.weight).set(weight);
    fused.params.view(layer.bias).set(bias);
  });
  return fused;
}
