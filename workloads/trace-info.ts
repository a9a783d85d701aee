import { rateLabel, sizeLabel } from "../lib/format.ts";
import { RECORD_PAGE_MASK, RECORD_ZERO_FLAG, TRACE_PAGE_SIZE } from "./trace-format.ts";
import type { TraceReader } from "./trace-reader.ts";

/** What `npm run trace -- info` reports, computed from the records alone (no inflating). */
export interface TraceSummary {
  readonly pageCount: number;
  /** Content epochs after the image. */
  readonly epochs: number;
  /** Touch epochs (format version 2): when pages were written again, without content. */
  readonly touchEpochs: number;
  /** Page records in the touch epochs, and per second of the trace. */
  readonly touches: number;
  readonly touchesPerSecond: number;
  readonly durationS: number;
  readonly fileBytes: number;
  readonly rawContentBytes: number;
  readonly imagePages: number;
  readonly zeroShareStart: number;
  readonly zeroShareEnd: number;
  readonly changedPages: number;
  /** Pages touched by at least one epoch. */
  readonly touchedPages: number;
  /** Content epochs; a touch epoch's pages count towards `touches`, not here. */
  readonly perEpoch: readonly EpochRate[];
}

export interface EpochRate {
  readonly epoch: number;
  readonly timeS: number;
  readonly intervalS: number;
  readonly changedPages: number;
  readonly zeroedPages: number;
  readonly pagesPerSecond: number;
}

export function summarizeTrace(reader: TraceReader): TraceSummary {
  const imagePages = reader.epochs[0].records;
  let nonZero = imagePages;
  const nowNonZero = new Map<number, boolean>();
  const perEpoch: EpochRate[] = [];
  let touchEpochs = 0;
  let touches = 0;
  let previousContentS = 0;
  for (let e = 1; e < reader.epochs.length; e++) {
    const epoch = reader.epochs[e];
    if (epoch.touch) {
      touchEpochs++;
      touches += epoch.records;
      continue;
    }
    const [from, to] = reader.epochRecordRange(e);
    for (let r = from; r < to; r++) {
      const record = reader.records[r];
      const page = record & RECORD_PAGE_MASK;
      const was = nowNonZero.get(page) ?? reader.findImageRecord(page) >= 0;
      const is = (record & RECORD_ZERO_FLAG) === 0;
      if (was !== is) nonZero += is ? 1 : -1;
      nowNonZero.set(page, is);
    }
    const intervalS = epoch.timeS - previousContentS;
    previousContentS = epoch.timeS;
    perEpoch.push({
      epoch: e,
      timeS: epoch.timeS,
      intervalS,
      changedPages: epoch.records,
      zeroedPages: epoch.zeroRecords,
      pagesPerSecond: epoch.records / intervalS,
    });
  }
  return {
    pageCount: reader.pageCount,
    epochs: perEpoch.length,
    touchEpochs,
    touches,
    touchesPerSecond: reader.durationS > 0 ? touches / reader.durationS : 0,
    durationS: reader.durationS,
    fileBytes: reader.fileBytes,
    rawContentBytes: reader.rawContentBytes,
    imagePages,
    zeroShareStart: 1 - imagePages / reader.pageCount,
    zeroShareEnd: 1 - nonZero / reader.pageCount,
    changedPages: perEpoch.reduce((sum, e) => sum + e.changedPages, 0),
    touchedPages: nowNonZero.size,
    perEpoch,
  };
}

const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

/** The info report: a few key lines, then a compact per-epoch table. */
export function formatTraceInfo(
  file: string,
  reader: TraceReader,
  summary: TraceSummary,
  showAll: boolean,
): string {
  const m = reader.metadata as Record<string, unknown>;
  const lines: string[] = [];
  const row = (key: string, value: string): void => {
    lines.push(`${key.padEnd(14)}${value}`);
  };
  row("file", `${file} (${sizeLabel(summary.fileBytes)}, trace format v${reader.version})`);
  const source = typeof m.source === "string" ? m.source : "unknown";
  let command = Array.isArray(m.command) ? m.command.join(" ") : "";
  if (command.length > 90) command = `${command.slice(0, 89)}…`;
  const pid = typeof m.pid === "number" ? ` (pid ${m.pid})` : "";
  row("source", `${source}${command === "" ? "" : `: ${command}`}${pid}`);
  if (typeof m.captureMethod === "string") row("capture", m.captureMethod);
  row(
    "pages",
    `${summary.pageCount} × ${TRACE_PAGE_SIZE} B = ${sizeLabel(summary.pageCount * TRACE_PAGE_SIZE)}`,
  );
  row(
    "epochs",
    `${summary.epochs} after the image, over ${summary.durationS.toFixed(3)} s${summary.epochs > 0 ? ` (mean interval ${((summary.durationS / summary.epochs) * 1000).toFixed(0)} ms)` : ""}`,
  );
  if (summary.touchEpochs > 0)
    row(
      "touch epochs",
      `${summary.touchEpochs} (mean interval ${((summary.durationS / (summary.epochs + summary.touchEpochs)) * 1000).toFixed(1)} ms over all epochs): ${summary.touches} touches, ${summary.touchesPerSecond.toFixed(0)} touches/s, ${(summary.touches / summary.touchEpochs).toFixed(0)} pages per touch epoch`,
    );
  row(
    "zero pages",
    `${percent(summary.zeroShareStart)} at start, ${percent(summary.zeroShareEnd)} at the end`,
  );
  row(
    "changes",
    `${summary.changedPages} page changes to ${summary.touchedPages} distinct pages (${percent(summary.touchedPages / summary.pageCount)} of RAM)`,
  );
  row(
    "content",
    `${sizeLabel(summary.rawContentBytes)} raw in ${sizeLabel(summary.fileBytes)} (${(summary.rawContentBytes / Math.max(1, summary.fileBytes)).toFixed(1)}× smaller)`,
  );
  if (summary.perEpoch.length === 0) return `${lines.join("\n")}\n`;

  const rates = summary.perEpoch.map((e) => e.pagesPerSecond).sort((a, b) => a - b);
  const median = rates[Math.floor((rates.length - 1) / 2)];
  row(
    "dirty rate",
    `pages/s per epoch: min ${rates[0].toFixed(0)}, median ${median.toFixed(0)}, max ${rates[rates.length - 1].toFixed(0)} (max ${rateLabel(rates[rates.length - 1] * TRACE_PAGE_SIZE)})`,
  );
  lines.push("");
  lines.push(" epoch    time_s  interval_ms  changed  zeroed   pages/s    MiB/s");
  const shown =
    showAll || summary.perEpoch.length <= 40
      ? summary.perEpoch
      : [...summary.perEpoch.slice(0, 20), null, ...summary.perEpoch.slice(-10)];
  for (const e of shown) {
    if (e === null) {
      lines.push(`   … ${summary.perEpoch.length - 30} more epochs (--all shows every one)`);
      continue;
    }
    lines.push(
      `${String(e.epoch).padStart(6)}${e.timeS.toFixed(3).padStart(10)}${(e.intervalS * 1000).toFixed(1).padStart(13)}${String(e.changedPages).padStart(9)}${String(e.zeroedPages).padStart(8)}${e.pagesPerSecond.toFixed(0).padStart(10)}${((e.pagesPerSecond * TRACE_PAGE_SIZE) / 1048576).toFixed(2).padStart(9)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
