/**
 * `validate` says once per message when its callbackData cannot carry the msgc token (tracked by
 * message id only), at the exact place; `track: false` in the config says tracking is not wanted.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc } from "./helpers.js";

beforeAll(() => ensureBuilt());

const message = (callbackData: string, extra = ""): string => `kind: Message
name: hello
session:
  text: "Hi there"
  callbackData: ${callbackData}
template:
  name: hello_v1
  language: en
  callbackData: [also, a, list]
${extra}`;

describe("tracking-unavailable", () => {
  it("a string callbackData: one warning for the message, at its first callbackData, exit 0", () => {
    const r = msgc(["validate", "--format", "json"], { cwd: makeProject({ "specs/hello.yaml": message('"order-17"') }) });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { diagnostics: Array<{ code: string; severity: string; line: number; column: number; message: string }> };
    expect(doc.diagnostics.map(({ code, severity, line, column, message: text }) => ({ code, severity, line, column, text }))).toEqual([
      {
        code: "tracking-unavailable",
        severity: "warning",
        line: 5,
        column: 17,
        text: "callbackData is a string, not an object: it cannot carry the msgc token; this message is tracked by its message id only",
      },
    ]);
  });

  it("in text: file:line:col, the frame and the hint", () => {
    const r = msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": message("42") }) });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(
      "specs/hello.yaml:5:17 warning tracking-unavailable callbackData is a number, not an object: it cannot carry the msgc token; this message is tracked by its message id only",
    );
    expect(r.stdout).toContain("  hint: Make it an object");
  });

  it("an object callbackData: a locale's list is the one found; a msgc field of its own and a 999-byte object are found too", () => {
    const locale = message("{ ref: a }", "locales:\n  es:\n    session:\n      callbackData: [x]\n");
    const listed = msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": locale.replace("  callbackData: [also, a, list]\n", "") }) });
    expect(listed.stdout.split("\n")[0]).toBe(
      "specs/hello.yaml:12:21 warning tracking-unavailable callbackData is a list, not an object: it cannot carry the msgc token; this message is tracked by its message id only",
    );
    const taken = msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": message("{ msgc: mine }").replace("  callbackData: [also, a, list]\n", "") }) });
    expect(taken.stdout.split("\n")[0]).toBe(
      'specs/hello.yaml:5:17 warning tracking-unavailable callbackData already has a "msgc" field: the msgc token would replace it, so none is added; this message is tracked by its message id only',
    );
    // {"n":"…"}: 8 bytes around the string. 998 leaves room for the token's 26; 999 does not.
    const sized = (n: number): string => message(`{ n: "${"y".repeat(n)}" }`).replace("  callbackData: [also, a, list]\n", "");
    expect(msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": sized(990) }) }).stdout).not.toContain("tracking-unavailable");
    const full = msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": sized(991) }) });
    expect(full.code).toBe(0);
    expect(full.stdout.split("\n")[0]).toBe(
      "specs/hello.yaml:5:17 warning tracking-unavailable callbackData is 999 bytes: with the msgc token (26 bytes more) it would pass Connectly's 1024; this message is tracked by its message id only",
    );
    // Over 1024 on its own is the error it always was.
    const over = msgc(["validate"], { cwd: makeProject({ "specs/hello.yaml": sized(1017) }) });
    expect(over.code).toBe(1);
    expect(over.stdout).toContain("error callback-data-too-large callbackData is 1025 bytes once serialized; Connectly allows 1024");
  });

  it("track: false in the config: no warning", () => {
    const r = msgc(["validate"], { cwd: makeProject({ "msgc.config.yaml": "track: false\n", "specs/hello.yaml": message('"order-17"') }) });
    expect(r).toEqual({ code: 0, stderr: "", stdout: "1 spec, 1 sample, 0 recipients: 0 errors, 0 warnings\n" });
  });

  it("build output never carries the token: callbackData as written", () => {
    const r = msgc(["build", "--out", "-"], { cwd: makeProject({ "specs/hello.yaml": message("{ ref: a }").replace("  callbackData: [also, a, list]\n", "") }) });
    expect(r.code).toBe(0);
    const items = r.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { session?: { body: { callbackData?: unknown } } });
    expect(items.map((i) => i.session?.body.callbackData)).toEqual([{ ref: "a" }]);
  });
});
