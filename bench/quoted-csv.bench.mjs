#!/usr/bin/env node
// Quoted CSV on worker threads (issue 14 item 3): `msgc build --out -` over the same 1,000,000
// rows twice, plain and with 0.1% of the rows holding a quoted cell ("Doe, Jane", as real
// exports quote any cell with a comma) from row 1,000 on. Worker threads (the default) both
// times; runs alternate, 3 of each, medians compared. Prints figures; never asserts.
// Target: the quoted file keeps >= 90% of the plain file's rows/s.
//   node bench/quoted-csv.bench.mjs [rows]      (needs `npm run build` first)
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { cli, runMeasured } from "./harness.mjs";
import { once } from "node:events";

const rows = Number(process.argv[2] ?? 1_000_000);

/** A project whose one campaign reads `audience.csv`; `quoted`: every 1,000th row from row 1,000 has a quoted cell. */
async function writeProject(quoted) {
  const work = mkdtempSync(join(tmpdir(), "msgc-bench-quoted-"));
  for (const folder of ["messages", "campaigns", "audiences"]) mkdirSync(join(work, "specs", folder), { recursive: true });
  writeFileSync(
    join(work, "specs", "messages", "shipped.yaml"),
    'kind: Message\nname: shipped\nvars:\n  first_name: { type: string, maxLength: 40 }\n  order_id: { type: string, pattern: "^[0-9]{5,}$" }\nwindow: session\nsession:\n  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."\n',
  );
  writeFileSync(join(work, "specs", "campaigns", "big.yaml"), "kind: Campaign\nname: big\nmessage: shipped\naudience:\n  file: ../audiences/audience.csv\n");
  const out = createWriteStream(join(work, "specs", "audiences", "audience.csv"));
  out.write("phone,first_name,order_id\n");
  let chunk = "";
  for (let i = 1; i <= rows; i++) {
    const name = quoted && i >= 1000 && i % 1000 === 0 ? '"Doe, Jane"' : `Name${i % 1000}`;
    chunk += `+1604${String(2_000_000 + (i % 8_000_000)).padStart(7, "0")},${name},${100000 + i}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  return work;
}

function timeBuild(cwd) {
  return runMeasured([cli, "build", "--out", "-"], { cwd });
}

const plain = await writeProject(false);
const quoted = await writeProject(true);
try {
  const times = { plain: [], quoted: [] };
  for (let i = 0; i < 3; i++) {
    for (const [name, dir] of [["plain", plain], ["quoted", quoted]]) {
      const r = await timeBuild(dir);
      if (r.code !== 0) console.log(`!!! msgc build (${name}) exited ${r.code}`);
      times[name].push(r.seconds);
    }
  }
  const median = (list) => [...list].sort((a, b) => a - b)[1];
  const rate = (s) => Math.round(rows / s).toLocaleString("en");
  console.log(`msgc build --out - (${rows.toLocaleString("en")} rows, ${availableParallelism()} cores, 3 runs each, alternating)`);
  console.log(`  plain:          median ${median(times.plain).toFixed(2)} s = ${rate(median(times.plain))} rows/s`);
  console.log(`  0.1% quoted:    median ${median(times.quoted).toFixed(2)} s = ${rate(median(times.quoted))} rows/s`);
  console.log(`  quoted / plain: ${((median(times.plain) / median(times.quoted)) * 100).toFixed(0)}% of the throughput   (target >= 90%)`);
} finally {
  rmSync(plain, { recursive: true, force: true });
  rmSync(quoted, { recursive: true, force: true });
}
