/**
 * Where a campaign's audience file is, as `msgc validate` reports it: each problem once, at the
 * campaign's `audience.file` line and column, also when a symlink leads out of the project.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

const MESSAGE = 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n';
const campaign = (name: string, file: string): string => `kind: Campaign\nname: ${name}\nmessage: hi\naudience:\n  file: ${file}\n`;

describe("audience paths", () => {
  const outside = mkdtempSync(join(tmpdir(), "msgc-outside-"));
  const made: string[] = [];
  afterAll(() => {
    for (const dir of [outside, ...made]) rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(outside, "list.csv"), "phone\n+16045852331\n");
  const validate = (campaigns: Record<string, string>, setUp: (dir: string) => void = () => {}) => {
    const dir = makeProject({ "msgc.config.yaml": "specs: specs\n", "specs/messages/hi.yaml": MESSAGE, ...campaigns });
    made.push(dir);
    mkdirSync(join(dir, "specs", "audiences"), { recursive: true });
    setUp(dir);
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    return { code: r.code, diagnostics: (JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics };
  };

  // Whatever its extension: `../../etc/passwd` is first of all outside, not a file of the wrong type.
  it.each(["../../../list.csv", "../../../../etc/passwd", "../../../list.txt"])("a path that climbs out of the project (%s): path-outside-project once, at audience.file", (file) => {
    expect(validate({ "specs/campaigns/out.yaml": campaign("out", file) })).toEqual({
      code: 1,
      diagnostics: [
        {
          file: "specs/campaigns/out.yaml",
          line: 5,
          column: 9,
          severity: "error",
          code: "path-outside-project",
          message: `Audience file "${file}" is outside the project`,
        },
      ],
    });
  });

  it("a file of the wrong type inside the project is still pattern-mismatch", () => {
    expect(validate({ "specs/campaigns/txt.yaml": campaign("txt", "../audiences/list.txt") }).diagnostics).toEqual([
      {
        file: "specs/campaigns/txt.yaml",
        line: 5,
        column: 9,
        severity: "error",
        code: "pattern-mismatch",
        message: 'audience.file "../audiences/list.txt" is not valid: use a .csv, .ndjson, .jsonl or .json file',
      },
    ]);
  });

  it("a symlink under specs/ that points outside the project is outside the project", () => {
    const result = validate({ "specs/campaigns/link.yaml": campaign("link", "../audiences/link.csv") }, (dir) => {
      symlinkSync(join(outside, "list.csv"), join(dir, "specs", "audiences", "link.csv"));
    });
    expect(result).toEqual({
      code: 1,
      diagnostics: [
        {
          file: "specs/campaigns/link.yaml",
          line: 5,
          column: 9,
          severity: "error",
          code: "path-outside-project",
          message: 'Audience file "../audiences/link.csv" is outside the project (it links to a file outside)',
        },
      ],
    });
  });

  it("a symlink that stays inside the project is fine", () => {
    const result = validate({ "specs/campaigns/link.yaml": campaign("link", "../audiences/link.csv"), "data/list.csv": "phone\n+16045852331\n" }, (dir) => {
      symlinkSync(join(dir, "data", "list.csv"), join(dir, "specs", "audiences", "link.csv"));
    });
    expect(result).toEqual({ code: 0, diagnostics: [] });
  });

  it("a missing audience file: audience-not-found at the campaign's audience.file, not a bare path", () => {
    expect(validate({ "specs/campaigns/gone.yaml": campaign("gone", "../audiences/gone.csv") })).toEqual({
      code: 1,
      diagnostics: [
        {
          file: "specs/campaigns/gone.yaml",
          line: 5,
          column: 9,
          severity: "error",
          code: "audience-not-found",
          message: 'Audience file "../audiences/gone.csv" does not exist (specs/audiences/gone.csv)',
        },
      ],
    });
  });
});
