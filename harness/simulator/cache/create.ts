import type { CacheModel } from "../../../results/cell.ts";
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

/** The cache a cell asks for (`--cache`, `--cache-size`, `--cache-age`). */
export function createPageCache(options: CacheOptions): PageCache {
  switch (options.cacheModel) {
    case "direct":
      return new DirectPageCache(options.cacheSizeBytes, options.cacheAge);
    case "2way":
      return new TwoWayPageCache(options.cacheSizeBytes);
    case "lru":
      return new LruPageCache(options.cacheSizeBytes);
    default:
      throw new RangeError(`unknown cache model "${options.cacheModel as string}"`);
  }
}
