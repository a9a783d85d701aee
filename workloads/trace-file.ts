import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { InputError } from "../lib/errors.ts";

/**
 * A trace file open for reading, as the validators of its sections (trace-header.ts,
 * trace-index.ts, trace-blocks.ts) see it: its path, descriptor and size, positioned reads,
 * and the one way a problem in it is reported (an InputError naming the file and the byte
 * offset, docs/TRACE_FORMAT.md "Validation").
 */
export class TraceFile {
  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly size: number,
  ) {}

  /** Open `path`; a missing file or a directory is an InputError in words. */
  static open(path: string): TraceFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(
        path,
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "is a directory, not a trace"
            : `cannot open (${code})`,
      );
    }
    try {
      return new TraceFile(path, fd, fstatSync(fd).size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Report `problem` at byte `offset` of the file. */
  fail(problem: string, offset?: number): never {
    throw new InputError(this.path, problem, offset);
  }

  /** `length` bytes from `position`, in a new buffer. */
  read(length: number, position: number): Buffer {
    const buffer = Buffer.alloc(length);
    readExactly(this.path, this.fd, buffer, position);
    return buffer;
  }

  /** Fill `into` from `position`. */
  readInto(into: Buffer, position: number): void {
    readExactly(this.path, this.fd, into, position);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Fill `into` from `position` of `fd`; a file shorter than that is an InputError. */
export function readExactly(path: string, fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0)
      throw new InputError(
        path,
        "the file ended early (it changed since it was opened?)",
        position + done,
      );
    done += n;
  }
}

/** A CRC32 as the messages print it: 0x and eight hex digits. */
export const hex = (value: number): string => `0x${value.toString(16).padStart(8, "0")}`;
