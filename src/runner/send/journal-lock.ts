/**
 * One run at a time per journal: a lock the kernel releases when its process dies, so that a
 * killed run never leaves a lock that looks held, and two runs can never both take over one that
 * looks stale (the pid-file scheme this replaces could: check-then-unlink raced).
 *
 * The lock is an fcntl lock on `<journal>.lock`, taken through SQLite (better-sqlite3, which the
 * store uses too): `locking_mode = EXCLUSIVE` with `BEGIN EXCLUSIVE` and no busy timeout either
 * takes the whole file at once or fails with SQLITE_BUSY. Nothing is ever written to it; it stays
 * an empty file.
 *
 * The lock file is removed when its holder releases it, so a run leaves nothing behind. Removing
 * a lock file others may have opened is only safe with a check: a run that opened the file just
 * before it was removed could lock the removed file while a third run locks a new one. So after
 * locking, a taker checks that the path still names the file it locked (same inode as just before
 * it opened it, which it creates first when there is none), and starts again if not.
 */
import { closeSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import type { Stats } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { InputError } from "../../errors.js";

const require = createRequire(import.meta.url);
let Database: typeof BetterSqlite3 | undefined;

function database(): typeof BetterSqlite3 {
  Database ??= require("better-sqlite3") as typeof BetterSqlite3;
  return Database;
}

/**
 * Every lock this process holds. A connection that is garbage-collected closes itself, and with
 * it goes the lock: held here, a lock lasts until it is released or the process ends, whatever
 * the caller keeps.
 */
const held = new Set<BetterSqlite3.Database>();

/** Releases a lock: removes its file, then lets go. Safe to call twice. */
export type ReleaseLock = () => void;

export function lockPathOf(journalPath: string): string {
  return `${journalPath}.lock`;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Takes the journal's lock, or returns undefined when another live process holds it. Throws an
 * InputError when the lock cannot be taken for another reason (no permission, not a file).
 */
export function tryLock(journalPath: string): ReleaseLock | undefined {
  const lockPath = lockPathOf(journalPath);
  const folder = dirname(lockPath);
  for (let tries = 0; tries < 20; tries++) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (e) {
      throw new InputError(`cannot create the journal folder ${folder}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const before = statOrUndefined(lockPath);
    if (before === undefined) {
      // The check below needs the file this taker is about to open: with none to compare, a file
      // another run created, locked, released and removed meanwhile could be locked beside the
      // new one a third run locked. Created here (never opened by SQLite yet), then compared.
      try {
        closeSync(openSync(lockPath, "a"));
      } catch (e) {
        if (statOrUndefined(folder) === undefined) continue;
        throw new InputError(`cannot create the lock ${lockPath}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
      }
      continue;
    }
    if (!before.isFile()) throw new InputError(`the lock ${lockPath} is not a regular file`);
    let db: BetterSqlite3.Database;
    try {
      db = new (database())(lockPath, { timeout: 0 });
    } catch (e) {
      // The folder went away between mkdir and open (a run that released it removed it): again.
      if (statOrUndefined(folder) === undefined) continue;
      throw new InputError(`cannot open the lock ${lockPath}: ${(e as { code?: string }).code ?? "error"}`);
    }
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      // Nothing is ever written: no rollback journal file beside the lock (a killed run would
      // leave it behind).
      db.pragma("journal_mode = MEMORY");
      db.exec("BEGIN EXCLUSIVE");
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code === "SQLITE_BUSY") return undefined;
      throw new InputError(`cannot take the lock ${lockPath}: ${(e as { code?: string }).code ?? "error"}`);
    }
    const after = statOrUndefined(lockPath);
    // Locked a file that was removed (or replaced) meanwhile: its holder had released it.
    if (after === undefined || after.ino !== before.ino || after.dev !== before.dev) {
      db.close();
      continue;
    }
    held.add(db);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone: nothing to remove.
      }
      held.delete(db);
      db.close();
      try {
        // The folder was made for this journal and holds nothing else: leave no trace.
        rmdirSync(folder);
      } catch {
        // Not empty (journals, other locks), or gone: leave it.
      }
    };
  }
  throw new InputError(`cannot take the lock ${lockPath}: other runs keep taking and releasing it`);
}

/** Takes the journal's lock or refuses: only one run may write a journal. */
export function acquireLock(journalPath: string): ReleaseLock {
  const release = tryLock(journalPath);
  if (release === undefined) {
    throw new InputError(`another msgc send is using the journal ${journalPath}; wait for it to finish`);
  }
  return release;
}
