/**
 * Invalid numbers are masked in phone-invalid diagnostics like every other number, in every
 * format: a national format must not escape the mask into CI logs or pull-request annotations.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

describe("phone-invalid masks the number", () => {
  const dir = makeProject({
    "specs/hi.yaml": 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n',
    "specs/c.yaml": "kind: Campaign\nname: c\nmessage: hi\naudience:\n  file: a.csv\n",
    "specs/a.csv": "phone\n(604) 585-2331\n+1 555 555 5555\n6045852331\n",
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const FULL = /6045852331|604\) 585-2331|555 555 5555|5555555555/;

  it("json: the messages quote masked numbers", () => {
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics).toEqual([
      { file: "specs/a.csv", row: 1, line: 2, severity: "error", code: "phone-invalid", message: '"•••31" is not in international format: start it with + and the country code' },
      { file: "specs/a.csv", row: 2, line: 3, severity: "error", code: "phone-invalid", message: '"+1555•••5555" is not a valid phone number for its country code' },
      { file: "specs/a.csv", row: 3, line: 4, severity: "error", code: "phone-invalid", message: '"•••31" is not in international format: start it with + and the country code' },
    ]);
  });

  it("text, github and markdown: no full number either", () => {
    for (const format of ["text", "github", "markdown"]) {
      const r = msgc(["validate", "--format", format], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("•••31");
      expect(r.stdout).not.toMatch(FULL);
    }
  });

  it("send --to with a national number: masked in the one-line error", () => {
    const r = msgc(["send", "hi", "--to", "(604) 585-2331", "--dry-run", "--business-id", "b"], { cwd: dir });
    expect(r.code).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe('msgc send: --to •••31 is not a phone number: "•••31" is not in international format: start it with + and the country code');
  });
});
