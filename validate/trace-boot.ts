import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordProcess } from "../workloads/recorder.ts";
import type { LabImage } from "./lab-setup.ts";
import {
  type RecorderSummary,
  type RecordLoad,
  TRACE_FINE_MS,
  TRACE_INTERVAL_MS,
  type TracePlan,
} from "./trace-recording.ts";
import { bootLoadedSource, type Vm } from "./vm.ts";

/**
 * The lab's RecordLoad: boot the source guest as a migration does (validate/migration-run.ts
 * runMigration), let the load run its warm-up, then record the QEMU process's guest RAM — only
 * the RAM block's mapping, so trace page n is guest RAM page n (workloads/recorder.ts
 * `mappingBytes`) — with fast rewrites between snapshots kept as touch epochs (`fineMs`).
 * QEMU is this process's child, so reading its /proc/PID/mem needs no more than yama
 * ptrace_scope 1 allows.
 */
export function bootAndRecord(image: LabImage): RecordLoad {
  return async (plan: TracePlan, file: string): Promise<RecorderSummary> => {
    const work = mkdtempSync(join(tmpdir(), "migbench-trace-"));
    let vm: Vm | null = null;
    try {
      vm = await bootLoadedSource(image, work, plan.load, plan.guestRamKiB, plan.warmupS);
      const pid = vm.process.pid;
      if (pid === undefined) throw new Error("QEMU has no process id");
      return await recordProcess({
        pid,
        out: file,
        intervalMs: TRACE_INTERVAL_MS,
        durationMs: plan.durationS * 1000,
        fineMs: TRACE_FINE_MS,
        mappingBytes: plan.guestRamKiB * 1024,
        label: `the ${plan.load.mode} guest's QEMU (pid ${pid})`,
        metadata: { lab: { load: plan.load, warmupS: plan.warmupS } },
      });
    } finally {
      await vm?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  };
}
