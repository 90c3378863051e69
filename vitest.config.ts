import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Every test's title is checked for length before it runs (test/setup/short-titles.ts).
    setupFiles: ["test/setup/short-titles.ts"],
    // The store's tests share one PostgreSQL server, started on first use (test/setup/postgres.ts).
    globalSetup: ["test/setup/postgres-global.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
