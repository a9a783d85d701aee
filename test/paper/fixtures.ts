import type { CellStatus } from "../../results/cell.ts";
import type { CellRow } from "../../results/records.ts";

/**
 * Hand-made results.csv rows for the paper suite's verdict functions: only what a claim reads is
 * set; a cell that did not complete has no downtime, as results.csv writes it.
 */

export interface FixtureCell {
  readonly codec: string;
  readonly status?: CellStatus;
  readonly downtimeMs?: number;
  readonly totalTimeMs?: number;
  readonly cacheSizeBytes?: number;
  readonly bandwidthBytesPerS?: number;
  readonly ramBytes?: number;
  readonly cacheModel?: string;
  readonly cacheMissRate?: number;
  readonly cacheMissPages?: number;
  readonly deltaPages?: number;
  readonly normalPages?: number;
  readonly transferredBytes?: number;
  readonly seed?: number;
  readonly columns?: Readonly<Record<string, string>>;
}

let next = 0;

export function cell(c: FixtureCell): CellRow {
  const status = c.status ?? "completed";
  const done = status === "completed";
  return {
    cell: next++,
    workload: "w",
    codec: c.codec,
    cacheModel: c.cacheModel ?? "direct",
    cacheSizeBytes: c.cacheSizeBytes ?? 64 * 2 ** 20,
    bandwidthBytesPerS: c.bandwidthBytesPerS ?? 32 * 2 ** 20,
    downtimeLimitMs: 30,
    convergenceRule: "qemu-kvm-0.13",
    seed: c.seed ?? 1,
    ramBytes: c.ramBytes ?? 2 ** 30,
    status,
    totalTimeMs: c.totalTimeMs ?? 10_000,
    downtimeMs: done ? (c.downtimeMs ?? 20) : null,
    transferredBytes: c.transferredBytes ?? 1e9,
    zeroPages: 0,
    normalPages: c.normalPages ?? 1000,
    deltaPages: c.deltaPages ?? 100,
    deltaBytes: 0,
    cacheMissPages: c.cacheMissPages ?? 10,
    cacheMissRate: c.cacheMissRate ?? 0.5,
    overflowPages: 0,
    encodingRate: null,
    dirtySyncCount: 10,
    error: "",
    columns: c.columns ?? {},
  };
}

export const DNC = "did-not-converge" as const;
export const MIB = 2 ** 20;
