// The worker threads of a threaded runtime. Each worker runs its own instance of the threaded
// build over the runtime's shared memory and waits on its slot of a small control block; `Pool.run`
// hands one kernel call to each worker and makes the last on the calling thread, then waits until
// every worker has finished. Kernels stay arithmetic on pointers: how a call is divided is
// split.ts's business, and the workers only ever run what they are handed.

import type { SpawnThread, ThreadHandle } from "../platform/types.js";

/** Where each slot's fields sit in the control block (passed to the workers, which cannot import). */
const LAYOUT = {
  slotBytes: 1024,
  // Int32 words: the call's sequence number (GO), the last one finished (DONE), kernel, argument
  // count, error flag, error message length.
  go: 0, done: 1, kernel: 2, count: 3, error: 4, messageLength: 5,
  argsByte: 32, maxArgs: 16, // Float64 arguments, then the result
  messageByte: 512, maxMessage: 256, // UTF-16 code units
  spins: 20000, // polls before a waiting thread blocks: tens of µs, shorter than most kernel gaps
  recheckMs: 50, // a blocked caller looks again (and wakes the worker again) this often
  idleRecheckMs: 1000, // a blocked idle worker looks again this often
};

export interface ThreadData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  scratch: number;
  kernels: readonly string[];
  layout: typeof LAYOUT;
}

/**
 * A worker's whole life, as one self-contained function: it is sent to the worker as source text
 * (platform spawnThread), so it may use nothing from outside its body.
 */
export function threadMain(data: ThreadData, ready: () => void): void {
  const L = data.layout;
  const instance = new WebAssembly.Instance(data.module, {
    env: {
      memory: data.memory,
      abort: () => {
        throw new Error("assertion failed in the wasm core");
      },
    },
  });
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  exports.setThreadScratch(data.scratch);
  const kernels = data.kernels.map((name) => exports[name]);
  const base = data.slot * L.slotBytes;
  const words = new Int32Array(data.control, base, 8);
  const args = new Float64Array(data.control, base + L.argsByte, L.maxArgs + 1);
  const message = new Uint16Array(data.control, base + L.messageByte, L.maxMessage);
  ready();
  let seen = 0;
  for (;;) {
    for (let spin = 0; Atomics.load(words, L.go) === seen; spin++) {
      if (spin >= L.spins) Atomics.wait(words, L.go, seen, L.idleRecheckMs);
    }
    seen = Atomics.load(words, L.go);
    const kernel = words[L.kernel];
    if (kernel < 0) return;
    try {
      const result = kernels[kernel](...Array.from(args.subarray(0, words[L.count])));
      args[L.maxArgs] = typeof result === "number" ? result : 0;
      words[L.error] = 0;
    } catch (error) {
      const text = String(error instanceof Error ? error.message : error).slice(0, L.maxMessage);
      for (let i = 0; i < text.length; i++) message[i] = text.charCodeAt(i);
      words[L.messageLength] = text.length;
      words[L.error] = 1;
    }
    Atomics.store(words, L.done, seen);
    Atomics.notify(words, L.done);
  }
}


export class Pool {
  private readonly words: Int32Array[] = [];
  private readonly args: Float64Array[] = [];
  private readonly messages: Uint16Array[] = [];
  private sequence = 0;
  /** Calls run in parallel so far, by kernel index. */
  readonly runs: number[] = [];

  private constructor(
    private readonly names: readonly string[],
    private readonly handles: ThreadHandle[],
    control: SharedArrayBuffer,
    private readonly canBlock: boolean,
  ) {
    for (let slot = 0; slot < handles.length; slot++) {
      const base = slot * LAYOUT.slotBytes;
      this.words.push(new Int32Array(control, base, 8));
      this.args.push(new Float64Array(control, base + LAYOUT.argsByte, LAYOUT.maxArgs + 1));
      this.messages.push(new Uint16Array(control, base + LAYOUT.messageByte, LAYOUT.maxMessage));
    }
  }

  /**
   * `workers` workers over `memory`, each given a block of per-thread scratch. `canBlock` says
   * whether the calling thread may Atomics.wait (a browser's main thread may not, and polls).
   */
  static async start(
    workers: number, module: WebAssembly.Module, memory: WebAssembly.Memory, names: readonly string[],
    scratch: () => number, spawn: SpawnThread, canBlock: boolean,
  ): Promise<Pool> {
    const control = new SharedArrayBuffer(Math.max(1, workers) * LAYOUT.slotBytes);
    const handles: ThreadHandle[] = [];
    try {
      for (let slot = 0; slot < workers; slot++) {
        handles.push(await spawn(String(threadMain), { module, memory, control, slot, scratch: scratch(), kernels: names, layout: LAYOUT }));
      }
    } catch (cause) {
      for (const handle of handles) handle.terminate();
      throw new Error(`cannot start ${workers} wasm worker thread${workers === 1 ? "" : "s"}: ${(cause as Error).message ?? cause}`, { cause });
    }
    return new Pool(names, handles, control, canBlock);
  }

  /** Threads a call can use: the workers and the calling thread. */
  get size(): number {
    return this.handles.length + 1;
  }

  /**
   * Runs kernel `index` once per argument list, calls[i] (i ≥ 1) on worker i − 1 and calls[0] on
   * `self` (this thread's instance), and returns the results in order. A failure anywhere throws
   * after every call has ended, so no worker is still writing when the caller moves on.
   */
  run(index: number, calls: number[][], self: (...args: number[]) => number): number[] {
    const sequence = ++this.sequence;
    this.runs[index] = (this.runs[index] ?? 0) + 1;
    for (let w = 1; w < calls.length; w++) {
      const words = this.words[w - 1];
      const args = calls[w];
      if (args.length > LAYOUT.maxArgs) throw new Error(`wasm kernel ${this.names[index]}: ${args.length} arguments, at most ${LAYOUT.maxArgs} can go to a thread`);
      this.args[w - 1].set(args);
      words[LAYOUT.kernel] = index;
      words[LAYOUT.count] = args.length;
      Atomics.store(words, LAYOUT.go, sequence);
      Atomics.notify(words, LAYOUT.go);
    }
    const results = new Array<number>(calls.length);
    let failure: unknown;
    try {
      results[0] = self(...calls[0]);
    } catch (error) {
      failure = error;
    }
    for (let w = 1; w < calls.length; w++) {
      const words = this.words[w - 1];
      for (let spin = 0; Atomics.load(words, LAYOUT.done) !== sequence; spin++) {
        // Timed waits, and the worker woken again after each: should a wake-up ever be lost, it
        // costs a pause, not a hang.
        if (this.canBlock && spin >= LAYOUT.spins && Atomics.wait(words, LAYOUT.done, Atomics.load(words, LAYOUT.done), LAYOUT.recheckMs) === "timed-out") {
          Atomics.notify(words, LAYOUT.go);
        }
      }
      if (words[LAYOUT.error] !== 0 && failure === undefined) {
        const text = String.fromCharCode(...this.messages[w - 1].subarray(0, words[LAYOUT.messageLength]));
        failure = new Error(`wasm kernel ${this.names[index]} (thread ${w}): ${text}`);
      }
      results[w] = this.args[w - 1][LAYOUT.maxArgs];
    }
    if (failure !== undefined) throw failure;
    return results;
  }

  /** Stops the workers; the pool must not be used after. */
  close(): void {
    for (let slot = 0; slot < this.handles.length; slot++) {
      const words = this.words[slot];
      words[LAYOUT.kernel] = -1;
      Atomics.store(words, LAYOUT.go, ++this.sequence);
      Atomics.notify(words, LAYOUT.go);
      this.handles[slot].terminate();
    }
  }
}
