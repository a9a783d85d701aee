import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { release } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { InputError } from "../lib/errors.ts";
import { isZeroPage } from "../lib/zero-page.ts";
import { DEFAULT_TIME_UNIT_NS, TRACE_PAGE_SIZE } from "./trace-format.ts";
import { TraceWriter, type TraceWriteSummary } from "./trace-writer.ts";

/**
 * Records a live Linux process's memory as a trace (docs/TRACE_FORMAT.md, "Recorder").
 *
 * Every interval it reads /proc/PID/maps, takes the writable private mappings (`rw?p`: heap,
 * stacks, anonymous memory, the data segments of the program and its libraries), reads their
 * contents through /proc/PID/mem and stores the pages whose content differs from the previous
 * snapshot. The kernel's soft-dirty bit (/proc/PID/clear_refs + pagemap bit 55), the cheap way
 * to learn which pages were written, does not work on the machine this was built on, so the
 * recorder diffs contents: it keeps the previous snapshot (non-zero pages only, so memory grows
 * with the process's RSS) and compares page by page with a native memcmp.
 *
 * Page numbering: the trace's pages are a virtual page space made by concatenating the
 * mappings of the first snapshot in address order. Memory mapped later (a new mapping, or a
 * mapping that grew, e.g. the heap after brk) is appended at the end of that space when first
 * seen; its first content is recorded as a change in that epoch. Memory that is unmapped keeps
 * its pages in the space (they are simply not written any more), so page numbers never move.
 * The header's page count is the final size of the space.
 *
 * Anonymous pages that /proc/PID/pagemap reports neither present nor swapped are zero (never
 * touched, or discarded) and are not read, so large reserved-but-unused regions cost nothing.
 * Regions the kernel refuses to read (EIO) are skipped page by page and counted.
 *
 * Snapshots are not atomic: the process keeps running while it is read (as QEMU's pre-copy reads
 * a running guest). Reading another process's /proc/PID/mem needs ptrace permission (root, or
 * the process's parent under yama ptrace_scope 1).
 *
 * An open /proc/PID/mem reads the memory image it was opened on (proc_mem_open in the kernel's
 * fs/proc/base.c takes the mm then); once that image is gone, reads return 0 bytes (mem_rw:
 * mmget_not_zero fails). A process that execs another program (a shell, or a pyenv shim that
 * execs the real python) keeps its pid and gets a new image, so an end-of-file read makes the
 * recorder reopen /proc/PID/mem (and pagemap), once per snapshot, and carry on.
 *
 * A recording that could not read one page of the first snapshot is not a trace: it fails with
 * one line saying why (no such process, a zombie, a kernel thread, ptrace permission, or reads
 * the kernel refused), and so does one whose process exited before a second snapshot.
 */

export interface RecordOptions {
  readonly pid: number;
  readonly out: string;
  readonly intervalMs: number;
  /** Stop after this long (the last snapshot is at or before it); null: until exit or abort. */
  readonly durationMs: number | null;
  /** Deflate level; default 1: the fastest, so snapshots keep up with short intervals (level 6
   * makes program memory ~15 % smaller at a third of the speed). */
  readonly level?: number;
  readonly signal?: AbortSignal;
  /** Told after each snapshot. */
  readonly onSnapshot?: (progress: RecordProgress) => void;
  /** Extra metadata (e.g. the command that was spawned). */
  readonly metadata?: Record<string, unknown>;
  /** Resolves when the process has exited (spawn mode), so the recorder stops at once. */
  readonly exited?: () => boolean;
  /** How errors name the process, e.g. "the command `sort` (pid 42)"; default "pid N (NAME)". */
  readonly label?: string;
}

export interface RecordProgress {
  /** 0 for the initial image. */
  readonly epoch: number;
  readonly timeS: number;
  readonly changedPages: number;
  readonly readPages: number;
  readonly virtualPages: number;
  readonly unreadablePages: number;
  readonly bytesWritten: number;
  readonly snapshotMs: number;
}

export type EndReason = "duration" | "exit" | "interrupt";

export interface RecordSummary extends TraceWriteSummary {
  readonly endedBy: EndReason;
  readonly snapshots: number;
  readonly durationS: number;
  readonly virtualPages: number;
  readonly unreadablePages: number;
  /** Interval slots skipped because a snapshot took longer than the interval. */
  readonly skippedSlots: number;
}

/** A writable private mapping from /proc/PID/maps. */
export interface MemoryRegion {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
}

/** /proc/PID/maps lines → writable private mappings, in address order. */
export function parseWritablePrivateMappings(maps: string): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  for (const line of maps.split("\n")) {
    if (line === "") continue;
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\S+\s*(.*)$/.exec(line);
    if (!match) continue;
    const perms = match[3];
    if (perms[1] !== "w" || perms[3] !== "p") continue;
    // [vsyscall]/[vvar] are never writable; this also keeps out special mappings if a kernel
    // ever marks one writable.
    const path = match[4].trim();
    if (path === "[vsyscall]" || path.startsWith("[vvar")) continue;
    regions.push({
      start: Number.parseInt(match[1], 16),
      end: Number.parseInt(match[2], 16),
      perms,
      path,
    });
  }
  return regions.sort((a, b) => a.start - b.start);
}

/** A stretch of the process's address space with its place in the trace's virtual page space. */
interface Segment {
  readonly start: number;
  readonly pages: number;
  readonly firstPage: number;
  readonly path: string;
  readonly perms: string;
  readonly anonymous: boolean;
  /** Previous snapshot: slot in the PageStore per page, -1 when the page was zero. */
  readonly slots: Int32Array;
}

const STORE_CHUNK_PAGES = 256;

/** The previous snapshot's non-zero pages, in 1 MiB chunks with a free list. */
class PageStore {
  readonly chunks: Buffer[] = [];
  private readonly free: number[] = [];
  private next = 0;

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.next++;
    if (slot >>> 8 >= this.chunks.length)
      this.chunks.push(Buffer.allocUnsafe(STORE_CHUNK_PAGES * TRACE_PAGE_SIZE));
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  chunk(slot: number): Buffer {
    return this.chunks[slot >>> 8];
  }

  offset(slot: number): number {
    return (slot & (STORE_CHUNK_PAGES - 1)) * TRACE_PAGE_SIZE;
  }
}

/** PF_KTHREAD in /proc/PID/stat's flags (include/linux/sched.h). */
const PF_KTHREAD = 0x0020_0000;

/** What /proc says about a process now: gone, a zombie, a kernel thread, or a live process. */
export interface ProcessState {
  readonly kind: "gone" | "zombie" | "kernel-thread" | "live";
  /** The command name (comm), "" when gone. */
  readonly name: string;
}

export function processState(pid: number): ProcessState {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return { kind: "gone", name: "" };
  }
  // "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ..." (proc(5)); COMM may hold
  // spaces and parentheses, so split after the last ")".
  const close = stat.lastIndexOf(")");
  const name = stat.slice(stat.indexOf("(") + 1, close);
  const fields = stat.slice(close + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X" || fields[0] === "x") return { kind: "zombie", name };
  if ((Number(fields[6]) & PF_KTHREAD) !== 0) return { kind: "kernel-thread", name };
  return { kind: "live", name };
}

/**
 * Why ptrace permission was refused and what to do, from Yama's ptrace_scope when the kernel
 * has Yama (Documentation/admin-guide/LSM/Yama.rst): 1 lets only an ancestor read a process,
 * 2 only CAP_SYS_PTRACE (root), 3 nobody until reboot. Without Yama (or at 0), the reader must
 * be root or the process's owner, and an owner is refused a process that is not dumpable (one
 * that changed its uid, or called prctl(PR_SET_DUMPABLE, 0)).
 */
export function ptraceAdvice(scopeFile = "/proc/sys/kernel/yama/ptrace_scope"): string {
  let scope = "";
  try {
    scope = readFileSync(scopeFile, "utf8").trim();
  } catch {
    // No Yama: only the classic owner/root rule applies.
  }
  const need = "reading another process's memory needs ptrace permission";
  switch (scope) {
    case "1":
      return `${need}, and kernel.yama.ptrace_scope is 1 (only a parent may): run as root, record a command you start with \`-- CMD\`, or allow it with \`sudo sysctl kernel.yama.ptrace_scope=0\``;
    case "2":
      return `${need}, and kernel.yama.ptrace_scope is 2 (only root may): run as root`;
    case "3":
      return `${need}, and kernel.yama.ptrace_scope is 3: no process may read another's memory until the machine reboots with a lower setting`;
    default:
      return `${need}: run as root (or as the process's owner, for a process that did not change its user or make itself undumpable)`;
  }
}

const READ_CHUNK_PAGES = 256;
/** How long the first snapshot is retried while the process keeps exec'ing, and how often. */
const FIRST_SNAPSHOT_SETTLE_MS = 2000;
const FIRST_SNAPSHOT_RETRY_MS = 20;
const ZERO_PAGE = new Uint8Array(TRACE_PAGE_SIZE);
const PAGEMAP_PRESENT_HIGH = 0x8000_0000; // bit 63 of the u64 entry = bit 31 of its high word
const PAGEMAP_SWAPPED_HIGH = 0x4000_0000; // bit 62

/**
 * The error for a process with nothing to read, by what /proc says about it now. `what` ends
 * the sentence for a live process, whose memory could not be read for another reason.
 */
function cannotRecord(pid: number, label: string | undefined, what: string): InputError {
  const state = processState(pid);
  const who = label ?? (state.name === "" ? `pid ${pid}` : `pid ${pid} (${state.name})`);
  switch (state.kind) {
    case "gone":
      return new InputError(
        label ?? `/proc/${pid}`,
        label === undefined
          ? "no such process (it is not running, or it exited before it could be read)"
          : "exited before its memory could be read: nothing recorded (record a program that runs for at least one --interval)",
      );
    case "zombie":
      return new InputError(
        who,
        `exited before its memory could be read${label === undefined ? " (it is a zombie now)" : ""}: nothing recorded (record a program that runs for at least one --interval)`,
      );
    case "kernel-thread":
      return new InputError(
        who,
        "is a kernel thread: it has no user memory to record (give the pid of a user process)",
      );
    default:
      return new InputError(who, what);
  }
}

export async function recordProcess(options: RecordOptions): Promise<RecordSummary> {
  const { pid, label } = options;
  const memPath = `/proc/${pid}/mem`;
  const mapsPath = `/proc/${pid}/maps`;
  const pagemapPath = `/proc/${pid}/pagemap`;
  let memFd: number;
  try {
    memFd = openSync(memPath, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM")
      throw new InputError(label ?? memPath, `permission denied: ${ptraceAdvice()}`);
    // ENOENT: no such process; ESRCH: one without memory (a zombie, a kernel thread).
    throw cannotRecord(pid, label, `cannot open ${memPath} (${code})`);
  }
  let pagemapFd = -1;
  try {
    pagemapFd = openSync(pagemapPath, "r");
  } catch {
    // Without pagemap every mapped page is read; slower on sparse mappings, same result.
  }
  /** Times /proc/PID/mem was reopened on a new memory image (the process exec'd). */
  let memReopened = 0;
  /** Reopened (or tried to) in this snapshot already; the process's image is gone if so. */
  let reopenTried = false;
  let memoryGone = false;
  /**
   * An end-of-file read: the image memFd was opened on is gone. Reopen both files once per
   * snapshot; false when the process has no image any more (it exited).
   */
  const reopenMem = (): boolean => {
    if (reopenTried) return false;
    reopenTried = true;
    let fd: number;
    try {
      fd = openSync(memPath, "r");
    } catch {
      memoryGone = true;
      return false;
    }
    closeSync(memFd);
    memFd = fd;
    memReopened++;
    if (pagemapFd >= 0) closeSync(pagemapFd);
    try {
      pagemapFd = openSync(pagemapPath, "r");
    } catch {
      pagemapFd = -1;
    }
    return true;
  };

  const writer = TraceWriter.create(options.out, {
    pageCount: 1,
    timeUnitNs: DEFAULT_TIME_UNIT_NS,
    level: options.level ?? 1,
    metadata: { source: "record", pid, ...options.metadata },
  });
  const segments: Segment[] = [];
  const store = new PageStore();
  const chunk = Buffer.alloc(READ_CHUNK_PAGES * TRACE_PAGE_SIZE);
  const pagemap = Buffer.alloc(READ_CHUNK_PAGES * 8);
  let virtualPages = 0;
  let unreadablePages = 0;
  let snapshots = 0;
  let skippedSlots = 0;
  let slot = 0;
  let lastTimeS = 0;
  let endedBy: EndReason = "exit";
  const startedAt = new Date().toISOString();

  const readMaps = (): MemoryRegion[] | null => {
    try {
      const regions = parseWritablePrivateMappings(readFileSync(mapsPath, "utf8"));
      return regions.length === 0 ? null : regions; // a zombie has no mappings
    } catch {
      return null;
    }
  };

  /** Add segments for the parts of `regions` no segment covers yet (appended page numbers). */
  const extendSegments = (regions: MemoryRegion[]): void => {
    const known = segments.map((s) => [s.start, s.start + s.pages * TRACE_PAGE_SIZE] as const);
    known.sort((a, b) => a[0] - b[0]);
    for (const region of regions) {
      let cursor = region.start;
      for (const [start, end] of known) {
        if (end <= cursor || start >= region.end) continue;
        if (start > cursor) addSegment(cursor, start, region);
        cursor = Math.max(cursor, end);
      }
      if (cursor < region.end) addSegment(cursor, region.end, region);
    }
    writer.growPageCount(Math.max(1, virtualPages));
  };
  const addSegment = (start: number, end: number, region: MemoryRegion): void => {
    const pages = (end - start) / TRACE_PAGE_SIZE;
    segments.push({
      start,
      pages,
      firstPage: virtualPages,
      path: region.path,
      perms: region.perms,
      anonymous: region.path === "" || region.path.startsWith("["),
      slots: new Int32Array(pages).fill(-1),
    });
    virtualPages += pages;
  };

  const nothingRead = (read: number): boolean => read === 0 && changedPages.length === 0;
  /** The snapshot met an end-of-file read and reopened /proc/PID/mem on a new image. */
  const imageReplaced = (): boolean => reopenTried && !memoryGone;

  /** Read one snapshot and hand the changed pages to the writer. Returns [changed, read]. */
  const snapshot = (regions: MemoryRegion[]): [number, number] => {
    let changed = 0;
    let read = 0;
    // Segments in creation order = ascending virtual page numbers, as the writer requires.
    for (const segment of segments) {
      const segmentEnd = segment.start + segment.pages * TRACE_PAGE_SIZE;
      for (const region of regions) {
        const from = Math.max(segment.start, region.start);
        const to = Math.min(segmentEnd, region.end);
        if (from >= to) continue;
        for (let address = from; address < to; address += READ_CHUNK_PAGES * TRACE_PAGE_SIZE) {
          const pages = Math.min(READ_CHUNK_PAGES, (to - address) / TRACE_PAGE_SIZE);
          const [c, r] = snapshotChunk(segment, address, pages);
          changed += c;
          read += r;
        }
      }
    }
    return [changed, read];
  };

  const snapshotChunk = (segment: Segment, address: number, pages: number): [number, number] => {
    // Which pages need reading: all, unless pagemap says an anonymous page is not there (zero).
    let present: ((i: number) => boolean) | null = null;
    if (segment.anonymous && pagemapFd >= 0) {
      const bytes = pages * 8;
      const got = safeRead(pagemapFd, pagemap, bytes, (address / TRACE_PAGE_SIZE) * 8);
      if (got === bytes)
        present = (i) =>
          (pagemap.readUInt32LE(i * 8 + 4) & (PAGEMAP_PRESENT_HIGH | PAGEMAP_SWAPPED_HIGH)) !== 0;
    }
    let changed = 0;
    let read = 0;
    let i = 0;
    while (i < pages) {
      if (present !== null && !present(i)) {
        // Not present, not swapped, anonymous: the page is zero now.
        chunk.fill(0, i * TRACE_PAGE_SIZE, (i + 1) * TRACE_PAGE_SIZE);
        changed += comparePage(segment, address, i);
        i++;
        continue;
      }
      let run = 1;
      while (i + run < pages && (present === null || present(i + run))) run++;
      const ok = readRun(address + i * TRACE_PAGE_SIZE, i, run);
      for (let k = 0; k < run; k++) {
        if (ok[k]) {
          changed += comparePage(segment, address, i + k);
          read++;
        } else unreadablePages++;
      }
      i += run;
    }
    return [changed, read];
  };

  /** The pages the current snapshot found changed (ascending) and their store slots (-1: zero). */
  const changedPages: number[] = [];
  const changedSlots: number[] = [];
  const runOk: boolean[] = [];
  /** Read `run` pages at `address` into chunk[slot…]; per-page flags for what could be read. */
  const readRun = (address: number, slot: number, run: number): boolean[] => {
    runOk.length = run;
    const bytes = run * TRACE_PAGE_SIZE;
    let got = safeRead(memFd, chunk.subarray(slot * TRACE_PAGE_SIZE), bytes, address);
    if (got === 0 && reopenMem())
      got = safeRead(memFd, chunk.subarray(slot * TRACE_PAGE_SIZE), bytes, address);
    if (got === bytes) {
      runOk.fill(true);
      return runOk;
    }
    if (got === 0 || memoryGone) {
      // End of file even after reopening: no image to read page by page.
      runOk.fill(false);
      return runOk;
    }
    // EIO or a short read somewhere in the run: retry page by page to keep what is readable.
    for (let k = 0; k < run; k++)
      runOk[k] =
        safeRead(
          memFd,
          chunk.subarray((slot + k) * TRACE_PAGE_SIZE),
          TRACE_PAGE_SIZE,
          address + k * TRACE_PAGE_SIZE,
        ) === TRACE_PAGE_SIZE;
    return runOk;
  };

  /** Compare chunk page i with the previous snapshot; store and emit it when it changed. */
  const comparePage = (segment: Segment, chunkAddress: number, i: number): number => {
    const index = (chunkAddress - segment.start) / TRACE_PAGE_SIZE + i;
    const offset = i * TRACE_PAGE_SIZE;
    const slot = segment.slots[index];
    const zero = isZeroPage(chunk, offset);
    if (slot < 0) {
      if (zero) return 0;
    } else if (
      chunk.compare(
        store.chunk(slot),
        store.offset(slot),
        store.offset(slot) + TRACE_PAGE_SIZE,
        offset,
        offset + TRACE_PAGE_SIZE,
      ) === 0
    )
      return 0;
    if (zero) {
      store.release(slot);
      segment.slots[index] = -1;
      changedPages.push(segment.firstPage + index);
      changedSlots.push(-1);
    } else {
      const target = slot < 0 ? store.alloc() : slot;
      segment.slots[index] = target;
      chunk.copy(store.chunk(target), store.offset(target), offset, offset + TRACE_PAGE_SIZE);
      changedPages.push(segment.firstPage + index);
      changedSlots.push(target);
    }
    return 1;
  };

  try {
    const firstRegions = readMaps();
    if (firstRegions === null)
      throw cannotRecord(pid, label, `${mapsPath} lists no writable private memory to record`);
    let t0 = performance.now();
    let regions: MemoryRegion[] | null = firstRegions;
    for (let epoch = 0; ; epoch++) {
      const began = performance.now();
      let timeS = (began - t0) / 1000;
      if (epoch > 0) {
        // Strictly after the previous epoch, at the writer's microsecond resolution.
        timeS = Math.max(timeS, lastTimeS + 2e-6);
        writer.beginEpoch(timeS);
      }
      extendSegments(regions);
      // Diff first (the snapshot's time is when it was read), then compress and write: the
      // changed pages' new contents are in the store until the next snapshot.
      changedPages.length = 0;
      changedSlots.length = 0;
      reopenTried = false;
      let [changed, read] = snapshot(regions);
      if (epoch === 0) {
        // A process still exec'ing (a pyenv shim: bash, then pyenv, then python) can replace
        // its image between the maps and the reads more than once in one snapshot, so nothing
        // of it is read. Take the first snapshot again, briefly, while that is what happens.
        const giveUpAt = began + FIRST_SNAPSHOT_SETTLE_MS;
        while (nothingRead(read) && imageReplaced() && performance.now() < giveUpAt) {
          await sleep(FIRST_SNAPSHOT_RETRY_MS);
          const again = readMaps();
          if (again === null) break;
          regions = again;
          extendSegments(regions);
          unreadablePages = 0;
          reopenTried = false;
          t0 = performance.now();
          timeS = 0;
          [changed, read] = snapshot(regions);
        }
        if (nothingRead(read))
          throw cannotRecord(
            pid,
            label,
            imageReplaced()
              ? `replaced its memory image (exec) on every try for ${FIRST_SNAPSHOT_SETTLE_MS / 1000} s: nothing recorded`
              : `none of its ${unreadablePages} mapped pages could be read through ${memPath} (the kernel refused every read): nothing recorded`,
          );
      }
      for (let k = 0; k < changedPages.length; k++) {
        const slot = changedSlots[k];
        if (slot < 0) writer.addPage(changedPages[k], ZERO_PAGE);
        else writer.addPage(changedPages[k], store.chunk(slot), store.offset(slot));
      }
      if (epoch > 0) writer.endEpoch();
      snapshots++;
      lastTimeS = timeS;
      options.onSnapshot?.({
        epoch,
        timeS,
        changedPages: changed,
        readPages: read,
        virtualPages,
        unreadablePages,
        bytesWritten: writer.bytesWritten,
        snapshotMs: performance.now() - began,
      });

      // Next snapshot at the next multiple of the interval that has not passed yet. Slots a
      // slow snapshot overran are skipped (and counted), not caught up in a burst: a burst
      // would record a run of very short epochs that say nothing about the program.
      const elapsedMs = performance.now() - t0;
      slot++;
      while (slot * options.intervalMs <= elapsedMs) {
        slot++;
        skippedSlots++;
      }
      const nextMs = slot * options.intervalMs;
      if (options.durationMs !== null && nextMs > options.durationMs + 1e-6) {
        endedBy = "duration";
        break;
      }
      if (await waitUntil(t0 + nextMs, options)) {
        endedBy = options.signal?.aborted ? "interrupt" : "exit";
        break;
      }
      regions = readMaps();
      if (regions === null) {
        endedBy = "exit";
        break;
      }
    }
    if (endedBy === "exit" && snapshots === 1) {
      const who = label ?? `pid ${pid}`;
      throw new InputError(
        who,
        `exited after the first snapshot, before a second could show what it writes: nothing recorded (record a program that runs for longer than --interval, ${options.intervalMs} ms)`,
      );
    }
    writer.setMetadata({
      startedAt,
      kernel: release(),
      intervalMs: options.intervalMs,
      endedBy,
      snapshots,
      unreadablePages,
      skippedSlots,
      memReopened,
      pageNumbering:
        "writable private mappings of the first snapshot concatenated in address order; later mappings appended when first seen",
      segments: segments.map((s) => ({
        firstPage: s.firstPage,
        pages: s.pages,
        address: `0x${s.start.toString(16)}`,
        perms: s.perms,
        path: s.path,
      })),
    });
    const summary = writer.finish();
    return {
      ...summary,
      endedBy,
      snapshots,
      durationS: lastTimeS,
      virtualPages,
      unreadablePages,
      skippedSlots,
    };
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    closeSync(memFd);
    if (pagemapFd >= 0) closeSync(pagemapFd);
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

/** Sleep until `deadline` (performance.now() ms); true when recording must stop instead. */
async function waitUntil(deadline: number, options: RecordOptions): Promise<boolean> {
  for (;;) {
    if (options.signal?.aborted || options.exited?.()) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // Wake at least every 50 ms to notice an exit or Ctrl-C promptly.
    try {
      await sleep(Math.min(left, 50), undefined, { signal: options.signal });
    } catch {
      return true; // aborted
    }
  }
}
