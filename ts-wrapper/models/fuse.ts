// Batch-norm fusion (SCIENCE.md §2, thesis eq. 38): inference-mode batch norm after a linear layer
// is an affine map per feature, so it folds into that layer's weights and bias. A spiking network
// has no place for batch norm; after fusion it needs none.

import { BATCH_NORM_EPS } from "../ops/norm.js";
import { MLP } from "./mlp.js";

export interface LinearWeights {
  /** [outputs, inputs], row-major, like torch.nn.Linear. */
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
    for (let o = 0; o < layer.outputs; o++) {
      const s = normWeight[o] / Math.sqrt(variance[o] + BATCH_NORM_EPS);
      for (let i = 0; i < layer.inputs; i++) weight[o * layer.inputs + i] *= s;
      bias[o] = s * (bias[o] - mean[o]) + normBias[o];
    }
    return { weight, bias };
  });
}

/** The same network without batch norm: its inference-mode outputs equal the original's. */
export function fuseBatchNorm(mlp: MLP): MLP {
  const { layers, activations, neuron } = mlp.config;
  const fused = new MLP({ layers, activation: activations, neuron, runtime: mlp.runtime });
  fusedLinearLayers(mlp).forEach(({ weight, bias }, l) => {
    const layer = fused.linearLayers[l];
    fused.params.view(layer.weight).set(weight);
    fused.params.view(layer.bias).set(bias);
  });
  return fused;
}
