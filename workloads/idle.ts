import { HeapRun } from "./heap-model.ts";
import { OS_RUN_PARAM } from "./os-base.ts";
import type { WorkloadDefinition } from "./types.ts";
import { activeRegion, checkedPageCount, numberParam, param } from "./workload-params.ts";

/**
 * `idle` — a guest that is booted and doing nothing: most of RAM never touched since boot (zero
 * pages: QEMU sends them as 9-byte ZERO records), the kernel's and daemons' pages holding data,
 * and a trickle of OS writes (timer ticks, statistics counters, log buffers) to a small set of
 * kernel pages. The baseline whose migration cost is RAM / bandwidth, and the harness's analytic
 * check (an idle VM with `raw`: total = RAM on the wire / bandwidth).
 *
 * Model: the heap model (heap-model.ts) with a uniform (Zipf exponent 0) hot set of
 * `os_hot_bytes`, `writes_per_s` one-field updates and occasional page rewrites.
 * Memory: 4 bytes per page (rewrite counters) + 16 bytes per hot page.
 * Defaults: 4 GiB guest, 90 % zero (a freshly booted guest uses a few hundred MiB), 1 MiB of
 * hot kernel pages, 20 writes/s and 1 rewrite/s — a few pages per pass, far below any threshold.
 * Source: none published (docs/SOURCES.md#paper has no idle figures); the defaults are ours.
 */
export const idle: WorkloadDefinition = {
  name: "idle",
  description: "booted, idle guest: mostly zero pages and a trickle of OS writes",
  source: "migbench baseline (no published idle figures); the harness's analytic idle-VM check",
  defaultRamBytes: 4 * 1024 ** 3,
  params: [
    param({
      name: "zero_share",
      unit: "fraction",
      defaultValue: 0.9,
      description: "share of RAM never touched since boot (all-zero)",
      min: 0,
      max: 1,
    }),
    param({
      ...OS_RUN_PARAM,
      description:
        "the pages touched since boot lie in runs of this many pages (1 = scattered page by page; the lab's booted guest: ~2048)",
    }),
    param({
      name: "os_hot_bytes",
      unit: "bytes",
      defaultValue: 1024 ** 2,
      description: "kernel/daemon pages that receive the trickle of writes",
      min: 4096,
    }),
    param({
      name: "writes_per_s",
      unit: "writes/s",
      defaultValue: 20,
      description:
        "OS writes per second (steady), one 8-byte field each, uniform over the hot pages",
      min: 0,
    }),
    param({
      name: "rewrites_per_s",
      unit: "pages/s",
      defaultValue: 1,
      description: "whole pages rewritten per second (page cache, slab reuse), uniform over RAM",
      min: 0,
    }),
  ],
  create(options) {
    const p = options.params;
    const pageCount = checkedPageCount(options.ramBytes);
    return new HeapRun(pageCount, {
      name: "idle",
      seed: options.seed,
      ...activeRegion(p, "os_hot_bytes", pageCount),
      zipfExponent: 0,
      writesPerS: numberParam(p, "writes_per_s"),
      wordsPerWrite: 1,
      hotWords: 8,
      rewritesPerS: numberParam(p, "rewrites_per_s"),
      zeroShare: numberParam(p, "zero_share"),
      zeroRunPages: numberParam(p, OS_RUN_PARAM.name),
    });
  },
};
