import { rateLabel, sizeLabel } from "../lib/format.ts";
import type { RunData } from "./data.ts";
import { cacheMissRateSpec } from "./specs/cache-miss-rate.ts";
import { codecBandwidthSpec } from "./specs/codec-bandwidth.ts";
import type { VegaLiteSpec } from "./specs/common.ts";
import { compressionByKindSpec } from "./specs/compression-by-kind.ts";
import { compressionByWorkloadSpec } from "./specs/compression-by-workload.ts";
import { downtimeSpec } from "./specs/downtime.ts";
import { passTimelineSpec } from "./specs/pass-timeline.ts";
import { totalsSpec } from "./specs/totals.ts";
import {
  bandwidthRows,
  compressionKindRows,
  compressionWorkloadRows,
  describeCell,
  downtimeRows,
  missRateRows,
  passTimelineRows,
  representativeCell,
  seedCount,
  totalsRows,
} from "./tidy.ts";

/**
 * Which charts a run's data can make, and why not for the others. A chart is made only from
 * data that exist (never an empty chart); one that cannot be made carries the reason the
 * report prints in its place.
 */

export type ChartPlan =
  | {
      readonly name: string;
      readonly title: string;
      readonly rows: readonly object[];
      readonly spec: VegaLiteSpec;
    }
  | { readonly name: string; readonly title: string; readonly skipped: string };

export interface PlanOptions {
  /** passes.csv cell index for the timeline (default: the cell closest to QEMU's defaults). */
  readonly cell?: number;
}

const NO_BENCH =
  "no codec benchmark in this run: run `npm run bench:codecs -- --json RUN/codec-bench.json`, or pass --codec-bench FILE";

function made(name: string, title: string, rows: readonly object[], spec: VegaLiteSpec): ChartPlan {
  return { name, title, rows, spec };
}

function skip(name: string, title: string, skipped: string): ChartPlan {
  return { name, title, skipped };
}

export function planCharts(run: RunData, options: PlanOptions = {}): ChartPlan[] {
  const plans: ChartPlan[] = [];
  const bench = run.codecBench ?? [];

  const bandwidth = bandwidthRows(bench);
  const bandwidthTitle = "Codec bandwidth per page kind";
  plans.push(
    bandwidth.some((r) => r.source === "migbench")
      ? made("codec-bandwidth", bandwidthTitle, bandwidth, codecBandwidthSpec(bandwidth))
      : skip(
          "codec-bandwidth",
          bandwidthTitle,
          run.codecBench ? "the codec benchmark has no GB/s figures" : NO_BENCH,
        ),
  );
  const byKind = compressionKindRows(bench);
  const byKindTitle = "Compression per page kind";
  plans.push(
    byKind.some((r) => r.source === "migbench")
      ? made("compression-by-kind", byKindTitle, byKind, compressionByKindSpec(byKind))
      : skip(
          "compression-by-kind",
          byKindTitle,
          run.codecBench ? "the codec benchmark has no sizes" : NO_BENCH,
        ),
  );

  const cells = run.cells;
  const ran = cells.filter((c) => c.status !== "failed");
  const failedCells = cells.length - ran.length;
  const seeds = seedCount(cells);
  const noCells =
    cells.length === 0
      ? "results.csv has no cells"
      : `all ${cells.length} cells failed (see the failed cells table)`;

  const byWorkload = compressionWorkloadRows(cells);
  const byWorkloadTitle = "Compression in the simulated migrations";
  plans.push(
    byWorkload.length > 0
      ? made(
          "compression-by-workload",
          byWorkloadTitle,
          byWorkload,
          compressionByWorkloadSpec(byWorkload),
        )
      : skip("compression-by-workload", byWorkloadTitle, noCells),
  );

  const bandwidths = new Set(ran.map((c) => c.bandwidthBytesPerS));
  const cacheSizes = new Set(ran.map((c) => c.cacheSizeBytes));
  const downtimeBwTitle = "Downtime against bandwidth";
  const downtimeCacheTitle = "Downtime against cache size";
  if (ran.length === 0) {
    plans.push(skip("downtime-vs-bandwidth", downtimeBwTitle, noCells));
  } else if (bandwidths.size > 1 || cacheSizes.size <= 1) {
    // With neither swept this is still the per-codec downtime chart, at the run's one bandwidth.
    const rows = downtimeRows(cells, "bandwidth_bytes_per_s");
    plans.push(
      made(
        "downtime-vs-bandwidth",
        downtimeBwTitle,
        rows,
        downtimeSpec(rows, "bandwidth_bytes_per_s", { failedCells, seeds }),
      ),
    );
  } else {
    plans.push(
      skip(
        "downtime-vs-bandwidth",
        downtimeBwTitle,
        `the run has one bandwidth (${[...bandwidths].map(rateLabel).join("")})`,
      ),
    );
  }
  if (ran.length > 0 && cacheSizes.size > 1) {
    const rows = downtimeRows(cells, "cache_size_bytes");
    plans.push(
      made(
        "downtime-vs-cache-size",
        downtimeCacheTitle,
        rows,
        downtimeSpec(rows, "cache_size_bytes", { failedCells, seeds }),
      ),
    );
  } else {
    plans.push(
      skip(
        "downtime-vs-cache-size",
        downtimeCacheTitle,
        ran.length === 0
          ? noCells
          : `the run has one cache size (${[...cacheSizes].map(sizeLabel).join("")})`,
      ),
    );
  }

  const totals = totalsRows(cells);
  const totalsTitle = "Total migration time and data transferred";
  plans.push(
    totals.length > 0
      ? made("time-and-transferred", totalsTitle, totals, totalsSpec(totals, { seeds }))
      : skip("time-and-transferred", totalsTitle, noCells),
  );

  const misses = missRateRows(cells);
  const missTitle = "Cache miss rate against cache size";
  plans.push(
    misses.length > 0
      ? made("cache-miss-rate", missTitle, misses, cacheMissRateSpec(misses, { seeds }))
      : skip(
          "cache-miss-rate",
          missTitle,
          ran.length === 0
            ? noCells
            : "no codec in this run looked pages up in the cache (e.g. only raw/zero)",
        ),
  );

  plans.push(timelinePlan(run, options.cell));
  return plans;
}

function timelinePlan(run: RunData, cellIndex: number | undefined): ChartPlan {
  const name = "pass-timeline";
  const title = "Passes of one cell";
  if (run.passes.length === 0) return skip(name, title, "passes.csv is missing or has no passes");
  let cell =
    cellIndex === undefined
      ? representativeCell(run.cells, run.passes)
      : run.cells.find((c) => c.cell === cellIndex);
  if (cellIndex !== undefined && !cell)
    return skip(name, title, `--cell ${cellIndex}: results.csv has no such cell`);
  if (cell && cell.status === "failed")
    return skip(name, title, `--cell ${cell.cell} failed: it has no passes`);
  if (!cell) return skip(name, title, "no cell that ran has passes in passes.csv");
  const rows = passTimelineRows(run.passes, cell.cell);
  if (rows.length === 0) return skip(name, title, `cell ${cell.cell} has no rows in passes.csv`);
  cell = cell as NonNullable<typeof cell>;
  const label = `cell ${cell.cell} (${describeCell(cell)})`;
  return made(name, `${title}: ${label}`, rows, passTimelineSpec(rows, label));
}
