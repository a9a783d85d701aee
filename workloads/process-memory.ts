import { closeSync, openSync, readSync } from "node:fs";
import { InputError } from "../lib/errors.ts";
import { cannotRecord, ptraceAdvice } from "./process-info.ts";
import { TRACE_PAGE_SIZE } from "./trace-format.ts";

/** Pages read from /proc/PID/mem (and pagemap entries) per read(2). */
export const READ_CHUNK_PAGES = 256;
const PAGEMAP_PRESENT_HIGH = 0x8000_0000; // bit 63 of the u64 entry = bit 31 of its high word
const PAGEMAP_SWAPPED_HIGH = 0x4000_0000; // bit 62

/**
 * A process's memory as the recorder reads it: /proc/PID/mem for contents and
 * /proc/PID/pagemap for which anonymous pages exist at all.
 *
 * An open /proc/PID/mem reads the memory image it was opened on (proc_mem_open in the kernel's
 * fs/proc/base.c takes the mm then); once that image is gone, reads return 0 bytes (mem_rw:
 * mmget_not_zero fails). A process that execs another program (a shell, or a pyenv shim that
 * execs the real python) keeps its pid and gets a new image, so an end-of-file read reopens
 * /proc/PID/mem (and pagemap), once per snapshot.
 */
export class ProcessMemory {
  readonly memPath: string;
  private readonly pagemapPath: string;
  private memFd: number;
  private pagemapFd = -1;
  /** Times /proc/PID/mem was reopened on a new memory image (the process exec'd). */
  private reopenedCount = 0;
  /** Reopened (or tried to) in this snapshot already; the process's image is gone if so. */
  private reopenTried = false;
  private memoryGone = false;
  private readonly pagemap = Buffer.alloc(READ_CHUNK_PAGES * 8);
  private readonly runOk: boolean[] = [];

  /** Open the process's memory; refused permission or a process without memory is one error. */
  constructor(pid: number, label: string | undefined) {
    this.memPath = `/proc/${pid}/mem`;
    this.pagemapPath = `/proc/${pid}/pagemap`;
    try {
      this.memFd = openSync(this.memPath, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "EPERM")
        throw new InputError(label ?? this.memPath, `permission denied: ${ptraceAdvice()}`);
      // ENOENT: no such process; ESRCH: one without memory (a zombie, a kernel thread).
      throw cannotRecord(pid, label, `cannot open ${this.memPath} (${code})`);
    }
    try {
      this.pagemapFd = openSync(this.pagemapPath, "r");
    } catch {
      // Without pagemap every mapped page is read; slower on sparse mappings, same result.
    }
  }

  /** Times the memory was reopened because the process exec'd. */
  get reopened(): number {
    return this.reopenedCount;
  }

  /** A new snapshot begins: it may reopen the memory once more. */
  beginSnapshot(): void {
    this.reopenTried = false;
  }

  /** The snapshot met an end-of-file read and reopened /proc/PID/mem on a new image. */
  get imageReplaced(): boolean {
    return this.reopenTried && !this.memoryGone;
  }

  /**
   * Which of the `pages` anonymous pages at `address` exist (present or swapped); null when
   * pagemap cannot tell, and every page must be read. A page that does not exist is zero.
   */
  presentPages(address: number, pages: number): ((i: number) => boolean) | null {
    if (this.pagemapFd < 0) return null;
    const bytes = pages * 8;
    const got = safeRead(this.pagemapFd, this.pagemap, bytes, (address / TRACE_PAGE_SIZE) * 8);
    if (got !== bytes) return null;
    const pagemap = this.pagemap;
    return (i) =>
      (pagemap.readUInt32LE(i * 8 + 4) & (PAGEMAP_PRESENT_HIGH | PAGEMAP_SWAPPED_HIGH)) !== 0;
  }

  /**
   * Read `run` pages at `address` into into[slot…] (in pages); per-page flags for what could be
   * read. The flags array is reused by the next call.
   */
  readRun(into: Buffer, address: number, slot: number, run: number): readonly boolean[] {
    const runOk = this.runOk;
    runOk.length = run;
    const bytes = run * TRACE_PAGE_SIZE;
    let got = safeRead(this.memFd, into.subarray(slot * TRACE_PAGE_SIZE), bytes, address);
    if (got === 0 && this.reopen())
      got = safeRead(this.memFd, into.subarray(slot * TRACE_PAGE_SIZE), bytes, address);
    if (got === bytes) {
      runOk.fill(true);
      return runOk;
    }
    if (got === 0 || this.memoryGone) {
      // End of file even after reopening: no image to read page by page.
      runOk.fill(false);
      return runOk;
    }
    // EIO or a short read somewhere in the run: retry page by page to keep what is readable.
    for (let k = 0; k < run; k++)
      runOk[k] =
        safeRead(
          this.memFd,
          into.subarray((slot + k) * TRACE_PAGE_SIZE),
          TRACE_PAGE_SIZE,
          address + k * TRACE_PAGE_SIZE,
        ) === TRACE_PAGE_SIZE;
    return runOk;
  }

  close(): void {
    closeSync(this.memFd);
    if (this.pagemapFd >= 0) closeSync(this.pagemapFd);
  }

  /**
   * An end-of-file read: the image memFd was opened on is gone. Reopen both files once per
   * snapshot; false when the process has no image any more (it exited).
   */
  private reopen(): boolean {
    if (this.reopenTried) return false;
    this.reopenTried = true;
    let fd: number;
    try {
      fd = openSync(this.memPath, "r");
    } catch {
      this.memoryGone = true;
      return false;
    }
    closeSync(this.memFd);
    this.memFd = fd;
    this.reopenedCount++;
    if (this.pagemapFd >= 0) closeSync(this.pagemapFd);
    try {
      this.pagemapFd = openSync(this.pagemapPath, "r");
    } catch {
      this.pagemapFd = -1;
    }
    return true;
  }
}

/** pread that returns -1 on EIO/ESRCH/EFAULT instead of throwing. */
function safeRead(fd: number, into: Uint8Array, length: number, position: number): number {
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, into, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch {
    return done === 0 ? -1 : done;
  }
  return done;
}
