#!/usr/bin/env node
// The spec layer's figures: loading the example project (cold: module import and schema
// compilation included; warm), and the time the loader takes on the worst inputs it accepts
// or refuses at its caps. Prints figures, asserts nothing. Needs `npm run build`.
import { performance } from "node:perf_hooks";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ms = (t) => `${t.toFixed(1)} ms`;

let started = performance.now();
const { loadProject } = await import("../dist/spec/project.js");
const { loadSpecSource } = await import("../dist/spec/load.js");
console.log(`import spec layer            ${ms(performance.now() - started)}`);

const { checkSchema } = await import("../dist/spec/schema-check.js");
started = performance.now();
checkSchema("message", {});
checkSchema("campaign", {});
console.log(`compile both spec schemas    ${ms(performance.now() - started)} (Ajv, once per process)`);

started = performance.now();
const project = await loadProject({ cwd: root });
console.log(`loadProject, cold            ${ms(performance.now() - started)} (${project.specs.length} specs, ${project.diagnostics.length} diagnostics)`);
const runs = 20;
started = performance.now();
for (let i = 0; i < runs; i++) await loadProject({ cwd: root });
console.log(`loadProject, warm            ${ms((performance.now() - started) / runs)} per load`);

function worst(label, source) {
  const t = performance.now();
  const { spec, diagnostics } = loadSpecSource(source, "bench.yaml", "/bench.yaml");
  const outcome = spec ? "loaded" : diagnostics.map((d) => d.code).join(",");
  console.log(`${label.padEnd(28)} ${ms(performance.now() - t)} (${(source.length / 1024).toFixed(0)} KiB, ${outcome})`);
}
const head = "kind: Message\nname: x\n";
worst("10,000-item flow list", `${head}session: { text: Hi, callbackData: [${"1,".repeat(9_990)}1] }\n`);
worst("1 MB description line", `${head}description: ${"x".repeat(1_000_000)}\nsession: { text: Hi }\n`);
let laughs = `${head}l0: &l0 [${Array(10).fill('"lol"').join(",")}]\n`;
for (let i = 1; i < 10; i++) laughs += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(",")}]\n`;
worst("billion laughs", laughs);
worst("1 MiB of '['", "[".repeat(1_000_000));
worst("500,000 nested '- '", "- ".repeat(500_000));
worst("100,000 aliases", `a: &a [1]\nb: [${"*a,".repeat(100_000)}]\n`);
