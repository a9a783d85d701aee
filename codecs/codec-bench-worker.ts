import { parentPort, workerData } from "node:worker_threads";
import {
  type MeasuredRow,
  makePairSet,
  measure,
  memcpyCodec,
  type TimingOptions,
  VerificationError,
} from "./codec-bench.ts";
import type { PageKind } from "./page-kinds.ts";
import { loadCodecModule, resolveCodecs } from "./registry.ts";

/**
 * One page kind of `npm run bench:codecs`, measured in a fresh worker (a fresh V8 isolate).
 * Measured in one isolate, every kind's pages live in their own wasm arena with its own kernel
 * instance, so xbzrle's kernel call site turns polymorphic and kinds measured later ran up to
 * 2x slower than the same kind measured first; the calibration the simulator uses inherited it.
 * A fresh isolate per kind gives every codec one arena, as in a real sender.
 */
export interface KindJob {
  readonly kind: PageKind;
  readonly pairs: number;
  readonly seed: number;
  readonly codecs: readonly string[];
  readonly codecModules: readonly string[];
  readonly timing: TimingOptions;
}

/** What the worker posts back: the rows in contestant order, or the verification failure. */
export type KindResult =
  | { readonly ok: true; readonly measured: MeasuredRow[] }
  | { readonly ok: false; readonly verification: string };

async function run(job: KindJob): Promise<KindResult> {
  const plugins = [];
  for (const path of job.codecModules) plugins.push(await loadCodecModule(path));
  const definitions = resolveCodecs([...job.codecs], plugins);
  const set = makePairSet(job.kind, job.pairs, job.seed);
  const contestants = [
    { name: "memcpy", codec: memcpyCodec },
    ...definitions.map((definition) => ({ name: definition.name, codec: definition.create() })),
  ];
  const measured: MeasuredRow[] = [];
  for (const { name, codec } of contestants) {
    try {
      measured.push(measure(name, codec, set, job.timing));
    } catch (error) {
      if (error instanceof VerificationError) return { ok: false, verification: error.message };
      throw error;
    }
    parentPort!.postMessage({ progress: name });
  }
  return { ok: true, measured };
}

parentPort!.postMessage({ result: await run(workerData as KindJob) });
