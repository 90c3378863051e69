/** Audience files written into a temporary folder, removed after the test file. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** `file(name, content)` writes a new file each call (names may repeat) and returns its path. */
export function tempFiles(prefix: string): { dir: string; file: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let counter = 0;
  return {
    dir,
    file(name, content) {
      const path = join(dir, `${counter++}-${name}`);
      writeFileSync(path, content);
      return path;
    },
  };
}
