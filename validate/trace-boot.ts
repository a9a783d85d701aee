import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordProcess } from "../workloads/recorder.ts";
import type { LabImage } from "./lab-setup.ts";
import {
  type Recorded,
  type RecordLoad,
  TRACE_FINE_MS,
  TRACE_INTERVAL_MS,
  type TracePlan,
} from "./trace-recording.ts";
import { bootLoadedSource, guestMemory, heartbeats, type Vm } from "./vm.ts";

/**
 * The lab's RecordLoad: boot the source guest as a migration does (validate/migration-run.ts
 * runMigration) and record from the load's first heartbeat (seen within 10 ms) — so the
 * recorder's image read is over by the time the migrations started on the load's clock, where
 * recordTraces cuts the trace — the QEMU process's guest RAM: only
 * the RAM block's mapping, so trace page n is guest RAM page n (workloads/recorder.ts
 * `mappingBytes`) — with fast rewrites between snapshots kept as touch epochs (`fineMs`).
 * QEMU is this process's child, so reading its /proc/PID/mem needs no more than yama
 * ptrace_scope 1 allows.
 */
export function bootAndRecord(image: LabImage): RecordLoad {
  return async (plan: TracePlan, file: string): Promise<Recorded> => {
    const work = mkdtempSync(join(tmpdir(), "migbench-trace-"));
    let vm: Vm | null = null;
    try {
      vm = await bootLoadedSource(image, work, plan.load, guestMemory(plan), 0, 10);
      const pid = vm.process.pid;
      if (pid === undefined) throw new Error("QEMU has no process id");
      const [first] = heartbeats(vm.serialLog);
      const summary = await recordProcess({
        pid,
        out: file,
        intervalMs: TRACE_INTERVAL_MS,
        durationMs: plan.durationS * 1000,
        fineMs: TRACE_FINE_MS,
        mappingBytes: plan.guestRamKiB * 1024,
        label: `the ${plan.load.mode} guest's QEMU (pid ${pid})`,
        metadata: { lab: { load: plan.load, recordingStartLoadS: first.tMs / 1000 } },
      });
      return { ...summary, recordingStartLoadS: first.tMs / 1000 };
    } finally {
      await vm?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  };
}
