import { PAGE_HEADER_BYTES, PAGE_SIZE } from "../../../codecs/types.ts";
import { PageEvent, type PageObserver } from "../page-events.ts";

/**
 * QEMU's query-migrate counters (ram_counters and xbzrle_counters in migration/ram.c), counted
 * from the sender's page events. docs/SIMULATOR.md's per-page table says which event counts
 * where: a cache hit is an xbzrle page whatever its result; an overflow is also a normal page
 * and adds 4096 to xbzrle bytes; a delta adds its wire bytes less QEMU's 8-byte page header
 * (the 3-byte xbzrle header is counted).
 */
export class MigrationCounters implements PageObserver {
  transferredBytes = 0;
  zeroPages = 0;
  normalPages = 0;
  /** xbzrle pages: cache hits (unchanged and overflowed ones too). */
  deltaPages = 0;
  deltaBytes = 0;
  cacheMissPages = 0;
  overflowPages = 0;
  unchangedPages = 0;
  /** cache_insert() refusals under the age rule (the page went raw and stayed uncached). */
  cacheInsertRefused = 0;
  /** Seconds of sender CPU, over all threads (not divided). */
  encodeCpuS = 0;

  onPage(event: PageEvent, wireBytes: number, encodeSeconds: number): void {
    this.transferredBytes += wireBytes;
    this.encodeCpuS += encodeSeconds;
    switch (event) {
      case PageEvent.zero:
        this.zeroPages++;
        return;
      case PageEvent.raw:
      case PageEvent.compressed:
        this.normalPages++;
        return;
      case PageEvent.miss:
        this.cacheMissPages++;
        this.normalPages++;
        return;
      case PageEvent.missRefused:
        this.cacheMissPages++;
        this.cacheInsertRefused++;
        this.normalPages++;
        return;
      case PageEvent.hitUnchanged:
        this.deltaPages++;
        this.unchangedPages++;
        return;
      case PageEvent.hitOverflow:
        this.deltaPages++;
        this.overflowPages++;
        this.deltaBytes += PAGE_SIZE;
        this.normalPages++;
        return;
      case PageEvent.hitDelta:
        this.deltaPages++;
        this.deltaBytes += wireBytes - PAGE_HEADER_BYTES;
        return;
      case PageEvent.unchanged:
        this.unchangedPages++;
        return;
    }
  }
}
