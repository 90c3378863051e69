/**
 * A campaign held against its Template spec, run as users run it: every audience row's template
 * body with its values in within Meta's 1024 characters (on worker threads as on one), and one
 * marketing-to-us-numbers warning with the count of +1 recipients.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cliPath, ensureBuilt, makeProject, msgc } from "./helpers.js";

const TEMPLATE = `kind: Template
name: spring_sale
category: marketing
languages:
  en_US:
    body:
      text: "Hi {{1}}, our spring sale starts today."
      examples: ["Ana"]
`;
const MESSAGE = `kind: Message
name: spring
vars:
  first_name: { type: string }
template:
  name: spring_sale
  language: en_US
  body: ["{{first_name}}"]
`;
const CAMPAIGN = `kind: Campaign
name: spring-campaign
message: spring
audience:
  file: ../audiences/people.csv
`;

/** Rows over 4 MiB (planned on worker threads): +1 numbers on even rows, one name too long at row 3 and row 70001. */
function audience(rows: number): string {
  const lines = ["phone,first_name"];
  for (let i = 1; i <= rows; i++) {
    const phone = i % 2 === 0 ? `+1604${2_000_000 + i}` : `+44770${1_000_000 + i}`;
    const name = i === 3 || i === 70_001 ? "N".repeat(1000) : `Name${i % 1000}`;
    lines.push(`${phone},${name}`);
  }
  return `${lines.join("\n")}\n`;
}

const ROWS = 200_000;
let small: string;
let big: string;
beforeAll(() => {
  ensureBuilt();
  const specs = { "specs/templates/spring-sale.yaml": TEMPLATE, "specs/messages/spring.yaml": MESSAGE, "specs/campaigns/spring.yaml": CAMPAIGN };
  small = makeProject({ ...specs, "specs/audiences/people.csv": audience(4) });
  big = makeProject({ ...specs, "specs/audiences/people.csv": audience(ROWS) });
});
afterAll(() => {
  rmSync(small, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
});

const TOO_LONG = "template-rendered-too-long The template body with its values put in is 1034 characters; Meta refuses more than 1024 (132005)";
const warning = (n: number) =>
  `specs/campaigns/spring.yaml:3:10 warning marketing-to-us-numbers ${n} recipients with a +1 number would get marketing template "spring_sale"; Meta has not delivered marketing templates to US numbers since 2025-04-01`;

describe("campaigns against their Template spec", () => {
  test("validate: a row whose rendered body is over 1024 is an error at its row; +1 recipients of a marketing template are one warning", () => {
    const r = msgc(["validate"], { cwd: small });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").filter((l) => /^specs\//.test(l))).toEqual([
      `specs/audiences/people.csv row 3 (line 4) error ${TOO_LONG}`,
      warning(2),
    ]);
  });

  test("build on worker threads finds the same rows and counts the same +1 recipients as one thread", () => {
    const lines = (threads: number) => {
      // The plan itself (tens of MB) is not what is compared here.
      const r = spawnSync(process.execPath, [cliPath, "build", "--out", "-", "--format", "json"], {
        cwd: big,
        env: { PATH: process.env.PATH, MSGC_THREADS: String(threads) },
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
        timeout: 60_000,
      });
      return { code: r.status, diagnostics: r.stderr };
    };
    const one = lines(1);
    const two = lines(2);
    expect(one.code).toBe(1);
    expect(two).toEqual(one);
    expect(one.diagnostics).toContain('"row":3');
    expect(one.diagnostics).toContain('"row":70001');
    expect(one.diagnostics).toContain(`${ROWS / 2} recipients with a +1 number`);
  }, 60_000);
});
