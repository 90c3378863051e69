/**
 * `msgc build` and `msgc validate` as library functions. Both compile every spec and sample and
 * stream every campaign's audience; build also writes the plan:
 *
 *   <out>/messages/<name>.json      the message's sample plan items (a JSON array, 2-space indent)
 *   <out>/campaigns/<name>.ndjson   one plan item per line, in audience order
 *   <out>/manifest.json             what was written: specs, counts and the sha256 of each file
 *
 * or, to a stream, every plan item as one NDJSON line in spec-path order. Output is byte-for-byte
 * deterministic: no timestamps, fixed key order, files written whole and renamed into place.
 *
 * Policy: when loading or compiling finds an error, nothing is written (audiences are still
 * checked, so every problem is reported at once). Bad audience rows are reported and left out
 * while the good rows are written; the result is then not ok (exit 1).
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import type { Diagnostic } from "../diagnostics.js";
import { hasErrors, isError } from "../diagnostics.js";
import type { PlanItem } from "../compiler/plan.js";
import type { Project } from "../project/project.js";
import { InputError } from "../errors.js";
import { firstEvent } from "./audience.js";
import { compileProject, newCampaignStats, planCampaign, planCampaignNdjson } from "./plan.js";
import type { CampaignStats, CompiledProject } from "./plan.js";
import { addSmsTotals, newSmsTotals, type SmsTotals } from "./sms-totals.js";

export interface BuildOptions {
  /** Write files into this (absolute) directory. */
  outDir?: string;
  /** Or write every plan item as NDJSON to this stream. Neither: only check (validate). */
  stream?: NodeJS.WritableStream;
}

export interface MessageEntry {
  name: string;
  spec: string;
  file: string;
  items: number;
  sha256: string;
}

export interface CampaignEntry {
  name: string;
  spec: string;
  file: string;
  rows: number;
  items: number;
  invalidRows: number;
  duplicates: number;
  /** False when the audience could not be read to its end. */
  complete: boolean;
  sha256: string;
  /** Recipients by channel, segments and UCS-2 rows: only when the message has an sms form. */
  sms?: SmsTotals;
}

export interface BuildManifest {
  messages: MessageEntry[];
  campaigns: CampaignEntry[];
}

export interface BuildSummary {
  specs: number;
  messages: number;
  samples: number;
  campaigns: number;
  recipients: number;
  errors: number;
  warnings: number;
  /** Summed over the campaigns whose message has an sms form; absent when none has. */
  sms?: SmsTotals;
}

export interface BuildResult {
  /** No error diagnostics. */
  ok: boolean;
  /** Whether plan output was written (refused when loading or compiling found errors). */
  written: boolean;
  /** Load, compile, then audience diagnostics, in that order. */
  diagnostics: Diagnostic[];
  summary: BuildSummary;
  /** When written to a directory. */
  manifest?: BuildManifest;
}

export const MANIFEST_FILE = "manifest.json";

/**
 * Buffers text and writes it in large pieces, waiting for 'drain' when the stream is full, so
 * that streaming a million plan items keeps memory flat and the syscall count low.
 */
export class BufferedWriter {
  private buffer = "";
  constructor(
    private readonly stream: NodeJS.WritableStream,
    /** Sees every piece written, in order (to hash the output as it goes). */
    private readonly onChunk?: (chunk: string | Uint8Array) => void,
    private readonly flushAt = 64 * 1024,
  ) {}

  /** Text, buffered. Await only when it returns a promise: the stream asked to wait. */
  write(chunk: string): Promise<void> | undefined {
    this.buffer += chunk;
    if (this.buffer.length < this.flushAt) return undefined;
    return this.flush();
  }

  /**
   * Writes a chunk that is only lent: resolves once the stream is done with it (its write
   * callback), after which the lender may write over it.
   */
  async writeLent(chunk: Uint8Array): Promise<void> {
    const waitForText = this.flush();
    if (waitForText) await waitForText;
    if (chunk.length === 0) return;
    this.onChunk?.(chunk);
    // A failed write is reported by the stream's "error" event, which the owner listens to.
    await new Promise<void>((resolve) => this.stream.write(chunk, () => resolve()));
  }

  flush(): Promise<void> | undefined {
    if (this.buffer === "") return undefined;
    const text = this.buffer;
    this.buffer = "";
    return this.send(text);
  }

  private send(chunk: string): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    this.onChunk?.(chunk);
    if (this.stream.write(chunk)) return undefined;
    return firstEvent(this.stream, ["drain", "close", "error"]);
  }
}


function summarize(project: Project, compiled: CompiledProject, diagnostics: Diagnostic[], recipients: number, sms: SmsTotals | undefined): BuildSummary {
  let samples = 0;
  for (const items of compiled.samples.values()) samples += items.length;
  const errors = diagnostics.filter(isError).length;
  return {
    specs: project.specs.length,
    messages: compiled.messages.size,
    samples,
    campaigns: compiled.campaigns.size,
    recipients,
    errors,
    warnings: diagnostics.length - errors,
    ...(sms ? { sms } : {}),
  };
}

/** Everything `msgc validate` checks: every spec, sample and audience row. Writes nothing. */
export async function validateProject(project: Project): Promise<BuildResult> {
  return build(project, {});
}

export async function build(project: Project, opts: BuildOptions): Promise<BuildResult> {
  const compiled = compileProject(project);
  const diagnostics = [...project.diagnostics, ...compiled.diagnostics];
  const write = !hasErrors(diagnostics) && (opts.outDir !== undefined || opts.stream !== undefined);
  const output = write ? (opts.outDir !== undefined ? new DirectoryOutput(opts.outDir) : new StreamOutput(opts.stream!)) : new NoOutput();
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
  };

  let recipients = 0;
  let sms: SmsTotals | undefined;
  for (const spec of project.specs) {
    if (spec.kind === "Message") {
      const items = compiled.samples.get(spec.name);
      if (items && compiled.messages.has(spec.name)) await output.message(spec.name, spec.file, items);
      continue;
    }
    if (!compiled.campaigns.has(spec.name)) continue;
    const stats = newCampaignStats();
    if (output instanceof NoOutput) {
      // Nothing to write: skip serializing, the checks are the same.
      for await (const _ of planCampaign(project, spec.name, { onDiagnostic: report, stats })) void _;
    } else {
      // Both outputs are done with each chunk before they ask for the next (writeLent).
      const lines = planCampaignNdjson(project, spec.name, { onDiagnostic: report, stats, parallel: { lendChunks: true } });
      await output.campaign(spec.name, spec.file, lines, stats);
    }
    recipients += stats.items;
    if (stats.sms) addSmsTotals((sms ??= newSmsTotals()), stats.sms);
  }
  const manifest = await output.finish();
  return {
    ok: !hasErrors(diagnostics),
    written: write,
    diagnostics,
    summary: summarize(project, compiled, diagnostics, recipients, sms),
    ...(manifest ? { manifest } : {}),
  };
}

interface PlanOutput {
  message(name: string, spec: string, items: PlanItem[]): Promise<void>;
  /** `lines`: NDJSON text, one plan item per line. */
  campaign(name: string, spec: string, lines: AsyncIterable<Uint8Array>, stats: CampaignStats): Promise<void>;
  finish(): Promise<BuildManifest | undefined>;
}

/** validate, or a build refused: audiences are still read to the end for their diagnostics. */
class NoOutput implements PlanOutput {
  async message(): Promise<void> {}
  async campaign(): Promise<void> {}
  async finish(): Promise<undefined> {
    return undefined;
  }
}

class StreamOutput implements PlanOutput {
  private readonly writer: BufferedWriter;
  constructor(stream: NodeJS.WritableStream) {
    this.writer = new BufferedWriter(stream);
  }
  async message(_name: string, _spec: string, items: PlanItem[]): Promise<void> {
    for (const item of items) await this.writer.write(`${JSON.stringify(item)}\n`);
  }
  async campaign(_name: string, _spec: string, lines: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of lines) await this.writer.writeLent(chunk);
  }
  async finish(): Promise<undefined> {
    await this.writer.flush();
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function cannotWrite(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  return new InputError(`Cannot write ${path} (${code})`);
}

class DirectoryOutput implements PlanOutput {
  private readonly manifest: BuildManifest = { messages: [], campaigns: [] };
  constructor(private readonly outDir: string) {}

  private async prepare(folder: string): Promise<void> {
    const dir = join(this.outDir, folder);
    try {
      await makeDirectory(dir);
    } catch (e) {
      throw cannotWrite(dir, e);
    }
  }

  async message(name: string, spec: string, items: PlanItem[]): Promise<void> {
    await this.prepare("messages");
    const file = `messages/${name}.json`;
    const text = `${JSON.stringify(items, null, 2)}\n`;
    await writeWhole(join(this.outDir, file), text);
    this.manifest.messages.push({ name, spec, file, items: items.length, sha256: sha256(text) });
  }

  async campaign(name: string, spec: string, lines: AsyncIterable<Uint8Array>, stats: CampaignStats): Promise<void> {
    await this.prepare("campaigns");
    const file = `campaigns/${name}.ndjson`;
    const target = join(this.outDir, file);
    const temporary = `${target}.${process.pid}.tmp`;
    const hash = createHash("sha256");
    const stream = createWriteStream(temporary);
    let failure: unknown;
    stream.on("error", (e) => {
      failure ??= e;
    });
    const writer = new BufferedWriter(stream, (chunk) => hash.update(chunk));
    try {
      for await (const chunk of lines) {
        await writer.writeLent(chunk);
        if (failure) break;
      }
      await writer.flush();
      stream.end();
      await finished(stream);
    } catch (e) {
      failure ??= e;
    }
    if (failure) {
      stream.destroy();
      await rm(temporary, { force: true });
      throw cannotWrite(target, failure);
    }
    await rename(temporary, target);
    this.manifest.campaigns.push({
      name,
      spec,
      file,
      rows: stats.rows,
      items: stats.items,
      invalidRows: stats.invalidRows,
      duplicates: stats.duplicates,
      complete: !stats.aborted,
      sha256: hash.digest("hex"),
      ...(stats.sms ? { sms: stats.sms } : {}),
    });
  }

  async finish(): Promise<BuildManifest> {
    await makeDirectory(this.outDir).catch((e: unknown) => {
      throw cannotWrite(this.outDir, e);
    });
    await this.removeStale();
    await writeWhole(join(this.outDir, MANIFEST_FILE), `${JSON.stringify(this.manifest, null, 2)}\n`);
    return this.manifest;
  }

  /**
   * Files that the previous build listed and this one did not produce (a spec was deleted or
   * renamed). Only those are removed: the out folder may hold other things (the send journal).
   */
  private async removeStale(): Promise<void> {
    let previous: Partial<BuildManifest>;
    try {
      previous = JSON.parse(await readFile(join(this.outDir, MANIFEST_FILE), "utf8")) as Partial<BuildManifest>;
    } catch {
      return;
    }
    const current = new Set([...this.manifest.messages, ...this.manifest.campaigns].map((e) => e.file));
    const listed = [...(Array.isArray(previous.messages) ? previous.messages : []), ...(Array.isArray(previous.campaigns) ? previous.campaigns : [])];
    for (const entry of listed) {
      const file = (entry as { file?: unknown } | null)?.file;
      if (typeof file !== "string" || current.has(file)) continue;
      if (!/^(messages\/[a-z0-9][a-z0-9_-]*\.json|campaigns\/[a-z0-9][a-z0-9_-]*\.ndjson)$/.test(file)) continue;
      await rm(join(this.outDir, file), { force: true });
    }
  }
}

/**
 * mkdir -p. Node's `recursive: true` spins forever where creating a folder fails with ENOENT
 * although its parent exists (under /proc, for one); this gives up with that error instead.
 */
async function makeDirectory(dir: string): Promise<void> {
  const create = async (): Promise<boolean> => {
    try {
      await mkdir(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && (await stat(dir)).isDirectory()) return true;
      if (code === "ENOENT") return false;
      throw e;
    }
  };
  if (await create()) return;
  const parent = dirname(dir);
  if (parent !== dir) await makeDirectory(parent);
  if (!(await create())) await mkdir(dir); // fails again, now with the real reason
}

async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true }).catch(() => {});
    throw cannotWrite(path, e);
  }
}
