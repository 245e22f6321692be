#!/usr/bin/env node
// Full-page screenshot of a report.html in headless Chromium, to look at the plots as a reader
// would. Uses the system Chromium (Debian: `apt-get install chromium`), never a downloaded one.
//
//   node scripts/screenshot-report.mjs report.html out.png [--width 1280] [--chromium /usr/bin/chromium]

import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const width = Number(option("--width", "1280"));
const executablePath = option("--chromium", process.env.CHROMIUM ?? "/usr/bin/chromium");
const [html, png] = args;
if (!html || !png || !Number.isFinite(width)) {
  console.error("usage: node scripts/screenshot-report.mjs REPORT.html OUT.png [--width 1280] [--chromium /usr/bin/chromium]");
  process.exit(2);
}
if (!existsSync(html)) {
  console.error(`no such file: ${html}`);
  process.exit(1);
}
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath} (Debian: apt-get install chromium; or pass --chromium PATH)`);
  process.exit(1);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false, offline: true });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: "load" });
  mkdirSync(dirname(resolve(png)), { recursive: true });
  await page.screenshot({ path: png, fullPage: true });
  const size = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]).catch(() => undefined);
  console.log(`${png}${size ? ` (${size[0]}×${size[1]} CSS px)` : ""}`);
  if (requests.length > 0) {
    console.error(`the page asked for ${requests.length} non-file resource(s): ${requests.join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
