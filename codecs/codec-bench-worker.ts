import { parentPort, workerData } from "node:worker_threads";
import { resolveBenchCodecs } from "./bench-codec-list.ts";
import { type MeasuredRow, measure, memcpyCodec, type TimingOptions } from "./codec-bench.ts";
import { makePairSet, VerificationError } from "./codec-bench-verify.ts";
import type { PageKind } from "./page-kinds.ts";
import {
  codecLabel,
  createChecked,
  describeThrown,
  PluginError,
  pluginModuleOf,
  withExitGuard,
} from "./plugin.ts";
import { loadCodecModule } from "./registry.ts";

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
  /** Codec names as --codec takes them, levels included (codecs/bench-codec-list.ts). */
  readonly codecs: readonly string[];
  readonly codecModules: readonly string[];
  readonly timing: TimingOptions;
}

/**
 * What the worker posts back: the rows in contestant order, the verification failure, or a
 * plug-in's failure (codecs/plugin.ts: it threw, exited or broke the contract), one line each.
 */
export type KindResult =
  | { readonly ok: true; readonly measured: MeasuredRow[] }
  | { readonly ok: false; readonly verification: string }
  | { readonly ok: false; readonly failure: string };

async function run(job: KindJob): Promise<KindResult> {
  const plugins = [];
  for (const path of job.codecModules) plugins.push(await loadCodecModule(path));
  const definitions = resolveBenchCodecs(job.codecs, plugins);
  const set = makePairSet(job.kind, job.pairs, job.seed);
  const measured: MeasuredRow[] = [];
  try {
    measured.push(measure("memcpy", memcpyCodec, set, job.timing));
    parentPort!.postMessage({ progress: "memcpy" });
    for (const definition of definitions) {
      const codec = createChecked(definition);
      const label = pluginModuleOf(definition) && codecLabel(definition);
      if (!label) {
        measured.push(measure(definition.name, codec, set, job.timing));
      } else {
        // A plug-in: its mismatch names its module, and whatever else it throws (but a
        // CodecError, which encodeAndVerify reports as a mismatch) is one line, not a crash.
        try {
          measured.push(
            withExitGuard(label, "encode()/decode()", () =>
              measure(definition.name, codec, set, job.timing),
            ),
          );
        } catch (error) {
          if (error instanceof VerificationError) {
            const path = pluginModuleOf(definition);
            return { ok: false, verification: `${error.message} (plug-in from ${path})` };
          }
          if (error instanceof PluginError) return { ok: false, failure: error.message };
          return { ok: false, failure: `${label}: ${describeThrown(error)} on ${job.kind}` };
        }
      }
      parentPort!.postMessage({ progress: definition.name });
    }
  } catch (error) {
    if (error instanceof VerificationError) return { ok: false, verification: error.message };
    if (error instanceof PluginError) return { ok: false, failure: error.message };
    throw error;
  }
  return { ok: true, measured };
}

parentPort!.postMessage({ result: await run(workerData as KindJob) });
