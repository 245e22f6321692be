// The flags and the run shared by `train --model snn` and `eval --spiking`: neuron parameters for
// soft-LIF rate networks, and the spiking simulation of a converted network.

import type { Dataset } from "../datasets/dataset.js";
import type { MLP } from "../models/mlp.js";
import { PRESET_NAMES, resolveNeuron, type NeuronOptions } from "../models/neuron.js";
import { ENCODINGS, READOUTS, resolveSimulation, SIMULATION_DEFAULTS, SYNAPSES, type SimulationOptions } from "../models/snn.js";
import { evaluateSpiking } from "../evaluation/spiking.js";
import type { SpikingRecord } from "../experiment/results.js";
import { UsageError, type FlagSpec } from "./args.js";
import { Progress } from "./progress.js";
import { info, percent } from "./report.js";

export const neuronFlags = {
  preset: { type: "string", choices: PRESET_NAMES, help: "soft-LIF neuron parameters: thesis (default), mnist or cifar (Hunsberger's)" },
  "tau-rc": { type: "number", min: 0, minExclusive: true, help: "membrane time constant τ_RC in s (thesis 0.02)" },
  "t-ref": { type: "number", min: 0, minExclusive: true, help: "refractory period in s (thesis 0.004)" },
  amplitude: { type: "number", min: 0, minExclusive: true, help: "spike area; the rate activation is amplitude·r(gain·z) (thesis 0.05)" },
  gain: { type: "number", min: 0, minExclusive: true, help: "input gain of the neurons (default 1)" },
  smoothing: { type: "number", min: 0, help: "soft-LIF smoothing γ_s (default 0.02; 0 is the LIF rate itself)" },
} satisfies Record<string, FlagSpec>;

export const simulationFlags = {
  time: { type: "number", min: 0, minExclusive: true, help: `spiking: presentation time per sample in s (default ${SIMULATION_DEFAULTS.time})` },
  dt: { type: "number", min: 0, minExclusive: true, help: `spiking: simulation step in s, below t_ref (default ${SIMULATION_DEFAULTS.dt})` },
  encoding: { type: "string", choices: ENCODINGS, help: `spiking: input as Poisson spike trains at rate x/t_ref, or as constant current (default ${SIMULATION_DEFAULTS.encoding})` },
  readout: { type: "string", choices: READOUTS, help: `spiking: class = most output spikes, or first output spike (default ${SIMULATION_DEFAULTS.readout})` },
  synapse: { type: "string", choices: SYNAPSES, help: `spiking: synaptic filter between layers (default ${SIMULATION_DEFAULTS.synapse})` },
  "tau-s": { type: "number", min: 0, minExclusive: true, help: `spiking: synaptic time constant in s (default ${SIMULATION_DEFAULTS.tauS})` },
  "checkpoint-ms": { type: "list", help: "spiking: presentation times (ms) at which to report accuracy (default 10,20,50,100,200,500,1000 up to --time)" },
  "spike-seed": { type: "int", min: 0, max: 4294967295, default: 0, help: "spiking: seed of the Poisson input spikes" },
} satisfies Record<string, FlagSpec>;

type NeuronFlagValues = { preset?: string; tauRc?: number; tRef?: number; amplitude?: number; gain?: number; smoothing?: number };
type SimulationFlagValues = {
  time?: number; dt?: number; encoding?: string; readout?: string; synapse?: string; tauS?: number; checkpointMs?: number[]; spikeSeed: number;
};

const NEURON_FLAG_NAMES: [keyof NeuronFlagValues, string][] = [
  ["preset", "--preset"], ["tauRc", "--tau-rc"], ["tRef", "--t-ref"], ["amplitude", "--amplitude"], ["gain", "--gain"], ["smoothing", "--smoothing"],
];
const SIMULATION_FLAG_NAMES: [keyof SimulationFlagValues, string][] = [
  ["time", "--time"], ["dt", "--dt"], ["encoding", "--encoding"], ["readout", "--readout"], ["synapse", "--synapse"], ["tauS", "--tau-s"], ["checkpointMs", "--checkpoint-ms"],
];

/** The neuron options the flags ask for; `allowed` false rejects any neuron flag with `why`. */
export function neuronOptions(f: NeuronFlagValues, allowed: boolean, why: string): NeuronOptions {
  for (const [key, flag] of NEURON_FLAG_NAMES) {
    if (!allowed && f[key] !== undefined) throw new UsageError(`${flag}: ${why}`);
  }
  const options: NeuronOptions = {
    preset: f.preset as NeuronOptions["preset"], tauRc: f.tauRc, tRef: f.tRef, amplitude: f.amplitude, gain: f.gain, smoothing: f.smoothing,
  };
  try {
    resolveNeuron(options);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message.replace(/^neuron /, "")}`);
  }
  return options;
}

/** Simulation options from the flags, checked against the network's neurons before any work. */
export function simulationOptions(f: SimulationFlagValues, allowed: boolean, why: string, tRef: number): SimulationOptions {
  for (const [key, flag] of SIMULATION_FLAG_NAMES) {
    if (!allowed && f[key] !== undefined) throw new UsageError(`${flag}: ${why}`);
  }
  const options: SimulationOptions = {
    time: f.time, dt: f.dt, encoding: f.encoding as SimulationOptions["encoding"], readout: f.readout as SimulationOptions["readout"],
    synapse: f.synapse as SimulationOptions["synapse"], tauS: f.tauS, seed: f.spikeSeed,
    checkpoints: f.checkpointMs?.map((ms) => ms / 1000),
  };
  try {
    resolveSimulation(options, { tauRc: 1, tRef, amplitude: 1, gain: 1, smoothing: 0 });
  } catch (error) {
    const message = (error as Error).message;
    const flag = ({ time: "--time", dt: "--dt", tauS: "--tau-s", checkpoints: "--checkpoint-ms" } as Record<string, string>)[message.split(/[:[]/)[0]];
    throw new UsageError(`${flag ?? "--time"}: ${message.replace(/^[^:]*: /, "")}`);
  }
  return options;
}

/** One line: the accuracy at the full presentation time, then at every checkpoint. */
export function describeSpiking(s: SpikingRecord): string {
  const byTime = Object.entries(s.accuracy_by_time_ms).map(([ms, a]) => `${ms} ms ${percent(a)}`).join(", ");
  return `spiking ${percent(s.accuracy)} at ${s.time * 1000} ms (${byTime})`;
}

/** Convert a soft-LIF network, simulate `data` with a progress bar, report as it goes. */
export function runSpiking(mlp: MLP, data: Dataset, options: SimulationOptions): SpikingRecord {
  const sim = resolveSimulation(options, mlp.config.neuron!);
  info(`spiking ${data.count} samples: ${sim.time} s each at dt ${sim.dt} s, ${sim.encoding} input, ${sim.synapse}${sim.synapse === "none" ? "" : ` τ_s ${sim.tauS} s`} synapses, ${sim.readout} readout`);
  const progress = new Progress({ label: "spiking", total: data.count, unit: "samples" });
  let done = 0;
  const record = evaluateSpiking(mlp, data, sim, (n) => {
    progress.tick(n - done);
    done = n;
  });
  progress.done();
  info(`firing rates (Hz, input first): ${record.firing_rates_hz.map((r) => r.toFixed(1)).join(", ")}`);
  return record;
}
