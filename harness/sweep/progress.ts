import cliProgress from "cli-progress";
import { elapsedLabel, rateLabel, sizeLabel } from "../../lib/format.ts";
import type { ProgressMode } from "../../lib/progress-mode.ts";
import type { CellResult } from "../../results/cell.ts";

/**
 * Progress of a sweep on stderr: a bar with cells done and the ETA when stderr is a terminal,
 * one plain line per cell when it is not (a log file, a pipe), and nothing under CI or --quiet
 * (CI logs keep only the summary). Never writes to stdout, which holds the summary tables.
 */

export interface Progress {
  /** `total` cells in the sweep, `alreadyDone` of them written by an earlier (resumed) session. */
  start(total: number, alreadyDone: number): void;
  cellDone(result: CellResult): void;
  stop(): void;
}

/** "sap-like xbzrle direct 64 MiB seed 1" — the cell in a few words. */
export function describeCell(result: CellResult): string {
  const s = result.spec;
  return `${s.workload} ${s.codec} ${s.cacheModel} ${sizeLabel(s.cacheSizeBytes)} ${rateLabel(s.bandwidthBytesPerS)} seed ${s.seed}`;
}

export function createProgress(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  if (mode === "none") return { start() {}, cellDone() {}, stop() {} };
  let total = 0;
  let done = 0;
  let skipped = 0;
  let startedAt = 0;
  if (mode === "lines") {
    return {
      start(cells, alreadyDone) {
        total = cells;
        done = alreadyDone;
        skipped = alreadyDone;
        startedAt = now();
        const resumed = alreadyDone > 0 ? ` (${alreadyDone} already done)` : "";
        stream.write(`bench: ${cells} cells${resumed}\n`);
      },
      cellDone(result) {
        done++;
        // ETA from this session's own pace; resumed cells took no time here.
        const elapsedS = (now() - startedAt) / 1000;
        const etaS = (elapsedS / (done - skipped)) * (total - done);
        const outcome = result.status === "failed" ? `failed: ${result.error}` : result.status;
        stream.write(
          `[${done}/${total}] cell ${result.spec.index} ${describeCell(result)}: ${outcome} (${elapsedLabel(result.wallMs / 1000)}; ETA ${elapsedLabel(etaS)})\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "cells {bar} {value}/{total} | {duration_formatted} elapsed | ETA {eta_formatted} | {last}",
      hideCursor: true,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(cells, alreadyDone) {
      bar.start(cells, alreadyDone, { last: alreadyDone > 0 ? "resumed" : "" });
    },
    cellDone(result) {
      bar.increment(1, { last: `${describeCell(result)}: ${result.status}` });
    },
    stop() {
      bar.stop();
    },
  };
}
