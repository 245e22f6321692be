// SCIENCE.md §2's scaled soft-LIF activation in float64, written independently of the kernels:
// a(z) = amplitude / (t_ref + τ_RC·log(1 + 1/ρ)), ρ = γ_s·softplus((gain·z − 1)/γ_s), and for γ_s = 0
// the LIF rate amplitude / (t_ref + τ_RC·log(1 + 1/(gain·z − 1))) above threshold, else 0.

import type { NeuronParams } from "../../ts-wrapper/index.js";

/** The activation with the neuron parameters rounded to float32, as the kernel receives them. */
export function softLif64(z: number, n: NeuronParams): number {
  const [tau, tRef, amplitude, gain, gamma] = [n.tauRc, n.tRef, n.amplitude, n.gain, n.smoothing].map(Math.fround);
  const x = gain * z - 1;
  if (gamma === 0) return x > 0 ? amplitude / (tRef + tau * Math.log1p(1 / x)) : 0;
  const y = x / gamma;
  // softplus(y) = log(1 + e^y), written stably for y > 0.
  const rho = gamma * (y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y)));
  if (y > -30) return amplitude / (tRef + tau * Math.log1p(1 / rho));
  // Far below threshold ρ may underflow: log(1 + 1/ρ) = log1p(ρ) − log ρ, and for y ≤ −30
  // log softplus(y) = y + log(1 − e^y/2 + …) = y to 1e-13 relative, so log ρ = log γ + y.
  return amplitude / (tRef + tau * (Math.log1p(rho) - (Math.log(gamma) + y)));
}
