/**
 * Fuzz run of hostile spec trees through the real binary: symlinks out of the project and to
 * special files, FIFOs, link loops, deep templates and YAML, control characters, huge and sparse
 * files, outside folders in the config. Each tree is a working project with a few hostile
 * elements mixed in (chosen by a seeded generator; MSGC_FUZZ_SEED=N replays a run), and every
 * run of validate, build or send --dry-run on it must end in diagnostics: exit 1 (or 64), no
 * stack trace, no "internal error", no raw control character, no secret, within a time bound
 * (a hang) and a heap bound (unbounded memory ends the process, which fails the case).
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, ftruncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc, STACK_TRACE } from "./helpers.js";
import { createRandom } from "../../src/sandbox/prng.js";
import { startCli } from "../send/cli-helpers.js";
import type { RunResult } from "../send/cli-helpers.js";

beforeAll(ensureBuilt, 120_000);

/** Far beyond what any case takes; only a hang gets near it. */
const TIME_BOUND_MS = 30_000;
/** The heap a run may use: a file read whole from /dev/zero would need far more. */
const HEAP_MB = 192;
const SECRET = "sk_live_fuzz_0a1b2c3d4e5f6a7b";
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const MESSAGE = 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n';
const CAMPAIGN = "kind: Campaign\nname: c\nmessage: hi\naudience:\n  file: a.csv\n";

const outside = mkdtempSync(join(tmpdir(), "msgc-fuzz-outside-"));
writeFileSync(join(outside, "secret.yaml"), `${SECRET}\n`);
execFileSync("mkfifo", [join(outside, "pipe")]);

type Element = { name: string; make: (dir: string, n: number) => void };

const write = (dir: string, path: string, content: string | Buffer): void => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
};
const link = (dir: string, path: string, target: string): void => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  symlinkSync(target, join(dir, path));
};
const message = (name: string, text: string): string => `kind: Message\nname: ${name}\nwindow: session\nsession:\n  text: ${JSON.stringify(text)}\n`;

/** Every hostile element; `n` keeps names apart when one is used twice. */
const ELEMENTS: Element[] = [
  { name: "link to /dev/zero", make: (d, n) => link(d, `specs/zero${n}.yaml`, "/dev/zero") },
  { name: "link to /proc/self/environ", make: (d, n) => link(d, `specs/environ${n}.yaml`, "/proc/self/environ") },
  { name: "link to a secret outside", make: (d, n) => link(d, `specs/creds${n}.yaml`, join(outside, "secret.yaml")) },
  { name: "link to a FIFO outside", make: (d, n) => link(d, `specs/pipe${n}.yaml`, join(outside, "pipe")) },
  { name: "FIFO inside", make: (d, n) => (mkdirSync(join(d, "specs"), { recursive: true }), execFileSync("mkfifo", [join(d, "specs", `fifo${n}.yaml`)])) },
  { name: "link to /", make: (d, n) => link(d, `specs/all${n}.yaml`, "/") },
  { name: "link loop", make: (d, n) => link(d, `specs/loop${n}.yaml`, `loop${n}.yaml`) },
  { name: "dangling link", make: (d, n) => link(d, `specs/gone${n}.yaml`, join(outside, "nothing-here")) },
  { name: "deep sub-expressions", make: (d, n) => write(d, `specs/deep${n}.yaml`, message(`deep${n}`, `{{upper ${"(upper ".repeat(1500)}1${")".repeat(1500)}}}`)) },
  { name: "deep blocks", make: (d, n) => write(d, `specs/blocks${n}.yaml`, message(`blocks${n}`, `${"{{#if 1}}".repeat(3000)}x${"{{/if}}".repeat(3000)}`)) },
  { name: "deep YAML", make: (d, n) => write(d, `specs/yaml${n}.yaml`, `kind: Message\nname: y${n}\ncallbackData: ${"[".repeat(5000)}\n`) },
  {
    name: "control characters",
    make: (d, n) =>
      write(d, `specs/ctl${n}.yaml`, `kind: Message\nname: ctl${n}\nwindow: session\nsession:\n  text: "{{nope}} \u001b]0;t\u0007\u001b[2J\u009b"\n  "\\e]52;c;ZXZpbA==\\a": 1\n`),
  },
  { name: "control characters in a file name", make: (d, n) => write(d, `specs/\u001b]0;x${n}\u0007.yaml`, "kind: Message\n") },
  { name: "huge file", make: (d, n) => write(d, `specs/huge${n}.yaml`, `kind: Message\nname: h${n}\n# ${"x".repeat(2 * 1024 * 1024)}\n`) },
  {
    name: "sparse 1 GiB file",
    make: (d, n) => {
      mkdirSync(join(d, "specs"), { recursive: true });
      const fd = openSync(join(d, "specs", `sparse${n}.yaml`), "w");
      ftruncateSync(fd, 1024 * 1024 * 1024);
      closeSync(fd);
    },
  },
  { name: "binary junk", make: (d, n) => write(d, `specs/junk${n}.yaml`, Buffer.from([0xff, 0xfe, 0, 1, 0x1b, 0x5b, 0x32, 0x4a, 0xc3, 0x28, 0x0a])) },
  { name: "audience linked to /dev/zero", make: (d, n) => (link(d, `specs/z${n}.csv`, "/dev/zero"), write(d, `specs/cz${n}.yaml`, CAMPAIGN.replace("name: c", `name: cz${n}`).replace("a.csv", `z${n}.csv`))) },
  { name: "audience FIFO", make: (d, n) => (execFileSync("mkfifo", [join(d, "specs", `f${n}.csv`)]), write(d, `specs/cf${n}.yaml`, CAMPAIGN.replace("name: c", `name: cf${n}`).replace("a.csv", `f${n}.csv`))) },
  { name: "specs: /", make: (d) => write(d, "msgc.config.yaml", "specs: /\n") },
  { name: "out: outside", make: (d) => write(d, "msgc.config.yaml", "specs: specs\nout: ../../..\n") },
  { name: "config linked to a secret", make: (d) => (rmSync(join(d, "msgc.config.yaml"), { force: true }), link(d, "msgc.config.yaml", join(outside, "secret.yaml"))) },
];

const COMMANDS = [["validate"], ["build"], ["send", "c", "--dry-run", "--business-id", "b"]];

interface Case {
  elements: string[];
  args: string[];
  dir: string;
}

/** A config element hides the spec tree (nothing is walked): each goes into a tree of its own. */
const CONFIG_ELEMENTS = new Set(["specs: /", "out: outside", "config linked to a secret"]);

/**
 * Every tree element at least once (in a shuffled order, four to a tree), then one random tree
 * per config element, with that element in it.
 */
function makeCases(seed: number): Case[] {
  const random = createRandom(seed);
  const inTree = ELEMENTS.filter((e) => !CONFIG_ELEMENTS.has(e.name));
  const order = [...inTree].sort(() => random() - 0.5);
  const groups: Element[][] = [];
  for (let i = 0; i < order.length; i += 4) groups.push(order.slice(i, i + 4));
  for (const config of ELEMENTS.filter((e) => CONFIG_ELEMENTS.has(e.name))) {
    groups.push([...Array.from({ length: 1 + Math.floor(random() * 3) }, () => inTree[Math.floor(random() * inTree.length)]!), config]);
  }
  return groups.map((group, i) => {
    const dir = makeProject({ "msgc.config.yaml": "specs: specs\n", "specs/hi.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN, "specs/a.csv": "phone\n+16045852331\n" });
    group.forEach((element, n) => element.make(dir, n));
    return { elements: group.map((e) => e.name), args: COMMANDS[i % COMMANDS.length]!, dir };
  });
}

function runBounded(args: string[], cwd: string): Promise<RunResult & { timedOut: boolean }> {
  const running = startCli(args, { cwd, env: { CONNECTLY_API_KEY: SECRET, NO_COLOR: "1", NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`, MSGC_THREADS: "0" } });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    running.kill("SIGKILL");
  }, TIME_BOUND_MS);
  return running.result.then((r) => {
    clearTimeout(timer);
    return { ...r, timedOut };
  });
}

describe("hostile spec trees end in diagnostics", () => {
  const seed = Number(process.env["MSGC_FUZZ_SEED"] ?? 20261201);
  const cases = makeCases(seed);
  afterAll(() => {
    for (const dir of [outside, ...cases.map((c) => c.dir)]) rmSync(dir, { recursive: true, force: true });
  });

  it(`every tree, every command (seed ${seed})`, async () => {
    const results: Array<{ c: Case; r: RunResult & { timedOut: boolean } }> = [];
    // Two at a time: the machine running the suite may have two cores.
    for (let i = 0; i < cases.length; i += 2) {
      const pair = cases.slice(i, i + 2);
      results.push(...(await Promise.all(pair.map(async (c) => ({ c, r: await runBounded(c.args, c.dir) })))));
    }
    for (const { c, r } of results) {
      const what = `${c.args[0]} on a tree with ${c.elements.join(", ")} (seed ${seed})`;
      const output = r.stdout + r.stderr;
      expect(r.timedOut, what).toBe(false);
      // A send needs only its campaign and message valid: the hostile files are warnings there,
      // and its dry run goes on (exit 0) after saying so.
      const allowed = c.args[0] === "send" ? [0, 1, 64] : [1, 64];
      expect(allowed, `${what}: exit ${r.code} ${r.signal ?? ""}\n${output.slice(0, 2000)}`).toContain(r.code);
      if (r.code === 0) expect(output, what).toMatch(/ warning /);
      expect(output, what).not.toMatch(STACK_TRACE);
      expect(output, what).not.toContain("internal error");
      expect(output, what).not.toContain(SECRET);
      expect(output, what).not.toMatch(RAW_CONTROL);
      expect(output.length, what).toBeLessThan(1024 * 1024);
      if (r.code === 1) expect(output, what).toMatch(/ error /);
    }
  }, 240_000);

  it("the issue's template of 1,500 levels: one diagnostic at its line and column", () => {
    const dir = makeProject({ "specs/deep.yaml": message("deep", `Hi {{upper ${"(upper ".repeat(1500)}1${")".repeat(1500)}}}`) });
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics).toEqual([
      {
        file: "specs/deep.yaml",
        line: 5,
        column: 13,
        severity: "error",
        code: "template-syntax",
        message:
          "The template nests more than 32 levels deep ({{#if}} and {{#unless}} blocks, {{else if}} chains and (sub-expressions) together); write it flatter",
      },
    ]);
  });
});
