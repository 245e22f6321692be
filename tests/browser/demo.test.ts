// The browser demo (examples/browser) end to end in headless Chromium: it loads MNIST in its worker,
// trains live (the learning curve gets points), and a digit drawn with the mouse is classified by
// the spiking network, whose raster and output spike counts show. A screenshot is kept in
// test-output/browser-demo.png. Any console error or uncaught exception fails the test.
//
// The run is kept short with the page's URL options: 3 000 training digits, 1 epoch, 200 spiking
// test digits; report=0 makes the worker report after every batch (not every 60 ms), so the count
// of progress messages does not depend on this machine's speed. What it checks is that the pieces work together, not how well the network learns
// (BENCHMARKS.md and the comparison do that); still, a trained network must beat chance by far.

import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { collectErrors, ROOT, SKIP, useSession } from "./chromium.js";

const SCREENSHOT = join(ROOT, "test-output/browser-demo.png");
const QUERY = "?limit=3000&epochs=1&spiking=200&test=2000&report=0";

const session = useSession();

/** A "0": an ellipse traced with the mouse, as a person would, in 48 moves. */
async function drawZero(page: Page): Promise<void> {
  const pad = page.locator("#pad");
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const rx = box.width * 0.22, ry = box.height * 0.33;
  await page.mouse.move(cx + rx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 48; i++) {
    const a = (2 * Math.PI * i) / 48;
    await page.mouse.move(cx + rx * Math.cos(a), cy + ry * Math.sin(a));
  }
  await page.mouse.up();
}

/** Pixels of a canvas within ±tolerance per channel of an RGB colour (lines are antialiased). */
function countColour(page: Page, id: string, rgb: number[], tolerance = 24): Promise<number> {
  return page.evaluate(({ id, rgb, tolerance }) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - rgb[0]) <= tolerance && Math.abs(data[i + 1] - rgb[1]) <= tolerance && Math.abs(data[i + 2] - rgb[2]) <= tolerance) n++;
    }
    return n;
  }, { id, rgb, tolerance });
}

describe.skipIf(SKIP)("browser demo (examples/browser) in Chromium", () => {
  it("trains live, then the spiking network classifies a drawn digit", async () => {
    const page = await session().browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = collectErrors(page);
    try {
      await page.goto(`${session().server.url}${QUERY}`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { state: "attached", timeout: 60_000 });
      expect(errors).toEqual([]);
      expect(await page.getAttribute("body", "data-state")).toBe("ready");
      // serve.mjs sends COOP/COEP: the page is cross-origin isolated and trains on every core.
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(await page.textContent("#threads")).toBe(cores > 1 ? `Training on ${cores} threads.` : "Training on 1 thread.");

      await page.click('input[value="pcn"]');
      await page.click("#train");
      // Live progress: the step counter advances while it trains, before training ends.
      await page.waitForFunction(() => Number(document.body.dataset.steps ?? 0) >= 5, undefined, { timeout: 60_000 });
      await page.waitForSelector('body[data-state="trained"], body[data-state="error"]', { state: "attached", timeout: 120_000 });
      expect(errors).toEqual([]);
      expect(await page.getAttribute("body", "data-state")).toBe("trained");
      const steps = Number(await page.getAttribute("body", "data-steps"));
      expect(steps).toBe(Math.ceil(3000 / 64));
      // Progress came batch by batch while it trained, not in one message at the end.
      expect(Number(await page.getAttribute("body", "data-reports"))).toBeGreaterThanOrEqual(steps);
      // The learning curve has points: the loss chart shows its line's colour (#2f6fde).
      expect(await countColour(page, "loss-chart", [0x2f, 0x6f, 0xde])).toBeGreaterThan(50);

      const rate = parseFloat((await page.textContent("#rate-acc"))!);
      const spiking = parseFloat((await page.textContent("#spike-acc"))!);
      // Ten classes: chance is 10 %. A 3 000-digit epoch gets a soft-LIF network well past 50 %.
      expect(rate).toBeGreaterThan(50);
      expect(spiking).toBeGreaterThan(50);

      await drawZero(page);
      await page.waitForSelector("body[data-predicted]", { state: "attached", timeout: 30_000 });
      const predicted = Number(await page.getAttribute("body", "data-predicted"));
      expect(Number.isInteger(predicted) && predicted >= 0 && predicted <= 9).toBe(true);
      const counts = (await page.getAttribute("#counts", "data-counts"))!.split(",").map(Number);
      expect(counts).toHaveLength(10);
      expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(await page.textContent("#predicted")).toBe(String(predicted));

      // The raster was drawn: marks in exactly the output's colour (#d9480f) and the input's (#8a94a6).
      expect(await countColour(page, "raster", [0xd9, 0x48, 0x0f], 0)).toBeGreaterThan(0);
      expect(await countColour(page, "raster", [0x8a, 0x94, 0xa6], 0)).toBeGreaterThan(0);

      mkdirSync(join(ROOT, "test-output"), { recursive: true });
      rmSync(SCREENSHOT, { force: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      // A blank or broken page compresses to a few kilobytes; this one has plots, a raster and text.
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);

  it("trains the small conv net, whose raster shows conv channels", async () => {
    const page = await session().browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = collectErrors(page);
    try {
      await page.goto(`${session().server.url}?net=conv&limit=2000&epochs=1&spiking=50&test=500&report=0`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { state: "attached", timeout: 60_000 });
      expect(await page.inputValue("#net")).toBe("conv");
      expect(await page.textContent("#arch")).toContain("conv8k5p2,avgpool2,conv16k5p2,avgpool2,fc64,fc10");
      await page.click("#train");
      await page.waitForSelector('body[data-state="trained"], body[data-state="error"]', { state: "attached", timeout: 180_000 });
      expect(errors).toEqual([]);
      expect(Number(await page.getAttribute("body", "data-steps"))).toBe(Math.ceil(2000 / 64));
      // Chance is 10 %; one epoch of 2 000 digits takes a conv net far past it.
      expect(parseFloat((await page.textContent("#rate-acc"))!)).toBeGreaterThan(40);
      expect(await page.textContent("#spiking-note")).toContain("conv8k5p2");
      await drawZero(page);
      await page.waitForSelector("body[data-predicted]", { state: "attached", timeout: 30_000 });
      // Hidden conv channels are drawn in the hidden layers' colours (#3b82c4, #7c5cc4).
      expect(await countColour(page, "raster", [0x3b, 0x82, 0xc4], 0)).toBeGreaterThan(0);
      expect(await countColour(page, "raster", [0xd9, 0x48, 0x0f], 0)).toBeGreaterThan(0);
      await page.screenshot({ path: join(ROOT, "test-output/browser-demo-conv.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);
});
