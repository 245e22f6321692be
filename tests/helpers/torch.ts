// Debian's PyTorch for the tests that run it (/usr/bin/python3; TORCH_PYTHON overrides it). Where
// `import torch` fails those tests are skipped with the printed reason — unless REQUIRE_TORCH=1 (set
// by .ci/run), where that is a failure, so CI cannot pass by silently skipping.

import { spawnSync } from "node:child_process";

export const PYTHON = process.env.TORCH_PYTHON ?? "/usr/bin/python3";
export const REQUIRED = process.env.REQUIRE_TORCH === "1";

function probeTorch(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split("\n").pop();
    return `${PYTHON} -c "import torch" failed: ${last || `exit status ${probe.status}`}`;
  }
  return undefined;
}

/**
 * Whether the test file `file` must skip its PyTorch tests (it warns, naming the file, when it
 * must), and why PyTorch is missing: with REQUIRE_TORCH=1 the file's beforeAll throws that reason.
 */
export function torchTests(file: string): { skip: boolean; missing?: string } {
  const missing = probeTorch();
  const skip = missing !== undefined && !REQUIRED;
  if (skip) console.warn(`${file} skipped: ${missing} (install python3-torch, or set REQUIRE_TORCH=1 to make this a failure)`);
  return { skip, missing };
}
