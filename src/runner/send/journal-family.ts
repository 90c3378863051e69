/**
 * A campaign's journals, whatever the shard layout of the runs that wrote them. A run sends only
 * after looking at every journal of its campaign: a journal of its own layout is resumed as
 * before; a journal of another layout (after `--shard 1/3..3/3`, a run unsharded or with
 * `--shard 1/2`) holds the same keys, so it is locked and replayed too, and without `--resume`
 * the run is refused as for its own journal. Other shards of the same layout hold other keys and
 * may be running at the same moment (CI matrix jobs): they are left alone.
 */
import { closeSync, readdirSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError, UsageError } from "../../errors.js";
import { tryLock } from "./journal-lock.js";
import type { ReleaseLock } from "./journal-lock.js";
import { damaged, JournalState, MAX_JOURNAL_LINE, tooLong } from "./journal-replay.js";
import { openJournalFile, parseJournalEntry } from "./journal.js";
import type { HeaderEntry } from "./journal.js";
import type { Shard } from "./policy.js";

const SHARD_SUFFIX = /\.shard-(\d+)-of-(\d+)$/;

/** One journal of the family: its path and the layout its name says it was written for. */
export interface FamilyJournal {
  path: string;
  /** "I/N", or null when unsharded. */
  shard: string | null;
}

/**
 * The journals that belong with `journalPath`: the same name in the same folder, with any shard
 * suffix (`spring.ndjson`, `spring.shard-2-of-3.ndjson`), itself excepted, whether it exists or not;
 * a journal not written yet is known by its lock file.
 */
export function journalFamily(journalPath: string): FamilyJournal[] {
  const folder = dirname(journalPath);
  const own = basename(journalPath);
  if (!own.endsWith(".ndjson")) return [];
  const stem = own.slice(0, -".ndjson".length).replace(SHARD_SUFFIX, "");
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const family: FamilyJournal[] = [];
  // A run holds its lock before it writes its journal (it first scans the plan and asks for
  // confirmation): a lock file alone names a journal, or a run of another layout started at the
  // same moment would find nothing to lock and send the same recipients again.
  const journals = new Set(names.map((name) => (name.endsWith(".ndjson.lock") ? name.slice(0, -".lock".length) : name)));
  for (const name of journals) {
    if (name === own || !name.endsWith(".ndjson") || !name.startsWith(stem)) continue;
    const rest = name.slice(stem.length, -".ndjson".length);
    if (rest === "") {
      family.push({ path: join(folder, name), shard: null });
      continue;
    }
    const match = SHARD_SUFFIX.exec(rest);
    if (match && match.index === 0) family.push({ path: join(folder, name), shard: `${Number(match[1])}/${Number(match[2])}` });
  }
  return family.sort((a, b) => a.path.localeCompare(b.path));
}

function layoutOf(shard: string | null): string {
  return shard === null ? "unsharded" : `of ${shard.split("/")[1]}`;
}

function describeLayout(journals: readonly FamilyJournal[]): string {
  const shards = journals.map((j) => (j.shard === null ? "unsharded" : `--shard ${j.shard}`));
  return shards.join(", ");
}

export interface OpenedJournals {
  /** What the replayed journals say; empty unless resuming. */
  state: JournalState;
  /** The first header of the run's own journal, when it holds one (the campaign was started). */
  ownHeader: HeaderEntry | undefined;
  /** Releases every lock taken. */
  release: ReleaseLock;
}

export interface OpenJournalsOptions {
  journalPath: string;
  shard: Shard | undefined;
  resume: boolean;
  /** Dry runs read but do not lock: they write nothing. */
  lock: boolean;
}

/**
 * Locks the run's journal and every journal of another layout, and replays what a resume needs.
 * Refuses (and keeps no lock) when another run holds one of them, or when journals of another
 * layout exist and this is not a resume.
 */
export function openJournals(options: OpenJournalsOptions): OpenedJournals {
  const { journalPath } = options;
  const releases: ReleaseLock[] = [];
  const release = (): void => {
    for (const r of releases.splice(0).reverse()) r();
  };
  const state = new JournalState();
  try {
    if (options.lock) {
      const own = tryLock(journalPath);
      if (!own) throw new InputError(`another msgc send is using the journal ${journalPath}; wait for it to finish`);
      releases.push(own);
    }
    const ownShard = options.shard ? `${options.shard.index}/${options.shard.count}` : null;
    const ownHeader = readFirstHeader(journalPath);
    // Locked after its own: two runs of different layouts that start together each see the
    // other's lock, and at least one of them stops.
    const others: Array<FamilyJournal & { header: HeaderEntry }> = [];
    for (const other of journalFamily(journalPath)) {
      if (layoutOf(other.shard) === layoutOf(ownShard)) continue;
      if (options.lock) {
        const lock = tryLock(other.path);
        if (!lock) {
          throw new InputError(
            `another msgc send is using the journal ${other.path} of the same campaign (${describeLayout([other])}); runs with different shard layouts cannot run at once`,
          );
        }
        releases.push(lock);
      }
      const header = readFirstHeader(other.path);
      if (header) others.push({ ...other, header });
    }
    if (!options.resume) {
      // A dry run says what a send would do; like its own journal, others' do not stop it.
      if (others.length > 0 && options.lock) {
        throw new UsageError(
          `this campaign was sent (or started) before with another shard layout (${describeLayout(others)}): sending again from scratch would send twice`,
          "Add --resume to send only what none of its journals knows to be sent (the journals of every layout are read).",
        );
      }
      return { state, ownHeader, release };
    }
    const order = [...others];
    if (ownHeader) order.push({ path: journalPath, shard: ownShard, header: ownHeader });
    // In the order the runs started: a later run's entries come after an earlier one's.
    order.sort((a, b) => a.header.startedAt.localeCompare(b.header.startedAt));
    for (const j of order) state.replay(j.path);
    return { state, ownHeader, release };
  } catch (e) {
    state.close();
    release();
    throw e;
  }
}

/**
 * A journal's first header, read from its first line alone; undefined when there is no journal
 * or its header was never completely written (nothing was sent through it).
 */
export function readFirstHeader(path: string): HeaderEntry | undefined {
  const fd = openJournalFile(path, "r");
  if (fd === undefined) return undefined;
  try {
    const buffer = Buffer.allocUnsafe(MAX_JOURNAL_LINE + 1);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const end = buffer.subarray(0, read).indexOf(0x0a);
    if (end > MAX_JOURNAL_LINE) throw tooLong(path, 1);
    if (end === -1) {
      if (read > MAX_JOURNAL_LINE) throw tooLong(path, 1);
      return undefined;
    }
    const entry = parseJournalEntry(buffer.toString("utf8", 0, end));
    if (typeof entry === "string") throw damaged(path, 1, entry);
    if (entry.type !== "header") throw new InputError(`the journal ${path} has no header line; it cannot be resumed safely`);
    return entry;
  } finally {
    closeSync(fd);
  }
}

/** Every header of the replayed journals, with its file, and whether it is the file's last. */
export function replayedHeaders(state: JournalState): Array<{ path: string; header: HeaderEntry; last: boolean }> {
  return state.files.flatMap((f) => f.headers.map((header, i) => ({ path: f.path, header, last: i === f.headers.length - 1 })));
}
