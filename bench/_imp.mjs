const t0 = performance.now();
await import("../dist/cli/commands/validate.js");
const t1 = performance.now();
console.log("import validate bundle", (t1 - t0).toFixed(0), "ms; process up", performance.now().toFixed(0));
