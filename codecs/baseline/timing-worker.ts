import { parentPort, workerData } from "node:worker_threads";
import { makePagePairs, type PageKind } from "../page-kinds.ts";
import type { XbzrleEngine } from "../xbzrle.ts";
import { type PagePlacement, timeXbzrle } from "./xbzrle-timing.ts";

/**
 * One migbench timing in a fresh worker (a fresh V8 isolate), as harness.c runs each kind in a
 * fresh process: timings of other kinds, engines and placements in the same isolate leave the
 * JIT's call sites polymorphic (a kernel instance per arena) and slowed later kinds by up to 2x.
 * The pairs are rebuilt here from (kind, count, seed 1): the same bytes the C side gets.
 */
export interface TimingJob {
  readonly kind: PageKind;
  readonly pairs: number;
  readonly engine: XbzrleEngine;
  readonly placement: PagePlacement;
  readonly reps: number;
}

const job = workerData as TimingJob;
const pagePairs = makePagePairs(job.kind, job.pairs, 1);
parentPort!.postMessage(timeXbzrle(pagePairs, job.engine, job.placement, job.reps));
