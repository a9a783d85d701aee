import { meanSdLabel, NO_VALUE, rangeLabel, significantLabel } from "../lib/format.ts";
import type { ResultRow, Speed } from "./bench-results.ts";

/**
 * The `bench:codecs` table, on the terminal and as `--export-markdown`: one row per codec and
 * page kind, with hyperfine's mean ± σ, min…max and N for each speed (GB/s of page input,
 * 10^9 bytes/s, one rate per timed iteration), then lzbench's size column. A number that means
 * nothing for the row is NO_VALUE (codecs/bench-results.ts says when).
 */

interface Column {
  /** Above the title on the terminal, spanning the columns that share it. */
  readonly group: string;
  readonly title: string;
  /** The markdown header, units in brackets as hyperfine writes them. */
  readonly markdown: string;
  /** left, right, or a separator to align on (mean ± σ, min…max). */
  readonly align: "left" | "right" | " ± " | "…";
  readonly cell: (row: ResultRow) => string;
}

const mean = (speed: Speed) =>
  speed.meaningful ? meanSdLabel(speed.stats.meanGBps, speed.stats.sdGBps) : NO_VALUE;
const range = (speed: Speed) =>
  speed.meaningful ? rangeLabel(speed.stats.minGBps, speed.stats.maxGBps) : NO_VALUE;

const iterations = (speed: Speed) => (speed.stats === null ? NO_VALUE : String(speed.stats.n));

const COLUMNS: readonly Column[] = [
  { group: "", title: "codec", markdown: "Codec", align: "left", cell: (r) => r.codec },
  { group: "", title: "kind", markdown: "Kind", align: "left", cell: (r) => r.kind },
  {
    group: "encode GB/s",
    title: "mean ± σ",
    markdown: "Encode [GB/s]",
    align: " ± ",
    cell: (r) => mean(r.encode),
  },
  {
    group: "encode GB/s",
    title: "min…max",
    markdown: "Encode min…max [GB/s]",
    align: "…",
    cell: (r) => range(r.encode),
  },
  {
    group: "decode GB/s",
    title: "mean ± σ",
    markdown: "Decode [GB/s]",
    align: " ± ",
    cell: (r) => mean(r.decode),
  },
  {
    group: "decode GB/s",
    title: "min…max",
    markdown: "Decode min…max [GB/s]",
    align: "…",
    cell: (r) => range(r.decode),
  },
  {
    group: "",
    title: "N enc/dec",
    markdown: "N (encode/decode)",
    align: "right",
    cell: (r) => `${iterations(r.encode)}/${iterations(r.decode)}`,
  },
  {
    group: "",
    title: "size %",
    markdown: "Size [%]",
    align: "right",
    cell: (r) => significantLabel(r.encodedPercent),
  },
  {
    group: "",
    title: "overflow %",
    markdown: "Overflow [%]",
    align: "right",
    cell: (r) => (r.overflowPercent === null ? NO_VALUE : significantLabel(r.overflowPercent)),
  },
];

/** One column's cells padded to one width: aligned on the separator when every cell has it. */
function alignColumn(title: string, cells: readonly string[], align: Column["align"]): string[] {
  if (align === "left" || align === "right") {
    const width = Math.max(title.length, ...cells.map((c) => c.length));
    const pad = (c: string) => (align === "left" ? c.padEnd(width) : c.padStart(width));
    return [pad(title), ...cells.map(pad)];
  }
  const parts = cells.map((c) => (c.includes(align) ? c.split(align) : null));
  const leftWidth = Math.max(0, ...parts.map((p) => (p ? p[0].length : 0)));
  const rightWidth = Math.max(0, ...parts.map((p) => (p ? p[1].length : 0)));
  const aligned = parts.map((p, i) =>
    p ? `${p[0].padStart(leftWidth)}${align}${p[1].padEnd(rightWidth)}` : cells[i],
  );
  const width = Math.max(title.length, ...aligned.map((c) => c.length));
  return [title.padEnd(width), ...aligned.map((c) => c.padStart(width))];
}

const GAP = "  ";

/** The terminal table: a group line, the titles, a rule, then one line per row. */
export function tableLines(rows: readonly ResultRow[]): string[] {
  const columns = COLUMNS.map((column) =>
    alignColumn(
      column.title,
      rows.map((row) => column.cell(row)),
      column.align,
    ),
  );
  const widths = columns.map((cells) => cells[0].length);
  // Each group title starts over its first column and spans the columns that share it.
  let groups = "";
  let at = 0;
  for (let c = 0; c < COLUMNS.length; c++) {
    const { group } = COLUMNS[c];
    if (group !== "" && (c === 0 || COLUMNS[c - 1].group !== group)) {
      groups = groups.padEnd(at) + group;
    }
    at += widths[c] + GAP.length;
  }
  const line = (r: number) => columns.map((cells) => cells[r]).join(GAP);
  const body = rows.map((_, r) => line(r + 1).trimEnd());
  const rule = widths.map((w) => "-".repeat(w)).join(GAP);
  return [groups, line(0).trimEnd(), rule, ...body];
}

/** The same table as GitHub markdown (hyperfine's --export-markdown). */
export function markdownTable(rows: readonly ResultRow[]): string {
  const escapePipes = (text: string) => text.replace(/\|/g, "\\|");
  const header = `| ${COLUMNS.map((c) => c.markdown).join(" | ")} |`;
  const rule = `|${COLUMNS.map((c) => (c.align === "left" ? ":---" : "---:")).join("|")}|`;
  const body = rows.map(
    (row) => `| ${COLUMNS.map((column) => escapePipes(column.cell(row))).join(" | ")} |`,
  );
  return `${[header, rule, ...body].join("\n")}\n`;
}
