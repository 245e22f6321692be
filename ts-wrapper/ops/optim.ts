// Optimiser updates over a block of parameters and their gradients, with PyTorch's rules.

import type { Matrix } from "../tensor.js";

export function sgdStep(p: Matrix, g: Matrix, velocity: Matrix | undefined, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void {
  p.runtime.kernels.sgdStep(p.size, p.ptr, g.ptr, velocity ? velocity.ptr : 0, lr, momentum, weightDecay, nesterov ? 1 : 0);
}

export function adamStep(p: Matrix, g: Matrix, m: Matrix, v: Matrix, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void {
  p.runtime.kernels.adamStep(p.size, p.ptr, g.ptr, m.ptr, v.ptr, lr, beta1, beta2, eps, weightDecay, step);
}
