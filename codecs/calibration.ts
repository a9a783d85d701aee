import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { InputError } from "../lib/errors.ts";
import type { BenchRow } from "./codec-bench.ts";
import type { CodecDefinition } from "./types.ts";
import { PAGE_SIZE } from "./types.ts";

/**
 * Codec CPU cost for the simulator (docs/SIMULATOR.md): encoding a page takes time at
 * a per-codec, per-outcome rate, so a simulation's result does not depend on how busy the
 * machine was. Rates come from a calibration file written by
 * `npm run bench:codecs -- --calibrate [FILE]` (default results/calibration.json) or from the
 * built-in defaults below. The file is exactly a `Calibration` as JSON.
 */

/**
 * What happened to a page on the sender:
 * - `zero`:      zero-page detection found an all-zero page (a ZERO record);
 * - `unchanged`: a delta codec found the page identical to its cached copy (nothing sent);
 * - `delta`:     a delta codec encoded it;
 * - `overflow`:  a delta codec tried and gave up (overflow → sent raw);
 * - `raw`:       sent raw (or compressed, for a non-delta codec) without trying a delta,
 *                e.g. a cache miss or the bulk pass.
 */
export type PageOutcome = "zero" | "unchanged" | "delta" | "overflow" | "raw";

export const PAGE_OUTCOMES: readonly PageOutcome[] = [
  "zero",
  "unchanged",
  "delta",
  "overflow",
  "raw",
];

export interface Calibration {
  /** Where the rates came from: "builtin (...)" or the bench command and date that wrote them. */
  source: string;
  /** The machine measured (CPU model, cores, Node), or null when unknown. */
  machine: string | null;
  /** codec name → outcome → encode rate in GB/s (10^9 bytes of page input per second). */
  encodeGBps: Record<string /* codec */, Record<PageOutcome, number>>;
}

/**
 * Which benchmark page kind (codecs/page-kinds.ts) measures each outcome's rate:
 * zero → `zero`, unchanged → `identical`, delta → `random-1pct` (41 scattered changed bytes:
 * one kind, not a mean, so the rate is one measured number), overflow → `random-full`, and
 * raw → `random-full` for codecs without a delta (raw, zero, lz4, zstd, deflate: their whole
 * cost is compressing or copying the page). For delta codecs a `raw` page is sent without
 * encoding, so its rate is the `raw` codec's (a 4096-byte copy) on `random-full`.
 * A `zero` page costs the zero-page check QEMU runs before any codec (buffer_is_zero), so
 * every codec that detects zero pages gets the `zero` codec's rate on the `zero` kind; `raw`
 * (no detection) gets its own copy rate there.
 */
export const OUTCOME_KINDS: Readonly<Record<PageOutcome, string>> = {
  zero: "zero",
  unchanged: "identical",
  delta: "random-1pct",
  overflow: "random-full",
  raw: "random-full",
};

/**
 * Built-in defaults: measured once on the development machine (2-core VM, Node 20) with
 * `npm run bench:codecs -- --calibrate` (--time 500, 16384 pairs, each kind in a fresh worker,
 * median iteration) on an otherwise quiet machine, rounded to 2 significant digits. Re-run
 * --calibrate on the machine you model for your own numbers.
 */
export const builtinCalibration: Calibration = {
  source: "builtin (npm run bench:codecs -- --calibrate, dev machine, 2026-12-02)",
  machine: "AMD EPYC (2 cores), Node v20.20.2",
  encodeGBps: {
    raw: { zero: 25, unchanged: 26, delta: 28, overflow: 24, raw: 24 },
    zero: { zero: 8.2, unchanged: 100, delta: 100, overflow: 98, raw: 98 },
    xbrle: { zero: 8.2, unchanged: 3.3, delta: 0.92, overflow: 3.5, raw: 24 },
    "xbrle-2010": { zero: 8.2, unchanged: 3.2, delta: 0.84, overflow: 2, raw: 24 },
    xbzrle: { zero: 8.2, unchanged: 12, delta: 4.2, overflow: 5.9, raw: 24 },
    lz4: { zero: 8.2, unchanged: 0.79, delta: 1.5, overflow: 1.4, raw: 1.4 },
    zstd: { zero: 8.2, unchanged: 1.2, delta: 1.3, overflow: 1.3, raw: 1.3 },
    deflate: { zero: 8.2, unchanged: 0.072, delta: 0.076, overflow: 0.075, raw: 0.075 },
    "xor+lz4": { zero: 8.2, unchanged: 2.2, delta: 0.7, overflow: 0.19, raw: 24 },
    "xor+zstd": { zero: 8.2, unchanged: 2.3, delta: 0.54, overflow: 0.84, raw: 24 },
    "xor+deflate": { zero: 8.2, unchanged: 2.3, delta: 0.23, overflow: 0.069, raw: 24 },
  },
};

/** The codec whose rates stand in for a codec the calibration does not list. */
export const FALLBACK_CODEC = "raw";

/**
 * "builtin" → builtinCalibration; anything else is a path to a calibration JSON file, checked
 * field by field. Bad content is an InputError naming the file and what is wrong.
 */
export async function loadCalibration(pathOrBuiltin: string): Promise<Calibration> {
  return (await readCalibration(pathOrBuiltin)).rates;
}

/**
 * loadCalibration, and the sha256 of the very bytes it parsed (null for the built-in rates):
 * a run records the checksum of what its cells used, not of the file as it is a moment later.
 */
export async function readCalibration(
  pathOrBuiltin: string,
): Promise<{ rates: Calibration; sha256: string | null }> {
  if (pathOrBuiltin === "builtin") return { rates: builtinCalibration, sha256: null };
  let bytes: Buffer;
  try {
    bytes = await readFile(pathOrBuiltin);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      pathOrBuiltin,
      code === "ENOENT" ? "no such calibration file" : `cannot read: ${(error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new InputError(pathOrBuiltin, `not valid JSON: ${(error as Error).message}`);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { rates: validateCalibration(data, pathOrBuiltin), sha256 };
}

/** Check that `data` is a Calibration; InputError(input, ...) naming the first bad field. */
export function validateCalibration(data: unknown, input: string): Calibration {
  const fail = (problem: string): never => {
    throw new InputError(input, `not a calibration file: ${problem}`);
  };
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return fail("expected a JSON object with source, machine and encodeGBps");
  }
  const record = data as Record<string, unknown>;
  if (typeof record.source !== "string") fail('"source" must be a string');
  if (record.machine !== null && typeof record.machine !== "string") {
    fail('"machine" must be a string or null');
  }
  const rates = record.encodeGBps;
  if (typeof rates !== "object" || rates === null || Array.isArray(rates)) {
    return fail('"encodeGBps" must be an object of codec → outcome → GB/s');
  }
  const codecs = Object.entries(rates as Record<string, unknown>);
  if (codecs.length === 0) fail('"encodeGBps" lists no codec');
  const encodeGBps: Record<string, Record<PageOutcome, number>> = {};
  for (const [codec, outcomes] of codecs) {
    if (typeof outcomes !== "object" || outcomes === null || Array.isArray(outcomes)) {
      fail(`encodeGBps["${codec}"] must be an object of outcome → GB/s`);
    }
    const byOutcome = outcomes as Record<string, unknown>;
    for (const key of Object.keys(byOutcome)) {
      if (!(PAGE_OUTCOMES as readonly string[]).includes(key)) {
        fail(
          `encodeGBps["${codec}"] has an unknown outcome "${key}" (known: ${PAGE_OUTCOMES.join(", ")})`,
        );
      }
    }
    const checked = {} as Record<PageOutcome, number>;
    for (const outcome of PAGE_OUTCOMES) {
      const rate = byOutcome[outcome];
      if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
        fail(`encodeGBps["${codec}"].${outcome} must be a positive number of GB/s`);
      }
      checked[outcome] = rate as number;
    }
    encodeGBps[codec] = checked;
  }
  return { source: record.source as string, machine: record.machine as string | null, encodeGBps };
}

/**
 * CPU seconds to encode `pages` pages with `codec` when each ends as `outcome`. A codec the
 * calibration does not list is charged the `raw` codec's rate (a page copy: the cheapest thing
 * any sender does, so an uncalibrated codec is never made to look slow); if the calibration
 * has no `raw` row either, the built-in raw rate is used.
 */
export function encodeSeconds(
  cal: Calibration,
  codec: string,
  outcome: PageOutcome,
  pages = 1,
): number {
  const rates =
    cal.encodeGBps[codec] ??
    cal.encodeGBps[FALLBACK_CODEC] ??
    builtinCalibration.encodeGBps[FALLBACK_CODEC];
  return (pages * PAGE_SIZE) / (rates[outcome] * 1e9);
}

/** Build a calibration from measured rows (the mapping is documented in calibration.ts). */
export function calibrationFromRows(
  rows: readonly BenchRow[],
  codecs: readonly CodecDefinition[],
  machine: string,
): Calibration {
  const rate = (codec: string, kind: string): number => {
    const row = rows.find((r) => r.codec === codec && r.kind === kind);
    if (!row) throw new Error(`calibration needs ${codec} on ${kind}, which was not measured`);
    return Number(row.encodeGBps.toPrecision(3));
  };
  const encodeGBps: Record<string, Record<PageOutcome, number>> = {};
  for (const codec of codecs) {
    const outcomes = {} as Record<PageOutcome, number>;
    for (const outcome of PAGE_OUTCOMES) {
      const kind = OUTCOME_KINDS[outcome];
      if (outcome === "zero") {
        outcomes.zero = rate(codec.detectsZeroPages ? "zero" : codec.name, kind);
      } else if (outcome === "raw" && codec.usesPrevious) {
        outcomes.raw = rate("raw", kind);
      } else {
        outcomes[outcome] = rate(codec.name, kind);
      }
    }
    encodeGBps[codec.name] = outcomes;
  }
  return {
    source: `npm run bench:codecs -- --calibrate, ${new Date().toISOString()}`,
    machine,
    encodeGBps,
  };
}
