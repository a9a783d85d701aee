import { UsageError } from "../lib/errors.ts";
import { leveledCodecs } from "./general.ts";
import { resolveCodecs } from "./registry.ts";
import type { CodecDefinition } from "./types.ts";

/**
 * The codecs a `bench:codecs` run measures: what `--codec` takes everywhere (names, aliases,
 * groups such as `paper`, `all`), plus lzbench's `NAME:LEVEL` for the codecs that have levels
 * (`zstd:3`, `deflate:6`). A plug-in name cannot hold a colon (codecs/registry.ts), so the
 * suffix is never part of a name. The simulator (`npm run bench`) runs the default levels only:
 * its calibration holds one rate per codec name.
 */

/** What `--help` says about levels: "zstd 1-22, deflate 0-9, ...". */
export function levelsHelp(): string {
  return Object.entries(leveledCodecs)
    .map(([family, { levels }]) => `${family} ${levels.min}-${levels.max}`)
    .join(", ");
}

/** The codec `NAME:LEVEL` names, or a UsageError in one line saying what levels there are. */
function codecAtLevel(
  given: string,
  family: string,
  levelText: string,
  plugins: readonly CodecDefinition[],
): CodecDefinition {
  const resolved = resolveCodecs([family], plugins);
  const leveled = resolved.length === 1 ? leveledCodecs[resolved[0].name] : undefined;
  if (!leveled) {
    throw new UsageError(
      `--codec ${given}: ${family} has no compression levels (codecs with levels: ${levelsHelp()})`,
    );
  }
  const { min, max } = leveled.levels;
  const level = /^-?\d+$/.test(levelText) ? Number(levelText) : Number.NaN;
  if (!(level >= min && level <= max)) {
    throw new UsageError(
      `--codec ${given}: ${resolved[0].name}'s levels are whole numbers ${min} to ${max}`,
    );
  }
  return leveled.at(level);
}

/**
 * Resolve `--codec`'s list: each item through resolveCodecs() (unknown names are its
 * UsageError), `NAME:LEVEL` through codecAtLevel(). Order kept; a codec named twice (`zstd` and
 * `zstd:1` are one codec) is measured once.
 */
export function resolveBenchCodecs(
  names: readonly string[],
  plugins: readonly CodecDefinition[] = [],
): CodecDefinition[] {
  const chosen = new Map<string, CodecDefinition>();
  for (const name of names) {
    const colon = name.lastIndexOf(":");
    const resolved =
      colon < 0
        ? resolveCodecs([name], plugins)
        : [codecAtLevel(name, name.slice(0, colon), name.slice(colon + 1), plugins)];
    for (const codec of resolved) if (!chosen.has(codec.name)) chosen.set(codec.name, codec);
  }
  return [...chosen.values()];
}

/** The compression level a codec runs at, or null for a codec without levels. */
export function levelOf(codec: CodecDefinition): number | null {
  const colon = codec.name.lastIndexOf(":");
  const family = colon < 0 ? codec.name : codec.name.slice(0, colon);
  const leveled = leveledCodecs[family];
  if (!leveled) return null;
  return colon < 0 ? leveled.levels.default : Number(codec.name.slice(colon + 1));
}
