// as-pect configuration for the AssemblyScript kernel specs (tests/assembly/*.spec.ts).
//
// The compiler options (SIMD enabled, as-pect transform and runtime entry) live in
// tests/assembly/as-pect.asconfig.json. `asp` reads its asconfig from `--as-config`, whose
// default is ./as-pect.asconfig.json at the package root; so that `asp --config as-pect.config.js`
// works without a second file at the root, this config points that option at the one under
// tests/assembly unless it was given explicitly on the command line. `asp` parses its argv with
// commander's shared `program` before importing this file and reads the option afterwards.
import { createRequire } from "module";

const require = createRequire(import.meta.url);
const aspectCli = require.resolve("@as-pect/cli");
const { program } = createRequire(aspectCli)("commander");
if (program.getOptionValueSource("asConfig") === "default") {
  program.setOptionValue("asConfig", "./tests/assembly/as-pect.asconfig.json");
}

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
