import { max, mean, min, sampleStandardDeviation } from "simple-statistics";
import { builtinCalibration, encodeSeconds, type PageOutcome } from "../codecs/calibration.ts";
import {
  type HostProfile,
  SENDER_OUTCOMES,
  type SenderOutcome,
} from "../harness/simulator/host-profile.ts";
import { UsageError } from "../lib/errors.ts";
import { roundDecimals } from "../lib/format.ts";
import { goodness, identifiableColumns, nonNegativeLeastSquares } from "../lib/least-squares.ts";
import { fitIntervalCosts, type IntervalCosts } from "./interval-costs.ts";
import { fitLine, type LineFit } from "./line-fit.ts";
import { isStochastic } from "./matrix.ts";
import type { LabRun, Poll, QueryMigrate } from "./migration-run.ts";
import { realSetupMs } from "./real-setup.ts";
import { setupWalkedPages } from "./setup-mode.ts";

/**
 * A host profile fitted from real migrations (`npm run validate:qemu -- --fit`), by pure
 * functions over the runs' real.json:
 * - setupMs and setupMicrosPerPage: QEMU's `setup-time` = fixed + µs × pages the first sync
 *   walks one at a time (harness/simulator/setup-time.ts), by least squares with both terms
 *   ≥ 0, when the runs walked at least two page counts (guests of two sizes); from runs of one
 *   size the per-page part cannot be told from the fixed one, and setupMs is their mean (min,
 *   max and σ reported beside it either way);
 * - downtimeFixedMs: the intercept of downtime = fixed + slope × MiB of the final transfer, by
 *   least squares with both terms ≥ 0 (finalTransferBytes() says how the size is taken);
 * - senderMicrosPerPage: non-negative least squares of the live_migration thread's CPU time,
 *   less what the simulator already charges the codec for the same pages (the built-in
 *   calibration, harness/simulator/page-events.ts: the chunk's time is encode + sender), on the
 *   run's pages by outcome. An outcome the runs cannot determine keeps the built-in value.
 */

const MiB = 1024 * 1024;

export interface RunSet {
  /** The run directory, as given. */
  readonly dir: string;
  readonly runs: readonly LabRun[];
}

/**
 * What the sender's cost is fitted to: the live_migration thread's CPU time (the default: what
 * the thread costs on a quiet host), or the wall time of the migration after setup and the
 * downtime's fixed part (what a page cost on this host as it was, the thread waiting for a
 * core included: on a loaded machine the thread had a core for only part of the time).
 */
export type FitBasis = "cpu" | "wall" | "polls";
/** The bases fitted from one sample per run (`polls` reads the stretches inside each run). */
export type SampleBasis = Exclude<FitBasis, "polls">;

/** One migration's sender cost and its pages by outcome. */
export interface SenderSample {
  readonly label: string;
  /** µs of the live_migration thread, less the codec time the simulator charges. */
  readonly micros: number;
  readonly pages: Readonly<Record<SenderOutcome, number>>;
  /** The guest's vCPU use during the migration (LabRun.vcpuCpuShare; 0 when not recorded). */
  readonly vcpuBusy: number;
}

/**
 * Pages by outcome from query-migrate's counters (ram.c): `duplicate` are ZERO records; a cache
 * miss and an overflow are also `normal` pages (save_xbzrle_page() returns -1 and
 * save_normal_page() follows); xbzrle `pages` counts every hit, overflowed ones too.
 */
export function pagesByOutcome(info: QueryMigrate, xbzrle: boolean): Record<SenderOutcome, number> {
  const ram = info.ram ?? {};
  const cache = xbzrle ? (info["xbzrle-cache"] ?? {}) : {};
  const miss = cache["cache-miss"] ?? 0;
  const overflow = cache.overflow ?? 0;
  return {
    zero: ram.duplicate ?? 0,
    normal: Math.max(0, (ram.normal ?? 0) - miss - overflow),
    hit: Math.max(0, (cache.pages ?? 0) - overflow),
    miss,
    overflow,
  };
}

/**
 * The calibration's outcome each sender outcome's encode time is charged at for the lab's codec
 * (`zero` without XBZRLE, `xbzrle` with it: validate/compare.ts). A hit is charged as a delta:
 * the counters do not tell an unchanged page from an encoded one.
 */
const CODEC_OUTCOME: Readonly<Record<SenderOutcome, PageOutcome>> = {
  zero: "zero",
  normal: "raw",
  hit: "delta",
  miss: "raw",
  overflow: "overflow",
};

export function codecMicros(pages: Readonly<Record<SenderOutcome, number>>, xbzrle: boolean) {
  const codec = xbzrle ? "xbzrle" : "zero";
  let micros = 0;
  for (const outcome of SENDER_OUTCOMES)
    micros +=
      encodeSeconds(builtinCalibration, codec, CODEC_OUTCOME[outcome], pages[outcome]) * 1e6;
  return micros;
}

/**
 * basis "cpu": the thread's CPU time and the counters of the same poll: the last poll at which
 * the thread was seen (it exits after completing, so its last reading precedes the final
 * answer). Runs recorded before polls carried the CPU time pair the run's last reading with
 * their last poll that was still active.
 * basis "wall": a completed run's total-time − setup-time − `downtimeFixedMs`, with its final
 * counters.
 */
export function senderSample(
  run: LabRun,
  label: string,
  basis: SampleBasis = "cpu",
  downtimeFixedMs = 0,
): SenderSample | null {
  const xbzrle = run.config.xbzrleCacheBytes !== null;
  const vcpuBusy = run.vcpuCpuShare ?? 0;
  if (basis === "wall") {
    const final = run.final;
    const total = final?.["total-time"];
    const setup = final?.["setup-time"];
    if (run.outcome !== "completed" || !final?.ram || total === undefined || setup === undefined)
      return null;
    const pages = pagesByOutcome(final, xbzrle);
    const micros = (total - setup - downtimeFixedMs) * 1000 - codecMicros(pages, xbzrle);
    return { label, micros, pages, vcpuBusy };
  }
  const seen = [...run.polls].reverse().find((p) => typeof p.migrationThreadCpuS === "number");
  let poll: Poll | undefined = seen;
  let cpuS = seen?.migrationThreadCpuS ?? null;
  if (!seen) {
    poll = [...run.polls].reverse().find((p) => p.info.status === "active");
    cpuS = run.migrationThreadCpuS;
  }
  if (!poll || cpuS === null || cpuS === undefined || !poll.info.ram) return null;
  const pages = pagesByOutcome(poll.info, xbzrle);
  return { label, micros: cpuS * 1e6 - codecMicros(pages, xbzrle), pages, vcpuBusy };
}

/**
 * Bytes of the stop-and-copy: QEMU's own `downtime-bytes` (ram_transferred_add() counts what
 * goes while the VM is stopped; query-migrate has it since 7.0). A run recorded without it is
 * estimated from the polls: the VM stopped at total-time − downtime (both QEMU's, from the
 * migrate command, on the clock the polls use); the final transfer is what `transferred` grew by
 * after the last active poll, less what the live stream sent between that poll and the stop at
 * the rate of the two polls before, clamped to [0, the growth]. The estimate is rough: a poll
 * just before the stop leaves the growth at ~0 (S3's and S4's 128 MiB/s runs: 0 where QEMU
 * counted 6–32 MiB), which is why it is only the fallback.
 */
export function finalTransferBytes(run: LabRun): number | null {
  const final = run.final;
  if (run.outcome !== "completed" || !final?.ram) return null;
  const counted = final.ram["downtime-bytes"];
  if (counted !== undefined) return counted;
  const total = final["total-time"];
  const downtime = final.downtime;
  if (total === undefined || downtime === undefined) return null;
  const active = run.polls.filter((p) => p.info.status === "active" && p.info.ram);
  const last = active[active.length - 1];
  if (!last) return null;
  const grown = (final.ram.transferred ?? 0) - (last.info.ram?.transferred ?? 0);
  const previous = active[active.length - 2];
  const rate =
    previous && last.atMs > previous.atMs
      ? ((last.info.ram?.transferred ?? 0) - (previous.info.ram?.transferred ?? 0)) /
        (last.atMs - previous.atMs)
      : 0;
  const live = rate * Math.max(0, total - downtime - last.atMs);
  return Math.min(grown, Math.max(0, grown - live));
}

export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly sd: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const xs = [...values];
  const sd = xs.length > 1 ? sampleStandardDeviation(xs) : 0;
  return { mean: mean(xs), min: min(xs), max: max(xs), sd, n: xs.length };
}

export interface SenderFit {
  readonly micros: Readonly<Record<SenderOutcome, number>>;
  /** Standard error of each fitted value (null: held at 0, kept from the fallback, or no dof). */
  readonly errors: Readonly<Record<SenderOutcome, number | null>>;
  /** Outcomes the samples could not determine: the fallback's value was kept. */
  readonly fromFallback: readonly SenderOutcome[];
  readonly residualRms: number;
  readonly rSquared: number;
  readonly n: number;
}

/**
 * µs per page by outcome: NNLS over the outcomes the samples determine, the others held at
 * `fallback`'s value (their share of each sample's time is taken off first). With no more
 * samples than determinable outcomes the fit would be exact and mean nothing: all fall back.
 */
export function fitSender(
  samples: readonly SenderSample[],
  fallback: Readonly<Record<SenderOutcome, number>>,
  slowdown = 0,
  basis: SampleBasis = "cpu",
): SenderFit {
  // With a busy-guest slowdown k a run's pages cost (1 + k × its vCPU use) times as much.
  const scaled = samples.map((s) => {
    const factor = 1 + slowdown * s.vcpuBusy;
    const pages = {} as Record<SenderOutcome, number>;
    for (const o of SENDER_OUTCOMES) pages[o] = s.pages[o] * factor;
    return { ...s, pages };
  });
  return fitScaledSender(scaled, fallback, basis);
}

/**
 * The costs fitted as one. On wall time every page crosses the same path to the socket and the
 * destination, which costs far more than the thread's own work on it (11–12 µs a page in the
 * quiet lab against 2–9 µs of CPU), and the runs cannot tell outcomes apart: their zero and
 * normal counts move together (the RAM is fixed) and their few hundred hits vanish in the
 * noise (fitted apart, four quiet runs gave a miss 0 µs beside a normal page at 19, and a hit
 * 0 to 214 µs). So one cost for every page; on CPU time each outcome keeps its own.
 */
function fitGroups(basis: SampleBasis): SenderOutcome[][] {
  return basis === "wall" ? [[...SENDER_OUTCOMES]] : SENDER_OUTCOMES.map((o) => [o]);
}

function fitScaledSender(
  samples: readonly SenderSample[],
  fallback: Readonly<Record<SenderOutcome, number>>,
  basis: SampleBasis,
): SenderFit {
  const groups = fitGroups(basis);
  const groupPages = (s: SenderSample, g: readonly SenderOutcome[]) =>
    g.reduce((a, o) => a + s.pages[o], 0);
  const known = identifiableColumns(samples.map((s) => groups.map((g) => groupPages(s, g))));
  let free = groups.filter((_, j) => known[j]);
  if (samples.length <= free.length) free = [];
  const fixed = SENDER_OUTCOMES.filter((o) => !free.some((g) => g.includes(o)));
  const y = samples.map((s) => s.micros - fixed.reduce((a, o) => a + fallback[o] * s.pages[o], 0));
  const fit = nonNegativeLeastSquares(
    samples.map((s) => free.map((g) => groupPages(s, g))),
    y,
  );
  const micros = { ...fallback };
  const errors: Record<SenderOutcome, number | null> = {
    zero: null,
    normal: null,
    hit: null,
    miss: null,
    overflow: null,
  };
  free.forEach((g, j) => {
    for (const o of g) {
      micros[o] = fit.coefficients[j];
      errors[o] = fit.standardErrors[j];
    }
  });
  const rows = samples.map((s) => SENDER_OUTCOMES.map((o) => s.pages[o]));
  // Goodness over the whole model, fallback terms included, against the measured times.
  const all = SENDER_OUTCOMES.map((o) => micros[o]);
  const whole = goodness(
    rows,
    samples.map((s) => s.micros),
    all,
  );
  return { micros, errors, fromFallback: fixed, ...whole };
}

/** The slowdowns tried, 0 … MAX_SLOWDOWN in steps of SLOWDOWN_STEP (a 1-D search, exact enough). */
const MAX_SLOWDOWN = 4;
const SLOWDOWN_STEP = 0.01;
/** The least spread of the runs' vCPU use (max − min) that tells a slowdown from the costs. */
const MIN_BUSY_SPREAD = 0.3;

/**
 * The busy-guest slowdown (host-profile.ts busyVcpuSlowdown) with the per-page costs at it: the
 * value in 0 … 4 whose NNLS fit leaves the least residual. Fitted only on wall time (CPU time
 * does not grow when the thread waits for a core) and only when the runs' guests used the CPU
 * differently enough (MIN_BUSY_SPREAD of a vCPU apart); otherwise 0.
 */
export function fitSenderWithSlowdown(
  samples: readonly SenderSample[],
  fallback: Readonly<Record<SenderOutcome, number>>,
  basis: SampleBasis,
): { sender: SenderFit; slowdown: number } {
  const busy = samples.map((s) => s.vcpuBusy);
  const spread = busy.length === 0 ? 0 : Math.max(...busy) - Math.min(...busy);
  if (basis !== "wall" || spread < MIN_BUSY_SPREAD)
    return { sender: fitSender(samples, fallback, 0, basis), slowdown: 0 };
  let best = { sender: fitSender(samples, fallback, 0, basis), slowdown: 0 };
  for (let i = 1; i <= MAX_SLOWDOWN / SLOWDOWN_STEP; i++) {
    const slowdown = roundDecimals(i * SLOWDOWN_STEP, 2);
    const sender = fitSender(samples, fallback, slowdown, basis);
    if (sender.residualRms < best.sender.residualRms) best = { sender, slowdown };
  }
  return best;
}

/**
 * QEMU's setup-time over the runs: its spread, and the line over the pages the first sync
 * walked one at a time when the runs walked at least two counts (else null).
 */
export interface SetupFit {
  readonly spread: Spread;
  readonly line: LineFit | null;
}

/** The setup's fit from the runs' `setup-time` and guest RAM; null without a setup-time. */
export function fitSetup(runs: readonly LabRun[]): SetupFit | null {
  const points = runs.flatMap((run) => {
    const ms = realSetupMs(run);
    return ms === null ? [] : [{ pages: setupWalkedPages(run.config), ms }];
  });
  const setup = spread(points.map((p) => p.ms));
  if (!setup) return null;
  const sizes = new Set(points.map((p) => p.pages));
  const line =
    sizes.size < 2
      ? null
      : fitLine(
          points.map((p) => p.pages),
          points.map((p) => p.ms),
        );
  return { spread: setup, line };
}

export interface ProfileFit {
  readonly profile: HostProfile;
  readonly setup: SetupFit | null;
  readonly downtime: LineFit | null;
  readonly sender: SenderFit;
  /** The busy-guest slowdown fitted with the sender's costs (0 when not identifiable). */
  readonly slowdown: number;
  /** basis "polls": the stretches' costs behind `sender` (interval-costs.ts); else null. */
  readonly intervals: IntervalCosts | null;
  readonly samples: readonly SenderSample[];
  /**
   * The live_migration thread's CPU time over the migration's wall time after setup, per
   * completed run: near 1 when the sender is CPU-bound on a core of its own; far below on a
   * loaded host, where CPU time cannot explain the wall time (basis "wall" then fits it).
   */
  readonly threadCpuShare: Spread | null;
}

function cpuShare(run: LabRun): number[] {
  const total = run.final?.["total-time"];
  const setup = run.final?.["setup-time"] ?? 0;
  const cpuS = run.migrationThreadCpuS;
  if (run.outcome !== "completed" || total === undefined || cpuS === null || total <= setup)
    return [];
  return [(cpuS * 1000) / (total - setup)];
}

function loadRange(runs: readonly LabRun[]): { min: number; max: number } | null {
  const loads = runs.flatMap((r) =>
    r.loadAverage ? [r.loadAverage.before[0], r.loadAverage.after[0]] : [],
  );
  return loads.length === 0 ? null : { min: Math.min(...loads), max: Math.max(...loads) };
}

/** Names of the configurations among `runs` whose outcome is a matter of chance. */
function stochasticConfigs(runs: readonly LabRun[]): Set<string> {
  const byName = new Map<string, LabRun[]>();
  for (const run of runs)
    byName.set(run.config.name, [...(byName.get(run.config.name) ?? []), run]);
  return new Set(
    [...byName.values()]
      .filter((real) => isStochastic(real[0].config, real))
      .map((r) => r[0].config.name),
  );
}

const BASIS_TEXT: Readonly<Record<FitBasis, string>> = {
  cpu: "the migration thread's CPU time",
  wall: "wall time",
  polls: "the polls' zero-only, normal-only and hit-only stretches",
};

/** The stretches' costs as a SenderFit: no residual of their own (the table shows the line's). */
function intervalSender(costs: IntervalCosts): SenderFit {
  const line = costs.zeroLine;
  const fromFallback: SenderOutcome[] = [
    ...(costs.normalCpuMicros === null ? (["normal"] as const) : []),
    ...(costs.hitWallMicros === null ? (["hit"] as const) : []),
    "miss",
    "overflow",
  ];
  return {
    micros: costs.micros,
    errors: { zero: line?.fixedError ?? null, normal: null, hit: null, miss: null, overflow: null },
    fromFallback,
    residualRms: Number.NaN,
    rSquared: Number.NaN,
    n: costs.zeroRuns,
  };
}

/** The profile's setup: the line's terms, the runs' mean, or the fallback's. */
export function setupFields(
  setup: SetupFit | null,
  fallback: HostProfile,
): Pick<HostProfile, "setupMs" | "setupMicrosPerPage"> {
  if (setup?.line)
    return {
      setupMs: roundDecimals(setup.line.fixed, 1),
      // µs to three decimals: a thousandth of a µs over 10⁵–10⁶ pages is 0.1–1 ms.
      setupMicrosPerPage: roundDecimals(setup.line.slope * 1000, 3),
    };
  if (setup) return { setupMs: roundDecimals(setup.spread.mean, 1) };
  const { setupMs, setupMicrosPerPage } = fallback;
  return setupMicrosPerPage === undefined ? { setupMs } : { setupMs, setupMicrosPerPage };
}

/** The whole fit: a profile for `--profile FILE` and the statistics behind it. */
export function fitHostProfile(
  sets: readonly RunSet[],
  fallback: HostProfile,
  basis: FitBasis = "cpu",
): ProfileFit {
  const runs = sets.flatMap((s) => s.runs.map((run) => ({ dir: s.dir, run })));
  const ok = runs.filter(({ run }) => run.outcome !== "failed" && run.final);
  const setup = fitSetup(ok.map(({ run }) => run));
  const finals = ok.flatMap(({ run }) => {
    const bytes = finalTransferBytes(run);
    const downtime = run.final?.downtime;
    return bytes === null || downtime === undefined ? [] : [{ mib: bytes / MiB, downtime }];
  });
  const downtime = fitLine(
    finals.map((f) => f.mib),
    finals.map((f) => f.downtime),
  );
  // On wall time a stochastic configuration's runs say when a sync found the vCPU stalled, not
  // what a page costs: C's and D's quiet stride runs at 32 MiB/s spent 22 and 140 ms a sync.
  const chance = stochasticConfigs(ok.map(({ run }) => run));
  const timed = basis === "cpu" ? ok : ok.filter(({ run }) => !chance.has(run.config.name));
  const sampleBasis: SampleBasis = basis === "cpu" ? "cpu" : "wall";
  const samples = timed.flatMap(({ dir, run }) => {
    const label = `${dir}:${run.config.name}#${run.repetition + 1}`;
    const fixedMs = downtime?.fixed ?? fallback.downtimeFixedMs;
    const sample = senderSample(run, label, sampleBasis, fixedMs);
    return sample ? [sample] : [];
  });
  const intervals =
    basis === "polls"
      ? fitIntervalCosts(
          timed.map(({ run }) => run),
          fallback.senderMicrosPerPage,
          // A hit-only stretch says what a hit costs whatever the run's outcome
          // (validate/interval-costs.ts): the stochastic runs are where hits fill stretches.
          ok.map(({ run }) => run),
        )
      : null;
  if (basis === "polls" && intervals === null)
    throw new UsageError(
      `--fit-basis polls: no run in ${sets.map((s) => s.dir).join(", ")} has polls that sent zero pages, alone for long enough or with the thread's CPU read; fit on another basis`,
    );
  const { sender, slowdown } = intervals
    ? { sender: intervalSender(intervals), slowdown: intervals.slowdown }
    : fitSenderWithSlowdown(samples, fallback.senderMicrosPerPage, sampleBasis);
  const accelerators = [...new Set(ok.map(({ run }) => run.accelerator))];
  const load = loadRange(ok.map(({ run }) => run));
  const loadText = load ? `, load average ${load.min.toFixed(1)}–${load.max.toFixed(1)}` : "";
  const profile: HostProfile = {
    source: `fitted from ${ok.length} real migrations (${accelerators.join(", ")}${loadText}; sender cost from ${BASIS_TEXT[basis]}) in ${sets.map((s) => s.dir).join(", ")}`,
    ...setupFields(setup, fallback),
    downtimeFixedMs: downtime ? roundDecimals(downtime.fixed, 2) : fallback.downtimeFixedMs,
    senderMicrosPerPage: {
      zero: roundDecimals(sender.micros.zero, 3),
      normal: roundDecimals(sender.micros.normal, 3),
      hit: roundDecimals(sender.micros.hit, 3),
      miss: roundDecimals(sender.micros.miss, 3),
      overflow: roundDecimals(sender.micros.overflow, 3),
    },
    ...(slowdown > 0 ? { busyVcpuSlowdown: roundDecimals(slowdown, 2) } : {}),
    fittedFrom: {
      runs: sets.map((s) => s.dir),
      migrations: ok.length,
      accelerators,
      loadAverage1m: load,
      builtinOutcomes: sender.fromFallback,
      senderBasis: basis,
    },
  };
  const threadCpuShare = spread(ok.flatMap(({ run }) => cpuShare(run)));
  return { profile, setup, downtime, sender, slowdown, intervals, samples, threadCpuShare };
}
