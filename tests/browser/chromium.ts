// Shared by the browser tests: whether Chromium can run here, the demo's server started in-process,
// and a page that records every console error and uncaught exception so a test can fail on them.
//
// Chromium is Debian's /usr/bin/chromium (CHROMIUM_PATH overrides it), driven by playwright-core (a
// devDependency; it never downloads a browser). Where it is missing the tests skip with a printed
// reason — unless REQUIRE_BROWSER=1, where that is a failure, so CI cannot pass by silently skipping.
// A missing build (dist/) always fails: it means `npm run build` did not run, not a missing tool.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startServer, type RunningServer } from "../../examples/browser/serve.mjs";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REQUIRED = process.env.REQUIRE_BROWSER === "1";

function probe(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} does not exist (apt-get install chromium, or set CHROMIUM_PATH)`;
  try {
    createRequire(import.meta.url).resolve("playwright-core");
  } catch {
    return "playwright-core is not installed (npm install)";
  }
  return undefined;
}

const missing = probe();
/** True when the browser tests should skip (the reason was printed). */
export const SKIP = missing !== undefined && !REQUIRED;
if (SKIP) console.warn(`tests/browser skipped: ${missing} (set REQUIRE_BROWSER=1 to make this a failure)`);

/** Throws, naming the fix, when the bundle the pages import is not built. */
export function requireBuild(): void {
  for (const file of ["browser.js", "bioplausible.wasm", "index.js"]) {
    const path = join(ROOT, "dist", file);
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (or npx rollup -c) first`);
  }
}

export interface Session {
  server: RunningServer;
  browser: Browser;
  close(): Promise<void>;
}

/** The demo's server on a free port and a headless Chromium; close() ends both, whatever happened. */
export async function startSession(): Promise<Session> {
  if (missing) throw new Error(`Chromium cannot run: ${missing}`);
  requireBuild();
  const { chromium } = await import("playwright-core");
  const server = await startServer({ port: 0 });
  let browser: Browser;
  try {
    // --no-sandbox: containers and CI often run as root, where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    server,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

/**
 * One Chromium session for a test file: started in beforeAll (not where SKIP), closed in afterAll.
 * Call the returned function inside a test (not SKIP) for the session.
 */
export function useSession(): () => Session {
  let session: Session | undefined;
  beforeAll(async () => {
    if (SKIP) return;
    session = await startSession();
  }, 60_000);
  afterAll(async () => {
    await session?.close();
  }, 30_000);
  return () => session!;
}

/** Every console error and uncaught exception of a page (and of its workers), as text. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error") errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("worker", (worker) => {
    worker.on("console", (message: ConsoleMessage) => {
      if (message.type() === "error") errors.push(`worker console.error: ${message.text()}`);
    });
  });
  return errors;
}
