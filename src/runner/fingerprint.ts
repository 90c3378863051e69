/**
 * A campaign's identity for `--resume`, from its inputs: what the plan is compiled from (the
 * campaign and message specs as parsed, the audience file's bytes, the config's window default)
 * and the msgc that compiles it. Hashing the inputs takes a read of the audience file (well under
 * a second for a million rows), where hashing the compiled plan takes a whole compile pass
 * before the first request: a send can start at once and still refuse to resume a campaign that
 * changed. It is stricter than the plan's hash (a sample edited in the message, or another msgc
 * version, counts as a change: `--force` resumes anyway), never looser.
 */
import { createHash } from "node:crypto";
import { constants, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { confinement, realPathOf } from "../project/confine.js";
import type { Project } from "../project/project.js";

let msgcVersion: string | undefined;

/** The version of the msgc whose compiler made the plan (package.json, beside dist/). */
function compilerVersion(): string {
  if (msgcVersion === undefined) {
    try {
      msgcVersion = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      msgcVersion = "unknown";
    }
  }
  return msgcVersion;
}

/** JSON with object keys sorted, so that the same data hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * `inputs:sha256:…` for the campaign `name`, or undefined when it is not a campaign of the
 * project (or its message is missing: it cannot be sent anyway). An audience that cannot be read
 * hashes as such: the send reports why.
 */
export async function campaignFingerprint(project: Project, name: string): Promise<string | undefined> {
  const campaign = project.campaigns.get(name);
  const message = campaign ? project.messages.get(campaign.data.message) : undefined;
  if (!campaign || !message) return undefined;
  const hash = createHash("sha256");
  hash.update(
    canonicalJson({
      msgc: compilerVersion(),
      window: project.config.window,
      campaign: { file: campaign.file, data: campaign.data },
      message: { file: message.file, data: message.data },
    }),
  );
  hash.update("\n");
  const audience = resolve(dirname(campaign.absPath), campaign.data.audience.file);
  hash.update(await audienceBytesHash(project.config.root, audience));
  return `inputs:sha256:${hash.digest("hex")}`;
}

/**
 * The audience's bytes hashed, read as the audience reader would read them: only a regular file
 * inside the project (a FIFO would hang, a device never ends); otherwise what stops the send.
 */
async function audienceBytesHash(root: string, audience: string): Promise<string> {
  const where = await confinement(root, await realPathOf(root), audience);
  if (where !== undefined) return where;
  const hash = createHash("sha256");
  let handle;
  try {
    handle = await open(audience, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? "error"}`;
  }
  try {
    if (!(await handle.stat()).isFile()) return "not-a-file";
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest("hex");
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? "error"}`;
  } finally {
    await handle.close();
  }
}
