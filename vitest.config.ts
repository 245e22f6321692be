import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    // Test files run two at a time, so each runtime (and each CLI a test starts) defaults to one
    // thread; the thread tests ask for their counts explicitly.
    env: { BIOPLAUSIBLE_THREADS: "1" },
  },
});
