import { UsageError } from "./errors.ts";

/**
 * Parsers for the quantities users type: sizes (`64MiB`), rates (`128MiB/s`, `1Gbit/s`) and
 * durations (`300ms`). Binary prefixes are powers of 1024, decimal ones powers of 1000, and
 * bits are 1/8 byte — QEMU's max-bandwidth is in bytes/s, network links are quoted in bit/s.
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  bit: 1 / 8,
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

function split(text: string, what: string, example: string): [number, string] {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Z/]*)\s*$/.exec(text);
  if (!match)
    throw new UsageError(`${what} "${text}" is not a number with a unit (e.g. ${example})`);
  return [Number(match[1]), match[2].toLowerCase()];
}

/** Bytes from e.g. "64MiB", "16GiB", "4096" (plain number = bytes). */
export function parseBytes(text: string, what = "size"): number {
  const [value, unit] = split(text, what, "64MiB");
  const scale = SIZE_UNITS[unit === "" ? "b" : unit];
  if (scale === undefined)
    throw new UsageError(
      `${what} "${text}" has an unknown unit "${unit}" (use B, KiB, MiB, GiB, KB, MB, GB)`,
    );
  const bytes = value * scale;
  if (!Number.isSafeInteger(Math.round(bytes)))
    throw new UsageError(`${what} "${text}" is too large`);
  return Math.round(bytes);
}

/** Bytes per second from e.g. "128MiB/s", "1Gbit/s", "10Gbps". */
export function parseRate(text: string, what = "rate"): number {
  const [value, unitWithPer] = split(text, what, "128MiB/s or 1Gbit/s");
  const unit = unitWithPer.replace(/\/s$|ps$/, "");
  if (unit === unitWithPer)
    throw new UsageError(`${what} "${text}" needs a per-second unit (e.g. 128MiB/s, 1Gbit/s)`);
  const scale = SIZE_UNITS[unit];
  if (scale === undefined)
    throw new UsageError(
      `${what} "${text}" has an unknown unit "${unitWithPer}" (use MiB/s, GiB/s, Mbit/s, Gbit/s)`,
    );
  if (value <= 0) throw new UsageError(`${what} "${text}" must be positive`);
  return value * scale;
}

/** Milliseconds from e.g. "300ms", "10s", "2min". A plain number is milliseconds. */
export function parseDurationMs(text: string, what = "duration"): number {
  const [value, unit] = split(text, what, "300ms or 10s");
  const scale = DURATION_UNITS[unit === "" ? "ms" : unit];
  if (scale === undefined)
    throw new UsageError(`${what} "${text}" has an unknown unit "${unit}" (use ms, s, min, h)`);
  return value * scale;
}

/** "1.5 GiB"-style text for tables and progress lines. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let index = 0;
  while (Math.abs(value) >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return `${index === 0 ? value : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[index]}`;
}
