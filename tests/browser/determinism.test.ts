// DESIGN.md, "Determinism": the same seed and config give bit-identical weights in Node and in
// browsers. The shared job (tests/runtimes/determinism-job.js) runs in Chromium — in a Web Worker,
// importing the browser bundle (dist/browser.js, which fetches its .wasm), as the demo trains — and
// in Node with dist/index.js; every params_sha256 (and the spike counts' hash) must agree.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectErrors, ROOT, SKIP, startSession, type Session } from "./chromium.js";

const JOB = join(ROOT, "tests/runtimes/determinism-job.js");

let session: Session | undefined;

beforeAll(async () => {
  if (SKIP) return;
  session = await startSession();
}, 60_000);

afterAll(async () => {
  await session?.close();
}, 30_000);

describe.skipIf(SKIP)("determinism: Chromium and Node", () => {
  it("train the same models bit for bit", async () => {
    const page = await session!.browser.newPage();
    const errors = collectErrors(page);
    let inBrowser: Record<string, string>;
    try {
      await page.goto(`${session!.server.url}determinism.html`);
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { state: "attached", timeout: 150_000 });
      const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, string>;
      expect(result.error, "the determinism page failed").toBeUndefined();
      expect(errors, "the determinism page logged errors").toEqual([]);
      inBrowser = result;
    } finally {
      await page.close();
    }

    const bio = await import("../../dist/index.js");
    // The job is plain JavaScript shared by the runtimes' tests, without type declarations.
    const { determinismJob } = (await import(pathToFileURL(JOB).href)) as { determinismJob: (library: unknown) => Promise<Record<string, string>> };
    const inNode = await determinismJob(bio);

    expect(Object.keys(inNode).sort()).toEqual(["mlp_adam_batchnorm", "mlp_sgd", "pcn_il", "pcn_zil", "softlif", "spike_counts"]);
    for (const hash of Object.values(inNode)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(inBrowser).toEqual(inNode);
  }, 240_000);
});
