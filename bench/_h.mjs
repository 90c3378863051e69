import { cli, runMeasured } from "./harness.mjs";
for (let i = 0; i < 5; i++) {
  const r = await runMeasured([cli, "validate"], { cwd: "/tmp/vbench" });
  console.log(r.code, (r.seconds*1000).toFixed(0), "ms wall", (r.cpuSeconds*1000).toFixed(0), "cpu", (r.mainCpuSeconds*1000).toFixed(0), "main");
}
