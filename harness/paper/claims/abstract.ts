import { factorLabel, msLabel, rateLabel, sizeLabel } from "../../../lib/format.ts";
import { convergence, outcomeLabel, param } from "../cell-groups.ts";
import type { Claim, ExperimentRows, Judgement } from "../claim.ts";
import { ONE_SEED, SEEDS } from "../settings.ts";
import {
  ERA_DELTA,
  type PairPoint,
  pairExperiments,
  pairFigure,
  pairPoints,
  type SweepPair,
} from "../sweep-pair.ts";

/**
 * The abstract of VEE 2011 (docs/SOURCES.md#paper): three claims, each on a workload that stands
 * for the paper's (sizes and dirty rates were not published: ours are stated with a reason),
 * judged at the era's settings and shown beside today's QEMU defaults.
 */

const ABSTRACT = { anchor: "paper", text: "VEE 2011 paper, abstract" } as const;

/** Published: "downtime ÷100"; within a factor of 2 of it counts as reproduced. */
const LMBENCH_REPRODUCED = 50;
/** A tenfold reduction is the claim's direction at a smaller size. */
const LMBENCH_PARTLY = 10;

const lmbench: SweepPair = {
  id: "lmbench",
  workload: [
    {
      flag: "workload",
      value: "lmbench-like",
      reason: "LMbench bw_mem's write loop (workloads/lmbench-like.ts)",
    },
    {
      flag: "ram",
      value: "1GiB",
      reason: "not published; small enough for the suite's time, larger than the buffer and cache",
    },
    {
      flag: "set",
      value: "buffer_bytes=16MiB",
      reason: "not published; a buffer the 64 MiB cache holds, so a delta codec can hit",
    },
  ],
  sweep: {
    flag: "set",
    value: {
      quick: "write_bytes_per_s=8MiB/s,64MiB/s,1GiB/s",
      full: "write_bytes_per_s=2MiB/s,4MiB/s,8MiB/s,16MiB/s,64MiB/s,256MiB/s,1GiB/s",
    },
    reason: "the deciding setting: below the link's rate standard pre-copy converges, above it not",
  },
  sweptValue: (row) => Number(param(row, "write_bytes_per_s")),
  seeds: ONE_SEED,
};

function lmbenchJudge(rows: ExperimentRows): Judgement {
  const points = pairPoints(rows, "lmbench-era", ERA_DELTA, lmbench.sweptValue);
  const both = points.filter(
    (p) => convergence(p.standard) === "all" && convergence(p.delta) === "all",
  );
  const ratios = both.map((p) => ({
    p,
    ratio: (p.standard.downtimeMs?.mean ?? 0) / (p.delta.downtimeMs?.mean ?? 1),
  }));
  const best = ratios.reduce<(typeof ratios)[number] | null>(
    (a, b) => (a === null || b.ratio > a.ratio ? b : a),
    null,
  );
  const rescued = points.filter(
    (p) => convergence(p.standard) === "none" && convergence(p.delta) === "all",
  );
  const parts: string[] = [];
  if (best)
    parts.push(
      `largest downtime reduction ${factorLabel(best.ratio)} at ${rateLabel(best.p.value)} (standard ${msLabel(best.p.standard.downtimeMs?.mean ?? 0)}, ${ERA_DELTA} ${msLabel(best.p.delta.downtimeMs?.mean ?? 0)})`,
    );
  else parts.push("no write rate at which both standard pre-copy and delta completed");
  if (rescued.length > 0)
    parts.push(
      `at ${rescued.map((p) => rateLabel(p.value)).join(", ")} standard pre-copy did not converge and ${ERA_DELTA} did`,
    );
  const ours = parts.join("; ");
  if (best && best.ratio >= LMBENCH_REPRODUCED) return { ours, verdict: "reproduced", reason: "" };
  const why =
    "under qemu-kvm 0.13's rule the VM stops only once the expected downtime is ≤ 30 ms, so standard pre-copy either stops with a short downtime or never stops, and the prototype sends the final stage raw; a hundredfold shorter downtime needs a stop with many dirty pages (e.g. a forced stop), which neither modelled rule makes";
  if ((best && best.ratio >= LMBENCH_PARTLY) || rescued.length > 0)
    return {
      ours,
      verdict: "partly",
      reason: `delta compression decides whether the migration ends, not how long the stop is: ${why}`,
    };
  return { ours, verdict: "not reproduced", reason: why };
}

/** A stop shorter than this is not noticed in a 25 fps stream (2.5 frames). */
const NOTICEABLE_MS = 100;
/** The published freeze is 8 s; a standard pre-copy stop of a second or more is a freeze anyone sees. */
const FREEZE_MS = 1000;

const video: SweepPair = {
  id: "video",
  workload: [
    {
      flag: "workload",
      value: "video-like",
      reason:
        "a VLC-like transcoding server: a ring of frame buffers and hot metadata (workloads/video-like.ts)",
    },
    {
      flag: "ram",
      value: "2GiB",
      reason:
        "not published; half the workload's default to keep the suite short (the ring is the same)",
    },
  ],
  sweep: {
    flag: "bandwidth",
    value: { quick: "32MiB/s,96MiB/s", full: "16MiB/s,32MiB/s,48MiB/s,64MiB/s,96MiB/s" },
    reason:
      "the deciding setting: the frame ring dirties ~75 MiB/s, so the rate cap decides whether a pass keeps up",
  },
  sweptValue: (row) => row.bandwidthBytesPerS,
  seeds: ONE_SEED,
};

function videoJudge(rows: ExperimentRows): Judgement {
  const points = pairPoints(rows, "video-era", ERA_DELTA, video.sweptValue);
  const describe = (p: PairPoint) =>
    `${rateLabel(p.value)}: standard ${outcomeLabel(p.standard)}, ${ERA_DELTA} ${outcomeLabel(p.delta)}`;
  const ours = points.map(describe).join("; ") || "no cells";
  const unnoticed = (p: PairPoint) =>
    convergence(p.delta) === "all" && (p.delta.downtimeMs?.mean ?? Infinity) < NOTICEABLE_MS;
  const standardFroze = (p: PairPoint) =>
    convergence(p.standard) === "all" && (p.standard.downtimeMs?.mean ?? 0) >= FREEZE_MS;
  const standardWorse = (p: PairPoint) =>
    convergence(p.standard) === "none" || (p.standard.downtimeMs?.mean ?? 0) >= NOTICEABLE_MS;
  if (points.some((p) => unnoticed(p) && standardFroze(p)))
    return { ours, verdict: "reproduced", reason: "" };
  if (points.some((p) => unnoticed(p) && standardWorse(p)))
    return {
      ours,
      verdict: "partly",
      reason: `delta compression keeps the stop below ${NOTICEABLE_MS} ms where standard pre-copy does not, but standard pre-copy never freezes for seconds: it either stops within the 30 ms rule or does not stop`,
    };
  return {
    ours,
    verdict: "not reproduced",
    reason: `our frames are rewritten whole with new high-entropy content, so a delta against the cached frame overflows and goes raw, and the prototype's final stage is raw anyway; standard pre-copy's stop is bounded by the 30 ms rule and the link, never seconds, so there is no ${msLabel(FREEZE_MS * 8)} freeze to remove`,
  };
}

const sap: SweepPair = {
  id: "sap",
  workload: [
    {
      flag: "workload",
      value: "sap-like",
      reason: "an ERP buffer pool: Zipf-popular sparse field updates (workloads/sap-like.ts)",
    },
    {
      flag: "ram",
      value: "2GiB",
      reason:
        'not published ("very large"); 2 GiB keeps the suite short, the claim turns on the active set, not RAM',
    },
    {
      flag: "set",
      value: "active_bytes=256MiB",
      reason: "not published; an active set four times the era's 64 MiB cache",
    },
  ],
  sweep: {
    flag: "cache-size",
    value: { quick: "64MiB,256MiB", full: "16MiB,64MiB,128MiB,256MiB,512MiB" },
    reason: "the deciding setting: a delta codec helps only for pages still in the cache",
  },
  sweptValue: (row) => row.cacheSizeBytes,
  seeds: SEEDS,
};

/** The era's cache: the claim, as published, is at this size. */
const ERA_CACHE_BYTES = 64 * 1024 * 1024;

function sapJudge(rows: ExperimentRows): Judgement {
  const points = pairPoints(rows, "sap-era", ERA_DELTA, sap.sweptValue);
  const holds = (p: PairPoint) =>
    convergence(p.standard) === "none" && convergence(p.delta) === "all";
  const where = points.filter(holds).map((p) => sizeLabel(p.value));
  const ours =
    points
      .map(
        (p) =>
          `cache ${sizeLabel(p.value)}: standard ${outcomeLabel(p.standard)}, ${ERA_DELTA} ${outcomeLabel(p.delta)}`,
      )
      .join("; ") || "no cells";
  const atEra = points.find((p) => p.value === ERA_CACHE_BYTES);
  if (atEra && holds(atEra)) return { ours, verdict: "reproduced", reason: "" };
  if (where.length > 0)
    return {
      ours,
      verdict: "partly",
      reason: `standard pre-copy fails and delta compression succeeds only with a cache of ${where.join(", ")}, not at the prototype's 64 MiB: our active set (a choice, none was published) is larger than the cache`,
    };
  const standardFine = points.some((p) => convergence(p.standard) !== "none");
  return {
    ours,
    verdict: "not reproduced",
    reason: standardFine
      ? "standard pre-copy converged: our sap-like load dirties less than the link carries at these settings"
      : "delta compression did not converge either: too few updated pages stay in the cache",
  };
}

export const abstractClaims: readonly Claim[] = [
  {
    id: "lmbench",
    number: "2a",
    title: "LMbench memory-write benchmark: downtime ÷100 with delta compression",
    source: ABSTRACT,
    published: "downtime reduced by a factor of 100",
    experiments: pairExperiments(lmbench),
    judge: lmbenchJudge,
    figure: (rows) =>
      pairFigure(
        rows,
        lmbench,
        "guest write rate (MiB/s)",
        "Downtime of the LMbench-like load against its write rate (log scales); a codec missing at a rate did not converge within 120 s in every seed.",
      ),
  },
  {
    id: "video",
    number: "2b",
    title: "Video streaming server: an 8 s picture freeze becomes none noticeable",
    source: ABSTRACT,
    published: "8 s freeze without delta compression; no noticeable freeze with it",
    experiments: pairExperiments(video),
    judge: videoJudge,
    figure: (rows) =>
      pairFigure(
        rows,
        video,
        "max-bandwidth (MiB/s)",
        "Downtime (the picture freeze) of the video-like server against the rate cap (log scales); a codec missing at a rate did not converge within 120 s in every seed.",
      ),
  },
  {
    id: "sap",
    number: "2c",
    title: "Very large SAP ERP system: standard pre-copy fails, delta compression succeeds",
    source: ABSTRACT,
    published: "standard pre-copy does not complete; with delta compression it does",
    experiments: pairExperiments(sap),
    judge: sapJudge,
    figure: (rows) =>
      pairFigure(
        rows,
        sap,
        "cache size (MiB)",
        "Downtime of the sap-like VM against the page-cache size (log scales), mean over seeds with 95 % intervals; a codec missing at a size did not converge within 120 s in every seed.",
      ),
  },
];
