import { msLabel, NO_VALUE, sizeLabel } from "../lib/format.ts";
import { formatCount, formatMs, formatRatio } from "../results/csv-format.ts";
import type { CsvRow } from "../results/schema.ts";
import type {
  ComparedMetric,
  Comparison,
  MetricComparison,
  SettingComparison,
  SideOutcome,
  SideValue,
} from "./compare.ts";
import { panelLabel, settingText, settingTitle } from "./settings.ts";

/**
 * A comparison (reports/compare.ts) as people and programs read it: the terminal table (one
 * row per setting and metric, the outcome first), the CSV rows (`npm run compare -- --csv`),
 * and one headline sentence per setting ("xbzrle sent 4.3× less than raw and converged where
 * raw did not"). Numbers are printed by lib/format.ts, as in the summary tables. Pure.
 */

const LABELS: Readonly<Record<ComparedMetric, (value: number) => string>> = {
  "total time": msLabel,
  downtime: msLabel,
  transferred: sizeLabel,
};

/** The CSV's metric names, with their units, and how results.csv formats them. */
const CSV_METRICS: Readonly<Record<ComparedMetric, [string, (value: number) => string]>> = {
  "total time": ["total_time_ms", formatMs],
  downtime: ["downtime_ms", formatMs],
  transferred: ["transferred_bytes", formatCount],
};

/** "4.3", "12", "1.02": three significant digits, trailing zeros dropped (for sentences). */
function factor(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** "1.3 %", "0.03 %": two significant digits. */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))} %`;
}

function signed(value: number, label: (v: number) => string): string {
  if (value === 0) return label(0);
  return `${value < 0 ? "−" : "+"}${label(Math.abs(value))}`;
}

/** "3/3 completed", "0/3 (max-time)", "1/3 completed, 2 failed". */
function outcomeText(side: SideOutcome): string {
  const stopped = side.stoppedBy.length > 0 ? ` (${side.stoppedBy.join(", ")})` : "";
  const failed = side.failed > 0 ? `, ${side.failed} failed` : "";
  return `${side.completed}/${side.seeds} completed${failed}${stopped}`;
}

function valueText(value: SideValue | null, label: (v: number) => string): string {
  if (!value) return NO_VALUE;
  if (value.lowerBound) return `> ${label(value.mean)}`;
  const half = (value.high - value.low) / 2;
  return value.n >= 2 ? `${label(value.mean)} ± ${label(half)}` : label(value.mean);
}

function differenceText(m: MetricComparison, label: (v: number) => string): string {
  const d = m.difference;
  if (!d) return NO_VALUE;
  const half = (d.high - d.low) / 2;
  return d.n >= 2 ? `${signed(d.mean, label)} ± ${label(half)}` : signed(d.mean, label);
}

/** B / A; a bound reads "< 0.25×" or "> 4×" (the bound side's true value is higher). */
function ratioText(m: MetricComparison): string {
  if (m.ratio === null || m.verdict === "unknown") return NO_VALUE;
  if (m.basis !== "bound") return `${m.ratio.toPrecision(3)}×`;
  return `${m.a?.lowerBound ? "<" : ">"} ${m.ratio.toPrecision(3)}×`;
}

function verdictText(m: MetricComparison): string {
  if (m.basis === "none") return NO_VALUE;
  if (m.verdict === "unknown" && m.a?.lowerBound && m.b?.lowerBound) return "both stopped";
  return m.verdict;
}

function outcomesDiffer(row: SettingComparison): boolean {
  return row.a.completed !== row.b.completed || row.a.failed !== row.b.failed;
}

function settingCells(c: Comparison, row: SettingComparison): string[] {
  const settings = c.varying.map((col) => settingText(col, row.settings[col] ?? ""));
  return [row.codec, ...settings];
}

/** The terminal table: header, then per setting an outcome row and one row per metric. */
export function comparisonTable(c: Comparison): { head: string[]; rows: string[][] } {
  const head = [
    "codec",
    ...c.varying.map(settingTitle),
    "metric",
    "A",
    "B",
    "B − A",
    "B / A",
    "verdict",
  ];
  const rows: string[][] = [];
  for (const row of c.rows) {
    const setting = settingCells(c, row);
    const blank = setting.map(() => "");
    const verdict = outcomesDiffer(row) ? "differs" : "same";
    rows.push([...setting, "outcome", outcomeText(row.a), outcomeText(row.b), "", "", verdict]);
    for (const m of row.metrics) {
      const label = LABELS[m.metric];
      rows.push([
        ...blank,
        m.metric,
        valueText(m.a, label),
        valueText(m.b, label),
        differenceText(m, label),
        ratioText(m),
        verdictText(m),
      ]);
    }
  }
  return { head, rows };
}

/** What A and B are, for the line above the table. */
export function comparisonLegend(c: Comparison): string {
  if (c.baseline !== null)
    return `A = ${c.baseline} (the baseline), B = the row's codec, at the same settings; means ± 95 % intervals over seeds.`;
  return `A = ${c.labelA}, B = ${c.labelB}, the same codec at the same settings; means ± 95 % intervals over seeds.`;
}

const CSV_HEAD_SIDES = ["seeds", "completed", "stopped_by", "mean", "low", "high", "lower_bound"];

/** The CSV: one row per setting and metric, every setting column as results.csv writes it. */
export function comparisonCsv(c: Comparison): CsvRow[] {
  const columns = Object.keys(c.rows[0]?.settings ?? {});
  const head = [
    "a",
    "b",
    "codec_a",
    "codec_b",
    ...columns,
    "metric",
    "basis",
    ...CSV_HEAD_SIDES.map((h) => `a_${h}`),
    ...CSV_HEAD_SIDES.map((h) => `b_${h}`),
    "difference_mean",
    "difference_low",
    "difference_high",
    "ratio",
    "verdict",
  ];
  const rows: CsvRow[] = [head];
  for (const row of c.rows) {
    const [a, b] = c.baseline !== null ? [row.codecA, row.codec] : [c.labelA, c.labelB];
    const settings = columns.map((col) => row.settings[col] ?? "");
    for (const m of row.metrics) {
      const [name, format] = CSV_METRICS[m.metric];
      const side = (outcome: SideOutcome, value: SideValue | null) => [
        String(outcome.seeds),
        String(outcome.completed),
        outcome.stoppedBy.join(";"),
        value ? format(value.mean) : "",
        value ? format(value.low) : "",
        value ? format(value.high) : "",
        value ? String(value.lowerBound) : "",
      ];
      const d = m.difference;
      rows.push([
        a,
        b,
        row.codecA,
        row.codec,
        ...settings,
        name,
        m.basis,
        ...side(row.a, m.a),
        ...side(row.b, m.b),
        d ? format(d.mean) : "",
        d ? format(d.low) : "",
        d ? format(d.high) : "",
        m.ratio === null ? "" : formatRatio(m.ratio),
        m.verdict,
      ]);
    }
  }
  return rows;
}

/** "converged where raw did not (max-time)", or null when both completed every seed. */
function outcomePhrase(nameA: string, row: SettingComparison): string | null {
  const { a, b } = row;
  const all = (s: SideOutcome) => s.completed === s.seeds;
  const why = (s: SideOutcome) => (s.stoppedBy.length > 0 ? ` (${s.stoppedBy.join(", ")})` : "");
  if (all(a) && all(b)) return null;
  if (a.completed === 0 && all(b)) return `converged where ${nameA} did not${why(a)}`;
  if (all(a) && b.completed === 0) return `did not converge${why(b)} where ${nameA} did`;
  if (a.completed === 0 && b.completed === 0)
    return `did not converge${why(b)}, nor did ${nameA}${why(a)}`;
  return `converged in ${b.completed}/${b.seeds} seeds, ${nameA} in ${a.completed}/${a.seeds}`;
}

/**
 * "sent 4.3× less than raw", "took at least 12× less time than raw", "sent 2.1 % more than A
 * (one seed)", "sent as much as A (the difference is within the seeds' spread)"; null when
 * nothing is known.
 */
function amountPhrase(
  m: MetricComparison | undefined,
  nameA: string,
  words: { verb: string; less: string; more: string; same: string },
): string | null {
  if (!m || m.ratio === null || m.verdict === "unknown" || m.ratio <= 0) return null;
  if (m.verdict === "within spread")
    return `${words.verb} ${words.same} ${nameA} (the difference is within the seeds' spread)`;
  const caveat = m.verdict === "one seed" ? " (one seed)" : "";
  if (m.ratio === 1) return `${words.verb} exactly ${words.same} ${nameA}${caveat}`;
  const bound = m.verdict === "at least" ? "at least " : "";
  const less = m.ratio < 1;
  const direction = less ? words.less : words.more;
  const times = less ? 1 / m.ratio : m.ratio;
  // Under 10 % apart, a percentage reads better than "1.02×".
  const amount = times < 1.1 ? percent(Math.abs(1 - m.ratio)) : `${factor(times)}×`;
  return `${words.verb} ${bound}${amount} ${direction} than ${nameA}${caveat}`;
}

function joinPhrases(phrases: readonly string[]): string {
  if (phrases.length <= 1) return phrases.join("");
  return `${phrases.slice(0, -1).join(", ")} and ${phrases.at(-1)}`;
}

/** One sentence per compared setting, the setting first when the rows differ in it. */
export function comparisonHeadlines(c: Comparison): string[] {
  return c.rows.map((row) => {
    const [nameA, nameB] = c.baseline !== null ? [row.codecA, row.codec] : [c.labelA, c.labelB];
    const where = [
      ...(c.baseline === null ? [row.codec] : []),
      ...c.varying.map((col) => panelLabel(col, row.settings[col] ?? "")),
    ].join(" · ");
    const metric = (name: ComparedMetric) => row.metrics.find((m) => m.metric === name);
    const phrases = [
      amountPhrase(metric("transferred"), nameA, {
        verb: "sent",
        less: "less",
        more: "more",
        same: "as much as",
      }),
      amountPhrase(metric("total time"), nameA, {
        verb: "took",
        less: "less time",
        more: "more time",
        same: "as long as",
      }),
      outcomePhrase(nameA, row),
    ].filter((p): p is string => p !== null);
    const sentence = `${nameB} ${joinPhrases(phrases)}`;
    return where ? `${where}: ${sentence}` : sentence;
  });
}
