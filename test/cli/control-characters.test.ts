/**
 * Diagnostics never print a spec's control characters raw: a value or a source line cannot set
 * the terminal's title, clear the screen, write the clipboard (OSC 52) or fake a diagnostic line,
 * in any format.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

/** Any C0 control but line feed and tab, DEL, or a C1 control. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("control characters in diagnostics", () => {
  // A key with escapes (YAML spells them \e and \a) and a source line with raw ones.
  const dir = makeProject({
    "specs/key.yaml": 'kind: Message\nname: key\nwindow: session\nsession:\n  text: "Hi"\n  "\\e]0;pwned\\a\\e]52;c;ZXZpbA==\\a\\nspecs/fake.yaml:1:1 error": 1\n',
    "specs/raw.yaml": 'kind: Message\nname: raw\nwindow: session\nsession:\n  text: "{{nope}} \u001b[2J\u001b]0;t\u0007"\n',
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const validate = (format: string) => msgc(["validate", "--format", format], { cwd: dir, env: { NO_COLOR: "1" } });

  it("text: made visible, in the message and in the code frame; a line break cannot start a line", () => {
    const r = validate("text");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'specs/key.yaml:6:3 error unknown-field Unknown field "␛]0;pwned␇␛]52;c;ZXZpbA==␇␤specs/fake.yaml:1:1 error" in session\n' +
        ' 6 |   "\\e]0;pwned\\a\\e]52;c;ZXZpbA==\\a\\nspecs/fake.yaml:1:1 error": 1\n' +
        "   |   ^\n" +
        'specs/raw.yaml:5:10 error unknown-variable Unknown variable "nope"\n' +
        ' 5 |   text: "{{nope}} ␛[2J␛]0;t␇"\n' +
        "   |          ^\n" +
        "  hint: declare it under vars:\n" +
        "1 spec, 0 samples, 0 recipients: 2 errors, 0 warnings\n",
    );
  });

  it("github: made visible, the line break escaped", () => {
    const r = validate("github");
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(
      '::error file=specs/key.yaml,line=6,col=3,title=unknown-field::Unknown field "␛]0;pwned␇␛]52;c;ZXZpbA==␇%0Aspecs/fake.yaml:1:1 error" in session',
    );
    expect(r.stdout).not.toMatch(RAW_CONTROL);
  });

  it("markdown and json: no raw control character either", () => {
    const markdown = validate("markdown");
    expect(markdown.stdout).toContain("Unknown field &quot;␛\\]0;pwned␇␛\\]52;c;ZXZpbA==␇<br>specs/fake\\.yaml:1:1 error&quot; in session");
    expect(markdown.stdout).not.toMatch(RAW_CONTROL);
    const json = validate("json");
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json.stdout).diagnostics[0].message).toBe('Unknown field "\u001b]0;pwned\u0007\u001b]52;c;ZXZpbA==\u0007\nspecs/fake.yaml:1:1 error" in session');
  });

  it("an error line that quotes a value shows its controls too", () => {
    const clean = makeProject({ "specs/hi.yaml": 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n' });
    const r = msgc(["send", "x\u001b]0;t\u0007"], { cwd: clean });
    rmSync(clean, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe('msgc send: there is no campaign or message named "x␛]0;t␇" (known: hi)');
  });
});
