// What the library needs from the runtime it runs in. Node reads files; browsers and edge workers
// fetch URLs. Everything else in the library is platform-neutral.

/** A file's bytes and the name errors should use for it (a path or a URL). */
export interface FileBytes {
  file: string;
  bytes: Uint8Array;
}

/** A file looked for: its bytes are absent when there is no such file. */
export type FileLookup = { file: string; bytes?: Uint8Array };

export interface Platform {
  /** Compiles the wasm core found at `source`, or returns it when the runtime already compiled it. */
  compile(source: URL | WebAssembly.Module): Promise<WebAssembly.Module>;
  /**
   * The file `name` in `dir` (a directory path on Node, a base URL elsewhere), without bytes when
   * there is no such file. Any other failure throws an Error naming the file and `what` it is.
   */
  read(dir: string, name: string, what: string): Promise<FileLookup>;
  /** Where MNIST's IDX files are when the caller names no directory. */
  mnistDir(): Promise<string>;
  /** Where Fashion-MNIST's IDX files are when the caller names no directory. */
  fashionMnistDir(): Promise<string>;
  /**
   * How many threads can share wasm memory here: the machine's available parallelism, or 1 where
   * there are no workers or no shared memory (an edge worker; a page without cross-origin isolation).
   */
  parallelism(): Promise<number>;
  /** The thread count the environment asks for by default (Node: BIOPLAUSIBLE_THREADS), if any. */
  threadsSetting(): string | undefined;
  /** Starts a worker thread (see wasm/threads.ts); only called when parallelism() > 1. */
  spawnThread: SpawnThread;
  /** Whether this thread may block in Atomics.wait: not a browser page's main thread. */
  canBlock(): boolean;
}

/** A started worker thread. */
export interface ThreadHandle {
  terminate(): void;
}

/**
 * Starts a worker running `main(data, ready)`, where `main` is the source text of a self-contained
 * function, and resolves once the worker has called ready().
 */
export type SpawnThread = (main: string, data: unknown) => Promise<ThreadHandle>;
