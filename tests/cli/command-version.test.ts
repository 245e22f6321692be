// The version every result and model file records is the package's own.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { VERSION } from "../../ts-wrapper/version.js";
import { ROOT } from "./e2e-cli.js";

it("ts-wrapper/version.ts's VERSION equals package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  expect(VERSION).toBe(pkg.version);
});
