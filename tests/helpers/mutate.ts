// A JSON config with one value replaced, added or deleted: what the config fuzzers mutate with.

/** `config` with the value at `path` replaced (or deleted, when `value` is undefined). */
export function mutate(config: Record<string, any>, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(config);
  let at: any = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== "object" || at[key] === null) at[key] = {};
    at = at[key];
  }
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  // defineProperty: a key named __proto__ must become an own property, as JSON.parse makes it.
  else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}
