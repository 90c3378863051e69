import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Every test's title is checked for length before it runs (test/setup/short-titles.ts).
    setupFiles: ["test/setup/short-titles.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
