import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/project/config.js";
import { maskDatabaseUrl } from "../../src/store/database-url.js";
import { openStore, storeSecrets, storeTarget } from "../../src/store/open.js";
import { STORE_SCHEMA_VERSION } from "../../src/store/store.js";
import { ensureBuilt, msgc } from "../cli/helpers.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function project(config?: string): string {
  const root = mkdtempSync(join(tmpdir(), "msgc-store-open-"));
  roots.push(root);
  mkdirSync(join(root, "specs"));
  if (config !== undefined) writeFileSync(join(root, "msgc.config.yaml"), config);
  return root;
}

const config = { root: "/p", outDir: "/p/.msgc" };

describe("storeTarget", () => {
  test.each([
    ["MSGC_STORE: a postgres URL wins over the config", { MSGC_STORE: "postgres://u:pw@db/msgc" }, { store: "off" }, { kind: "postgres", url: "postgres://u:pw@db/msgc" }],
    ["MSGC_STORE: postgresql:// too", { MSGC_STORE: " postgresql://db/msgc " }, {}, { kind: "postgres", url: "postgresql://db/msgc" }],
    ["MSGC_STORE: off is no store, whatever the config says", { MSGC_STORE: "off" }, { store: "sqlite" }, undefined],
    ["MSGC_STORE: a file path, from the working directory", { MSGC_STORE: "x/my.db" }, {}, { kind: "sqlite", path: resolve("x/my.db"), create: false }],
    ["MSGC_STORE: sqlite is the default file", { MSGC_STORE: "sqlite" }, { store: "off" }, { kind: "sqlite", path: "/p/.msgc/msgc.db", create: false }],
    ["MSGC_STORE: empty is not set", { MSGC_STORE: "" }, { store: "data/t.db" }, { kind: "sqlite", path: "/p/data/t.db", create: false }],
    ["config: sqlite", {}, { store: "sqlite" }, { kind: "sqlite", path: "/p/.msgc/msgc.db", create: false }],
    ["config: off", {}, { store: "off" }, undefined],
    ["config: a URL takes PGPASSWORD", { PGPASSWORD: "from-env" }, { store: "postgres://u@db/msgc" }, { kind: "postgres", url: "postgres://u@db/msgc", password: "from-env" }],
    ["MSGC_STORE: a URL with its own password ignores PGPASSWORD", { PGPASSWORD: "x", MSGC_STORE: "postgres://u:p@db/m" }, {}, { kind: "postgres", url: "postgres://u:p@db/m" }],
    ["nothing said and no file: no store", {}, {}, undefined],
  ] as const)("%s", (_title, env, written, expected) => {
    expect(storeTarget({ ...config, ...written }, env, { create: false })).toEqual(expected);
  });

  test("the default file: used when it exists, or when the command creates it", () => {
    const root = project();
    const outDir = join(root, ".msgc");
    expect(storeTarget({ root, outDir }, {}, { create: false })).toBeUndefined();
    expect(storeTarget({ root, outDir }, {}, { create: true })).toEqual({ kind: "sqlite", path: join(outDir, "msgc.db"), create: true });
    mkdirSync(outDir);
    writeFileSync(join(outDir, "msgc.db"), "");
    expect(storeTarget({ root, outDir }, {}, { create: false })).toEqual({ kind: "sqlite", path: join(outDir, "msgc.db"), create: false });
  });

  test("openStore: the default file is created and usable", async () => {
    const root = project();
    const target = storeTarget({ root, outDir: join(root, ".msgc") }, {}, { create: true });
    const store = await openStore(target!);
    expect(store.location).toBe(join(root, ".msgc", "msgc.db"));
    expect(await store.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    await store.close();
  });
});

describe("database URLs", () => {
  test.each([
    ["postgres://bob:s3cr%40t@db.example:5432/msgc?sslmode=require", "postgres://bob:***@db.example:5432/msgc?sslmode=require"],
    ["postgresql://bob@db/msgc?password=hunter2hunter2", "postgresql://bob@db/msgc?password=***"],
    ["postgres://db/msgc", "postgres://db/msgc"],
    ["postgres://bob:pw@[bad", "postgres://…"],
  ])("mask: %s", (url, masked) => {
    expect(maskDatabaseUrl(url)).toBe(masked);
  });

  test("storeSecrets: the URL's password as written and decoded, and PGPASSWORD", () => {
    expect(storeSecrets({ MSGC_STORE: "postgres://bob:s3cr%40t@db/msgc", PGPASSWORD: "pgpass" })).toEqual(["s3cr%40t", "s3cr@t", "pgpass"]);
    // A URL that does not parse still has what sits between its user and its host cut out.
    expect(storeSecrets({ MSGC_STORE: "postgres://bob:pw-unparsed@[bad" })).toEqual(["pw-unparsed"]);
    expect(storeSecrets({ MSGC_STORE: "/tmp/x.db" })).toEqual([]);
    expect(storeSecrets({})).toEqual([]);
  });
});

describe("store: in the config", () => {
  beforeAll(() => ensureBuilt(), 180_000);
  test.each(["sqlite", "off", "data/msgc.db", "postgres://bob@db.example/msgc", "postgresql://db/msgc"])("accepted: %s", async (value) => {
    const root = project(`store: ${value}\n`);
    const { config, diagnostics } = await loadConfig({ cwd: root });
    expect(diagnostics).toEqual([]);
    expect(config.store).toBe(value);
  });

  test.each([
    ["postgres://bob:hunter2@db/msgc", "msgc.config.yaml: store: the PostgreSQL URL carries a password, which does not belong in a committed file"],
    ["postgres://bob@db/msgc?password=hunter2", "msgc.config.yaml: store: the PostgreSQL URL carries a password, which does not belong in a committed file"],
    ["mysql://bob:hunter2@db/msgc", "msgc.config.yaml: store: only postgres:// and postgresql:// URLs name a store"],
    ["../elsewhere.db", "msgc.config.yaml: store: \"../elsewhere.db\" is outside the project (ROOT)"],
    ["/var/msgc.db", 'msgc.config.yaml: store "/var/msgc.db" is not valid: use sqlite, off, a relative path ending in .db, or a postgres:// URL'],
    ["data/msgc.sqlite", 'msgc.config.yaml: store "data/msgc.sqlite" is not valid: use sqlite, off, a relative path ending in .db, or a postgres:// URL'],
  ])("refused: %s", async (value, message) => {
    const root = project(`rate: 10\nstore: ${value}\n`);
    const { config, diagnostics } = await loadConfig({ cwd: root });
    expect(diagnostics.map((d) => [d.code, d.range?.start.line, d.range?.start.column, d.message])).toEqual([["config-invalid", 1, 7, message.replace("ROOT", root)]]);
    expect(config.store).toBeUndefined();
  });

  test("refused: a .db path through a link out of the project", async () => {
    const root = project("store: data/msgc.db\n");
    symlinkSync(tmpdir(), join(root, "data"));
    const { diagnostics } = await loadConfig({ cwd: root });
    expect(diagnostics.map((d) => d.message)).toEqual([`msgc.config.yaml: store: "data/msgc.db" is outside the project (${root}) (a symlink leads out of it)`]);
  });

  test.each([
    ["MSGC_STORE's URL", { MSGC_STORE: "postgres://msgc:pw-s3cret-store-pass@127.0.0.1:1/x" }],
    ["PGPASSWORD", { PGPASSWORD: "pw-s3cret-store-pass" }],
  ])("msgc send: the store's password (%s) is cut out of what it prints", (_what, env) => {
    const root = project();
    // A message named like the password: its name is printed in the summary.
    writeFileSync(join(root, "specs", "m.yaml"), "kind: Message\nname: pw-s3cret-store-pass\nsession: { text: Hi }\n");
    const r = msgc(["send", "pw-s3cret-store-pass", "--to", "+14155550123", "--sandbox", "--yes"], { cwd: root, env });
    expect(`${r.stdout}${r.stderr}`).not.toContain("s3cret");
    if ("MSGC_STORE" in env) {
      // A configured store that cannot be opened stops the send (its opt-outs could not be honoured).
      expect([r.code, r.stderr.split("\n").filter((l) => l.startsWith("msgc send:"))]).toEqual([1, ["msgc send: The store postgres://msgc:***@127.0.0.1:1/x cannot be used: connect ECONNREFUSED 127.0.0.1:1"]]);
    } else {
      expect(r.stdout).toContain("Send summary: [redacted] -> 127.0.0.1:");
    }
  });

  test("msgc validate: a password in the config is one diagnostic that never shows it", () => {
    const root = project("store: postgres://bob:hunter2-very-secret@db.example/msgc\n");
    const r = msgc(["validate"], { cwd: root });
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain("hunter2");
    expect(r.stdout).toContain(
      "msgc.config.yaml:1:8 error config-invalid msgc.config.yaml: store: the PostgreSQL URL carries a password, which does not belong in a committed file",
    );
    expect(r.stdout).toContain("hint: remove it and set PGPASSWORD, or put the whole URL in MSGC_STORE");
  });
});
