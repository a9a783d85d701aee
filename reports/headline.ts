import { factorLabel, msLabel } from "../lib/format.ts";
import type { CellRow } from "../results/records.ts";
import { sortCodecs } from "./charts/common.ts";
import { groupOverSeeds, NOT_CONVERGED, settingColumns, settingsKey } from "./seed-groups.ts";
import { meanInterval } from "./stats.ts";

/**
 * What a reader of a run wants first, per workload: which codec converged, how much less it
 * sent than raw (no compression) at the same settings, and its downtime against QEMU's
 * downtime-limit. Pure: results.csv records in, numbers and sentences out; report.html prints it
 * above the charts.
 */

/** raw's bytes ÷ the codec's, smallest and largest over `settings` settings. */
export interface Ratios {
  readonly low: number;
  readonly high: number;
  readonly settings: number;
}

/**
 * How much the codec sent against raw at the settings where the codec converged: exact where
 * raw converged too; a lower bound where raw was stopped (it would have sent more).
 */
export interface RawComparison {
  readonly exact: Ratios | null;
  readonly atLeast: Ratios | null;
}

export interface DowntimeAgainstLimit {
  /** Over the codec's completed migrations. */
  readonly lowMs: number;
  readonly highMs: number;
  readonly limitsMs: readonly number[];
  /** Completed migrations whose downtime exceeded their limit, of `migrations`. */
  readonly over: number;
  readonly migrations: number;
}

export interface CodecHeadline {
  readonly codec: string;
  /** Settings the codec ran at (seeds pooled), those where every seed converged, and some. */
  readonly settings: number;
  readonly converged: number;
  readonly partly: number;
  /** null for raw itself, or when no setting has both raw and a converged run of the codec. */
  readonly vsRaw: RawComparison | null;
  readonly downtime: DowntimeAgainstLimit | null;
}

export interface WorkloadHeadline {
  readonly workload: string;
  readonly codecs: readonly CodecHeadline[];
  /** One sentence: the best codec's result, or that none converged. */
  readonly lead: string;
}

function mean(values: readonly number[]): number {
  return meanInterval(values)?.mean ?? Number.NaN;
}

/** raw's cells of a workload by setting (codec and seed aside). */
interface RawCells {
  readonly settings: readonly string[];
  readonly byKey: ReadonlyMap<string, readonly CellRow[]>;
}

function ratios(values: readonly number[]): Ratios | null {
  if (values.length === 0) return null;
  return { low: Math.min(...values), high: Math.max(...values), settings: values.length };
}

function rawComparison(groups: readonly CellRow[][], raw: RawCells): RawComparison | null {
  const exact: number[] = [];
  const atLeast: number[] = [];
  for (const group of groups) {
    if (group.some((c) => c.status !== "completed")) continue;
    const rawCells = raw.byKey.get(settingsKey(group[0], raw.settings));
    if (!rawCells) continue;
    const rawBytes = mean(rawCells.map((c) => c.transferredBytes ?? Number.NaN));
    const bytes = mean(group.map((c) => c.transferredBytes ?? Number.NaN));
    if (!(rawBytes > 0 && bytes > 0)) continue;
    const stopped = rawCells.some((c) => NOT_CONVERGED.has(c.status));
    (stopped ? atLeast : exact).push(rawBytes / bytes);
  }
  if (exact.length === 0 && atLeast.length === 0) return null;
  return { exact: ratios(exact), atLeast: ratios(atLeast) };
}

function downtimeOf(cells: readonly CellRow[]): DowntimeAgainstLimit | null {
  const done = cells.filter((c) => c.status === "completed" && c.downtimeMs !== null);
  if (done.length === 0) return null;
  const ms = done.map((c) => c.downtimeMs as number);
  return {
    lowMs: Math.min(...ms),
    highMs: Math.max(...ms),
    limitsMs: [...new Set(done.map((c) => c.downtimeLimitMs))].sort((a, b) => a - b),
    over: done.filter((c) => (c.downtimeMs as number) > c.downtimeLimitMs).length,
    migrations: done.length,
  };
}

function codecHeadline(codec: string, cells: readonly CellRow[], raw: RawCells): CodecHeadline {
  const groups = groupOverSeeds(cells.filter((c) => c.codec === codec && c.status !== "failed"));
  return {
    codec,
    settings: groups.length,
    converged: groups.filter((g) => g.every((c) => c.status === "completed")).length,
    partly: groups.filter(
      (g) => g.some((c) => c.status === "completed") && g.some((c) => c.status !== "completed"),
    ).length,
    vsRaw: codec === "raw" ? null : rawComparison(groups, raw),
    downtime: downtimeOf(groups.flat()),
  };
}

/** "4.3× less", "4.3–4.6× less", "1.2× more", "1.1× more to 1.3× less". */
function ratiosText(r: Ratios): string {
  const side = (x: number) => (x < 1 ? `${factorLabel(1 / x)} more` : `${factorLabel(x)} less`);
  if (r.low < 1 && r.high >= 1) return `${side(r.low)} to ${side(r.high)}`;
  const [a, b] = r.high < 1 ? [side(r.high), side(r.low)] : [side(r.low), side(r.high)];
  if (a === b) return a;
  return `${a.replace(/× (less|more)$/, "")}–${b}`;
}

/** "1.4× less; ≥ 2.4× less where raw did not converge" */
export function rawComparisonText(vs: RawComparison): string {
  const parts = [
    vs.exact ? ratiosText(vs.exact) : "",
    vs.atLeast ? `≥ ${ratiosText(vs.atLeast)} where raw did not converge` : "",
  ];
  return parts.filter(Boolean).join("; ");
}

/** "2.1–24.4 ms", "0.00 ms–1.50 s": a low–high range, the unit once where both share it. */
function rangeText(low: string, high: string): string {
  if (low === high) return low;
  const unit = / \S+$/.exec(high)?.[0] ?? "";
  return unit !== "" && low.endsWith(unit)
    ? `${low.slice(0, -unit.length)}–${high}`
    : `${low}–${high}`;
}

/** "14.0–24.4 ms (limit 300 ms)" */
export function downtimeText(d: DowntimeAgainstLimit): string {
  const range = rangeText(msLabel(d.lowMs), msLabel(d.highMs));
  return `${range} (limit ${d.limitsMs.map(msLabel).join(", ")})`;
}

/** The comparison with raw as the lead sentence says it. */
function againstRaw({ exact, atLeast }: RawComparison): string {
  if (exact && atLeast)
    return `${ratiosText(exact)} than raw where both converged and ≥ ${ratiosText(atLeast)} where raw did not`;
  if (exact) return `${ratiosText(exact)} than raw`;
  return `≥ ${ratiosText(atLeast as Ratios)} than raw, which did not converge (it would have sent more)`;
}

/** The smallest factor by which a codec beat raw, for ranking (0 when not compared). */
function leastRatio(c: CodecHeadline): number {
  return (
    Math.min(c.vsRaw?.exact?.low ?? Infinity, c.vsRaw?.atLeast?.low ?? Infinity) % Infinity || 0
  );
}

function lead(codecs: readonly CodecHeadline[], cells: readonly CellRow[]): string {
  const best = [...codecs]
    .filter((c) => c.converged > 0)
    .sort(
      (a, b) =>
        b.converged - a.converged ||
        leastRatio(b) - leastRatio(a) ||
        (a.downtime?.highMs ?? Number.POSITIVE_INFINITY) -
          (b.downtime?.highMs ?? Number.POSITIVE_INFINITY),
    )[0];
  if (!best) {
    const stopped = cells.filter((c) => NOT_CONVERGED.has(c.status)).length;
    return `No codec converged: ${stopped} of ${cells.length} migrations were stopped before the VM could be moved.`;
  }
  const raw = codecs.find((c) => c.codec === "raw");
  const alike = codecs
    .filter((c) => c !== best && c.converged === best.converged && c.settings === best.settings)
    .map((c) => c.codec);
  const others = [
    alike.length > 0 ? `as did ${alike.join(", ")}` : "",
    raw && best.codec !== "raw" && !alike.includes("raw")
      ? `raw: ${raw.converged} of ${raw.settings}`
      : "",
  ].filter(Boolean);
  const parts = [
    `${best.codec} converged in ${best.converged} of ${best.settings} setting${best.settings === 1 ? "" : "s"}${others.length > 0 ? ` (${others.join("; ")})` : ""}`,
  ];
  if (best.vsRaw) parts.push(`sent ${againstRaw(best.vsRaw)}`);
  if (best.downtime)
    parts.push(
      `downtime ${downtimeText(best.downtime)}${best.downtime.over > 0 ? `, over the limit in ${best.downtime.over} of ${best.downtime.migrations} migrations` : ""}`,
    );
  return `${parts.join("; ")}.`;
}

/** The headline of every workload of a run, in order of first appearance. */
export function headlines(cells: readonly CellRow[]): WorkloadHeadline[] {
  // A plug-in codec's module path is its own setting; raw at the same settings has none.
  const settings = settingColumns(cells).filter((c) => c !== "codec_module");
  const workloads = [...new Set(cells.map((c) => c.workload))];
  return workloads.map((workload) => {
    const own = cells.filter((c) => c.workload === workload && c.status !== "failed");
    const byKey = new Map<string, CellRow[]>();
    for (const cell of own.filter((c) => c.codec === "raw")) {
      const key = settingsKey(cell, settings);
      byKey.set(key, [...(byKey.get(key) ?? []), cell]);
    }
    const raw = { settings, byKey };
    const codecs = sortCodecs(own.map((c) => c.codec)).map((codec) =>
      codecHeadline(codec, own, raw),
    );
    return { workload, codecs, lead: lead(codecs, own) };
  });
}
