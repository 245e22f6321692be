// as-pect configuration for the AssemblyScript kernel specs (tests/assembly/*.spec.ts).
//
// The compiler options (SIMD enabled, as-pect's transform and runtime entry) are in
// as-pect.asconfig.json beside this file, where `asp` looks for them.

export default {
  /** One spec file per kernel file in assembly/. */
  entries: ["tests/assembly/**/*.spec.ts"],
  /** Shared helpers are imported by the specs, not compiled as entries. */
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
