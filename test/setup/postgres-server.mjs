// A throwaway PostgreSQL server from the machine's own binaries, on 127.0.0.1 and a free port,
// in a temporary folder: for the store's tests (through test/setup/postgres.ts) and its bench.
// Plain JavaScript so that bench/*.mjs can use it as it is.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { randomBytes } from "node:crypto";

/** The folder holding initdb and pg_ctl: PATH first, then Debian's /usr/lib/postgresql/<version>/bin (newest). */
export function findPostgresBin(path = process.env.PATH ?? "", debianRoot = "/usr/lib/postgresql") {
  const onPath = path.split(delimiter).filter((dir) => dir !== "");
  let versions = [];
  try {
    versions = readdirSync(debianRoot).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // No Debian packages.
  }
  const candidates = [...onPath, ...versions.map((v) => join(debianRoot, v, "bin"))];
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/** initdb refuses to run as root: then the server runs as the `postgres` user (Debian's package makes it). */
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (line === undefined) throw new Error("running as root and there is no postgres user for initdb to run as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(bin, args, options) {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 120_000, ...options });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout || "").trim().slice(-2000)}`);
  return r;
}

/**
 * Stops the server once `ownerPid` is gone, in case whoever started it is killed before it can
 * stop it (a test run interrupted, a bench killed): a detached process that checks every second,
 * and ends by itself once the server's folder has been removed the ordinary way.
 */
function watchOwner(server, ownerPid) {
  const script = `
    const { spawnSync } = require("node:child_process");
    const { existsSync, rmSync } = require("node:fs");
    const [ownerPid, pgCtl, data, folder, uid, gid] = process.argv.slice(1);
    const alive = (pid) => { try { process.kill(Number(pid), 0); return true; } catch (e) { return e.code === "EPERM"; } };
    const timer = setInterval(() => {
      if (!existsSync(folder)) process.exit(0);
      if (alive(ownerPid)) return;
      clearInterval(timer);
      const user = uid === "" ? {} : { uid: Number(uid), gid: Number(gid) };
      spawnSync(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"], { cwd: folder, stdio: "ignore", ...user });
      rmSync(folder, { recursive: true, force: true });
    }, 1000);`;
  const args = [ownerPid, join(server.bin, "pg_ctl"), join(server.folder, "data"), server.folder, server.user.uid ?? "", server.user.gid ?? ""].map(String);
  spawn(process.execPath, ["-e", script, ...args], { detached: true, stdio: "ignore" }).unref();
}

/**
 * Starts a server. `durable: false` (tests) turns fsync off: nothing here survives the run
 * anyway. Returns `{ url, password, folder, bin, port }`; the URL names the `postgres`
 * database as the `msgc` superuser with its password. Stop it with `stopPostgres(server)`; it is
 * also stopped once the process `ownerPid` (default: this one) is gone.
 */
export async function startPostgres({ bin = findPostgresBin(), durable = false, ownerPid = process.pid } = {}) {
  if (bin === undefined) throw new Error("no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin");
  const user = serverUser();
  const folder = mkdtempSync(join(tmpdir(), "msgc-postgres-"));
  try {
    if (user.uid !== undefined) chownSync(folder, user.uid, user.gid);
    const data = join(folder, "data");
    const password = `msgc-test-${randomBytes(8).toString("hex")}`;
    const pwfile = join(folder, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (user.uid !== undefined) chownSync(pwfile, user.uid, user.gid);
    const options = { cwd: folder, ...user, env: { PATH: process.env.PATH, LANG: "C", LC_ALL: "C" } };
    run(join(bin, "initdb"), ["-D", data, "-U", "msgc", `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], options);
    const port = await freePort();
    const settings = [`-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${folder}`, "-c max_connections=200"];
    if (!durable) settings.push("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off");
    run(join(bin, "pg_ctl"), ["-D", data, "-l", join(folder, "server.log"), "-o", settings.join(" "), "-w", "-t", "60", "start"], options);
    const server = { url: `postgres://msgc:${password}@127.0.0.1:${port}/postgres`, password, folder, bin, port, user };
    watchOwner(server, ownerPid);
    return server;
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

export function stopPostgres(server) {
  const options = { cwd: server.folder, ...server.user, env: { PATH: process.env.PATH } };
  try {
    run(join(server.bin, "pg_ctl"), ["-D", join(server.folder, "data"), "-m", "immediate", "-w", "stop"], options);
  } finally {
    rmSync(server.folder, { recursive: true, force: true });
  }
}
