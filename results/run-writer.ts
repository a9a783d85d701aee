import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { InputError } from "../lib/errors.ts";
import type { CellResult, CellSpec } from "./cell.ts";
import { JOURNAL_FILE, type JournalEntry, journalLine, readJournal } from "./cells-journal.ts";
import { toCsv } from "./csv.ts";
import { makeRunDir, onFile, writeAll } from "./run-dir.ts";
import { checkView, runColumns, VIEW_FILES, VIEWS, type View, viewRows } from "./run-views.ts";
import { passRows, RESULTS_FILE, resultRow, timingRow } from "./schema.ts";

/**
 * A run's cells journal and CSV files, written so that a killed process loses only the cells
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
 * A run directory may hold one part of a sweep (`bench --shard K/N`, docs/CLUSTERS.md): its
 * views then hold that part's cells in cell order, under the whole sweep's columns (a param
 * column comes from any cell of the sweep), so the parts' rows, put together in cell order, are
 * what one machine writes (`npm run merge`, results/merge.ts).
 *
 * One process at a time writes a run directory: the caller takes `DIR/.lock` first
 * (run-lock.ts).
 */

/** Longest a finished cell's journal line waits for its fsync. */
const JOURNAL_SYNC_MS = 200;

export class RunWriter {
  readonly dir: string;
  /** One line each for stderr: what opening the run repaired (torn tails, rows restored). */
  readonly notices: string[] = [];
  private readonly sweep: readonly CellSpec[];
  /** The indices of the cells this directory holds, ascending: the sweep's, or a part's. */
  private readonly order: readonly number[];
  /** Membership in `order`; null when it is the whole sweep. */
  private readonly inPart: ReadonlySet<number> | null;
  private readonly columns: ReturnType<typeof runColumns>;
  /** Position in `order` of the next cell whose rows go into the views (all before it are there). */
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
   * Open `dir` for the sweep `sweep`, or for its cells `part` (a subsequence of `sweep`).
   * `resume` = keep the cells the journal holds (after checking they are this run's and that
   * the CSV files are what it wrote) and continue; otherwise start empty (refusing a directory
   * that already holds a run).
   */
  constructor(
    dir: string,
    sweep: readonly CellSpec[],
    resume: boolean,
    part: readonly CellSpec[] = sweep,
  ) {
    this.dir = dir;
    this.sweep = sweep;
    this.order = part.map((cell) => cell.index);
    this.inPart = part === sweep ? null : new Set(this.order);
    this.columns = runColumns(sweep);
    this.journalPath = join(dir, JOURNAL_FILE);
    makeRunDir(dir);
    const kept = resume ? this.resumeState() : this.freshState();
    this.keptCells = kept;
    this.journalFd = onFile(this.journalPath, () => openSync(this.journalPath, "a"));
    const openView = (view: View): number => {
      const path = join(dir, VIEW_FILES[view]);
      return onFile(path, () => openSync(path, "a"));
    };
    this.viewFds = {
      results: openView("results"),
      passes: openView("passes"),
      timings: openView("timings"),
    };
  }

  private freshState(): number {
    checkFreshRunDir(this.dir);
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
      const journal = readJournal(this.journalPath, (cell) => this.specOf(cell));
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
    // The views were written for a prefix of the run's cells (latest entries, failed ones too).
    const written: JournalEntry[] = [];
    for (const cell of this.order) {
      const entry = latest.get(cell);
      if (entry === undefined) break;
      written.push(entry);
    }
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
    const firstUnwritten = this.order[next] ?? Number.POSITIVE_INFINITY;
    for (const [cell, entry] of latest) {
      if (entry.failed) continue;
      kept++;
      this.finishedCells.add(cell);
      if (cell > firstUnwritten) this.waiting.set(cell, entry);
    }
    return kept;
  }

  /** The planned spec of a cell this directory holds; undefined for any other. */
  private specOf(cell: number): CellSpec | undefined {
    if (this.inPart !== null && !this.inPart.has(cell)) return undefined;
    return this.sweep[cell];
  }

  /** Cells in the CSV views (a prefix of the run's cells). */
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
    const index = result.spec.index;
    this.addEntry({
      cell: index,
      // The planned spec (a trace's RAM is only known once it ran: result.spec has it).
      spec: this.specOf(index) ?? result.spec,
      failed: result.status === "failed",
      results: resultRow(result, this.columns.results),
      passes: passRows(result, this.columns.passes),
      timing: timingRow(result),
    });
  }

  /**
   * A cell's journal entry, already formatted: from add(), or as another run directory's
   * journal recorded it (`npm run merge` writes the parts' entries with this writer, so the
   * merged files are made exactly as one machine's run makes them).
   */
  addEntry(entry: JournalEntry): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new Error("RunWriter: add after close");
    const index = entry.cell;
    if (this.specOf(index) === undefined)
      throw new Error(`cell ${index} is not one of this run's cells`);
    if (this.finishedCells.has(index)) throw new Error(`cell ${index} reported twice`);
    try {
      writeAll(this.journalFd, Buffer.from(journalLine(entry)), this.journalPath);
      this.finishedCells.add(index);
      this.syncSoon();
      this.waiting.set(index, entry);
      const batch: JournalEntry[] = [];
      for (let e = this.nextWaiting(); e; e = this.nextWaiting()) {
        this.waiting.delete(e.cell);
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

  /** The entry of the next cell for the views, if it has finished. */
  private nextWaiting(): JournalEntry | undefined {
    const cell = this.order[this.next];
    return cell === undefined ? undefined : this.waiting.get(cell);
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

/** Refuse, before a new run starts, a directory that already holds one. */
export function checkFreshRunDir(dir: string): void {
  for (const file of [RESULTS_FILE, JOURNAL_FILE]) {
    const path = join(dir, file);
    if (existsSync(path))
      throw new InputError(
        path,
        "already exists; use --resume to finish that run or choose another --out",
      );
  }
}

function readView(path: string): Buffer {
  return onFile(path, () => readFileSync(path));
}
