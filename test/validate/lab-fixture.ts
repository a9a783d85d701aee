import { quickMatrix } from "../../validate/matrix.ts";
import type { LabConfig, LabRun, Poll, QueryMigrate } from "../../validate/migration-run.ts";
import { codecMicros } from "../../validate/profile-fit.ts";

// Synthetic real.json runs made from known coefficients: the fit must find them again.

export const MiB = 1024 * 1024;
export const TRUE_MICROS = { zero: 2.2, normal: 4.5, hit: 7, miss: 5.5, overflow: 0 };
export const [idle, , sparseXbzrle] = quickMatrix();

interface Pages {
  zero: number;
  normal: number;
  hit: number;
  miss: number;
}

/** query-migrate as QEMU counts these pages (a miss is also a normal page; no overflow). */
function info(p: Pages, xbzrle: boolean, extra: Partial<QueryMigrate> = {}): QueryMigrate {
  return {
    status: "active",
    ram: { duplicate: p.zero, normal: p.normal + p.miss, transferred: (p.normal + p.miss) * 4104 },
    ...(xbzrle ? { "xbzrle-cache": { pages: p.hit, "cache-miss": p.miss, overflow: 0 } } : {}),
    ...extra,
  };
}

export function run(config: LabConfig, p: Pages, i: number, finalMiB: number, noise = 0): LabRun {
  const xbzrle = config.xbzrleCacheBytes !== null;
  const asOutcomes = { ...p, overflow: 0 };
  const senderMicros = Object.entries(asOutcomes).reduce(
    (s, [o, n]) => s + TRUE_MICROS[o as keyof typeof TRUE_MICROS] * n,
    0,
  );
  const cpuS = ((senderMicros + codecMicros(asOutcomes, xbzrle)) * (1 + noise)) / 1e6;
  const last = info(p, xbzrle);
  const lastTransferred = last.ram?.transferred ?? 0;
  const previous = info(p, xbzrle, {
    ram: { ...last.ram, transferred: lastTransferred - 1_000_000 },
  });
  const downtime = 8 + 0.5 * finalMiB;
  const final: QueryMigrate = {
    status: "completed",
    // The VM stopped exactly at the last active poll: the whole growth is the final transfer.
    "total-time": 2000 + downtime,
    downtime,
    "setup-time": 150 + 10 * i,
    ram: { ...last.ram, transferred: lastTransferred + finalMiB * MiB },
  };
  return {
    config,
    repetition: i,
    accelerator: "tcg",
    outcome: "completed",
    final,
    polls: [
      { atMs: 1900, info: previous, migrationThreadCpuS: cpuS * 0.9 },
      { atMs: 2000, info: last, migrationThreadCpuS: cpuS },
      { atMs: 2100, info: final, migrationThreadCpuS: null },
    ],
    migrationThreadCpuS: cpuS,
    guestRatePerS: null,
    destination: { alive: true, consistent: true },
    error: null,
    loadAverage: { before: [1 + i, 1, 1], after: [2 + i, 1, 1] },
  };
}

export function fixture(noise: (i: number) => number): LabRun[] {
  const runs: LabRun[] = [];
  for (let i = 0; i < 4; i++) {
    runs.push(
      run(
        idle,
        { zero: 100_000 + 7_000 * i, normal: 25_000 - 3_000 * i, hit: 0, miss: 0 },
        i,
        1 + i,
        noise(i),
      ),
    );
    runs.push(
      run(
        sparseXbzrle,
        {
          zero: 90_000,
          normal: 30_000 + 1_000 * i,
          hit: 5_000 + 4_000 * i,
          miss: 8_000 - 1_500 * i,
        },
        i,
        3 * i,
        noise(i + 4),
      ),
    );
  }
  return runs;
}

/** One stretch of a made-up run: its ms, pages by kind, syncs and the thread's CPU ms. */
export type Stretch = [
  ms: number,
  zero: number,
  normal: number,
  xbzrle: number,
  syncs: number,
  cpuMs: number,
];

/**
 * A run of `config` whose polls, after a 200 ms setup, cover `stretches` one after the other
 * (validate/interval-costs.ts reads them).
 */
export function runOf(
  stretches: readonly Stretch[],
  vcpuBusy: number,
  config: LabConfig = idle,
  repetition = 0,
): LabRun {
  let at = 210;
  const totals = { zero: 0, normal: 0, xbzrle: 0, syncs: 1, cpu: 0.05 };
  const poll = (): Poll => ({
    atMs: at,
    info: {
      status: "active",
      ram: {
        duplicate: totals.zero,
        normal: totals.normal,
        "dirty-sync-count": totals.syncs,
      },
      "xbzrle-cache": { pages: totals.xbzrle },
    },
    migrationThreadCpuS: totals.cpu,
  });
  const polls: Poll[] = [{ atMs: 100, info: { status: "setup" } }, poll()];
  for (const [ms, zero, normal, xbzrle, syncs, cpuMs] of stretches) {
    at += ms;
    totals.zero += zero;
    totals.normal += normal;
    totals.xbzrle += xbzrle;
    totals.syncs += syncs;
    totals.cpu += cpuMs / 1000;
    polls.push(poll());
  }
  return {
    config,
    repetition,
    accelerator: "tcg",
    outcome: "completed",
    final: { status: "completed", "setup-time": 200, "total-time": at + 50 },
    polls,
    migrationThreadCpuS: totals.cpu,
    guestRatePerS: null,
    vcpuCpuShare: vcpuBusy,
    destination: null,
    error: null,
  };
}

/** A completed idle run of `kib` KiB of guest RAM whose QEMU reported `setupMs` (or none). */
export function runWithSetup(kib: number, setupMs: number | undefined, i: number): LabRun {
  const r = run({ ...idle, guestRamKiB: kib }, { zero: 1, normal: 1, hit: 0, miss: 0 }, i, 1);
  const final = { ...r.final, status: "completed" as const, "setup-time": setupMs };
  if (setupMs === undefined) delete final["setup-time"];
  return { ...r, final };
}
