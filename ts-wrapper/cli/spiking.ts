// What `train --model snn` and `eval --spiking` share: the spiking simulation of a converted
// network with a progress bar, and how its result reads in one line.

import type { Dataset } from "../datasets/dataset.js";
import { answerCost } from "../evaluation/energy.js";
import { evaluateSpiking, type SpikingRecord } from "../evaluation/spiking.js";
import { compact } from "../report/format.js";
import type { MLP } from "../models/mlp.js";
import type { Quantization } from "../models/fixed-point.js";
import type { Simulation } from "../models/snn.js";
import { Progress } from "./progress.js";
import { info, percent } from "./report.js";

/**
 * The accuracy at the full presentation time, then at every readout time (with the share left
 * unresolved where there is one); then what an answer costs at the full time against the rate network.
 */
export function describeSpiking(s: SpikingRecord): string {
  const byTime = Object.entries(s.accuracy_by_time_ms).map(([ms, a]) => {
    const tied = s.unresolved_by_time_ms?.[ms];
    return `${ms} ms ${percent(a)}${tied ? ` (${percent(tied)} unresolved)` : ""}`;
  }).join(", ");
  const cost = answerCost(s);
  const spent = cost
    ? `; per sample ${compact(cost.synapticOperations)} synaptic operations ≈ ${compact(cost.energyNj)} nJ, the rate network ${compact(cost.rateMacs)} multiply-accumulates ≈ ${compact(cost.rateEnergyNj)} nJ (${s.energy_nj.source})`
    : "";
  return `spiking ${percent(s.accuracy)} at ${s.time * 1000} ms (${byTime})${spent}`;
}

/** What a simulation is, in one line. */
export function describeSimulation(count: number, sim: Simulation): string {
  return `spiking ${count} samples: ${sim.time} s each at dt ${sim.dt} s, ${sim.encoding} input, ${sim.synapse}${sim.synapse === "none" ? "" : ` τ_s ${sim.tauS} s`} synapses, ${sim.readout} readout`;
}

/** Convert a soft-LIF network, simulate `data` with a progress bar, report as it goes. */
export function runSpiking(mlp: MLP, data: Dataset, sim: Simulation, quantization?: Quantization): SpikingRecord {
  info(`${describeSimulation(data.count, sim)}${quantization ? `, fixed point (${quantization} weights, integer state)` : ""}`);
  const progress = new Progress({ label: "spiking", total: data.count, unit: "samples" });
  let done = 0;
  const record = evaluateSpiking(mlp, data, sim, (n) => {
    progress.tick(n - done);
    done = n;
  }, quantization);
  progress.done();
  info(`firing rates (Hz, input first): ${record.firing_rates_hz.map((r) => r.toFixed(1)).join(", ")}`);
  return record;
}
