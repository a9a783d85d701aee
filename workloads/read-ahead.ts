import type { TraceFile } from "./trace-file.ts";

/**
 * Positioned reads of a file read front to back in small pieces, served from one window read
 * ahead in large ones. Validating a trace reads every block's 64-byte header and then its
 * payload (trace-blocks.ts); a touch block's payload is a few hundred bytes, and a stride
 * trace has ~270 000 blocks, so reading each piece from the file was ~540 000 system calls,
 * most of the ~2 s opening such a trace took (docs/VALIDATION.md, ninth session).
 */
export class ReadAhead {
  private window: Buffer;
  /** The file offset of window[0], and how many bytes of the window hold file bytes. */
  private start = 0;
  private filled = 0;

  constructor(
    private readonly file: TraceFile,
    windowBytes = 4 * 1024 * 1024,
  ) {
    this.window = Buffer.alloc(windowBytes);
  }

  /** Fill `into` from `position`, as TraceFile.readInto does. */
  readInto(into: Buffer, position: number): void {
    const end = position + into.length;
    if (position < this.start || end > this.start + this.filled) this.refill(position, end);
    this.window.copy(into, 0, position - this.start, end - this.start);
  }

  /** Read the window from `position`: at least up to `end`, as far as the file and window go. */
  private refill(position: number, end: number): void {
    if (this.window.length < end - position) this.window = Buffer.alloc(end - position);
    const length = Math.min(this.window.length, Math.max(end, this.file.size) - position);
    this.file.readInto(this.window.subarray(0, length), position);
    this.start = position;
    this.filled = length;
  }
}
