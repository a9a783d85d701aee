import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mean } from "simple-statistics";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import type { RecordSummary } from "../workloads/recorder.ts";
import { LoopRefusedError, loopPlan } from "../workloads/trace-loop.ts";
import { TraceReader } from "../workloads/trace-reader.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";
import { replaceAtFirstSnapshot } from "./trace-rebase.ts";
import type { GuestLoad } from "./vm.ts";

/**
 * The traces a validation run replays beside the synthetic workloads: one per guest load the
 * matrix uses, recorded once per run in a boot of its own (never during a migration: the
 * recorder would take CPU from the 2 cores the migration shares), kept in `OUT/traces/<load>.trace`
 * with what each recording was in `OUT/traces/recordings.json`.
 *
 * Alignment (docs/VALIDATION.md, "Trace replay"): the recording starts at the load's first
 * heartbeat, and the trace kept starts at the recorder's first snapshot at or after the load's
 * own time at which its migrations started (their start heartbeats, LabRun.loadAtStart;
 * validate/trace-rebase.ts), so its time 0 stands for the migrations'; the replay then needs no
 * `guest_warmup_s`. The recorder's image read (1.6–2.2 s quiet) comes first, so a recording that
 * starts later — after the warm-up, as before — replays a load that had written for seconds
 * more: for `sparse` 17 MiB more distinct pages at the first sync than its migrations found.
 */

export type LoadMode = GuestLoad["mode"];

/** The longest recording: a migration that outlasts it replays it in a loop (`on-end=loop`). */
export const MAX_TRACE_S = 30;
/** Snapshot interval and fine re-read period (docs/TRACE_FORMAT.md, "Recorder"). */
export const TRACE_INTERVAL_MS = 200;
export const TRACE_FINE_MS = 5;
export const RECORDINGS_FILE = "recordings.json";

/** What to record for one load. */
export interface TracePlan {
  readonly load: GuestLoad;
  readonly guestRamKiB: number;
  /** Booted as its migrations were (LabConfig.preallocated), so the load runs at their pace. */
  readonly preallocated: boolean;
  /** Booted as its migrations were (LabConfig.kaslr), so the trace sees their RAM layout. */
  readonly kaslr: boolean;
  /**
   * Where the kept trace starts, on the load's own clock (heartbeat `t`, seconds): the mean of
   * its migrations' start heartbeats, or, for runs recorded before those were kept, the first
   * heartbeat plus the configuration's warm-up (how runMigration started them then).
   */
  readonly start: LoadStart;
  readonly durationS: number;
}

export type LoadStart =
  | { readonly kind: "load-time"; readonly loadS: number }
  | { readonly kind: "after-first-heartbeat"; readonly warmupS: number };

/** The load's clock at its migrations' start heartbeats, per load (mean over the runs). */
export function migrationStarts(runs: readonly LabRun[]): Map<LoadMode, number> {
  const starts = new Map<LoadMode, number[]>();
  for (const run of runs) {
    const at = run.loadAtStart;
    if (!at) continue;
    const mode = run.config.load.mode;
    starts.set(mode, [...(starts.get(mode) ?? []), at.tMs / 1000]);
  }
  return new Map([...starts].map(([mode, s]) => [mode, mean(s)]));
}

/**
 * One plan per load, in the matrix's order: as long as the longest time limit among the
 * configurations of that load, at most MAX_TRACE_S, starting where `starts` (migrationStarts)
 * says its migrations started.
 */
export function tracePlans(
  matrix: readonly LabConfig[],
  starts: ReadonlyMap<LoadMode, number> = new Map(),
): TracePlan[] {
  const plans = new Map<LoadMode, TracePlan>();
  for (const c of matrix) {
    const seen = plans.get(c.load.mode);
    const loadS = starts.get(c.load.mode);
    const start: LoadStart =
      loadS === undefined
        ? { kind: "after-first-heartbeat", warmupS: c.warmupS }
        : { kind: "load-time", loadS };
    if (
      seen &&
      (seen.guestRamKiB !== c.guestRamKiB ||
        seen.preallocated !== c.preallocated ||
        seen.kaslr !== c.kaslr ||
        (start.kind === "after-first-heartbeat" &&
          seen.start.kind === start.kind &&
          seen.start.warmupS !== start.warmupS))
    )
      throw new UsageError(
        `${c.name}: one trace per load needs one guest RAM, preallocation, KASLR setting and warm-up for every configuration of ${c.load.mode}`,
      );
    plans.set(c.load.mode, {
      load: c.load,
      guestRamKiB: c.guestRamKiB,
      preallocated: c.preallocated,
      kaslr: c.kaslr,
      start,
      durationS: Math.min(MAX_TRACE_S, Math.max(seen?.durationS ?? 0, c.timeoutS)),
    });
  }
  return [...plans.values()];
}

/** What the lab keeps of the recorder's summary of one recording. */
export type RecorderSummary = Pick<
  RecordSummary,
  "durationS" | "snapshots" | "skippedSlots" | "bytes" | "captureMethod" | "fineReads"
>;

/** A recording as RecordLoad made it: the recorder's summary and where on the load's clock it began. */
export interface Recorded extends RecorderSummary {
  /** The load's clock (heartbeat `t`, seconds) at the recording's time 0. */
  readonly recordingStartLoadS: number;
}

/** One load's recording, as recordings.json keeps it. */
export type TraceRecording =
  | ({
      readonly load: LoadMode;
      readonly state: "recorded";
      /** The trace's file name, beside recordings.json. */
      readonly file: string;
      readonly guestRamKiB: number;
      /** As TracePlan.preallocated; absent in recordings made before it was kept (they were not). */
      readonly preallocated?: boolean;
      /** As TracePlan.kaslr; absent in recordings made before it was kept (they booted with it). */
      readonly kaslr?: boolean;
      readonly requestedDurationS: number;
      readonly intervalMs: number;
      readonly fineMs: number;
      /**
       * The load's clock (heartbeat `t`, s) at the recording's time 0, at the kept trace's, and at
       * its migrations' start; absent in recordings made before they were kept.
       */
      readonly recordingStartLoadS?: number;
      readonly startsAtLoadS?: number;
      readonly migrationsStartAtLoadS?: number;
      /** The recording's time of its first snapshot at or after the migrations' start (and after the image): the kept trace's time 0. */
      readonly startsAtRecordedS: number;
      /** The recording's own length; the kept trace's is `durationS`. */
      readonly recordedDurationS: number;
    } & RecorderSummary)
  | { readonly load: LoadMode; readonly state: "failed"; readonly error: string };

/** Records one plan into `file` (booting the guest for it); rejects with one line on failure. */
export type RecordLoad = (plan: TracePlan, file: string) => Promise<Recorded>;

/** The load's clock at which the kept trace should start, for a recording begun at `recordingStartLoadS`. */
export function targetLoadS(start: LoadStart, recordingStartLoadS: number): number {
  return start.kind === "load-time" ? start.loadS : recordingStartLoadS + start.warmupS;
}

/**
 * Records every plan into `dir` one after the other, rewriting recordings.json after each; a
 * load whose recording fails is kept as failed (its trace rows then say why) and the next runs.
 */
export async function recordTraces(
  plans: readonly TracePlan[],
  dir: string,
  recordLoad: RecordLoad,
  log: (line: string) => void,
): Promise<TraceRecording[]> {
  const recordings: TraceRecording[] = [];
  for (const [i, plan] of plans.entries()) {
    const load = plan.load.mode;
    const file = `${load}.trace`;
    log(`[trace ${i + 1}/${plans.length}] ${load}: recording ${plan.durationS} s of guest RAM`);
    try {
      const recorded = join(dir, `${load}.recorded.trace`);
      const summary = await recordLoad(plan, recorded);
      const target = targetLoadS(plan.start, summary.recordingStartLoadS);
      const notBeforeS = Math.max(0, target - summary.recordingStartLoadS);
      const rebased = replaceAtFirstSnapshot(recorded, join(dir, file), notBeforeS);
      const startsAtLoadS = summary.recordingStartLoadS + rebased.cutS;
      recordings.push({
        load,
        state: "recorded",
        file,
        guestRamKiB: plan.guestRamKiB,
        preallocated: plan.preallocated,
        kaslr: plan.kaslr,
        requestedDurationS: plan.durationS,
        intervalMs: TRACE_INTERVAL_MS,
        fineMs: TRACE_FINE_MS,
        recordingStartLoadS: summary.recordingStartLoadS,
        startsAtLoadS,
        migrationsStartAtLoadS: target,
        startsAtRecordedS: rebased.cutS,
        recordedDurationS: summary.durationS,
        durationS: rebased.durationS,
        snapshots: summary.snapshots,
        skippedSlots: summary.skippedSlots,
        bytes: rebased.bytes,
        captureMethod: summary.captureMethod,
        fineReads: summary.fineReads,
      });
      log(
        `[trace ${i + 1}/${plans.length}] ${load}: ${summary.captureMethod}; replay starts ${rebased.cutS.toFixed(1)} s in, at the load's ${startsAtLoadS.toFixed(2)} s (its migrations started at ${target.toFixed(2)} s${startsAtLoadS - target > TRACE_INTERVAL_MS / 1000 ? ": the image read ended later" : ""}), and lasts ${rebased.durationS.toFixed(1)} s`,
      );
    } catch (error) {
      const message = (error as Error).message.split("\n")[0];
      recordings.push({ load, state: "failed", error: message });
      log(`[trace ${i + 1}/${plans.length}] ${load}: recording failed: ${message}`);
    }
    writeFileAtomic(join(dir, RECORDINGS_FILE), `${JSON.stringify(recordings, null, 1)}\n`);
  }
  return recordings;
}

/** A run directory's recordings (RUN_DIR/traces/recordings.json), or null when it has none. */
export function readRecordings(tracesDir: string): TraceRecording[] | null {
  const path = join(tracesDir, RECORDINGS_FILE);
  if (!existsSync(path)) return null;
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(parsed)) throw new InputError(path, "not a list of recordings");
  return parsed.map((entry, i) => {
    const e = entry as Partial<TraceRecording>;
    if (typeof e.load !== "string" || (e.state !== "recorded" && e.state !== "failed"))
      throw new InputError(path, `entry ${i} is not a recording (no load or state)`);
    return entry as TraceRecording;
  });
}

/**
 * The traces a comparison replays: those in `existingDir` (a `--from` run's traces/) when it
 * has a recordings.json, else recorded now into `outDir` — which boots the lab's guest once per
 * load, so `recorder()` may refuse when there is no lab. A trace whose loop is refused is
 * unavailable with the reason, checked once per trace rather than once per configuration.
 */
export async function tracesFor(
  matrix: readonly LabConfig[],
  runs: readonly LabRun[],
  existingDir: string | null,
  outDir: string,
  recorder: () => RecordLoad,
  log: (line: string) => void,
): Promise<Map<LoadMode, TraceAvailability>> {
  const existing = existingDir === null ? null : readRecordings(existingDir);
  if (existingDir !== null && existing !== null) return checkLoops(traceSet(existingDir, existing));
  if (existingDir !== null)
    log(
      `${existingDir} has no traces: recording one per load now (boots the lab's guest; needs the lab)`,
    );
  const recordLoad = recorder();
  mkdirSync(outDir, { recursive: true });
  return checkLoops(
    traceSet(
      outDir,
      await recordTraces(tracePlans(matrix, migrationStarts(runs)), outDir, recordLoad, log),
    ),
  );
}

/** `traces` with each recorded trace whose loop is refused (loopRefusal) made unavailable. */
function checkLoops(traces: Map<LoadMode, TraceAvailability>): Map<LoadMode, TraceAvailability> {
  return new Map(
    [...traces].map(([load, trace]): [LoadMode, TraceAvailability] => {
      const refused = trace.state === "recorded" ? loopRefusal(trace.path) : null;
      return [load, refused === null ? trace : { state: "unavailable", reason: refused }];
    }),
  );
}

/**
 * A load's trace for the simulations: its absolute path and where its time 0 is on the load's
 * clock (null: recorded before that was kept), or why there is none.
 */
export type TraceAvailability =
  | { readonly state: "recorded"; readonly path: string; readonly startsAtLoadS: number | null }
  | { readonly state: "unavailable"; readonly reason: string };

/** The traces of `recordings` in `tracesDir`, by load. */
export function traceSet(
  tracesDir: string,
  recordings: readonly TraceRecording[],
): Map<LoadMode, TraceAvailability> {
  return new Map(
    recordings.map((r): [LoadMode, TraceAvailability] => [
      r.load,
      r.state === "recorded"
        ? {
            state: "recorded",
            path: join(tracesDir, r.file),
            startsAtLoadS: r.startsAtLoadS ?? null,
          }
        : { state: "unavailable", reason: `recording failed: ${r.error}` },
    ]),
  );
}

/**
 * Why `on-end=loop` refuses the trace (docs/TRACE_FORMAT.md, "Replay": the coverage rule), or
 * why it cannot be read; null when it loops. Asked before any simulation so the trace rows say
 * it in place of figures.
 */
export function loopRefusal(path: string): string | null {
  let reader: TraceReader | null = null;
  try {
    reader = TraceReader.open(path);
    loopPlan(reader, path);
    return null;
  } catch (error) {
    if (error instanceof LoopRefusedError) return `loop refused: ${error.why}`;
    if (error instanceof UsageError || error instanceof InputError)
      return `trace unreadable: ${error.message}`;
    throw error;
  } finally {
    reader?.close();
  }
}
