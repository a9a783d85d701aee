import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mean } from "simple-statistics";
import { roundDecimals } from "../lib/format.ts";
import { PRELOAD_FILE } from "../lib/workers.ts";
import { readCsv, toRecords } from "../results/csv.ts";
import type { LabBoot, LabConfig, LabRun, QueryMigrate } from "./migration-run.ts";

/**
 * Real beside simulated. Each lab configuration is simulated with the synthetic workload that
 * stands for its guest load (with the guest's OS pages and its warm-up) and with the replay of
 * a trace recorded from the guest, at the same RAM, rate cap, downtime limit, XBZRLE cache and
 * time limit and with the host profile, and all are reduced to the same figures (QEMU's
 * query-migrate names, the columns of results.csv).
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/**
 * Loopback's own speed, far above what the stop-and-copy reached (QEMU's migration_completion()
 * lifts the rate cap; the final RAM crossed at 0.4–1.2 GiB/s in the lab's runs): the host
 * profile's sender cost per page is what paces it (docs/SIMULATOR.md, "Host profile").
 */
const LOOPBACK_LINK = "32Gbit/s";
const MiB = 1024 * 1024;
/**
 * The OS's non-zero bytes when no trace of the load measured them (`--no-traces`), by how the
 * guest booted and whether it runs a load (a load's zeroed buffer takes free pages that held
 * data once: validate/guest-os-base.ts). KASLR: the idle guest's ~97 MiB for every load (the
 * issue's minimal guest, ~24 300 pages in run F's trace), as before. `nokaslr`, the lab's
 * default, from Q10–Q12's traces: 80 MiB idle (zero_share 0.8442–0.8444 of 524 280 KiB, ~20 420
 * pages) and 71 MiB under a load (sparse 71.0, stride 70.1 MiB). With 97 MiB the tenth
 * session's `nokaslr` runs compared without traces took up to 1.29 times the real time and
 * 1.27 times the bytes on idle and stride (docs/VALIDATION.md, eleventh session).
 */
const UNMEASURED_OS_BYTES = {
  kaslr: { idle: 97 * MiB, loaded: 97 * MiB },
  nokaslr: { idle: 80 * MiB, loaded: 71 * MiB },
} as const;

/** The OS's non-zero bytes beside the load: the trace's measure, or UNMEASURED_OS_BYTES. */
function guestOsBytes(config: LabConfig, guest: MeasuredGuest): number {
  if (guest.osBytes !== null) return guest.osBytes;
  const boot = config.kaslr ? UNMEASURED_OS_BYTES.kaslr : UNMEASURED_OS_BYTES.nokaslr;
  return config.load.mode === "idle" ? boot.idle : boot.loaded;
}

/**
 * How long the runs of the lab guest's non-zero pages are (workloads/os-base.ts
 * `os_run_pages`): its idle trace held 24 300 non-zero pages in ~200 runs, half of them by
 * pages in runs of ≥ 2 500 (run F, December 2026).
 */
const MINIMAL_GUEST_OS_RUN_PAGES = 8192;
/**
 * The lab guest's OS pages at the top of RAM (workloads/os-base.ts `os_top_pages`), when its
 * trace is not there to say: 2 533–3 035 non-zero pages in the top 4 096 in 16 traces (runs D–R).
 */
const MINIMAL_GUEST_OS_TOP_PAGES = 2700;

/**
 * The host profile the lab compares against by default: the lab's own host, fitted to quiet runs
 * booted like the ones compared — guest RAM preallocated and the kernel at a fixed place
 * (QEMU_72_TCG_LAB_PREALLOC_NOKASLR, the default since the eighth session), preallocated with KASLR
 * (QEMU_72_TCG_LAB_PREALLOC), or faulted in by the bulk pass (QEMU_72_TCG_LAB, all of whose runs
 * booted with KASLR). vm.ts GuestMemory says why they differ.
 */
export function defaultLabProfile(boot: LabBoot): string {
  if (!boot.preallocated) return "qemu-7.2-tcg-lab";
  return boot.kaslr ? "qemu-7.2-tcg-lab-prealloc" : "qemu-7.2-tcg-lab-prealloc-nokaslr";
}

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

/**
 * The OS pages' share of the RAM outside a load's own pages (workloads/os-base.ts), so the
 * simulated guest holds the real one's OS beside the load: `osBytes`, measured from the load's
 * trace (validate/guest-os-base.ts), or UNMEASURED_OS_BYTES (guestOsBytes).
 */
function osBaseArgs(config: LabConfig, loadBytes: number, guest: MeasuredGuest): string[] {
  const osBytes = guestOsBytes(config, guest);
  // Eight digits name a page count exactly in up to ~10⁷ pages outside the load: os_layout's
  // runs are measured to hold the OS's pages, not four digits' rounding more.
  return [
    ...["--set", `os_share=${osFraction(config, loadBytes, osBytes).toFixed(8)}`],
    ...["--set", `os_run_pages=${MINIMAL_GUEST_OS_RUN_PAGES}`],
    ...["--set", `os_top_pages=${guest.topPages ?? MINIMAL_GUEST_OS_TOP_PAGES}`],
    ...(guest.osLayout === null ? [] : ["--set", `os_layout=${guest.osLayout}`]),
  ];
}

function osFraction(config: LabConfig, loadBytes: number, osBytes: number): number {
  return Math.min(1, osBytes / (config.guestRamKiB * 1024 - loadBytes));
}

/**
 * The vCPU stall model for configurations whose outcome is a matter of chance
 * (workloads/guest-progress.ts): a stall every 20 s of running time on average, of 20 ms on
 * average — long enough to cover a whole sync of `stride`'s buffer (16–18 ms), which is when such
 * a migration converges. Fitted to the rate at which the quiet lab's `stride` with XBZRLE 64 MiB
 * at 32 MiB/s converged once its bulk pass was over: 7 completions over ~400 s of its
 * low-miss repetitions' running time (runs C, D, F, H, I, J; ~0.018/s, docs/VALIDATION.md, fourth
 * session); simulated over 20 seeds and 45 s, the synthetic `stride` (laid out as the trace
 * saw the buffer) converged at 0.018/s (12 of 20) and its trace replay at 0.020/s (13 of 20).
 * Until December 2026's fourth session it was one stall a second: fitted when a hit cost 4 µs,
 * a simulated sync took ~25 ms and the synthetic buffer lay in one block, it made both sources
 * converge at ~0.14/s once those were corrected, and the two had disagreed before.
 *
 * That rate holds for guests that booted with KASLR. The `nokaslr` lab's same configuration
 * converges less often. The eighth session fitted one stall every 125 s to its first 7
 * repetitions (2 completions); by the tenth it had 13 (S9, S10, Q6–Q11: 5 completions in 618 s
 * after the bulk pass, 0.0081/s), and at one stall every 125 s the simulations converged at
 * ~0.003/s (1–4 of 10–20 seeds in 45 s, 6 of 20 in 120 s): 4 of the 10 real 45 s repetitions
 * converged against a simulated 12 %, a 2 % chance. One stall every 50 s gives the pooled rate
 * (docs/VALIDATION.md, tenth session); fitted on those same 13 repetitions, so it is in sample.
 */
export function labStalls(boot: LabBoot): { readonly perS: number; readonly meanMs: number } {
  return { perS: boot.kaslr ? 0.05 : 0.02, meanMs: 20 };
}

/**
 * Seeds a stochastic configuration is simulated over, by default. The outcome rule
 * (validate/agreement.ts sharesAgree) takes the seeds' share as it comes: where the model's own
 * chance of converging in time is ~0.87 (the 64 MiB `stride` configurations with a 120 s limit),
 * 10 seeds all converge one time in four and read as a mismatch against a repetition that did
 * not; 20 seeds do one time in sixteen (run J: 10 of 10, then 17 of 20, docs/VALIDATION.md).
 */
export const DEFAULT_LAB_SEEDS = 20;

/**
 * `--quick`'s seeds: its one repetition of the stochastic configuration and 45 s limit leave
 * its simulated share converging near 0.35 (one stall every 50 s, tenth session), where 10
 * seeds all miss about once in 75; 20 seeds of the lab's stride trace took 6.5 of `--quick`'s
 * 13.3 minutes on two cores (Q7, docs/VALIDATION.md, ninth session), which with `--setup` came
 * within a minute of the 15.
 */
export const QUICK_LAB_SEEDS = 10;

/** A multi-seed simulation: seeds 1..count, the guest stalling as labStalls says. */
export interface SeedSweep {
  readonly count: number;
}

/** An idle guest's zero share: all but the OS (0.84 of the lab's `nokaslr` 512 MiB guest). */
function idleZeroShare(config: LabConfig, osBytes: number): string {
  return (1 - osFraction(config, 0, osBytes)).toFixed(4);
}

/**
 * How the real guest's load was going when its migration started: its speed (stride passes/s,
 * writes/s) and how long it had been writing at that speed, which the simulated guest runs first
 * (`guest_warmup_s`).
 */
export interface GuestPace {
  readonly ratePerS: number | null;
  readonly warmupS: number;
  /** The vCPU threads' CPU use during the migration (`guest_vcpu_busy`); 0 when not recorded. */
  readonly vcpuBusy: number;
}

/**
 * A run's pace. The warm-up is the load's progress at the start heartbeat over its rate, not
 * the configured 3 s: the loads zero their buffers before they write (~0.6 s under TCG) and the
 * destination's start comes on top (in the quiet runs the two nearly cancelled: 12 000 writes,
 * 3.0 s, at every start). Runs recorded before that heartbeat was kept fall back to the
 * configured warm-up.
 */
export function guestPace(run: LabRun): GuestPace {
  const ratePerS = run.guestRatePerS;
  const at = run.loadAtStart;
  const load = run.config.load;
  const done = at ? (load.mode === "stride" ? at.passes : at.writes) : null;
  const rate = load.mode === "stride" ? ratePerS : load.mode === "idle" ? null : load.args[1];
  // Never longer than the load's own clock: stride's speed is measured over its last second
  // and can be far from its average since it started.
  const warmupS =
    at && done !== null && rate ? Math.min(done / rate, at.tMs / 1000) : run.config.warmupS;
  return { ratePerS, warmupS, vcpuBusy: run.vcpuCpuShare ?? 0 };
}

/** The repetitions' mean pace, for a seed sweep standing for all of them. */
export function meanGuestPace(runs: readonly LabRun[]): GuestPace {
  const paces = runs.map(guestPace);
  const rates = paces.map((p) => p.ratePerS).filter((r): r is number => r !== null);
  return {
    ratePerS: rates.length === 0 ? null : mean(rates),
    warmupS: paces.length === 0 ? 0 : mean(paces.map((p) => p.warmupS)),
    vcpuBusy: paces.length === 0 ? 0 : mean(paces.map((p) => p.vcpuBusy)),
  };
}

/** Milliseconds are enough for a warm-up or a CPU share, and keep the bench command short. */
const millis = (value: number) => roundDecimals(value, 3);

/**
 * What a load's trace says about the guest under it (validate/guest-os-base.ts,
 * validate/buffer-layout.ts); a field left null takes the defaults (the idle guest's OS and its
 * top block, a contiguous buffer).
 */
export interface MeasuredGuest {
  /** The OS's non-zero bytes beside the load. */
  readonly osBytes: number | null;
  /** `stride`'s buffer as runs of guest pages (workloads/buffer-runs.ts). */
  readonly bufferRuns: string | null;
  /** The OS's pages at the top of RAM (workloads/os-base.ts `os_top_pages`). */
  readonly topPages: number | null;
  /** Where the OS's other pages lie, as runs of guest pages (workloads/os-base.ts `os_layout`). */
  readonly osLayout: string | null;
}

export const UNMEASURED_GUEST: MeasuredGuest = {
  osBytes: null,
  bufferRuns: null,
  topPages: null,
  osLayout: null,
};

/** The synthetic workload and its parameters standing for a guest load; null = none. */
export function syntheticWorkload(
  config: LabConfig,
  pace: GuestPace,
  guest: MeasuredGuest = UNMEASURED_GUEST,
): string[] | null {
  const os = guestOsBytes(config, guest);
  // The real load had been writing for a while when the migration started: so has the simulated.
  // Its vCPU use is what the host profile's busy-guest slowdown is charged at.
  const warmup = [
    ...["--set", `guest_warmup_s=${millis(pace.warmupS)}`],
    ...["--set", `guest_vcpu_busy=${millis(pace.vcpuBusy)}`],
  ];
  const guestRatePerS = pace.ratePerS;
  switch (config.load.mode) {
    case "idle":
      return [
        ...["--workload", "idle", "--set", `zero_share=${idleZeroShare(config, os)}`],
        ...["--set", `os_run_pages=${MINIMAL_GUEST_OS_RUN_PAGES}`],
        ...["--set", `guest_vcpu_busy=${millis(pace.vcpuBusy)}`],
      ];
    case "stride": {
      // The stride program runs as fast as the vCPU lets it: give the model the speed the guest
      // showed before this migration (TCG runs it ~10× slower than native, and it varies).
      const rate = guestRatePerS;
      if (!rate) return null;
      const buffer = config.load.args[0] * MiB;
      return [
        ...["--workload", "stride", "--set", `buffer_bytes=${buffer}`],
        ...["--set", `passes_per_s=${Math.max(1, Math.round(rate))}`],
        // Where the real buffer lay decides which of its pages collide in the XBZRLE cache.
        ...(guest.bufferRuns === null ? [] : ["--set", `buffer_runs=${guest.bufferRuns}`]),
        ...osBaseArgs(config, buffer, guest),
        ...warmup,
      ];
    }
    case "sparse":
    case "zipf": {
      // loadgen.c's buffer is zeroed: a page is zero until the writer first reaches it. Its
      // Zipf(1.0) writer is the synthetic `zipf` at its default exponent.
      const wss = config.load.args[0] * MiB;
      const workload = config.load.mode === "sparse" ? "uniform" : "zipf";
      return [
        ...["--workload", workload, "--set", `wss=${wss}`],
        ...["--set", `writes_per_s=${config.load.args[1]}`, "--set", "initial=zero"],
        // Where the real table lay decides when the bulk pass reaches the pages it has written.
        ...(guest.bufferRuns === null ? [] : ["--set", `buffer_runs=${guest.bufferRuns}`]),
        ...osBaseArgs(config, wss, guest),
        ...warmup,
      ];
    }
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

/**
 * The replay of a trace recorded from the guest (validate/trace-recording.ts): it holds the real
 * OS pages, so no `os_share`, and starts where the migration started, so no warm-up
 * (docs/VALIDATION.md, "Trace replay"). It loops when the migration outlasts it, or says why
 * it cannot before any cell runs.
 */
export function traceWorkload(file: string, vcpuBusy: number): string[] {
  return [
    ...["--workload", "trace", "--set", `file=${file}`, "--set", "on-end=loop"],
    // The recorded guest's vCPU use is not in the trace: the repetitions' is (GuestPace).
    ...["--set", `guest_vcpu_busy=${millis(vcpuBusy)}`],
  ];
}

/**
 * `npm run bench`'s arguments for one configuration into `dir` with `workload`'s arguments
 * (syntheticWorkload or traceWorkload), with the host profile `profile`, over one seed or a
 * seed sweep with stalls.
 */
export function simulationArgs(
  config: LabConfig,
  workload: readonly string[],
  dir: string,
  profile: string,
  sweep: SeedSweep | null = null,
): string[] {
  const xbzrle = config.xbzrleCacheBytes;
  const stalls = labStalls(config);
  const seeds = sweep
    ? [
        ...["--seed", `1..${sweep.count}`],
        ...["--set", `guest_stalls_per_s=${stalls.perS}`],
        ...["--set", `guest_stall_ms=${stalls.meanMs}`],
      ]
    : [];
  return [
    ...workload,
    ...seeds,
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
    "--profile",
    profile,
    // Simulations run after every real migration and recording, so a sweep may take every core:
    // its seeds are independent cells, and the CSV is the same on any number of workers.
    "--workers",
    String(sweep ? Math.min(sweep.count, availableParallelism()) : 0),
    "--no-report",
    "--quiet",
    "--out",
    dir,
  ];
}

/**
 * Runs `npm run bench` for one configuration and workload into `dir`: one Figures per seed
 * (one without a sweep).
 */
export function simulate(
  config: LabConfig,
  workload: readonly string[],
  dir: string,
  profile: string = defaultLabProfile(config),
  sweep: SeedSweep | null = null,
): Figures[] {
  const benchArgs = simulationArgs(config, workload, dir, profile, sweep);
  const args = ["--require", PRELOAD_FILE, join(ROOT, "harness/cli/bench.ts"), ...benchArgs];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0)
    return [{ ...emptyFigures(), status: `failed: ${result.stderr.trim().split("\n").pop()}` }];
  const usesCache = config.xbzrleCacheBytes !== null;
  return toRecords(readCsv(join(dir, "results.csv"))).map((row) =>
    simulatedFigures(row, usesCache),
  );
}

function simulatedFigures(row: Record<string, string>, usesCache: boolean): Figures {
  const converged = row.status === "completed";
  return {
    status: row.status,
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
