// The library's typed errors. They name what is wrong in the library's own terms — the option, the
// tensor, the layer — and never a command-line flag: the CLI words an OptionError as `--flag: …`,
// an experiment config as `file: key: …`.

/** An option (by its library name, e.g. "batchSize", "neuron.tauRc") has a value that cannot be used. */
export class OptionError extends RangeError {
  override name = "OptionError";

  constructor(readonly option: string, readonly reason: string) {
    super(`${option}: ${reason}`);
  }
}

/** Training or relaxation stopped being finite; the message names where (layer, step, epoch, batch). */
export class DivergenceError extends Error {
  override name = "DivergenceError";

  /** The option whose smaller value would most likely help ("lr", "gamma"). */
  constructor(message: string, readonly option?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
