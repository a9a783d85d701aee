import Table from "cli-table3";
import type { CellRow } from "../results/records.ts";
import { summarize, summaryCells, summaryHead, summaryNotes } from "./summary.ts";

/**
 * The end-of-run summary on the terminal: reports/summary.ts's tables, one per workload, drawn
 * with box lines. Built from results.csv records, so a resumed run's summary covers the cells of
 * earlier sessions too. Pure: records in, text out.
 */

/** Box lines around the table and under the header only: one line per row. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/**
 * One table per workload, as text (no colours, so the output is the same in a pipe), then the
 * notes that explain the tables' `>` and `—` when they use them.
 */
export function summaryTables(cells: readonly CellRow[]): string[] {
  const summaries = summarize(cells);
  const tables = summaries.map((summary) => {
    const table = new Table({
      head: summaryHead(summary),
      chars: COMPACT,
      style: { head: [], border: [] },
    });
    for (const row of summary.rows) table.push(summaryCells(row));
    const seedNote = summary.seeds > 1 ? ` (means over ${summary.seeds} seeds)` : "";
    return `${summary.workload}${seedNote}\n${table.toString()}`;
  });
  return [...tables, ...summaryNotes(summaries)];
}
