// DESIGN.md, "Determinism": the same seed and config give bit-identical weights in Node and in
// browsers. The shared job (tests/runtimes/determinism-job.js) runs in Chromium — in a Web Worker,
// importing the browser bundle (dist/browser.js, which fetches its .wasm), as the demo trains — and
// in Node with dist/index.js; every params_sha256 (and the spike counts' hash) must agree. The page
// is cross-origin isolated, so Chromium runs the threaded build on every core; Node runs on one.

import { describe, expect, it } from "vitest";
import { determinismInNode } from "../helpers/node-determinism.js";
import { collectErrors, SKIP, useSession } from "./chromium.js";

const session = useSession();

describe.skipIf(SKIP)("determinism: Chromium and Node", () => {
  it("train the same models bit for bit", async () => {
    const page = await session().browser.newPage();
    const errors = collectErrors(page);
    let inBrowser: Record<string, string>;
    try {
      await page.goto(`${session().server.url}determinism.html`);
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { state: "attached", timeout: 150_000 });
      const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, string>;
      // serve.mjs isolates the page, so the worker shares memory with threads of its own (Node's side runs on one).
      const [threads, cores] = await page.evaluate(() => [(window as unknown as { threads: number }).threads, navigator.hardwareConcurrency]);
      expect(threads, "the page trains on every core").toBe(cores);
      expect(result.error, "the determinism page failed").toBeUndefined();
      expect(errors, "the determinism page logged errors").toEqual([]);
      inBrowser = result;
    } finally {
      await page.close();
    }

    const inNode = await determinismInNode();
    expect(inBrowser).toEqual(inNode);
  }, 240_000);
});
