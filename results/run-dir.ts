import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../harness/atomic-file.ts";
import type { CellResult, CellSpec } from "../harness/cell.ts";
import { InputError, UsageError } from "../harness/errors.ts";
import { parseCsv, toCsv } from "./csv.ts";
import {
  type CsvRow,
  PASSES_FILE,
  paramColumns,
  passColumns,
  passRows,
  PARAM_PREFIX,
  RESULT_SETTING_COLUMNS,
  RESULT_SPEC_COLUMNS,
  RESULTS_FILE,
  resultColumns,
  resultRow,
  TIMING_COLUMNS,
  TIMINGS_FILE,
  timingRow,
} from "./schema.ts";

/**
 * A run's directory and the files in it, written so that a crash at any moment loses at most
 * the cells in flight and never leaves a half row:
 *
 * - results.csv is the commit record. After each batch of finished cells it is rewritten whole
 *   to `results.csv.tmp-PID`, fsynced and renamed over the old file (rename is atomic on POSIX),
 *   so a reader or a crash sees the old complete file or the new one. It holds one short row per
 *   cell (~0.5 KB), so rewriting it costs little even for thousands of cells — and a torn
 *   append is impossible by construction.
 * - passes.csv and timings.csv grow by a row per pass, which could make whole-file rewrites
 *   quadratic, so they are appended: all rows of a batch in a single write(2), then fsync,
 *   *before* results.csv is renamed. A cell counts as done only once its results.csv row is in;
 *   `--resume` cuts passes.csv and timings.csv back to the cells results.csv holds, which also
 *   removes any torn tail a power cut could leave after an append.
 *
 * Rows are written in cell order whatever order the cells finish in (a finished cell waits in a
 * buffer until every earlier one is written), so the files are byte-identical for any
 * `--workers`, and the done cells are always a prefix 0..k-1 — which is what --resume relies on.
 */

/** `results/20261125T183000Z-sap-like` (UTC, second resolution; `-2`, `-3`... if taken). */
export function defaultRunDir(workloads: readonly string[], now: Date, root = "results"): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const base = join(root, `${stamp}-${workloads.join("+")}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/** Append whole rows with one write(2) and make them durable before returning. */
function appendDurable(path: string, data: string): void {
  if (data === "") return;
  const fd = openSync(path, "a");
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The headers of a run's three CSV files (param columns depend on the cells). */
export function runColumns(cells: readonly CellSpec[]) {
  const params = paramColumns(cells);
  return { results: resultColumns(params), passes: passColumns(params), timings: TIMING_COLUMNS };
}

/**
 * How many cells of `cells` results.csv in `dir` already holds: the length of the prefix of
 * rows that match cell 0, 1, 2... exactly in their spec columns. A row that does not match
 * means the run was made with other options → UsageError (refuse to mix two sweeps).
 */
export function completedPrefix(dir: string, cells: readonly CellSpec[]): number {
  const path = join(dir, RESULTS_FILE);
  if (!existsSync(path)) return 0;
  const table = parseCsv(readFileSync(path, "utf8"), path);
  const columns = runColumns(cells).results;
  if (table.header.join(",") !== columns.join(","))
    throw new UsageError(
      `${path}: its columns differ from what these options produce; resume with the run's own options`,
    );
  // The columns that come from the cell's spec (not its outcome) must match cell by cell.
  const specColumnIndexes = columns
    .map((column, i) => ({ column, i }))
    .filter(({ column }) => SPEC_DERIVED.has(column) || column.startsWith(PARAM_PREFIX))
    .map(({ i }) => i);
  let done = 0;
  for (const row of table.rows) {
    if (row.length !== columns.length || done >= cells.length) break;
    const expected = resultRow({ spec: cells[done], status: "failed", error: "", wallMs: 0 }, columns);
    const same = specColumnIndexes.every((i) => row[i] === expected[i]);
    if (!same)
      throw new UsageError(
        `${path}: row ${done + 1} is not cell ${done} of this sweep; resume with the run's own options`,
      );
    done++;
  }
  return done;
}

const SPEC_DERIVED = new Set<string>([...RESULT_SPEC_COLUMNS, ...RESULT_SETTING_COLUMNS]);

/** Keep the header and the rows of cells < `done` (column 0 is the cell index). */
function truncateToCells(path: string, header: readonly string[], done: number): void {
  let rows: (readonly string[])[] = [];
  if (existsSync(path)) {
    const table = parseCsv(readFileSync(path, "utf8"), path);
    rows = table.rows.filter(
      (row) => row.length === header.length && Number(row[0]) < done && row[0] !== "",
    );
  }
  writeFileAtomic(path, toCsv([header, ...rows]));
}

export class RunWriter {
  readonly dir: string;
  private readonly columns: ReturnType<typeof runColumns>;
  private resultsText: string;
  private next: number;
  private readonly waiting = new Map<number, CellResult>();

  /**
   * Open `dir` for the sweep `cells`. `resume` = keep the cells results.csv already holds
   * (after checking they are this sweep's) and continue after them; otherwise start empty.
   */
  constructor(dir: string, cells: readonly CellSpec[], resume: boolean) {
    this.dir = dir;
    this.columns = runColumns(cells);
    mkdirSync(dir, { recursive: true });
    const resultsPath = join(dir, RESULTS_FILE);
    if (resume) {
      this.next = completedPrefix(dir, cells);
      const kept = existsSync(resultsPath)
        ? parseCsv(readFileSync(resultsPath, "utf8"), resultsPath).rows.slice(0, this.next)
        : [];
      this.resultsText = toCsv([this.columns.results, ...kept]);
      truncateToCells(join(dir, PASSES_FILE), this.columns.passes, this.next);
      truncateToCells(join(dir, TIMINGS_FILE), this.columns.timings, this.next);
    } else {
      if (existsSync(resultsPath))
        throw new InputError(
          resultsPath,
          "already exists; use --resume to finish that run or choose another --out",
        );
      this.next = 0;
      this.resultsText = toCsv([this.columns.results]);
      writeFileAtomic(join(dir, PASSES_FILE), toCsv([this.columns.passes]));
      writeFileAtomic(join(dir, TIMINGS_FILE), toCsv([this.columns.timings]));
    }
    writeFileAtomic(resultsPath, this.resultsText);
  }

  /** Cells already written (a prefix of the sweep). */
  get written(): number {
    return this.next;
  }

  /** A cell finished: write it and every buffered cell it was holding back. */
  add(result: CellResult): void {
    const index = result.spec.index;
    if (index < this.next || this.waiting.has(index))
      throw new Error(`cell ${index} reported twice`);
    this.waiting.set(index, result);
    const batch: CellResult[] = [];
    for (let r = this.waiting.get(this.next); r; r = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      batch.push(r);
      this.next++;
    }
    if (batch.length > 0) this.write(batch);
  }

  private write(batch: readonly CellResult[]): void {
    const passes: CsvRow[] = [];
    const results: CsvRow[] = [];
    const timings: CsvRow[] = [];
    for (const result of batch) {
      passes.push(...passRows(result, this.columns.passes));
      results.push(resultRow(result, this.columns.results));
      timings.push(timingRow(result));
    }
    // Order matters: the per-pass rows are durable before the results row commits the cell.
    appendDurable(join(this.dir, PASSES_FILE), toCsv(passes));
    appendDurable(join(this.dir, TIMINGS_FILE), toCsv(timings));
    this.resultsText += toCsv(results);
    writeFileAtomic(join(this.dir, RESULTS_FILE), this.resultsText);
  }
}
