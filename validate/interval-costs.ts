import { mean, median } from "simple-statistics";
import { builtinCalibration, encodeSeconds } from "../codecs/calibration.ts";
import type { SenderOutcome } from "../harness/simulator/host-profile.ts";
import { fitLine, type LineFit } from "./line-fit.ts";
import type { LabRun } from "./migration-run.ts";

/**
 * The sender's cost per page outcome from the 100 ms polls of real migrations
 * (`--fit-basis polls`), where the outcomes are apart: between two polls the counters say which
 * pages went, and some stretches of the bulk pass hold one outcome only.
 * - A **zero page** costs the wall time of the stretches that sent only ZERO records: the
 *   thread works flat out through them (9 bytes a page never reach the rate cap), so it is
 *   what such a page costs on this host, the wait for a core included. It grows with the
 *   guest's vCPU use (the vCPU thread competes for the 2 cores): a line over the runs, cost =
 *   c₀ × (1 + k × vCPU use), gives c₀ and the busy-guest slowdown k.
 * - A **normal page** costs the thread's CPU time in the stretches that sent only normal pages:
 *   those hit the rate cap and sleep out the window, so their wall time is the cap's, not the
 *   page's; the simulator adds the wire time itself (harness/simulator/migration.ts).
 * - An **XBZRLE hit** costs the wall time of the stretches that sent hits and next to nothing
 *   else: `stride` with XBZRLE at 32 MiB/s, once the bulk pass is over, resends its 4 096-page
 *   buffer as deltas of a few bytes, sync after sync, far below the rate cap, so the thread
 *   works flat out as through zero pages (the syncs and the odd miss in those stretches are
 *   charged to the hits). Each run's µs per hit is taken back to an idle guest's with the zero
 *   line's slowdown (on the part besides the codec, as the simulator charges it), and the median
 *   over the runs kept: one run whose host was busy (D's second stride run: vCPU use 0.37,
 *   10 µs a hit) would pull a mean far off. These stretches
 *   come from the stochastic configuration's runs too, which the whole-run bases leave out:
 *   a stretch says what a page cost, not when a sync found the vCPU stalled. Without them the
 *   fallback's 4 µs, with the slowdown on top, made a simulated sync of the buffer 25 ms where
 *   the real ones took 16–18 ms (docs/VALIDATION.md, fourth session).
 * - Where the guests' RAM was **preallocated** (validate/vm.ts GuestMemory), zero pages never
 *   fill a stretch alone: they cost well under 1 µs, so the thread races through them and
 *   sleeps out the rate cap over the normal pages beside them. A zero page then costs the
 *   thread's CPU in the stretches that sent zero pages and no hit or sync, less the normal
 *   pages' CPU (above), per zero page (`zeroPageCpu`). CPU time cannot show the wait for a
 *   core, so the busy-guest slowdown is not fitted then.
 * - A miss and an overflow never fill a stretch alone in the lab's runs: they keep the fallback
 *   profile's values, as an outcome the other bases cannot determine does. Charging a hit the
 *   normal page's CPU (1.2–1.9 µs) made the synthetic `stride` with XBZRLE at 128 MiB/s fill
 *   whole rate windows with hits of a few bytes: the measured bandwidth, and with it the
 *   threshold, fell near zero and one repetition never converged (3 492 syncs in 45 s), where
 *   the real ones converged after 4.
 * Each cost is less the codec time the simulator charges for the same page (as in
 * profile-fit.ts codecMicros), so the two are not counted twice.
 */

/** One stretch between two polls: ms and pages by kind, and the thread's CPU µs (NaN: unread). */
export interface PollInterval {
  readonly ms: number;
  readonly zero: number;
  readonly normal: number;
  readonly xbzrle: number;
  readonly syncs: number;
  readonly cpuMicros: number;
}

/** The stretches between consecutive `active` polls after setup (setup-time, QEMU's clock). */
export function pollIntervals(run: LabRun): PollInterval[] {
  const setupMs = run.final?.["setup-time"] ?? 0;
  const out: PollInterval[] = [];
  const active = run.polls.filter((p) => p.info.status === "active" && p.info.ram);
  for (let i = 1; i < active.length; i++) {
    const [a, b] = [active[i - 1], active[i]];
    if (a.atMs <= setupMs) continue;
    const ram = (p: typeof a, key: string) => p.info.ram?.[key] ?? 0;
    const xbzrle = (p: typeof a) => p.info["xbzrle-cache"]?.pages ?? 0;
    const cpu = (p: typeof a) => p.migrationThreadCpuS ?? Number.NaN;
    out.push({
      ms: b.atMs - a.atMs,
      zero: ram(b, "duplicate") - ram(a, "duplicate"),
      normal: ram(b, "normal") - ram(a, "normal"),
      xbzrle: xbzrle(b) - xbzrle(a),
      syncs: ram(b, "dirty-sync-count") - ram(a, "dirty-sync-count"),
      cpuMicros: (cpu(b) - cpu(a)) * 1e6,
    });
  }
  return out;
}

/** Fewer zero pages than this in a run's zero-only stretches say nothing about their cost. */
const MIN_ZERO_PAGES = 5000;
/** A stretch of normal pages: this many at least, next to no other page and no sync. */
const MIN_NORMAL_PAGES = 1000;
const STRAY_PAGES = 50;
/** The least spread of the runs' vCPU use that tells the slowdown from the cost. */
const MIN_BUSY_SPREAD = 0.3;

/** A run's wall µs per zero page over its zero-only stretches, with its vCPU use; or null. */
export function zeroPageCost(run: LabRun): { micros: number; busy: number } | null {
  const only = pollIntervals(run).filter(
    (s) => s.zero > 0 && s.normal === 0 && s.xbzrle === 0 && s.syncs === 0,
  );
  const pages = only.reduce((a, s) => a + s.zero, 0);
  if (pages < MIN_ZERO_PAGES) return null;
  const ms = only.reduce((a, s) => a + s.ms, 0);
  return { micros: (ms * 1000) / pages, busy: run.vcpuCpuShare ?? 0 };
}

/**
 * The thread's CPU µs per page over every run's stretches that `keep` takes and whose CPU was
 * read: Σ (CPU − `besides`) / Σ `pages`; null if no stretch counts.
 */
function cpuPerPage(
  runs: readonly LabRun[],
  keep: (s: PollInterval) => boolean,
  pages: (s: PollInterval) => number,
  besides: (s: PollInterval) => number = () => 0,
): number | null {
  let micros = 0;
  let count = 0;
  for (const run of runs)
    for (const s of pollIntervals(run))
      if (keep(s) && Number.isFinite(s.cpuMicros)) {
        micros += s.cpuMicros - besides(s);
        count += pages(s);
      }
  return count === 0 ? null : micros / count;
}

/** A stretch of zero pages for `zeroPageCpu`: this many at least, no hit and no sync. */
const MIN_ZERO_STRETCH = 1000;

/**
 * The thread's CPU µs per zero page over every run's stretches of zero pages (besides normal
 * ones), less `normalMicros` per normal page; null if no stretch has its CPU read.
 */
export function zeroPageCpu(runs: readonly LabRun[], normalMicros: number): number | null {
  const micros = cpuPerPage(
    runs,
    (s) => s.zero >= MIN_ZERO_STRETCH && s.xbzrle === 0 && s.syncs === 0,
    (s) => s.zero,
    (s) => s.normal * normalMicros,
  );
  return micros === null ? null : Math.max(0, micros);
}

/** The thread's CPU µs per normal page over every run's normal-only stretches; null if none. */
export function normalPageCpu(runs: readonly LabRun[]): number | null {
  return cpuPerPage(
    runs,
    (s) => s.normal >= MIN_NORMAL_PAGES && s.zero < STRAY_PAGES && s.xbzrle === 0 && s.syncs === 0,
    (s) => s.normal,
  );
}

/** A stretch of hits: this many at least, no zero page, and misses at most this share of them. */
const MIN_HIT_PAGES = 1000;
const STRAY_MISS_SHARE = 0.02;
/** Fewer hits than this in a run's hit-only stretches say nothing about their cost. */
const MIN_RUN_HITS = 5000;

/** A run's wall µs per XBZRLE hit over its hit-only stretches, with its vCPU use; or null. */
export function hitPageCost(run: LabRun): { micros: number; busy: number } | null {
  const only = pollIntervals(run).filter(
    (s) =>
      s.xbzrle >= MIN_HIT_PAGES && s.zero < STRAY_PAGES && s.normal <= STRAY_MISS_SHARE * s.xbzrle,
  );
  const pages = only.reduce((a, s) => a + s.xbzrle, 0);
  if (pages < MIN_RUN_HITS) return null;
  const ms = only.reduce((a, s) => a + s.ms, 0);
  return { micros: (ms * 1000) / pages, busy: run.vcpuCpuShare ?? 0 };
}

export interface IntervalCosts {
  /** µs per page besides the codec, by outcome (miss and overflow, and a hit no run shows: the fallback's). */
  readonly micros: Readonly<Record<SenderOutcome, number>>;
  readonly slowdown: number;
  /** The zero-page line over the runs (null: their vCPU use too alike, so k = 0 and c₀ = mean). */
  readonly zeroLine: LineFit | null;
  /** Runs with zero-only stretches; 0 when the zero page's cost is its CPU (`zeroPageCpu`). */
  readonly zeroRuns: number;
  /** µs per zero page from `zeroPageCpu` (codec included), when no run had a zero-only stretch. */
  readonly zeroCpuMicros: number | null;
  readonly normalCpuMicros: number | null;
  /** Runs with hit-only stretches, and the median of their µs per hit at an idle guest's speed (codec included). */
  readonly hitRuns: number;
  readonly hitWallMicros: number | null;
}

/**
 * The per-outcome costs and slowdown from `runs`' polls, hits from `hitRuns`' (by default the
 * same runs); null when no run has a zero-only stretch and no stretch says a zero page's CPU.
 */
export function fitIntervalCosts(
  runs: readonly LabRun[],
  fallback: Readonly<Record<SenderOutcome, number>>,
  hitRuns: readonly LabRun[] = runs,
): IntervalCosts | null {
  const normalCpu = normalPageCpu(runs);
  const normal = normalCpu ?? fallback.normal;
  const zero = runs.flatMap((run) => zeroPageCost(run) ?? []);
  const zeroCpu = zero.length === 0 ? zeroPageCpu(runs, normal) : null;
  if (zero.length === 0 && zeroCpu === null) return null;
  const busy = zero.map((z) => z.busy);
  const spread = zero.length === 0 ? 0 : Math.max(...busy) - Math.min(...busy);
  const line =
    spread >= MIN_BUSY_SPREAD
      ? fitLine(
          busy,
          zero.map((z) => z.micros),
        )
      : null;
  const c0 = line ? line.fixed : (zeroCpu ?? mean(zero.map((z) => z.micros)));
  const slowdown = line && line.fixed > 0 ? line.slope / line.fixed : 0;
  // The codec's part of a page, charged by the calibration (the lab's codec: `zero` or `xbzrle`
  // — their zero and raw rates are alike; validate/compare.ts picks the codec).
  const codec = (outcome: "zero" | "raw") =>
    encodeSeconds(builtinCalibration, "zero", outcome) * 1e6;
  // A hit's codec part is the delta's encode time (the lab's stride changes 4 bytes a page);
  // the slowdown is charged on the sender's part only (harness/simulator/page-events.ts).
  const deltaMicros = encodeSeconds(builtinCalibration, "xbzrle", "delta") * 1e6;
  const hits = hitRuns.flatMap((run) => hitPageCost(run) ?? []);
  const hitSender =
    hits.length === 0
      ? null
      : median(hits.map((h) => Math.max(0, h.micros - deltaMicros) / (1 + slowdown * h.busy)));
  return {
    micros: {
      zero: Math.max(0, c0 - codec("zero")),
      normal: Math.max(0, normal - codec("raw")),
      hit: hitSender ?? fallback.hit,
      miss: fallback.miss,
      overflow: fallback.overflow,
    },
    slowdown,
    zeroLine: line,
    zeroRuns: zero.length,
    zeroCpuMicros: zeroCpu,
    normalCpuMicros: normalCpu,
    hitRuns: hits.length,
    hitWallMicros: hitSender === null ? null : hitSender + deltaMicros,
  };
}
