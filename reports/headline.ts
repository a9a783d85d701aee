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

export interface RawComparison {
  /** raw's bytes ÷ the codec's, smallest and largest over the settings compared. */
  readonly low: number;
  readonly high: number;
  /** raw did not converge at some compared setting: it was stopped, so it would have sent more. */
  readonly atLeast: boolean;
  readonly settings: number;
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

function rawComparison(groups: readonly CellRow[][], raw: RawCells): RawComparison | null {
  const ratios: number[] = [];
  let atLeast = false;
  for (const group of groups) {
    if (group.some((c) => c.status !== "completed")) continue;
    const rawCells = raw.byKey.get(settingsKey(group[0], raw.settings));
    if (!rawCells) continue;
    const rawBytes = mean(rawCells.map((c) => c.transferredBytes ?? Number.NaN));
    const bytes = mean(group.map((c) => c.transferredBytes ?? Number.NaN));
    if (!(rawBytes > 0 && bytes > 0)) continue;
    ratios.push(rawBytes / bytes);
    if (rawCells.some((c) => NOT_CONVERGED.has(c.status))) atLeast = true;
  }
  if (ratios.length === 0) return null;
  return { low: Math.min(...ratios), high: Math.max(...ratios), atLeast, settings: ratios.length };
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

/** "4.3× less", "≥ 4.3–4.6× less", "1.2× more". */
export function rawComparisonText(vs: RawComparison): string {
  const side = vs.high < 1 ? "more" : "less";
  const shown = (r: number) => factorLabel(side === "more" ? 1 / r : r);
  const [a, b] =
    side === "more" ? [shown(vs.high), shown(vs.low)] : [shown(vs.low), shown(vs.high)];
  const range = a === b ? a : `${a.replace("×", "")}–${b}`;
  return `${vs.atLeast ? "≥ " : ""}${range} ${side}`;
}

/** "14.0–24.4 ms (limit 300 ms)" */
export function downtimeText(d: DowntimeAgainstLimit): string {
  const range =
    msLabel(d.lowMs) === msLabel(d.highMs)
      ? msLabel(d.lowMs)
      : `${msLabel(d.lowMs)}–${msLabel(d.highMs)}`;
  return `${range} (limit ${d.limitsMs.map(msLabel).join(", ")})`;
}

function lead(codecs: readonly CodecHeadline[], cells: readonly CellRow[]): string {
  const best = [...codecs]
    .filter((c) => c.converged > 0)
    .sort(
      (a, b) =>
        b.converged - a.converged ||
        (b.vsRaw?.low ?? 0) - (a.vsRaw?.low ?? 0) ||
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
  if (best.vsRaw)
    parts.push(
      `sent ${rawComparisonText(best.vsRaw)} than raw${best.vsRaw.atLeast ? " (raw was stopped without converging, so it would have sent more)" : ""}`,
    );
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
