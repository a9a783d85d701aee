import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../lib/errors.ts";
import type { CsvRow } from "./schema.ts";

/**
 * CSV text in and out. Writing goes through csv-stringify with fixed settings (comma, `\n`
 * after every record, quotes only where needed), so the same rows are always the same bytes.
 */

/** Rows (already formatted text) → CSV text, one `\n`-terminated line per row. */
export function toCsv(rows: readonly CsvRow[]): string {
  if (rows.length === 0) return "";
  return stringify(rows as string[][], { eof: true, record_delimiter: "unix", quoted: false });
}

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Parse CSV text whose first record is the header. Malformed text → InputError naming `name`. */
export function parseCsv(text: string, name: string): CsvTable {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw new InputError(name, `not valid CSV: ${(error as Error).message.split("\n")[0]}`);
  }
  if (records.length === 0) throw new InputError(name, "empty (no header line)");
  const [header, ...rows] = records;
  return { header, rows };
}

/** Read a CSV file. A missing file → InputError naming it. */
export function readCsv(path: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, code === "ENOENT" ? "no such file" : `cannot read (${code})`);
  }
  return parseCsv(text, path);
}

/** Rows of a table as records keyed by column name (for readers; writers keep arrays). */
export function toRecords(table: CsvTable): Record<string, string>[] {
  return table.rows.map((row) => {
    const record: Record<string, string> = {};
    table.header.forEach((column, i) => {
      record[column] = row[i] ?? "";
    });
    return record;
  });
}
