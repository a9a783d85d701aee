import { PAGE_SIZE, RAW_RECORD_BYTES } from "../../codecs/types.ts";
import { RATE_WINDOW_S } from "./migration.ts";

/**
 * The on-paper model of pre-copy with the `raw` codec under QEMU's rules (docs/SIMULATOR.md,
 * "The analytic model"): an expected-value recurrence over passes for a guest that writes
 * `writesPerSecond` pages drawn uniformly from a working set of `workingSetPages` pages.
 *
 * - Distinct pages written in τ seconds: W(1 − e^{−r·τ/W}) (each of W pages escapes all r·τ
 *   uniform writes with probability (1 − 1/W)^{rτ} ≈ e^{−rτ/W}).
 * - The stream sends s = B / (8 + 4096) pages per second (max-bandwidth B, raw records).
 * - Pending is checked at the start of every 100 ms rate window; the threshold is 0 until the
 *   first window has been measured, then B × downtime-limit (bytes); in pages n_T = B·d / 4096.
 * - A pass that starts (at a sync) with D pages runs j = ⌊(D − n_T)/(sΔ)⌋ + 1 windows, until
 *   the pages left R = D − j·sΔ fall below n_T; then the early sync adds the pages written
 *   during the pass: D' = R + p·(W − R_W), p = 1 − e^{−r·jΔ/W}, where R_W of the R unsent pages
 *   lie in the working set and are counted once. The working set is the first W pages of RAM
 *   (workloads/uniform.ts), so after the bulk pass, whose unsent pages are the last R of RAM,
 *   R_W = max(0, R − (N − W)); after any later pass every dirty page is in it, R_W = R.
 * - When D' < n_T the VM stops: the D' pages go at the link's speed L. Downtime = D'·(8+4096)/L.
 *
 * `earlySync: false` gives the textbook model without the early sync (a pass sends all its
 * pages, D' = W·p(D/s)), to show what the early sync changes.
 */
export interface AnalyticInputs {
  readonly ramPages: number;
  readonly workingSetPages: number;
  readonly writesPerSecond: number;
  readonly bandwidthBytesPerS: number;
  readonly linkBytesPerS: number;
  readonly downtimeLimitMs: number;
  readonly maxPasses?: number;
  readonly earlySync?: boolean;
}

export interface AnalyticPass {
  readonly startS: number;
  readonly durationS: number;
  readonly dirtyPages: number;
  readonly pagesSent: number;
}

export interface AnalyticResult {
  readonly converged: boolean;
  readonly totalTimeS: number;
  readonly downtimeS: number;
  readonly transferredBytes: number;
  readonly passes: readonly AnalyticPass[];
}

export function dirtiedPages(workingSet: number, writesPerSecond: number, seconds: number): number {
  return workingSet * (1 - Math.exp((-writesPerSecond * seconds) / workingSet));
}

export function analyticPrecopy(inputs: AnalyticInputs): AnalyticResult {
  const n = inputs.ramPages;
  const w = inputs.workingSetPages;
  const r = inputs.writesPerSecond;
  const pagesPerS = inputs.bandwidthBytesPerS / RAW_RECORD_BYTES;
  const pagesPerWindow = pagesPerS * RATE_WINDOW_S;
  const thresholdPages = (inputs.bandwidthBytesPerS * inputs.downtimeLimitMs) / 1000 / PAGE_SIZE;
  const maxPasses = inputs.maxPasses ?? 1000;
  const earlySync = inputs.earlySync ?? true;
  const passes: AnalyticPass[] = [];
  let timeS = 0;
  let dirty = n;
  let sent = 0;
  while (passes.length < maxPasses) {
    let durationS: number;
    let left: number;
    if (earlySync) {
      // The first check with a measured threshold is one window in, so j ≥ 1.
      const windows = Math.max(1, Math.floor((dirty - thresholdPages) / pagesPerWindow) + 1);
      durationS = windows * RATE_WINDOW_S;
      left = Math.max(0, dirty - windows * pagesPerWindow);
    } else {
      durationS = dirty / pagesPerS;
      left = 0;
    }
    passes.push({ startS: timeS, durationS, dirtyPages: dirty, pagesSent: dirty - left });
    sent += dirty - left;
    timeS += durationS;
    const leftInWorkingSet = passes.length === 1 ? Math.max(0, left - (n - w)) : left;
    const fresh = (1 - Math.exp((-r * durationS) / w)) * (w - leftInWorkingSet);
    dirty = left + fresh;
    if (dirty < thresholdPages) {
      const downtimeS = (dirty * RAW_RECORD_BYTES) / inputs.linkBytesPerS;
      passes.push({ startS: timeS, durationS: downtimeS, dirtyPages: dirty, pagesSent: dirty });
      sent += dirty;
      return {
        converged: true,
        totalTimeS: timeS + downtimeS,
        downtimeS,
        transferredBytes: sent * RAW_RECORD_BYTES,
        passes,
      };
    }
  }
  return {
    converged: false,
    totalTimeS: timeS,
    downtimeS: 0,
    transferredBytes: sent * RAW_RECORD_BYTES,
    passes,
  };
}
