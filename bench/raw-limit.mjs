#!/usr/bin/env node
// The raw limit: the least a CSV → NDJSON compiler must do, by hand, on one thread. Each row of
// the CSV file becomes one JSON object of its cells (by header name) on stdout; no validation, no
// phone numbers, no templates. msgc's compile figures are printed beside this script's, run on the
// same file in the same bench run, so that the ratio is visible.
//   node bench/raw-limit.mjs audience.csv > /dev/null
import { createReadStream } from "node:fs";
import { once } from "node:events";

const path = process.argv[2];
if (!path) {
  console.error("usage: node bench/raw-limit.mjs file.csv");
  process.exit(64);
}

/** A line's cells; a quoted cell may hold commas and doubled quotes (not line breaks: minimal). */
function cellsOf(line) {
  if (!line.includes('"')) return line.split(",");
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c !== '"') cell += c;
      else if (line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

let header;
let out = "";
/** Adds the line's JSON object to `out` (the first line is the header). */
function addLine(line) {
  if (line === "") return;
  const cells = cellsOf(line);
  if (!header) {
    header = cells;
    return;
  }
  const row = {};
  for (let i = 0; i < header.length; i++) row[header[i]] = cells[i] ?? "";
  out += JSON.stringify(row) + "\n";
}

let carry = "";
for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 16 })) {
  const lines = (carry + chunk).split("\n");
  carry = lines.pop();
  for (const line of lines) addLine(line);
  if (out.length > 1 << 16) {
    if (!process.stdout.write(out)) await once(process.stdout, "drain");
    out = "";
  }
}
addLine(carry);
process.stdout.write(out);
