/**
 * What observers see of a running migration, and the hooks they attach to: after SimPy, metrics
 * attach to the model from outside (docs/SIMULATOR.md, "Clock, rules, observers"), and the
 * model never formats output. Per-page events go to one PageObserver (page-events.ts); these
 * hooks fire per sync, per rate window and per pass.
 */

/** The model's state, read-only, as an observer or a convergence rule sees it. */
export interface MigrationView {
  /** The clock: simulated seconds since the migration started. */
  readonly timeS: number;
  /** Pages in the migration bitmap, still to send (ram.c RAMBlock.bmap). */
  readonly dirtyPages: number;
  /** migration_bitmap_sync() calls so far (ram.c dirty_sync_count; the cache's generation). */
  readonly dirtySyncCount: number;
  /** ram.c xbzrle_enabled: delta encoding is on (after the bulk pass's first wrap-around). */
  readonly deltaActive: boolean;
  /** The codec has a page cache (a delta codec, harness/simulator/cache-independence.ts). */
  readonly usesCache: boolean;
  /** migration.c threshold_size: bandwidth × downtime-limit at the last rate window, bytes. */
  readonly thresholdBytes: number;
  /** Wire bytes sent since the migration started, every pass and the stop-and-copy included. */
  readonly sentBytes: number;
  /** Pages sent since the migration started. */
  readonly sentPages: number;
}

/** One rate window as migration.c migration_update_counters() measured it. */
export interface RateWindow {
  /** Wire bytes sent in the window. */
  readonly bytes: number;
  /** bytes / the window's duration. */
  readonly bandwidthBytesPerS: number;
}

export interface SimulationObserver {
  /** migration_bitmap_sync() ran: a pass starts now, with view.dirtyPages pages dirty. */
  onSync?(view: MigrationView): void;
  /** migration_update_counters() closed a rate window (view.thresholdBytes is the new one). */
  onWindow?(view: MigrationView, window: RateWindow): void;
  /**
   * A pass ended: at a sync, at the end of the stop-and-copy (`stopAndCopy`), or when the run
   * stopped without converging. A pass with no time and no pages (a sync right before
   * completion's own sync) is not a pass anyone would see: it fires nothing.
   */
  onPassEnd?(view: MigrationView, stopAndCopy: boolean): void;
}
