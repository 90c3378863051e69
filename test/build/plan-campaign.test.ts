/** planCampaign and planCampaignNdjson on hand-built projects (the loader is tested elsewhere). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import * as plan from "../../src/runner/plan.js";
import type * as PlanModule from "../../src/runner/plan.js";
import type { Project } from "../../src/project/project.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import { campaignProject } from "./campaign-project.js";

const root = mkdtempSync(join(tmpdir(), "msgc-plan-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function projectWith(audienceFile: string, content: string, campaign: Partial<CampaignSpec> = {}): Project {
  return campaignProject(root, audienceFile, content, campaign);
}

async function items(project: Project, opts: PlanModule.PlanCampaignOptions = {}): Promise<{ items: PlanItem[]; diagnostics: Diagnostic[]; stats: PlanModule.CampaignStats }> {
  const diagnostics: Diagnostic[] = [];
  const stats = plan.newCampaignStats();
  const out: PlanItem[] = [];
  for await (const item of plan.planCampaign(project, "spring", { ...opts, stats, onDiagnostic: (d) => diagnostics.push(d) })) out.push(item);
  return { items: out, diagnostics, stats };
}

async function ndjson(project: Project): Promise<{ text: string; diagnostics: Diagnostic[]; stats: PlanModule.CampaignStats }> {
  const diagnostics: Diagnostic[] = [];
  const stats = plan.newCampaignStats();
  const chunks: Uint8Array[] = [];
  for await (const chunk of plan.planCampaignNdjson(project, "spring", { stats, onDiagnostic: (d) => diagnostics.push(d) })) chunks.push(chunk);
  return { text: Buffer.concat(chunks).toString("utf8"), diagnostics, stats };
}

const row = (file: string, r: number, code: string, message: string, extra: Partial<Diagnostic> = {}): Diagnostic =>
  ({ code, severity: "error", message, file, path: [], row: r, ...extra }) as Diagnostic;

describe("planCampaign", () => {
  it("normalizes numbers, reports bad rows with row and field, plans a duplicate once", async () => {
    const project = projectWith(
      "a.csv",
      [
        "phone,first_name,order_id,last_seen",
        "+1 (604) 585-2331,Ana,12345,2026-11-20T10:00:00Z",
        "+44 7400 123456,Bo,12a,",
        "+1 555,Cy,12346,",
        "+16045852331,Ana again,12347,",
        "+49 1512 3456789,Dee,12348,yesterday",
        "+34 612 345 678,Élodie,12349,",
      ].join("\n"),
    );
    const r = await items(project);
    expect(r.items.map((i) => i.key)).toEqual(["spring/+16045852331", "spring/+34612345678"]);
    expect(r.items[0]!.lastInboundAt).toBe("2026-11-20T10:00:00Z");
    expect(r.items[0]!.template!.body).toEqual({
      number: "+16045852331",
      templateName: "order_shipped_v2",
      language: "en_US",
      parameters: [
        { name: "body_1", value: "Ana" },
        { name: "body_2", value: "12345" },
      ],
      campaignName: "spring",
    });
    expect(r.diagnostics.map((d) => [d.code, d.row, d.line, d.field, d.severity])).toEqual([
      ["var-invalid", 2, 3, "order_id", "error"],
      ["phone-invalid", 3, 4, "phone", "error"],
      ["duplicate-recipient", 4, 5, "phone", "warning"],
      ["audience-row-invalid", 5, 6, "last_seen", "error"],
    ]);
    expect(r.diagnostics[2]).toEqual({
      code: "duplicate-recipient",
      severity: "warning",
      message: "+1604•••2331 is already at row 1; it is sent once",
      file: "a.csv",
      path: [],
      row: 4,
      line: 5,
      field: "phone",
    });
    expect(r.stats).toEqual({ rows: 6, items: 2, invalidRows: 3, duplicates: 1, aborted: false });
  });

  it("a header without the phone column, or without a required var's column", async () => {
    const noPhone = await items(projectWith("b.csv", "tel,first_name,order_id,last_seen\n+16045852331,Ana,12345,\n"));
    expect(noPhone.items).toEqual([]);
    expect(noPhone.diagnostics).toEqual([
      {
        code: "audience-missing-column",
        severity: "error",
        message: 'The header of b.csv has no column "phone"',
        file: "b.csv",
        path: [],
        field: "phone",
        hint: 'The header has: "tel", "first_name", "order_id", "last_seen"; name the column with audience.phone in the campaign',
      },
    ]);
    expect(noPhone.stats.aborted).toBe(true);
    const renamed = await items(
      projectWith("c.csv", "phone,name,order_id,last_seen\n+16045852331,Ana,12345,\n", {
        audience: { file: "c.csv", lastInboundAt: "last_seen", columns: { first_name: "fname" } },
      }),
    );
    expect(renamed.diagnostics.map((d) => [d.code, d.field, d.hint])).toEqual([
      ["audience-missing-column", "fname", 'Did you mean "name"? If so, set audience.columns: { first_name: "name" } in the campaign'],
    ]);
  });

  it("a campaign constant fills a var that has no column", async () => {
    const r = await items(
      projectWith("d.csv", "phone,order_id\n+16045852331,12345\n", { audience: { file: "d.csv" }, vars: { first_name: "friend" } }),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.items[0]!.template!.body.parameters).toEqual([
      { name: "body_1", value: "friend" },
      { name: "body_2", value: "12345" },
    ]);
  });

  it("NDJSON values keep their JSON types: a number where a string is declared is an error", async () => {
    const r = await items(
      projectWith(
        "e.ndjson",
        '{"phone":"+16045852331","first_name":"Ana","order_id":"12345"}\n{"phone":"+447400123456","first_name":"Bo","order_id":12346}\n',
        { audience: { file: "e.ndjson" } },
      ),
    );
    expect(r.items.map((i) => i.key)).toEqual(["spring/+16045852331"]);
    expect(r.diagnostics.map((d) => [d.code, d.row, d.field])).toEqual([["var-invalid", 2, "order_id"]]);
  });

  it("limit stops after that many items", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `+1604585${String(2000 + i)},N${i},${10000 + i},`);
    const r = await items(projectWith("f.csv", `phone,first_name,order_id,last_seen\n${rows.join("\n")}\n`), { limit: 7 });
    expect(r.items).toHaveLength(7);
    expect(r.items[6]!.key).toBe("spring/+16045852006");
  });

  it("an audience outside the project is refused", async () => {
    const project = projectWith("g.csv", "phone\n");
    (project.campaigns.get("spring")!.data as CampaignSpec).audience.file = "../../etc/passwd.csv";
    const r = await items(project);
    expect(r.diagnostics.map((d) => [d.code, d.file, d.path])).toEqual([["path-outside-project", "c.yaml", ["audience", "file"]]]);
  });

  it("row diagnostics past the cap are summed up in one", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `+1 555,N${i},${10000 + i},`);
    const r = await items(projectWith("h.csv", `phone,first_name,order_id,last_seen\n${rows.join("\n")}\n`), { maxRowDiagnostics: 5 });
    expect(r.diagnostics).toHaveLength(6);
    expect(r.diagnostics[5]).toEqual({
      code: "audience-row-invalid",
      severity: "error",
      message: "25 more row problems not listed (only the first 5 are)",
      file: "h.csv",
      path: [],
    });
  });
});

describe("planCampaignNdjson", () => {
  /** Good rows, bad rows, duplicates (also across read chunks), non-ASCII text, quoted line breaks. */
  function mixedAudience(rows: number): string {
    const lines = ["phone,first_name,order_id,last_seen"];
    for (let i = 0; i < rows; i++) {
      const n = i % 997 === 5 ? 3 : i; // repeats of the same number, far apart
      let phone = `+1 604 ${String(2_000_000 + n).slice(0, 3)} ${String(2_000_000 + n).slice(3)}`;
      if (i % 1009 === 7) phone = "+1 555";
      const name = i % 3 === 0 ? `"Zoë, ${i % 100}"` : i % 401 === 0 ? '"two\nlines"' : `N${i % 1000}`;
      const order = i % 1013 === 11 ? "12a" : String(10000 + i);
      lines.push(i % 1499 === 13 ? `${phone},${name}` : `${phone},${name},${order},${i % 2 ? "2026-11-20T10:00:00Z" : ""}`);
    }
    return `${lines.join("\n")}\n`;
  }

  it("the same items, diagnostics and stats as planCampaign, as NDJSON", async () => {
    const project = projectWith("mixed.csv", mixedAudience(9000));
    const text = await ndjson(project);
    const reference = await items(project);
    expect(text.text).toBe(reference.items.map((i) => `${JSON.stringify(i)}\n`).join(""));
    expect(text.diagnostics).toEqual(reference.diagnostics);
    expect(text.stats).toEqual(reference.stats);
    expect(text.stats.duplicates).toBeGreaterThan(5);
    expect([...new Set(text.diagnostics.map((d) => d.code))].sort()).toEqual([
      "audience-row-invalid",
      "duplicate-recipient",
      "phone-invalid",
      "template-param-invalid",
      "var-invalid",
    ]);
    const rows = text.diagnostics.map((d) => d.row!);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
  });

  it("an audience that breaks off: rows before the break are planned, then the break is reported", async () => {
    const good = Array.from({ length: 3000 }, (_, i) => `+1604${2_000_000 + i},N${i},${10000 + i},`).join("\n");
    const project = projectWith("broken.csv", `phone,first_name,order_id,last_seen\n${good}\n+16049999999,"open quote,1,\n`);
    const text = await ndjson(project);
    expect(text.text.split("\n")).toHaveLength(3001);
    expect(text.diagnostics).toEqual([
      row("broken.csv", 3001, "audience-unreadable", "broken.csv cannot be read past row 3001: a quoted field is never closed", { line: 3002 }),
    ]);
    expect(text.stats).toEqual({ rows: 3000, items: 3000, invalidRows: 0, duplicates: 0, aborted: true });
  });
});
