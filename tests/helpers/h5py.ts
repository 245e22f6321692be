// Debian's h5py (python3-h5py) for the NIR tests that check files with an independent reader. As
// with PyTorch (torch.ts): skipped with the reason where it is missing, unless REQUIRE_H5PY=1 (set
// by .ci/run), where that is a failure.

import { spawnSync } from "node:child_process";
import { PYTHON } from "./torch.js";

export { PYTHON };

export function h5pyTests(file: string): { skip: boolean; missing?: string } {
  const probe = spawnSync(PYTHON, ["-c", "import h5py, numpy"], { encoding: "utf8" });
  const missing = probe.error
    ? `${PYTHON} cannot run (${probe.error.message})`
    : probe.status !== 0 ? `${PYTHON} -c "import h5py, numpy" failed: ${probe.stderr.trim().split("\n").pop()}` : undefined;
  const skip = missing !== undefined && process.env.REQUIRE_H5PY !== "1";
  if (skip) console.warn(`${file} skipped: ${missing} (install python3-h5py, or set REQUIRE_H5PY=1 to make this a failure)`);
  return { skip, missing };
}
