import { PAGE_SIZE, RAW_RECORD_BYTES } from "../../codecs/types.ts";
import type { ConvergenceRule } from "../../results/cell.ts";
import type { MigrationView, SimulationObserver } from "./observer.ts";

/**
 * The convergence rules (`--convergence`): when to re-sync the dirty bitmap and when to stop
 * the VM, one strategy object per rule in one table. docs/SIMULATOR.md, "The three convergence
 * rules", states each in prose. A rule drives the model through RuleContext and never sees its
 * internals; adding one is an entry here, its name in CONVERGENCE_RULES (results/axes.ts) and
 * its default bandwidth and downtime limit (`byRule` in harness/sweep/axis-options.ts).
 */

/** What a rule may read and do; harness/simulator/migration.ts implements it. */
export interface RuleContext extends MigrationView {
  /** Passes recorded so far. */
  readonly passes: number;
  /** --max-time and --max-passes (Infinity for none): they bound every rule. */
  readonly maxTimeS: number;
  readonly maxPasses: number;
  readonly downtimeLimitS: number;
  /**
   * One migration_iteration_run() → ram_save_iterate(): send dirty pages until the 100 ms rate
   * window is used up or nothing is dirty.
   */
  sendWindow(): void;
  /** Move the guest to the clock and run migration_bitmap_sync(): the pass ends, a new one starts. */
  sync(): void;
  /** Attach an observer the rule needs; it sees events from the next one on. */
  observe(observer: SimulationObserver): void;
}

/** "converged": stop the VM now (the model then runs the stop-and-copy). */
export type RuleVerdict = "converged" | "did-not-converge";

export interface ConvergenceStrategy {
  /**
   * The final stage sends every non-zero page of a delta codec raw, with no cache lookups:
   * the 2010 prototype "sends full pages" then (docs/SOURCES.md#paper).
   */
  readonly rawFinalStage: boolean;
  /** Run the iterative passes, after setup's first sync, until the VM should stop or a limit hits. */
  migrate(context: RuleContext): RuleVerdict;
}

/**
 * migration.c migration_iteration_run() with ram.c ram_save_pending(): when what is left is
 * below the threshold, sync the dirty bitmap and count again; then `if (pending_size &&
 * pending_size >= threshold_size)` iterate, else migration_completion().
 */
function untilBelowThreshold(context: RuleContext, pendingBytes: () => number): RuleVerdict {
  const below = (pending: number) => pending === 0 || pending < context.thresholdBytes;
  for (;;) {
    if (context.timeS >= context.maxTimeS || context.passes >= context.maxPasses)
      return "did-not-converge";
    let pending = pendingBytes();
    if (pending < context.thresholdBytes) {
      context.sync();
      pending = pendingBytes();
      if (context.passes >= context.maxPasses && !below(pending)) return "did-not-converge";
    }
    if (below(pending)) return "converged";
    context.sendWindow();
  }
}

/**
 * The codec-aware rule's w: wire bytes per page sent in the last finished pass that was
 * representative of the passes to come — started at dirty_sync_count ≥ 2 (not the bulk pass,
 * mostly zero pages) and, for a delta codec, with XBZRLE already on. Raw until then. Attached
 * after setup's first sync, it starts as that sync would leave it: the bulk pass is not
 * representative.
 */
class WireBytesPerPage implements SimulationObserver {
  bytesPerPage = RAW_RECORD_BYTES;
  private representative = false;
  private startBytes = 0;
  private startPages = 0;

  onSync(view: MigrationView): void {
    this.representative = view.dirtySyncCount >= 2 && (!view.usesCache || view.deltaActive);
    this.startBytes = view.sentBytes;
    this.startPages = view.sentPages;
  }

  onPassEnd(view: MigrationView): void {
    const pages = view.sentPages - this.startPages;
    if (this.representative && pages > 0) {
      this.bytesPerPage = (view.sentBytes - this.startBytes) / pages;
    }
  }
}

/**
 * qemu-kvm 0.11–0.13's ram_save_live(): every call (one rate window) sends until the rate
 * limit, then computes expected_time = remaining pages × 4096 / the bandwidth of that call and
 * stops the VM when it is ≤ the max downtime; otherwise it syncs. No pass limit in the
 * original; --max-time and --max-passes still bound the simulation.
 */
function qemuKvm013(context: RuleContext): RuleVerdict {
  for (;;) {
    if (context.timeS >= context.maxTimeS || context.passes >= context.maxPasses)
      return "did-not-converge";
    const callStartS = context.timeS;
    const bytesBefore = context.sentBytes;
    context.sendWindow();
    const callS = context.timeS - callStartS;
    // "if we haven't transferred anything this round, force expected_time to a very high
    // value" (bwidth = 0.000001); nothing left still gives 0.
    const sent = context.sentBytes - bytesBefore;
    const bandwidth = callS > 0 && sent > 0 ? sent / callS : 1e-6;
    const expectedTimeS = (context.dirtyPages * PAGE_SIZE) / bandwidth;
    if (expectedTimeS <= context.downtimeLimitS) return "converged";
    context.sync();
  }
}

export const CONVERGENCE_RULES: Readonly<Record<ConvergenceRule, ConvergenceStrategy>> = {
  /** QEMU 7.2: pending counted uncompressed (dirty pages × 4096), as ram_save_pending() does. */
  qemu: {
    rawFinalStage: false,
    migrate: (context) => untilBelowThreshold(context, () => context.dirtyPages * PAGE_SIZE),
  },
  /** A research rule: QEMU's loop with pending counted at the wire bytes per page (w). */
  "codec-aware": {
    rawFinalStage: false,
    migrate(context) {
      const w = new WireBytesPerPage();
      context.observe(w);
      return untilBelowThreshold(context, () => context.dirtyPages * w.bytesPerPage);
    },
  },
  "qemu-kvm-0.13": { rawFinalStage: true, migrate: qemuKvm013 },
};
