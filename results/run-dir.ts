import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { makeDirectory, writeFileAtomic } from "../lib/atomic-file.ts";
import { fileError, InputError, UsageError } from "../lib/errors.ts";
import type { CellResult, CellSpec } from "./cell.ts";
import { toCsv } from "./csv.ts";
import {
  type CsvRow,
  PASSES_FILE,
  paramColumns,
  passColumns,
  passRows,
  RESULTS_FILE,
  resultColumns,
  resultRow,
  TIMING_COLUMNS,
  TIMINGS_FILE,
  timingRow,
} from "./schema.ts";

/**
 * A run's directory and the files in it, written so that a killed process loses only the cells
 * in flight, and a power cut at most the cells of the last fraction of a second:
 *
 * - cells.journal is the record. Every finished cell — in whatever order the workers finish —
 *   is appended as one line `SHA256 JSON` (its planned spec and its results, passes and timings
 *   rows, already formatted) with one write(2); the file is fsynced at least every
 *   JOURNAL_SYNC_MS and when the writer closes (group commit: one fsync per cell cost 1.4 ms here,
 *   as much as a whole simulated cell of a big sweep). A line a crash left without its newline is
 *   cut on resume.
 * - results.csv, passes.csv and timings.csv are views of the journal in cell order: a cell's
 *   rows are appended as soon as every earlier cell has finished (the order the files are
 *   byte-identical in for any --workers), so the cost per cell is constant, never a rewrite.
 *   They are fsynced when the writer closes.
 * - `--resume` reads the journal, checks every line's digest and that each cell is this sweep's
 *   cell, and checks the three CSV files byte for byte against the journal: a changed or deleted
 *   row is refused (naming file and row), a missing or torn tail (a crash) is restored from the
 *   journal. Cells the journal holds, finished out of order, are not run again; failed cells are.
 *
 * One process at a time writes a run directory: lockRunDir takes `DIR/.lock`.
 */

export const JOURNAL_FILE = "cells.journal";
export const LOCK_FILE = ".lock";

/** Longest a finished cell's journal line waits for its fsync. */
const JOURNAL_SYNC_MS = 200;

// --- file-system errors name the path (lib/errors.ts words them) ---------------------------

/** Run `action` on `path`; an errno error becomes one line naming the path. */
export function onFile<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw fileError(path, error);
  }
}

/** Make a run directory and its parents; an error names the directory. */
export function makeRunDir(dir: string): void {
  onFile(dir, () => makeDirectory(dir));
}

/** `results/20261125T183000Z-sap-like` (UTC, second resolution; `-2`, `-3`... if taken). */
export function defaultRunDir(workloads: readonly string[], now: Date, root = "results"): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const base = join(root, `${stamp}-${workloads.join("+")}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/** The headers of a run's three CSV files (param columns depend on the cells). */
export function runColumns(cells: readonly CellSpec[]) {
  const params = paramColumns(cells);
  return { results: resultColumns(params), passes: passColumns(params), timings: TIMING_COLUMNS };
}

// --- the lock -----------------------------------------------------------------------------------

interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks): tells a reused PID apart. */
  readonly processStart: string | null;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A holder on this host whose process is gone (or whose PID now belongs to another process). */
function isStale(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return false;
  if (!isAlive(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.processStart !== null && start !== null && start !== holder.processStart;
}

function readHolder(path: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof holder?.pid === "number" && typeof holder.hostname === "string" ? holder : null;
  } catch {
    return null;
  }
}

export interface RunLock {
  release(): void;
}

/**
 * Make `dir` and take its lock: `DIR/.lock`, created with O_EXCL, holding this process's PID,
 * host, start time. A lock whose process is gone (same host, PID not alive or reused) is stale
 * and taken over; a live one → InputError naming the lock and its holder.
 */
export function lockRunDir(dir: string): RunLock {
  makeRunDir(dir);
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    processStart: processStart(process.pid),
  };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fileError(path, error);
      const holder = readHolder(path);
      if (holder === null) {
        // Empty or unreadable: another process between its open and its write, or one that died
        // there. Only the second lasts: stale after a few seconds.
        const age = Date.now() - (statSafe(path)?.mtimeMs ?? 0);
        if (age < 5000) throw heldBy(path, null);
      } else if (!isStale(holder)) throw heldBy(path, holder);
      breakStaleLock(path, holder);
      continue;
    }
    try {
      writeAll(fd, Buffer.from(text), path);
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw heldBy(path, readHolder(path));
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Move the stale lock aside (rename is atomic, so of two processes breaking it only one gets
 * it) and check that what was moved is still the stale lock: if a third process took the lock
 * in between, put its live lock back.
 */
function breakStaleLock(path: string, stale: LockHolder | null): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readHolder(aside);
  if (JSON.stringify(moved) !== JSON.stringify(stale)) {
    try {
      linkSync(aside, path);
    } catch {
      // a newer lock is already in place
    }
  }
  rmSync(aside, { force: true });
}

function heldBy(path: string, holder: LockHolder | null): InputError {
  if (holder === null)
    return new InputError(
      path,
      "another migbench process is writing this run directory; wait for it to finish",
    );
  const who = `migbench PID ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`;
  const what =
    holder.hostname === hostname()
      ? "wait for it to finish or stop it (a lock whose process is gone is taken over)"
      : "wait for it to finish; if that process is gone, delete this file (another host's process cannot be checked from here)";
  return new InputError(path, `${who} is writing this run directory; ${what}`);
}

// --- the journal ----------------------------------------------------------------------------

/** One finished cell as the journal holds it: the planned spec and its formatted rows. */
interface JournalEntry {
  readonly cell: number;
  readonly spec: CellSpec;
  readonly failed: boolean;
  readonly results: CsvRow;
  readonly passes: readonly CsvRow[];
  readonly timing: CsvRow;
}

function journalLine(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${createHash("sha256").update(json).digest("hex")} ${json}\n`;
}

/**
 * The journal's entries (the last line for a cell wins: a failed cell re-run on resume) and the
 * byte length of its whole lines; a last line without its newline is a torn write.
 */
function readJournal(path: string, cells: readonly CellSpec[]) {
  const text = onFile(path, () => readFileSync(path, "utf8"));
  const latest = new Map<number, JournalEntry>();
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    const space = line.indexOf(" ");
    const json = line.slice(space + 1);
    if (space !== 64 || createHash("sha256").update(json).digest("hex") !== line.slice(0, 64))
      throw new InputError(
        path,
        `${where}: its digest does not match its content (edited or damaged); start a new run`,
      );
    const entry = JSON.parse(json) as JournalEntry;
    const spec = cells[entry.cell];
    if (spec === undefined || JSON.stringify(entry.spec) !== JSON.stringify(spec))
      throw new UsageError(
        `${path}: ${where} is cell ${entry.cell} of another sweep; resume with the run's own options`,
      );
    latest.set(entry.cell, entry);
  });
  return {
    latest,
    wholeBytes: Buffer.byteLength(text.slice(0, end)),
    tornBytes: text.length > end,
  };
}

// --- the CSV views --------------------------------------------------------------------------

type View = "results" | "passes" | "timings";
const VIEW_FILES: Readonly<Record<View, string>> = {
  results: RESULTS_FILE,
  passes: PASSES_FILE,
  timings: TIMINGS_FILE,
};
const VIEWS: readonly View[] = ["results", "passes", "timings"];

function viewRows(entry: JournalEntry, view: View): readonly CsvRow[] {
  if (view === "results") return [entry.results];
  if (view === "timings") return [entry.timing];
  return entry.passes;
}

/**
 * Check a CSV file written by this run against what the journal says it holds: every row it
 * has must be the journal's, byte for byte, in order. It may stop early, even mid-row (a crash
 * before the append reached the disk), or go on past the journal's cells. Returns whether it
 * went on.
 */
function checkView(
  path: string,
  actual: Buffer,
  header: readonly string[],
  entries: readonly JournalEntry[],
  view: View,
): boolean {
  let offset = 0;
  // null = the file ended there (a crash, fine); else whether the expected row is there.
  const matches = (expected: Buffer): boolean | null => {
    if (offset >= actual.length) return null;
    const got = actual.subarray(offset, offset + expected.length);
    if (!got.equals(expected.subarray(0, got.length))) return false;
    offset += got.length;
    return got.length === expected.length ? true : null;
  };
  const headerMatch = matches(Buffer.from(toCsv([header])));
  if (headerMatch === false)
    throw new UsageError(
      `${path}: its columns differ from what these options produce; resume with the run's own options`,
    );
  if (headerMatch === null) return false;
  let row = 0;
  for (const entry of entries) {
    for (const expected of viewRows(entry, view)) {
      row++;
      const match = matches(Buffer.from(toCsv([expected])));
      if (match === null) return false;
      if (!match) throw changed(path, row, entry.cell);
    }
  }
  // Rows after the journal's last cell: a power cut can keep a CSV append and lose the
  // journal line written just before it (group commit); those cells run again.
  return offset < actual.length;
}

function changed(path: string, row: number, cell: number): InputError {
  return new InputError(
    path,
    `row ${row} (cell ${cell}) differs from what the run recorded in ${JOURNAL_FILE}: the file was changed after the run wrote it; restore it (or delete it to have it rebuilt from ${JOURNAL_FILE})`,
  );
}

/** Append the whole buffer (write(2) may write less than asked, e.g. as a disk fills). */
function writeAll(fd: number, data: Buffer, path: string): void {
  let written = 0;
  while (written < data.length) {
    written += onFile(path, () => writeSync(fd, data, written, data.length - written));
  }
}

// --- the writer ---------------------------------------------------------------------------

export class RunWriter {
  readonly dir: string;
  /** One line each for stderr: what opening the run repaired (torn tails, rows restored). */
  readonly notices: string[] = [];
  private readonly cells: readonly CellSpec[];
  private readonly columns: ReturnType<typeof runColumns>;
  /** Next cell whose rows go into the CSV views (all before it are there). */
  private next = 0;
  /** Finished cells after `next`, waiting for the earlier ones. */
  private readonly waiting = new Map<number, JournalEntry>();
  /** Cells finished (journaled) this session or kept from earlier ones, failed included. */
  private readonly finishedCells = new Set<number>();
  private readonly keptCells: number;
  private readonly journalPath: string;
  private journalFd: number;
  private readonly viewFds: Record<View, number>;
  private lastSync = performance.now();
  private syncTimer: NodeJS.Timeout | null = null;
  private unsynced = false;
  /** A write failed: a torn line may be on disk, so nothing more may be appended after it. */
  private broken: Error | null = null;
  private closed = false;

  /**
   * Open `dir` for the sweep `cells`. `resume` = keep the cells the journal holds (after
   * checking they are this sweep's and that the CSV files are what it wrote) and continue;
   * otherwise start empty (refusing a directory that already holds a run).
   */
  constructor(dir: string, cells: readonly CellSpec[], resume: boolean) {
    this.dir = dir;
    this.cells = cells;
    this.columns = runColumns(cells);
    this.journalPath = join(dir, JOURNAL_FILE);
    makeRunDir(dir);
    const kept = resume ? this.resumeState() : this.freshState();
    this.keptCells = kept;
    this.journalFd = onFile(this.journalPath, () => openSync(this.journalPath, "a"));
    this.viewFds = {} as Record<View, number>;
    for (const view of VIEWS) {
      const path = join(dir, VIEW_FILES[view]);
      this.viewFds[view] = onFile(path, () => openSync(path, "a"));
    }
  }

  private freshState(): number {
    for (const file of [RESULTS_FILE, JOURNAL_FILE]) {
      const path = join(this.dir, file);
      if (existsSync(path))
        throw new InputError(
          path,
          "already exists; use --resume to finish that run or choose another --out",
        );
    }
    onFile(this.journalPath, () => writeFileAtomic(this.journalPath, ""));
    for (const view of VIEWS) {
      const path = join(this.dir, VIEW_FILES[view]);
      onFile(path, () => writeFileAtomic(path, toCsv([this.columns[view]])));
    }
    return 0;
  }

  /** Check the journal and the views, repair what a crash left, and return the kept count. */
  private resumeState(): number {
    const resultsPath = join(this.dir, RESULTS_FILE);
    let latest = new Map<number, JournalEntry>();
    if (existsSync(this.journalPath)) {
      const journal = readJournal(this.journalPath, this.cells);
      latest = journal.latest;
      if (journal.tornBytes) {
        const fd = onFile(this.journalPath, () => openSync(this.journalPath, "r+"));
        try {
          onFile(this.journalPath, () => ftruncateSync(fd, journal.wholeBytes));
          onFile(this.journalPath, () => fsyncSync(fd));
        } finally {
          closeSync(fd);
        }
        this.notices.push(
          `${this.journalPath}: cut a torn last line (a crash while a cell was being recorded; that cell runs again)`,
        );
      }
    } else if (existsSync(resultsPath)) {
      const rows = readView(resultsPath).toString("utf8").split("\n").filter(Boolean).length - 1;
      if (rows > 0)
        throw new InputError(
          this.journalPath,
          `missing, but ${RESULTS_FILE} holds ${rows} rows that cannot be checked without it (a run from an older migbench, or the file was deleted); start a new run`,
        );
    }
    // The views were written for the cells 0..written-1 (latest entries, failed ones too).
    const written: JournalEntry[] = [];
    for (let cell = 0; latest.has(cell); cell++) written.push(latest.get(cell) as JournalEntry);
    // Kept = a result that is not a failure; a failed cell runs again.
    let next = 0;
    while (next < written.length && !written[next].failed) next++;
    for (const view of VIEWS) {
      const path = join(this.dir, VIEW_FILES[view]);
      const actual = existsSync(path) ? readView(path) : Buffer.alloc(0);
      const extra = checkView(path, actual, this.columns[view], written, view);
      const prefix = Buffer.from(
        toCsv([this.columns[view], ...written.slice(0, next).flatMap((e) => viewRows(e, view))]),
      );
      if (!actual.equals(prefix)) {
        onFile(path, () => writeFileAtomic(path, prefix));
        if (extra)
          this.notices.push(
            `${path}: dropped rows after the last cell ${JOURNAL_FILE} holds (written just before a crash; those cells run again)`,
          );
        else if (actual.length < prefix.length)
          this.notices.push(
            `${path}: restored the rows of cells the previous session finished but had not written out, from ${JOURNAL_FILE}`,
          );
      }
    }
    this.next = next;
    let kept = 0;
    for (const [cell, entry] of latest) {
      if (entry.failed) continue;
      kept++;
      this.finishedCells.add(cell);
      if (cell > next) this.waiting.set(cell, entry);
    }
    return kept;
  }

  /** Cells in the CSV views (a prefix of the sweep). */
  get written(): number {
    return this.next;
  }

  /** Cells with a result, in the views or waiting for earlier cells. */
  get finished(): number {
    return this.finishedCells.size;
  }

  /** Cells kept from earlier sessions (finished and not failed) when the writer opened. */
  get kept(): number {
    return this.keptCells;
  }

  /** True when `index` already has a result that is kept (so it must not run again). */
  has(index: number): boolean {
    return this.finishedCells.has(index);
  }

  /** A cell finished: journal it, then write it and every cell it was holding back. */
  add(result: CellResult): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new Error("RunWriter: add after close");
    const index = result.spec.index;
    if (this.finishedCells.has(index) || this.cells[index] === undefined)
      throw new Error(`cell ${index} reported twice`);
    const entry: JournalEntry = {
      cell: index,
      spec: this.cells[index],
      failed: result.status === "failed",
      results: resultRow(result, this.columns.results),
      passes: passRows(result, this.columns.passes),
      timing: timingRow(result),
    };
    try {
      writeAll(this.journalFd, Buffer.from(journalLine(entry)), this.journalPath);
      this.finishedCells.add(index);
      this.syncSoon();
      this.waiting.set(index, entry);
      const batch: JournalEntry[] = [];
      for (let e = this.waiting.get(this.next); e; e = this.waiting.get(this.next)) {
        this.waiting.delete(this.next);
        batch.push(e);
        this.next++;
      }
      if (batch.length > 0)
        for (const view of VIEWS)
          writeAll(
            this.viewFds[view],
            Buffer.from(toCsv(batch.flatMap((e) => viewRows(e, view)))),
            join(this.dir, VIEW_FILES[view]),
          );
    } catch (error) {
      this.broken = error as Error;
      throw error;
    }
  }

  /** Group commit: fsync the journal now if the last one is old enough, else soon. */
  private syncSoon(): void {
    this.unsynced = true;
    const since = performance.now() - this.lastSync;
    if (since >= JOURNAL_SYNC_MS) {
      this.syncJournal();
      return;
    }
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = null;
      try {
        this.syncJournal();
      } catch (error) {
        this.broken ??= error as Error; // reported by the next add() or close()
      }
    }, JOURNAL_SYNC_MS - since);
    this.syncTimer.unref();
  }

  private syncJournal(): void {
    if (!this.unsynced) return;
    onFile(this.journalPath, () => fsyncSync(this.journalFd));
    this.unsynced = false;
    this.lastSync = performance.now();
  }

  /** Make everything durable and close the files. Idempotent; throws a pending write error. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    const fds = [
      [this.journalFd, this.journalPath],
      ...VIEWS.map((view) => [this.viewFds[view], join(this.dir, VIEW_FILES[view])]),
    ] as [number, string][];
    let failure: Error | null = this.broken;
    for (const [fd, path] of fds) {
      try {
        if (!this.broken) onFile(path, () => fsyncSync(fd));
      } catch (error) {
        failure ??= error as Error;
      } finally {
        closeSync(fd);
      }
    }
    if (failure) throw failure;
  }
}

function readView(path: string): Buffer {
  return onFile(path, () => readFileSync(path));
}
