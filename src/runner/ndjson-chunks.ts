/**
 * NDJSON output in chunks of 64 KiB, the unit in which plans are handed to their writers. Small
 * fixed-size buffers are reused by the allocator as they are freed; a fresh multi-megabyte
 * buffer per write would cost a page fault per 4 KiB written.
 */
import { createShapeWriter, NO_ROOM } from "./shape-serializer.js";

const CHUNK_BYTES = 64 * 1024;

/**
 * Encodes lines straight into fixed-size buffers. Building one long string and converting it
 * at the end costs ten times more: concatenation makes a rope that must be flattened first.
 */
export class NdjsonChunks {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private done: Buffer[] = [];
  private readonly writeJson = createShapeWriter();

  /** `JSON.stringify(value)` and a line break, encoded straight into the chunk. */
  addJson(value: unknown): void {
    const end = this.chunk.length - 1; // room for the line break
    let next = this.writeJson(value, this.chunk, this.used, end);
    if (next === NO_ROOM && this.used > 0) {
      this.cut();
      next = this.writeJson(value, this.chunk, 0, end);
    }
    if (next === NO_ROOM) {
      this.add(JSON.stringify(value));
      return;
    }
    this.chunk[next] = 0x0a;
    this.used = next + 1;
  }

  /** Bytes as they are (whole lines), copied into the chunks. */
  addBytes(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      if (this.used === this.chunk.length) this.cut();
      const n = Math.min(bytes.length - from, this.chunk.length - this.used);
      this.chunk.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
    }
  }

  add(line: string): void {
    const most = line.length * 3 + 1; // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (this.used + most > this.chunk.length) {
      this.cut();
      if (most > this.chunk.length) {
        this.done.push(Buffer.from(`${line}\n`));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used);
    this.chunk[this.used++] = 0x0a;
  }

  /** The chunks filled so far. */
  full(): Buffer[] {
    const done = this.done;
    this.done = [];
    return done;
  }

  /** Everything, including the chunk being filled. */
  rest(): Buffer[] {
    this.cut();
    return this.full();
  }

  private cut(): void {
    if (this.used === 0) return;
    this.done.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }
}
