import { type Calibration, encodeSeconds } from "../../codecs/calibration.ts";
import type { CodecDefinition } from "../../codecs/types.ts";
import { RAW_RECORD_BYTES } from "../../codecs/types.ts";
import type { CellSpec } from "../../results/cell.ts";
import { usesPageCache } from "../simulator/cache-independence.ts";
import { ZERO_RECORD_BYTES } from "../simulator/page-sender.ts";
import { AXIS_OPTIONS, type OptionAxisKey } from "./axis-options.ts";

/**
 * Settings of a sweep that cannot change a result, for `bench --dry-run`: each warning is one
 * line saying which option and why, so that a cluster's hours are not spent on copies.
 * Each rule is one the simulator itself relies on, not a guess:
 *
 * - Cache settings when no codec of the sweep uses the page cache: the simulator gives such a
 *   codec no cache (harness/simulator/cache-independence.ts), and the pool copies one result to
 *   every cache setting.
 * - `--threads` when every cell's codec is wire-bound on every page: threads divide the encode
 *   time, and a chunk takes max(wire time, encode time) (harness/simulator/migration.ts
 *   iterate()); when each page's encode time at one thread is at most its wire time at the
 *   link's speed (the fastest the wire ever goes), the wire time wins for any thread count.
 *   Only a codec that sends every page raw (or as a ZERO record) has a fixed wire size to
 *   compare with; for the built-in rates that is `raw`.
 */

export interface SettingsInput {
  readonly cells: readonly CellSpec[];
  readonly codecs: readonly CodecDefinition[];
  readonly calibration: Calibration;
  /** True when the user gave `--flag`. */
  readonly given: (flag: string) => boolean;
}

const CACHE_AXES = ["cacheModel", "cacheSizeBytes", "cacheAge"] as const;

export function settingWarnings(input: SettingsInput): string[] {
  return [...cacheWarnings(input), ...threadWarnings(input)];
}

function cacheWarnings({ cells, codecs, given }: SettingsInput): string[] {
  if (codecs.some(usesPageCache)) return [];
  const names = codecs.map((codec) => codec.name).join(", ");
  const why = `no codec of the sweep (${names}) uses the page cache (a delta codec such as xbzrle does)`;
  const warnings: string[] = [];
  for (const key of CACHE_AXES) {
    const { flag, default: defaultText } = AXIS_OPTIONS[key];
    const values = distinct(cells, key);
    if (given(flag))
      warnings.push(
        `--${flag} changes no result: ${why}${values > 1 ? `; its ${values} values only repeat every cell` : ""}`,
      );
    else if (values > 1)
      warnings.push(
        `the default --${flag} ${defaultText} repeats every cell ${values} times with the same result: ${why}; give one --${flag}`,
      );
  }
  return warnings;
}

function threadWarnings({ cells, codecs, calibration, given }: SettingsInput): string[] {
  if (!given(AXIS_OPTIONS.threads.flag)) return [];
  const byName = new Map(codecs.map((codec) => [codec.name, codec]));
  const wireBound = (cell: CellSpec): boolean => {
    const codec = byName.get(cell.codec);
    return codec !== undefined && isWireBound(codec, calibration, cell.linkBytesPerS);
  };
  if (cells.length === 0 || !cells.every(wireBound)) return [];
  const names = [...new Set(cells.map((cell) => cell.codec))].join(", ");
  return [
    `--threads changes no result: every page of ${names} takes less time to encode than to send at the link's speed, so the wire, not the encoder, sets every chunk's time`,
  ];
}

/**
 * Whether every page `codec` sends costs at most as much encode time (one thread, at the
 * calibration's rates) as wire time at `linkBytesPerS`. Only a codec without a cache that
 * sends pages raw has a fixed wire size per page (harness/simulator/page-sender.ts send()).
 */
function isWireBound(
  codec: CodecDefinition,
  calibration: Calibration,
  linkBytesPerS: number,
): boolean {
  if (usesPageCache(codec) || codec.sendsPagesRaw !== true) return false;
  const raw = encodeSeconds(calibration, codec.name, "raw") <= RAW_RECORD_BYTES / linkBytesPerS;
  const zero =
    !codec.detectsZeroPages ||
    encodeSeconds(calibration, codec.name, "zero") <= ZERO_RECORD_BYTES / linkBytesPerS;
  return raw && zero;
}

function distinct(cells: readonly CellSpec[], key: OptionAxisKey): number {
  return new Set(cells.map((cell) => JSON.stringify(cell[key]))).size;
}
