// What an answer costs in arithmetic (SCIENCE.md §5): a spiking network's synaptic operations — each
// spike times the neurons it reaches, one accumulate each (SNN.simulate counts them as its kernels
// deliver them) — against the rate network's multiply-accumulates, and an energy estimate from
// published energies per operation: Horowitz, "Computing's energy problem (and what we can do about
// it)", ISSCC 2014, 45 nm, 32-bit float: an add 0.9 pJ, a multiply 3.7 pJ, so a multiply-accumulate
// 4.6 pJ. It is an estimate of the arithmetic only: memory traffic, which dominates on most hardware,
// and the neurons' own updates each step are left out on both sides.

import type { MLP } from "../models/mlp.js";

/** Energy per operation in picojoules, and where the figures come from. */
export const OPERATION_ENERGY = { source: "Horowitz, ISSCC 2014: 45 nm, 32-bit float", addPj: 0.9, macPj: 4.6 } as const;

/**
 * The same source's integer figures, for a fixed-point network (models/fixed-point.ts): a synaptic
 * operation adds an int8 weight into an int32 sum, a 32-bit integer add (0.1 pJ); with current
 * input the first layer's int8 × 8-bit pixel products are 8-bit multiplies (0.2 pJ) and 32-bit adds.
 */
export const INTEGER_ENERGY = { source: "Horowitz, ISSCC 2014: 45 nm, int8 weights into 32-bit integer sums", addPj: 0.1, macPj: 0.3 } as const;

export type OperationEnergy = { source: string; addPj: number; macPj: number };

/** The rate network's multiply-accumulates per sample, per weight layer (Linear or Conv2d: outputs × fan-in). */
export function multiplyAccumulates(mlp: MLP): number[] {
  return mlp.linearLayers.map((layer) => layer.outputs * layer.fanIn);
}

/** Nanojoules for `accumulates` adds and `macs` multiply-accumulates (by default at 32-bit float's energies). */
export function energyNj(accumulates: number, macs: number, energy: OperationEnergy = OPERATION_ENERGY): number {
  return (accumulates * energy.addPj + macs * energy.macPj) / 1000;
}

/** The figures of a spiking record (evaluation/spiking.ts) that answerCost reads; absent in records older than them. */
interface CostFields {
  synaptic_operations_by_time_ms?: Record<string, number[]>;
  rate_multiply_accumulates?: number[];
  energy_nj?: { spiking_by_time_ms: Record<string, number>; rate: number };
}

/**
 * What one answer costs at the full presentation time (the last readout): synaptic operations and
 * energy per sample, and the rate network's multiply-accumulates and energy. Undefined for a record
 * written before these were counted.
 */
export function answerCost(s: CostFields): { synapticOperations: number; energyNj: number; rateMacs: number; rateEnergyNj: number } | undefined {
  const byTime = s.synaptic_operations_by_time_ms;
  if (!byTime || !s.energy_nj || !s.rate_multiply_accumulates) return undefined;
  const ms = Object.keys(byTime).sort((a, b) => Number(a) - Number(b)).at(-1);
  if (ms === undefined) return undefined;
  return {
    synapticOperations: byTime[ms].reduce((a, b) => a + b, 0), energyNj: s.energy_nj.spiking_by_time_ms[ms],
    rateMacs: s.rate_multiply_accumulates.reduce((a, b) => a + b, 0), rateEnergyNj: s.energy_nj.rate,
  };
}
