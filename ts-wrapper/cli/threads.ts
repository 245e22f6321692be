// --threads on every command: how many threads the wasm core shares its work between. It is no
// job setting: a run gives the same bits at any count, so a checkpoint or a replayed comparison
// carries on under another count, and the count is recorded only as provenance.

import { init, type Runtime } from "../runtime.js";
import { UsageError, type FlagSpec } from "./args.js";

const DEFAULT = "(default: the environment variable BIOPLAUSIBLE_THREADS if set, else the machine's available parallelism)";

export const threadsFlag = {
  threads: { type: "int", min: 1, max: 256, help: `threads the kernels share their work between; the results are the same bits at any count ${DEFAULT}` },
} as const satisfies Record<string, FlagSpec>;

/** The runtime a command runs on, with --threads' refusal (no threads here, say) in its words. */
export async function startRuntime(threads: number | undefined): Promise<Runtime> {
  try {
    return await init({ threads });
  } catch (error) {
    if (threads !== undefined && error instanceof RangeError) throw new UsageError(`--threads: ${error.message.replace(/^init: /, "")}`, { cause: error });
    throw error;
  }
}

export function threadsText(threads: number): string {
  return threads === 1 ? "1 thread" : `${threads} threads`;
}
