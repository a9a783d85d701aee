import { UsageError } from "./errors.ts";

/**
 * Parsers for the quantities users type: sizes (`64MiB`), rates (`128MiB/s`, `10Gbit/s`),
 * durations (`300ms`) and plain numbers with bounds. Every parser rejects what is not a finite
 * number ("1e999", "abc") and names the option (`what`) in its one-line UsageError.
 *
 * Units are case-exact, because in networking case carries meaning: `B` is a byte and `b` a
 * bit (`10Gbps` = `10Gb/s` = `10Gbit/s` = 1.25 GB/s; `10GB/s` is 8× that). QEMU's
 * max-bandwidth is in bytes/s; network links are quoted in bit/s.
 * - Prefixes: SI `k` (or `K`), `M`, `G`, `T` = powers of 1000; IEC `Ki`, `Mi`, `Gi`, `Ti` =
 *   powers of 1024. A lower-case `m`, `g` or `t` is ambiguous (`m` is milli; `gb` could be
 *   either) and rejected with the accepted forms.
 * - Sizes: a plain number is bytes; `B`, `kB`/`KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB`,
 *   `TiB`. A bare prefix (`64M`) is ambiguous between MB and MiB and rejected.
 * - Rates: a byte or bit unit followed by `/s` or `ps`: bytes `B/s`, `MB/s`, `MiB/s`, `GBps`...;
 *   bits `bit/s`, `b/s`, `bps`, `kbit/s`, `Mbit/s`, `Gbit/s`, `Mb/s`, `Gbps`, `Mibit/s`...
 * - Durations: a plain number is milliseconds; `ms`, `s`, `min`, `h`.
 */

declare const unit: unique symbol;

/**
 * A number that says its unit. The unit is an optional phantom property, so a plain number (a
 * literal, a sum) is accepted wherever one is expected — it has no unit to get wrong — but a
 * number known to be a rate is refused where a size is expected, and so on. The parsers below
 * return these; results/axes.ts builds on them so that a cell's axes cannot be swapped.
 */
export type Bytes = number & { readonly [unit]?: "bytes" };
export type BytesPerSecond = number & { readonly [unit]?: "bytes/s" };
export type Milliseconds = number & { readonly [unit]?: "ms" };

const SI_PREFIXES: Readonly<Record<string, number>> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};
const IEC_PREFIXES: Readonly<Record<string, number>> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Bytes per unit, for every size unit. */
const SIZE_UNITS: ReadonlyMap<string, number> = new Map(
  Object.entries({ ...SI_PREFIXES, ...IEC_PREFIXES }).map(([prefix, scale]) => [
    `${prefix}B`,
    scale,
  ]),
);

/** Bytes per second per unit, for every rate unit (with its /s or ps). */
const RATE_UNITS: ReadonlyMap<string, number> = (() => {
  const units = new Map<string, number>();
  const per = (unit: string, scale: number) => {
    units.set(`${unit}/s`, scale);
    units.set(`${unit}ps`, scale);
  };
  for (const [prefix, scale] of Object.entries(SI_PREFIXES)) {
    per(`${prefix}B`, scale);
    per(`${prefix}bit`, scale / 8);
    per(`${prefix}b`, scale / 8);
  }
  for (const [prefix, scale] of Object.entries(IEC_PREFIXES)) {
    per(`${prefix}B`, scale);
    per(`${prefix}bit`, scale / 8);
  }
  return units;
})();

const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["s", 1000],
  ["min", 60_000],
  ["h", 3_600_000],
]);

const SIZE_FORMS = "B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)";
const RATE_FORMS =
  "bytes: MB/s, GB/s, MiB/s, GiB/s (or MBps...); bits: Mbit/s, Gbit/s, Mb/s, Gb/s, Mbps, Gbps; " +
  "B = byte, b = bit";
const DURATION_FORMS = "ms, s, min, h (a plain number is ms)";

/** [value, unit] of "12.5 GiB"; a sign, a non-number or an infinite value is a UsageError. */
function split(text: string, what: string, example: string): [number, string] {
  const match = /^\s*([-+]?)([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z/]*)\s*$/.exec(text);
  if (!match)
    throw new UsageError(`${what}: "${text}" is not a number with a unit (e.g. ${example})`);
  if (match[1] === "-") throw new UsageError(`${what}: "${text}" is negative`);
  const value = Number(match[2]);
  if (!Number.isFinite(value)) throw new UsageError(`${what}: "${text}" is not a finite number`);
  return [value, match[3]];
}

/** The accepted units spelled like `unit` in another case, as a "did you mean" hint. */
function lookalikes(unit: string, units: ReadonlyMap<string, number>): string[] {
  const lower = unit.toLowerCase();
  return [...units.keys()].filter((known) => known.toLowerCase() === lower);
}

function unknownUnit(
  what: string,
  text: string,
  unit: string,
  units: ReadonlyMap<string, number>,
  forms: string,
): UsageError {
  const like = lookalikes(unit, units);
  const hint = like.length > 0 ? ` (case matters: did you mean ${like.join(" or ")}?)` : "";
  return new UsageError(
    `${what}: "${text}" has an unknown or ambiguous unit "${unit}"${hint}; use ${forms}`,
  );
}

/** Bytes from e.g. "64MiB", "16GiB", "4096" (plain number = bytes); rounded to whole bytes. */
export function parseBytes(text: string, what = "size"): Bytes {
  const [value, unit] = split(text, what, "64MiB");
  const scale = unit === "" ? 1 : SIZE_UNITS.get(unit);
  if (scale === undefined) {
    if (/^[kKmMgGtT]$/.test(unit))
      throw new UsageError(
        `${what}: "${text}" is ambiguous: say ${value}${unit.toUpperCase()}iB (powers of 1024) or ${value}${unit === "k" ? "k" : unit.toUpperCase()}B (powers of 1000)`,
      );
    if (RATE_UNITS.has(unit))
      throw new UsageError(`${what}: "${text}" is a rate; give a size (e.g. 64MiB)`);
    throw unknownUnit(what, text, unit, SIZE_UNITS, SIZE_FORMS);
  }
  const bytes = Math.round(value * scale);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${what}: "${text}" is too large`);
  return bytes;
}

/** Bytes per second from e.g. "128MiB/s", "10Gbit/s", "10Gbps"; must be positive. */
export function parseRate(text: string, what = "rate"): BytesPerSecond {
  const [value, unit] = split(text, what, "128MiB/s or 10Gbit/s");
  const scale = RATE_UNITS.get(unit);
  if (scale === undefined) {
    const perSecond = /(\/s|ps)$/.test(unit);
    if (!perSecond && lookalikes(unit, RATE_UNITS).length === 0)
      throw new UsageError(
        `${what}: "${text}" needs a per-second unit${lookalikeHint(unit)}; use ${RATE_FORMS}`,
      );
    throw unknownUnit(what, text, unit, RATE_UNITS, RATE_FORMS);
  }
  const bytesPerS = value * scale;
  if (!(bytesPerS > 0)) throw new UsageError(`${what}: "${text}" must be positive`);
  return bytesPerS;
}

function lookalikeHint(unit: string): string {
  const like = lookalikes(`${unit}/s`, RATE_UNITS);
  return like.length > 0 ? ` (did you mean ${like.join(" or ")}?)` : "";
}

/** Milliseconds from e.g. "300ms", "10s", "2min". A plain number is milliseconds. */
export function parseDurationMs(text: string, what = "duration"): Milliseconds {
  const [value, unit] = split(text, what, "300ms or 10s");
  const scale = unit === "" ? 1 : DURATION_UNITS.get(unit);
  if (scale === undefined) throw unknownUnit(what, text, unit, DURATION_UNITS, DURATION_FORMS);
  const ms = value * scale;
  if (!Number.isFinite(ms)) throw new UsageError(`${what}: "${text}" is not a finite duration`);
  return ms;
}

/** A plain decimal number: digits, an optional fraction and exponent; no unit, no hex. */
const PLAIN_NUMBER = /^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$/;

/**
 * A whole number from `min` to `max` (safe integers; "1e6" is fine). Anything else — "abc",
 * "1.5", "0x10", "1e999", out of range — is one UsageError naming `what` and the range.
 * `why` says where the limit comes from, when it is not obvious.
 */
export function parseInteger(
  text: string,
  what: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  why?: string,
): number {
  const value = PLAIN_NUMBER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? `a whole number ≥ ${min}`
        : `a whole number from ${min} to ${max}`;
    throw new UsageError(`${what}: "${text}" is not ${range}${why ? ` (${why})` : ""}`);
  }
  return value;
}

/** A finite number above `min` (or at least `min` when `inclusive`) and at most `max`. */
export function parseNumber(
  text: string,
  what: string,
  bounds: { min: number; inclusive?: boolean; max?: number; unit?: string },
): number {
  const value = PLAIN_NUMBER.test(text) ? Number(text) : Number.NaN;
  const { min, inclusive = false, max = Number.POSITIVE_INFINITY, unit = "" } = bounds;
  const inRange = (inclusive ? value >= min : value > min) && value <= max;
  if (!Number.isFinite(value) || !inRange) {
    const low = `${inclusive ? "≥" : ">"} ${min}`;
    const range = max === Number.POSITIVE_INFINITY ? low : `${low} and ≤ ${max}`;
    throw new UsageError(`${what}: "${text}" is not a number ${range}${unit ? ` ${unit}` : ""}`);
  }
  return value;
}
