/**
 * vitest globalSetup: a folder where the one PostgreSQL server of this run is described once a
 * test file has started it (test/setup/postgres.ts starts it on first use, so a run that needs no
 * PostgreSQL starts none), and the teardown that stops it and removes its files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error: plain JavaScript, shared with the bench
import { stopPostgres } from "./postgres-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    msgcPostgresState: string;
    /** The run's own process: the server outlives no run, even a killed one. */
    msgcPostgresOwner: number;
  }
}

export default function setup(project: TestProject): () => void {
  const state = mkdtempSync(join(tmpdir(), "msgc-postgres-state-"));
  project.provide("msgcPostgresState", state);
  project.provide("msgcPostgresOwner", process.pid);
  return () => {
    const described = join(state, "server.json");
    try {
      if (existsSync(described)) stopPostgres(JSON.parse(readFileSync(described, "utf8")));
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  };
}
