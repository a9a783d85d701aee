import { InputError, UsageError } from "../lib/errors.ts";
import type { CellSpec } from "./cell.ts";
import { JOURNAL_FILE, type JournalEntry } from "./cells-journal.ts";
import { toCsv } from "./csv.ts";
import {
  type CsvRow,
  PASSES_FILE,
  paramColumns,
  passColumns,
  RESULTS_FILE,
  resultColumns,
  TIMING_COLUMNS,
  TIMINGS_FILE,
} from "./schema.ts";

/**
 * results.csv, passes.csv and timings.csv: views of the journal in cell order (run-writer.ts
 * appends them), their headers, and the check `--resume` makes of them against the journal.
 */

/** The headers of a run's three CSV files (param columns depend on the cells). */
export function runColumns(cells: readonly CellSpec[]) {
  const params = paramColumns(cells);
  return { results: resultColumns(params), passes: passColumns(params), timings: TIMING_COLUMNS };
}

export type View = "results" | "passes" | "timings";
export const VIEW_FILES: Readonly<Record<View, string>> = {
  results: RESULTS_FILE,
  passes: PASSES_FILE,
  timings: TIMINGS_FILE,
};
export const VIEWS: readonly View[] = ["results", "passes", "timings"];

export function viewRows(entry: JournalEntry, view: View): readonly CsvRow[] {
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
export function checkView(
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
