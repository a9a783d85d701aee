import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRELOAD_FILE } from "../lib/workers.ts";
import { readCsv, toRecords } from "../results/csv.ts";
import type { LabConfig, LabRun, QueryMigrate } from "./migration-run.ts";

/**
 * Real beside simulated. Each lab configuration is simulated with the synthetic workload that
 * stands for its guest load, at the same RAM, rate cap, downtime limit, XBZRLE cache and time
 * limit, and both are reduced to the same figures (QEMU's query-migrate names, the columns of
 * results.csv).
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/**
 * Loopback's speed for the unthrottled stop-and-copy: QEMU's migration_completion() lifts the
 * rate cap, and the final RAM crossed loopback at 0.4–1.2 GiB/s in the lab's runs.
 */
const LOOPBACK_LINK = "8Gbit/s";
/**
 * A minimal Linux guest of 512 MiB (kernel, initramfs, page cache) holds ~97 MiB of non-zero
 * pages: the synthetic idle guest's zero share.
 */
const MINIMAL_GUEST_ZERO_SHARE = 0.81;

export interface Figures {
  readonly status: string;
  readonly totalTimeMs: number | null;
  readonly setupTimeMs: number | null;
  readonly downtimeMs: number | null;
  readonly transferredBytes: number | null;
  readonly zeroPages: number | null;
  readonly normalPages: number | null;
  readonly xbzrlePages: number | null;
  readonly xbzrleBytes: number | null;
  readonly overflowPages: number | null;
  readonly cacheMissRate: number | null;
  readonly dirtySyncCount: number | null;
}

/** The synthetic workload and its parameters standing for a guest load; null = none yet. */
function syntheticWorkload(config: LabConfig, run: LabRun | undefined): string[] | null {
  switch (config.load.mode) {
    case "idle":
      return ["--workload", "idle", "--set", `zero_share=${MINIMAL_GUEST_ZERO_SHARE}`];
    case "stride": {
      // The stride program runs as fast as the vCPU lets it: give the model the speed the guest
      // showed before this migration (TCG runs it ~10× slower than native, and it varies).
      const rate = run?.guestRatePerS;
      if (!rate) return null;
      return [
        "--workload",
        "stride",
        "--set",
        `buffer_bytes=${config.load.args[0]}MiB`,
        "--set",
        `passes_per_s=${Math.max(1, Math.round(rate))}`,
      ];
    }
    case "sparse":
      return [
        "--workload",
        "uniform",
        "--set",
        `wss=${config.load.args[0]}MiB`,
        "--set",
        `writes_per_s=${config.load.args[1]}`,
      ];
    default:
      return null;
  }
}

export function realFigures(run: LabRun): Figures {
  const info: QueryMigrate = run.final ?? { status: run.outcome };
  const ram = info.ram ?? {};
  const xbzrle = run.config.xbzrleCacheBytes === null ? null : (info["xbzrle-cache"] ?? {});
  const lookups = xbzrle ? (xbzrle.pages ?? 0) + (xbzrle["cache-miss"] ?? 0) : 0;
  const converged = run.outcome === "completed";
  return {
    status: run.outcome,
    totalTimeMs: converged ? (info["total-time"] ?? null) : null,
    setupTimeMs: info["setup-time"] ?? null,
    downtimeMs: converged ? (info.downtime ?? null) : null,
    transferredBytes: ram.transferred ?? null,
    zeroPages: ram.duplicate ?? null,
    normalPages: ram.normal ?? null,
    xbzrlePages: xbzrle ? (xbzrle.pages ?? null) : null,
    xbzrleBytes: xbzrle ? (xbzrle.bytes ?? null) : null,
    overflowPages: xbzrle ? (xbzrle.overflow ?? null) : null,
    // Over the whole migration: QEMU's own cache-miss-rate covers only the last sync period.
    cacheMissRate: xbzrle && lookups > 0 ? (xbzrle["cache-miss"] ?? 0) / lookups : null,
    dirtySyncCount: ram["dirty-sync-count"] ?? null,
  };
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined || text === "" ? null : Number(text);
}

/** Runs `npm run bench` for one configuration; null when no synthetic workload stands for it. */
export function simulate(
  config: LabConfig,
  run: LabRun | undefined,
  outDir: string,
): Figures | null {
  const workload = syntheticWorkload(config, run);
  if (!workload) return null;
  const dir = join(outDir, "sim", `${config.name}-rep${run?.repetition ?? 0}`);
  const xbzrle = config.xbzrleCacheBytes;
  const args = [
    "--require",
    PRELOAD_FILE,
    join(ROOT, "harness/cli/bench.ts"),
    ...workload,
    "--ram",
    String(config.guestRamKiB * 1024),
    // Without XBZRLE QEMU 7.2 still sends zero pages as ZERO records: the `zero` codec.
    "--codec",
    xbzrle === null ? "zero" : "xbzrle",
    "--cache-size",
    String(xbzrle ?? 16 * 1024 * 1024),
    "--bandwidth",
    `${config.maxBandwidthBytesPerS}B/s`,
    "--link-speed",
    LOOPBACK_LINK,
    "--downtime-limit",
    `${config.downtimeLimitMs}ms`,
    "--max-time",
    `${config.timeoutS}s`,
    "--workers",
    "0",
    "--no-report",
    "--quiet",
    "--out",
    dir,
  ];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0)
    return { ...emptyFigures(), status: `failed: ${result.stderr.trim().split("\n").pop()}` };
  const [row] = toRecords(readCsv(join(dir, "results.csv")));
  const converged = row.status === "completed";
  const usesCache = xbzrle !== null;
  return {
    status: row.status === "completed" ? "completed" : row.status,
    totalTimeMs: converged ? numberOrNull(row.total_time_ms) : null,
    setupTimeMs: numberOrNull(row.setup_time_ms),
    downtimeMs: converged ? numberOrNull(row.downtime_ms) : null,
    transferredBytes: numberOrNull(row.transferred_bytes),
    zeroPages: numberOrNull(row.zero_pages),
    normalPages: numberOrNull(row.normal_pages),
    xbzrlePages: usesCache ? numberOrNull(row.delta_pages) : null,
    xbzrleBytes: usesCache ? numberOrNull(row.delta_bytes) : null,
    overflowPages: usesCache ? numberOrNull(row.overflow_pages) : null,
    cacheMissRate: usesCache ? numberOrNull(row.cache_miss_rate) : null,
    dirtySyncCount: numberOrNull(row.dirty_sync_count),
  };
}

/** Figures with nothing known yet. */
export function emptyFigures(): Figures {
  return {
    status: "",
    totalTimeMs: null,
    setupTimeMs: null,
    downtimeMs: null,
    transferredBytes: null,
    zeroPages: null,
    normalPages: null,
    xbzrlePages: null,
    xbzrleBytes: null,
    overflowPages: null,
    cacheMissRate: null,
    dirtySyncCount: null,
  };
}
