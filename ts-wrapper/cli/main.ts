// The bioplausible command: dispatch to a subcommand; usage errors exit 2, other errors 1, each
// with one clear line on stderr.

import { DivergenceError, OptionError } from "../errors.js";
import { UsageError } from "./args.js";
import { benchCommand, benchHelp } from "./bench.js";
import { compareCommand, compareHelp } from "./compare.js";
import { evalCommand, evalHelp } from "./eval.js";
import { convertCommand, convertHelp } from "./convert.js";
import { exportCommand, exportHelp } from "./export.js";
import { importCommand, importHelp } from "./import.js";
import { sweepCommand, sweepHelp } from "./sweep.js";
import { trainCommand, trainHelp } from "./train.js";
import { workerCommand, workerHelp } from "./worker.js";
import { VERSION } from "../version.js";
import { asUsageError, flagNamer } from "./settings.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  train: trainCommand,
  eval: evalCommand,
  convert: convertCommand,
  export: exportCommand,
  import: importCommand,
  bench: benchCommand,
  compare: compareCommand,
  sweep: sweepCommand,
  worker: workerCommand,
};

const USAGE = `usage: bioplausible <command> [flags]

commands:
  train   train a model and report its test accuracy
  eval    evaluate a saved model (or a NIR file) on a data set
  convert turn a ReLU model into integrate-and-fire neurons, normalised on training data
  export  write a soft-LIF model as the spiking network it converts to, in NIR (Neuromorphic Intermediate Representation)
  import  read a NIR file as a spiking model file
  bench   time the kernels and training steps
  compare train and evaluate every method of an experiment; write results.json and report.html
  sweep   tune every method with the same budget on a validation split, then run the best from several seeds
  worker  run a sweep's tasks from a Redis queue, on any machine

Every command takes --json (one JSON object on the last line of stdout) and --help;
bioplausible --version prints the version.

${trainHelp}

${evalHelp}

${convertHelp}

${exportHelp}

${importHelp}

${benchHelp}

${compareHelp}

${sweepHelp}

${workerHelp}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`bioplausible ${VERSION}\n`);
    return 0;
  }
  const handler = COMMANDS[command];
  try {
    if (!handler) throw new UsageError(`unknown command "${command}" (expected ${Object.keys(COMMANDS).join(", ")}; see bioplausible --help)`);
    await handler(rest);
    return 0;
  } catch (caught) {
    const error = worded(caught);
    const usage = error instanceof UsageError;
    process.stderr.write(`bioplausible: ${(error as Error).message}\n`);
    if (!usage && process.env.BIOPLAUSIBLE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return usage ? 2 : 1;
  }
}

/** Library options that are no job setting, as the flags that give them (toNir's, through export). */
const LIBRARY_OPTIONS: Record<string, string> = { dropRefractory: "--drop-refractory", quantize: "--quantize" };

/** A library error in the command line's words: an option as its flag, a divergence with what to lower. */
function worded(error: unknown): unknown {
  if (error instanceof OptionError) {
    try {
      return asUsageError(error, flagNamer(LIBRARY_OPTIONS));
    } catch {
      return error; // an option that is no setting of the command line (a library argument)
    }
  }
  if (error instanceof DivergenceError && error.option) return new Error(`${error.message}; try a smaller ${flagNamer()(error.option)}`, { cause: error });
  return error;
}
