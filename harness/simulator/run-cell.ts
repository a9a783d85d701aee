import {
  type Calibration,
  encodeSeconds,
  PAGE_OUTCOMES,
  type PageOutcome,
} from "../../codecs/calibration.ts";
import { codecLabel, describeThrown, pluginModuleOf, withExitGuard } from "../../codecs/plugin.ts";
import { loadCodecModule, resolveCodecs } from "../../codecs/registry.ts";
import { type CodecDefinition, PAGE_SIZE } from "../../codecs/types.ts";
import { InputError } from "../../lib/errors.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { findWorkload } from "../../workloads/registry.ts";
import type { WorkloadRun } from "../../workloads/types.ts";
import type { HostProfile } from "./host-profile.ts";
import type { SimulationObserver } from "./observer.ts";
import { simulate } from "./precopy.ts";

/** What a cell needs beside its spec (harness/sweep/pool.ts passes these on). */
export interface RunCellOptions {
  /**
   * The encode rates the spec's `calibration` names, read once by the caller: bench reads the
   * file when it plans the run (and records its sha256 and rates in manifest.json), and the
   * pool hands the rates to every worker by value. A cell never reads the file, so one edited
   * mid-run cannot make later cells disagree with the manifest.
   */
  readonly calibration: Calibration;
  /** The host profile (setup, fixed downtime, sender cost per page), by value like the rates. */
  readonly profile: HostProfile;
  /** bench's --verify: decode and compare every encoded page, of every codec (built-ins too). */
  readonly verify?: boolean;
  readonly observers?: readonly SimulationObserver[];
}

/**
 * Without --verify, a plug-in's encoded pages are decoded and compared one in this many (the
 * cell's first encoded page, then every 64th: about 1.6 % of its decode time). Built-in codecs
 * are checked by their own tests and QEMU's vectors instead (test/codecs/), so they run
 * unverified and results.csv stays byte-identical.
 */
export const PLUGIN_VERIFY_EVERY = 64;

/**
 * One cell, end to end: resolve the workload and the codec named by the spec, charge the codec
 * the calibration's rates and the host the profile's costs, run the pre-copy simulator, and wrap what happens as a CellResult. Never throws: any error
 * becomes a `failed` result with a one-line message (a failed cell is a row, not a crash), and a
 * recorded workload that runs out of data becomes `trace-ended`.
 */
export async function runCell(spec: CellSpec, options: RunCellOptions): Promise<CellResult> {
  const started = performance.now();
  const wallMs = () => Math.round((performance.now() - started) * 1000) / 1000;
  let codec: CodecDefinition | undefined;
  try {
    codec = await resolveCodec(spec);
    const encodeSecondsPerPage = encodeCosts(options.calibration, codec);
    const workload = await createWorkload(spec);
    // A recorded trace brings its own RAM size (its --ram is ignored): the row says what ran.
    const ramBytes = workload.pageCount * PAGE_SIZE;
    const ran = ramBytes === spec.ramBytes ? spec : { ...spec, ramBytes };
    const plugin = pluginModuleOf(codec) !== undefined;
    const verifyEvery = options.verify ? 1 : plugin ? PLUGIN_VERIFY_EVERY : 0;
    const hostProfile = options.profile;
    const inputs = { spec: ran, workload, codec, encodeSecondsPerPage, hostProfile, verifyEvery };
    // A plug-in runs under the exit guard for the whole cell (codecs/plugin.ts): installed
    // once here, it costs nothing per page.
    const { observers } = options;
    const outcome = plugin
      ? withExitGuard(codecLabel(codec), "a cell's codec calls", () => simulate(inputs, observers))
      : simulate(inputs, observers);
    return { spec: ran, ...outcome, wallMs: wallMs() };
  } catch (error) {
    // simulate() itself turns a WorkloadEndedError into a `trace-ended` result with the metrics
    // so far; one escaping here came from creating the workload, before anything ran.
    // An unexpected throw in a plug-in's cell names the plug-in; its own checks already do.
    const plugin = codec && pluginModuleOf(codec) !== undefined;
    const message =
      plugin && !(error instanceof InputError)
        ? `${codecLabel(codec as CodecDefinition)}: the cell failed with ${describeThrown(error)}`
        : oneLine(error);
    return { spec, status: "failed", error: message, wallMs: wallMs() };
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n")[0] ?? "").trim() || "unknown error";
}

async function resolveCodec(spec: CellSpec): Promise<CodecDefinition> {
  if (spec.codecModule) {
    const plugin = await loadCodecModule(spec.codecModule);
    return resolveCodecs([spec.codec], [plugin])[0];
  }
  const chosen = resolveCodecs([spec.codec]);
  if (chosen.length !== 1) throw new Error(`codec "${spec.codec}" names ${chosen.length} codecs`);
  return chosen[0];
}

function encodeCosts(
  calibration: Calibration,
  codec: CodecDefinition,
): Record<PageOutcome, number> {
  const costs = {} as Record<PageOutcome, number>;
  for (const outcome of PAGE_OUTCOMES)
    costs[outcome] = encodeSeconds(calibration, codec.name, outcome, 1);
  return costs;
}

async function createWorkload(spec: CellSpec): Promise<WorkloadRun> {
  const definition = findWorkload(spec.workload);
  return definition.create({ ramBytes: spec.ramBytes, seed: spec.seed, params: spec.params });
}
