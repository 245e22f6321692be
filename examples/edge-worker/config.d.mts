// Types of config.mjs, for the TypeScript tests in tests/edge/.

export declare const COMPATIBILITY_DATE: string;
export declare const DEFAULT_ADDRESS: string;

export interface WorkerdModule {
  name: string;
  esModule?: string;
  wasm?: string;
  data?: string;
  text?: string;
  json?: string;
}

export declare function workerdConfig(options: {
  modules: WorkerdModule[];
  bindings?: { name: string; text: string }[];
  address?: string;
  compatibilityDate?: string;
  comment?: string;
}): string;

export declare function edgeWorkerConfig(options?: {
  worker?: string;
  dist?: string;
  model?: string;
  address?: string;
  simulation?: Record<string, unknown>;
}): string;
