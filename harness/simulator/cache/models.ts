import type { CacheModel } from "../../../results/cell.ts";
import { ArcPageCache } from "./arc.ts";
import { DirectPageCache } from "./direct.ts";
import { LruPageCache } from "./lru.ts";
import { TwoWayPageCache } from "./two-way.ts";
import type { PageCache } from "./types.ts";

export interface CacheOptions {
  readonly cacheModel: CacheModel;
  readonly cacheSizeBytes: number;
  /** Direct cache only: QEMU ≥ 2.3's CACHED_PAGE_LIFETIME rule; false = always replace. */
  readonly cacheAge: boolean;
}

/**
 * The cache models (`--cache`), one row each: adding one is a row here, its class in this
 * folder and its name in results/cell.ts's CacheModel. docs/SIMULATOR.md, "Page-cache models",
 * describes each.
 */
export const CACHE_MODELS: Readonly<
  Record<CacheModel, { create(options: CacheOptions): PageCache }>
> = {
  direct: { create: (options) => new DirectPageCache(options.cacheSizeBytes, options.cacheAge) },
  "2way": { create: (options) => new TwoWayPageCache(options.cacheSizeBytes) },
  lru: { create: (options) => new LruPageCache(options.cacheSizeBytes) },
  arc: { create: (options) => new ArcPageCache(options.cacheSizeBytes) },
};

/** The cache a cell asks for (`--cache`, `--cache-size`, `--cache-age`). */
export function createPageCache(options: CacheOptions): PageCache {
  // A spec read back from a journal or handed to a worker is data: check the name.
  if (!Object.hasOwn(CACHE_MODELS, options.cacheModel)) {
    throw new RangeError(`unknown cache model "${options.cacheModel}"`);
  }
  return CACHE_MODELS[options.cacheModel].create(options);
}
