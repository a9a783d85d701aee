import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InputError, UsageError } from "../lib/errors.ts";
import type { CellSpec } from "./cell.ts";
import { onFile } from "./run-dir.ts";
import type { CsvRow } from "./schema.ts";

/**
 * cells.journal, the record of a run: one line `SHA256 JSON` per finished cell, in the order the
 * workers finished them (run-writer.ts appends and syncs it; docs/RESULTS.md).
 */

export const JOURNAL_FILE = "cells.journal";

/** One finished cell as the journal holds it: the planned spec and its formatted rows. */
export interface JournalEntry {
  readonly cell: number;
  readonly spec: CellSpec;
  readonly failed: boolean;
  readonly results: CsvRow;
  readonly passes: readonly CsvRow[];
  readonly timing: CsvRow;
}

export function journalLine(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${createHash("sha256").update(json).digest("hex")} ${json}\n`;
}

/**
 * The journal's entries (the last line for a cell wins: a failed cell re-run on resume) and the
 * byte length of its whole lines; a last line without its newline is a torn write. `specOf`
 * gives the planned spec of each cell the run holds (undefined for one it does not: another
 * sweep, or another part of it); null takes every entry as it is (`npm run merge`, which has
 * no plan, checks the cells across the parts instead: results/merge.ts).
 */
export function readJournal(path: string, specOf: ((cell: number) => CellSpec | undefined) | null) {
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
    const spec = specOf === null ? entry.spec : specOf(entry.cell);
    if (spec === undefined)
      throw new UsageError(
        `${path}: ${where} is cell ${entry.cell}, which this sweep does not have; resume with the run's own options`,
      );
    if (JSON.stringify(entry.spec) !== JSON.stringify(spec))
      throw new UsageError(
        `${path}: ${where} is cell ${entry.cell} of another sweep (${specDifferences(entry.spec, spec)}); resume with the run's own options, or with the migbench that started the run when a newer one added a parameter`,
      );
    latest.set(entry.cell, entry);
  });
  return {
    latest,
    wholeBytes: Buffer.byteLength(text.slice(0, end)),
    tornBytes: text.length > end,
  };
}

/**
 * What differs between a journal's spec and the planned one, for people: up to three fields,
 * parameters by name ("params.guest_vcpu_busy: absent in the run, 0 now").
 */
export function specDifferences(recorded: CellSpec, planned: CellSpec): string {
  const flat = (spec: CellSpec) => {
    const out = new Map<string, string>();
    for (const [key, value] of Object.entries(spec))
      if (key === "params")
        for (const [name, v] of Object.entries(value as Record<string, unknown>))
          out.set(`params.${name}`, JSON.stringify(v));
      else out.set(key, JSON.stringify(value));
    return out;
  };
  const [was, now] = [flat(recorded), flat(planned)];
  const keys = [...new Set([...was.keys(), ...now.keys()])].filter(
    (k) => was.get(k) !== now.get(k),
  );
  const shown = keys
    .slice(0, 3)
    .map((k) => `${k}: ${was.get(k) ?? "absent"} in the run, ${now.get(k) ?? "absent"} now`);
  return `${shown.join("; ")}${keys.length > 3 ? `; ${keys.length - 3} more` : ""}`;
}
