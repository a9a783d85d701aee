import { PAGE_SIZE } from "../../../codecs/types.ts";
import type { MigrationView, RateWindow, SimulationObserver } from "../observer.ts";

/** migration.c migration_update_counters(): expected-downtime needs more than this sent. */
const EXPECTED_DOWNTIME_MIN_BYTES = 10000;

/**
 * QEMU's expected-downtime (query-migrate), as migration_update_counters() computes it at the
 * end of each rate window that sent more than 10 000 bytes: dirty pages × 4096 / bandwidth.
 * Not a results.csv column; attach it to a simulation to read it (simulate(inputs, [observer])).
 * QEMU also requires a non-zero dirty-pages-rate; the model does not check that.
 */
export class ExpectedDowntime implements SimulationObserver {
  /** At the last window that qualified; 0 before the first. */
  expectedDowntimeS = 0;

  onWindow(view: MigrationView, window: RateWindow): void {
    if (window.bytes > EXPECTED_DOWNTIME_MIN_BYTES && window.bandwidthBytesPerS > 0) {
      this.expectedDowntimeS = (view.dirtyPages * PAGE_SIZE) / window.bandwidthBytesPerS;
    }
  }
}
