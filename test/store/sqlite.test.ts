import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { EventRecord } from "../../src/store/store.js";
import { STORE_SCHEMA_VERSION } from "../../src/store/store.js";
import { ensureBuilt, repoRoot } from "../cli/helpers.js";

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "msgc-sqlite-"));
  // The writer runs from dist/: built here, not inside a test's time.
  ensureBuilt();
}, 180_000);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function event(deliveryId: string, token: string): EventRecord {
  return {
    topic: "delivery_status",
    deliveryId,
    messageId: null,
    status: "delivered",
    errorCode: null,
    errorMessage: null,
    customer: null,
    campaign: null,
    token,
    occurredAt: null,
    receivedAt: "2026-12-01T10:00:00.000Z",
    raw: "{}",
  };
}

function openError(path: string, create: boolean): unknown {
  try {
    openSqliteStore(path, { create });
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A child process that commits events to `path` and prints each delivery id once committed. */
function writerProcess(path: string, count: number, prefix = "w") {
  const script = `
    const { openSqliteStore } = await import(${JSON.stringify(join(repoRoot, "dist/store/sqlite.js"))});
    const store = openSqliteStore(process.argv[1], { create: true });
    for (let i = 0; i < ${count}; i++) {
      const id = ${JSON.stringify(prefix)} + i;
      await store.commitEvent({ topic: "delivery_status", deliveryId: id, messageId: null, status: "sent", errorCode: null,
        errorMessage: null, customer: null, campaign: null, token: "tw", occurredAt: null, receivedAt: new Date(0).toISOString(), raw: "{}" });
      process.stdout.write(id + "\\n");
    }
    await store.close();`;
  return spawn(process.execPath, ["--input-type=module", "-e", script, path], { stdio: ["ignore", "pipe", "inherit"] });
}

describe("SQLite store", () => {
  test("open: a missing file without create is one line", () => {
    const path = join(folder, "missing", "msgc.db");
    const error = openError(path, false);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`The store ${path} does not exist`);
  });

  test("open: a file that is not a database is one line naming it", () => {
    const path = join(folder, "not-a.db");
    writeFileSync(path, "this is plain text, not SQLite, and long enough to have a header........".repeat(20));
    const error = openError(path, true);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`The store ${path} cannot be used: file is not a database (SQLITE_NOTADB)`);
  });

  test("open: a folder is one line naming it", () => {
    const path = join(folder, "a-folder.db");
    mkdirSync(path);
    const error = openError(path, true);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`The store ${path} is not a regular file`);
  });

  test("open: a path the system refuses to look at (name too long) is one line, not a crash", () => {
    const path = join(folder, `${"a".repeat(5000)}.db`);
    for (const create of [true, false]) {
      const error = openError(path, create);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(`The store ${path} cannot be opened (ENAMETOOLONG)`);
    }
  });

  test("open: a FIFO or a device is refused before SQLite reads it (no hang)", () => {
    const fifo = join(folder, "fifo.db");
    execFileSync("mkfifo", [fifo]);
    expect((openError(fifo, true) as Error).message).toBe(`The store ${fifo} is not a regular file`);
    expect((openError("/dev/zero", true) as Error).message).toBe("The store /dev/zero is not a regular file");
  });

  test("open: a new file and its WAL are readable by their owner only", async () => {
    const path = join(folder, "private", "msgc.db");
    const store = openSqliteStore(path, { create: true });
    await store.suppress([{ number: "+15550000001", reason: "manual", at: "2026-12-01T00:00:00.000Z", source: null }]);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("600");
    expect((statSync(`${path}-wal`).mode & 0o777).toString(8)).toBe("600");
    await store.close();
  });

  test("open: create makes the folders and the file, in WAL mode", async () => {
    const path = join(folder, "new", "deep", "msgc.db");
    const store = openSqliteStore(path, { create: true });
    expect(store.location).toBe(path);
    expect(store.kind).toBe("sqlite");
    await store.close();
    await store.close();
  });

  test("a writer process and a reader on the same file at once", async () => {
    const path = join(folder, "shared.db");
    const reader = openSqliteStore(path, { create: true });
    const writer = writerProcess(path, 300);
    const lines = createInterface({ input: writer.stdout! });
    let checked = 0;
    for await (const id of lines) {
      // Every event the writer has seen committed is there for the reader, mid-write.
      if (Number(id.slice(1)) % 50 === 49) {
        const seen = await reader.eventsByTokens(["tw"]);
        expect(seen.length).toBeGreaterThanOrEqual(Number(id.slice(1)) + 1);
        checked++;
      }
    }
    expect(await new Promise((done) => writer.on("close", done))).toBe(0);
    expect((await reader.eventsByTokens(["tw"])).length).toBe(300);
    expect(checked).toBe(6);
    await reader.close();
  });

  test("two writer processes on one file take turns; neither fails", async () => {
    const path = join(folder, "two-writers.db");
    openSqliteStore(path, { create: true }).close();
    const writers = [writerProcess(path, 400, "a"), writerProcess(path, 400, "b")];
    for (const w of writers) w.stdout.resume();
    const codes = await Promise.all(writers.map((w) => new Promise((done) => w.on("close", done))));
    expect(codes).toEqual([0, 0]);
    const store = openSqliteStore(path, { create: false });
    expect((await store.eventsByTokens(["tw"])).length).toBe(800);
    await store.close();
  });

  test("three processes creating one new file at once all migrate and write", async () => {
    const path = join(folder, "born-together", "msgc.db");
    const writers = ["a", "b", "c"].map((prefix) => writerProcess(path, 50, prefix));
    for (const w of writers) w.stdout.resume();
    expect(await Promise.all(writers.map((w) => new Promise((done) => w.on("close", done))))).toEqual([0, 0, 0]);
    const store = openSqliteStore(path, { create: false });
    expect((await store.eventsByTokens(["tw"])).length).toBe(150);
    expect(await store.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    await store.close();
  });

  test("a writer killed mid-write keeps every event it said was committed", async () => {
    const path = join(folder, "killed.db");
    const writer = writerProcess(path, 1_000_000);
    const committed: string[] = [];
    for await (const id of createInterface({ input: writer.stdout! })) {
      committed.push(id);
      if (committed.length === 500) writer.kill("SIGKILL");
    }
    await new Promise((done) => writer.on("close", done));
    const store = openSqliteStore(path, { create: false });
    const stored = new Set((await store.eventsByTokens(["tw"])).map((e) => e.deliveryId));
    expect(committed.filter((id) => !stored.has(id))).toEqual([]);
    // The reopened file takes writes again.
    expect(await store.commitEvent(event("after-kill", "t"))).toBe("stored");
    await store.close();
  });
});
