// What the benches that time the built CLI share: where it is (refusing to run without a build),
// and a child run measured from outside (wall time) and from inside (its own peak RSS and CPU
// time, reported on exit: no dependency on /usr/bin/time). Figures only, never assertions.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const cli = join(root, "dist", "cli", "main.js");
if (!existsSync(cli)) {
  console.log("dist/cli/main.js is missing: run `npm run build` first");
  process.exit(1);
}

// The main thread's own CPU time too (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms;
// -1 elsewhere): on an idle machine a short run's wall time is about that, while the process's
// CPU time adds what V8's compiler and GC threads do beside it.
const REPORT_USAGE =
  'data:text/javascript,import{readFileSync as r}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();let m=-1;try{const f=r("/proc/self/task/"+process.pid+"/stat","utf8").split(") ")[1].split(" ");m=(+f[11]+ +f[12])*1e4}catch{}process.stderr.write("\\nmsgc-bench-usage "+u.maxRSS+" "+(u.userCPUTime+u.systemCPUTime)+" "+m+"\\n")})';

/**
 * Runs `node ARGS` (a script and its arguments) with stdout to /dev/null: its exit code, wall
 * seconds, peak RSS (MB), CPU seconds (all threads, and the main thread's alone), and the first
 * MiB of its stderr.
 */
export function runMeasured(args, { cwd, env = process.env } = {}) {
  return new Promise((resolve) => {
    const devNull = openSync("/dev/null", "w");
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--import", REPORT_USAGE, ...args], { cwd, env, stdio: ["ignore", devNull, "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      if (stderr.length < 1 << 20) stderr += d;
    });
    child.on("close", (code) => {
      closeSync(devNull);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const usage = /msgc-bench-usage (\d+) (\d+) (-?\d+)/.exec(stderr);
      const main = usage ? Number(usage[3]) : -1;
      resolve({ code, seconds, maxRssMb: usage ? Number(usage[1]) / 1024 : NaN, cpuSeconds: usage ? Number(usage[2]) / 1e6 : NaN, mainCpuSeconds: main >= 0 ? main / 1e6 : NaN, stderr });
    });
  });
}
