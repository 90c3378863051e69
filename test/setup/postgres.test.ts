import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
// @ts-expect-error: plain JavaScript, shared with the bench
import { findPostgresBin, startPostgres } from "./postgres-server.mjs";
import { postgresForTests } from "./postgres.js";

const root = mkdtempSync(join(tmpdir(), "msgc-pg-bin-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeBin(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ["initdb", "pg_ctl"]) {
    writeFileSync(join(dir, name), "#!/bin/sh\n");
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe("the test PostgreSQL", () => {
  test("binaries: PATH first, then the newest Debian version", () => {
    const debian = join(root, "debian");
    fakeBin(join(debian, "9", "bin"));
    fakeBin(join(debian, "16", "bin"));
    fakeBin(join(debian, "15", "bin"));
    const onPath = fakeBin(join(root, "path-bin"));
    expect(findPostgresBin(`${join(root, "empty")}:${onPath}`, debian)).toBe(onPath);
    expect(findPostgresBin(join(root, "empty"), debian)).toBe(join(debian, "16", "bin"));
    expect(findPostgresBin("", join(root, "nothing"))).toBeUndefined();
  });

  test("no binaries: skipped with the reason, but under CI=true a failure", async () => {
    expect(await postgresForTests({ bin: undefined, env: {} })).toEqual({
      available: false,
      reason: "no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin; install Debian's postgresql",
    });
    await expect(postgresForTests({ bin: undefined, env: { CI: "true" } })).rejects.toThrow(/^CI=true: no PostgreSQL binaries/);
  });
});

describe("the test PostgreSQL's lifetime", () => {
  test.runIf(findPostgresBin() !== undefined)("a server whose owner is killed is stopped and removed", async () => {
    const owner = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const server = (await startPostgres({ ownerPid: owner.pid })) as { folder: string; port: number };
    const listening = (): Promise<boolean> =>
      new Promise((done) => {
        const socket = connect(server.port, "127.0.0.1");
        socket.on("connect", () => done(socket.destroy() !== undefined));
        socket.on("error", () => done(false));
      });
    expect(await listening()).toBe(true);
    owner.kill("SIGKILL");
    // The watcher checks once a second; the test waits for what it does, never for a time.
    while (existsSync(server.folder)) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await listening()).toBe(false);
  });
});
