/**
 * What msgc may read as part of a project: paths inside the project root, also once every
 * symlink is followed, and (for spec and config files) regular files of bounded size. A pull
 * request controls the spec tree, so a link in it must not make msgc print, hang on or fill
 * memory with something outside it (`/proc/self/environ`, a FIFO, `/dev/zero`). Spec files, the
 * specs folder, paths given on the command line, the config file and audiences all go through
 * `confinement`.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from "node:fs";
import { readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Project-relative POSIX path ("" for the root itself), or undefined when `absPath` is outside `root`. */
export function projectRelative(root: string, absPath: string): string | undefined {
  const rel = relative(root, absPath);
  if (rel === "..") return undefined;
  if (rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/**
 * The path with every symlink followed. A path that does not exist (yet) is its nearest existing
 * folder's real path with the rest joined on, so that a missing output folder under a linked
 * one is still seen to be where the link leads; a dangling link leads where its target would be.
 */
export async function realPathOf(absPath: string, hops = 0): Promise<string> {
  const rest: string[] = [];
  let at = absPath;
  for (;;) {
    try {
      return join(await realpath(at), ...[...rest].reverse());
    } catch {
      // A link loop stops being followed after as many hops as the kernel allows.
      const target = hops < MAX_HOPS ? await readlink(at).catch(() => undefined) : undefined;
      if (target !== undefined) return realPathOf(join(resolve(dirname(at), target), ...[...rest].reverse()), hops + 1);
      const parent = dirname(at);
      // Unreadable all the way up: compare the path as written.
      if (parent === at) return absPath;
      rest.push(basename(at));
      at = parent;
    }
  }
}

const MAX_HOPS = 40;

/** Why a path may not be used: "outside" as written, "links-outside" once symlinks are followed. */
export type Confinement = "outside" | "links-outside" | undefined;

/**
 * Whether `absPath` stays inside the project. `realRoot` is the root with its own symlinks
 * followed (a temporary folder often is one), so that like is compared with like.
 */
export async function confinement(root: string, realRoot: string, absPath: string): Promise<Confinement> {
  if (projectRelative(root, absPath) === undefined) return "outside";
  if (projectRelative(realRoot, await realPathOf(absPath)) === undefined) return "links-outside";
  return undefined;
}

export type ReadResult =
  | { content: Buffer }
  | { problem: "too-large"; bytes: number }
  | { problem: "not-a-file" }
  | { problem: "error"; code: string };

const CHUNK = 64 * 1024;

/**
 * Reads a regular file of at most `maxBytes`. Opened without blocking (a FIFO must not hang the
 * open), checked on the open descriptor (a device or a FIFO is not read), and read no further
 * than `maxBytes + 1` whatever size it claims (files under /proc claim 0). Synchronous: what it
 * reads is small (specs, the config, a key or a vars file), and every caller waits for it anyway.
 */
export function readBoundedFile(absPath: string, maxBytes: number, opts: { noFollow?: boolean } = {}): ReadResult {
  let fd: number;
  try {
    // Not even opened when it is a device or a FIFO (opening some has effects of its own); the
    // descriptor is checked again below, in case the path changed in between. `noFollow`: a
    // file already known to be no link must not have become one since.
    if (!(opts.noFollow ? lstatSync : statSync)(absPath).isFile()) return { problem: "not-a-file" };
    fd = openSync(absPath, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    return { problem: "error", code: (e as NodeJS.ErrnoException).code ?? "error" };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { problem: "not-a-file" };
    if (info.size > maxBytes) return { problem: "too-large", bytes: info.size };
    // One byte more than allowed tells a file at the bound from a larger one (or one growing).
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(info.size + 1, CHUNK)));
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        if (total > maxBytes) break;
        // Larger than it claimed (files under /proc claim 0): room for more, up to the bound.
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, total);
        buffer = bigger;
      }
      const bytesRead = readSync(fd, buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) return { problem: "too-large", bytes: total };
    return { content: buffer.subarray(0, total) };
  } catch (e) {
    return { problem: "error", code: (e as NodeJS.ErrnoException).code ?? "error" };
  } finally {
    closeSync(fd);
  }
}
