// The Node side of the cross-runtime determinism tests (tests/browser/determinism.test.ts,
// tests/edge/determinism.test.ts), which both compared another runtime against the same Node run.

import { expect } from "vitest";

/**
 * The shared job (tests/runtimes/determinism-job.js) run in Node with dist/index.js, its result's
 * shape checked (one SHA-256 per model and one of the spike counts): the reference the other
 * runtime's result must equal.
 */
export async function determinismInNode(): Promise<Record<string, string>> {
  const bio = await import("../../dist/index.js");
  // The job is plain JavaScript shared by the runtimes' tests, without type declarations.
  const job = new URL("../runtimes/determinism-job.js", import.meta.url).href;
  const { determinismJob } = (await import(job)) as { determinismJob: (library: unknown) => Promise<Record<string, string>> };
  const inNode = await determinismJob(bio);
  expect(Object.keys(inNode).sort()).toEqual(["mlp_adam_batchnorm", "mlp_sgd", "pcn_il", "pcn_il_wide", "pcn_zil", "softlif", "spike_counts"]);
  for (const hash of Object.values(inNode)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  return inNode;
}
