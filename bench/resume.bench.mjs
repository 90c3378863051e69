#!/usr/bin/env node
// Resuming a finished campaign: the journal is replayed (streamed into compact per-recipient
// state) and every recipient of the plan is found already sent. Wall time and peak RSS of the
// resuming process, for a 1,000,000-recipient journal (and 10,000,000 with BENCH_10M=1).
// Figures are printed, never asserted.
//   node bench/resume.bench.mjs            1M
//   BENCH_10M=1 node bench/resume.bench.mjs  1M and 10M (a 2.4 GB journal, a few minutes)
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const sizes = [1_000_000, ...(process.env.BENCH_10M ? [10_000_000] : [])];
const numberOf = (i) => `+1604${String(1_000_000 + i).padStart(8, "0")}`;

if (process.argv[2] === "--resume") {
  // The child: resume and report.
  const [, , , journal, countText] = process.argv;
  const count = Number(countText);
  const { send } = await import("../dist/runner/send/index.js");
  const { TEMPLATE_PATH } = await import("../dist/compiler/plan.js");
  function* plan() {
    for (let i = 0; i < count; i++) {
      const number = numberOf(i);
      yield {
        key: `bench/${number}`,
        spec: "specs/campaigns/bench.yaml",
        window: "auto",
        lastInboundAt: null,
        template: { method: "POST", path: TEMPLATE_PATH, body: { number, templateName: "order_shipped", language: "en", parameters: [{ name: "body_1", value: `Customer ${i}` }], campaignName: "bench" } },
      };
    }
  }
  const started = performance.now();
  const summary = await send({
    plan,
    campaign: "bench",
    baseUrl: "http://127.0.0.1:9",
    businessId: "biz-bench",
    apiKey: "bench-key",
    journal,
    resume: true,
    // The header was written without the plan's hash: accepted as changed.
    force: true,
  });
  const seconds = (performance.now() - started) / 1000;
  if (summary.skipped !== count || summary.requests !== 0) throw new Error(`expected ${count} skipped and no request, got ${summary.skipped} and ${summary.requests}`);
  process.stdout.write(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "msgc-resume-bench-"));
try {
  for (const count of sizes) {
    const journal = join(work, `bench-${count}.ndjson`);
    const fd = openSync(journal, "w");
    writeSync(fd, `${JSON.stringify({ type: "header", version: 2, campaign: "bench", planHash: "sha256:bench", startedAt: new Date().toISOString(), shard: null, resumed: false, origin: "http://127.0.0.1:9", businessId: "biz-bench" })}\n`);
    let chunk = "";
    for (let i = 0; i < count; i++) {
      const key = `bench/${numberOf(i)}`;
      chunk += `{"type":"intent","key":"${key}","form":"template","attempt":1}\n{"type":"outcome","key":"${key}","form":"template","attempt":1,"result":"sent","status":200,"messageId":"01JDQ${String(i).padStart(21, "0")}","errorCode":null,"ambiguous":false}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = "";
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    const megabytes = statSync(journal).size / 1024 / 1024;
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--resume", journal, String(count)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (child.status !== 0) throw new Error(`the resume of ${count} exited ${child.status}`);
    const { seconds, maxRssMb } = JSON.parse(child.stdout);
    console.log(
      `resume of a finished ${count.toLocaleString("en-US")}-recipient campaign (journal ${megabytes.toFixed(0)} MB): ${seconds.toFixed(1)} s, ${Math.round(count / seconds).toLocaleString("en-US")} recipients/s, peak RSS ${maxRssMb.toFixed(0)} MB`,
    );
    rmSync(journal);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
