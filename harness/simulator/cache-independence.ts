import { builtinCodecs } from "../../codecs/registry.ts";
import type { CodecDefinition } from "../../codecs/types.ts";
import type { CellSpec } from "../../results/cell.ts";

/**
 * Whether the simulator gives a codec a page cache: only a delta codec (`usesPrevious`) looks
 * pages up, as QEMU's save_xbzrle_page() does; every other codec runs without one.
 */
export function usesPageCache(codec: Pick<CodecDefinition, "usesPrevious">): boolean {
  return codec.usesPrevious;
}

/**
 * A cell whose codec gets no page cache (raw, zero, lz4, ...) cannot depend on the cache
 * settings. Cells that differ only in those share this key, so harness/sweep/pool.ts simulates
 * them once; null = always simulate (a codec with a cache, or a plug-in, whose definition only
 * the worker loads).
 */
export function cacheIndependentKey(spec: CellSpec): string | null {
  if (spec.codecModule !== null) return null;
  const codec = builtinCodecs.find((definition) => definition.name === spec.codec);
  if (!codec || usesPageCache(codec)) return null;
  const {
    index: _index,
    cacheModel: _model,
    cacheSizeBytes: _size,
    cacheAge: _age,
    ...rest
  } = spec;
  return JSON.stringify(rest);
}
