import { encodeSeconds, loadCalibration } from "../codecs/calibration.ts";
import { loadCodecModule, resolveCodecs } from "../codecs/registry.ts";
import { type CodecDefinition, PAGE_SIZE } from "../codecs/types.ts";
import { findWorkload } from "../workloads/registry.ts";
import type { WorkloadRun } from "../workloads/types.ts";
import type { CellResult, CellSpec } from "./cell.ts";
import { type EncodeOutcome, type SimulationObserver, simulate } from "./precopy.ts";

/**
 * One cell, end to end: resolve the workload, the codec and the calibration named by the spec,
 * run the pre-copy simulator, and wrap what happens as a CellResult. Never throws: any error
 * becomes a `failed` result with a one-line message (a failed cell is a row, not a crash), and a
 * recorded workload that runs out of data becomes `trace-ended`.
 */
export async function runCell(spec: CellSpec, observer?: SimulationObserver): Promise<CellResult> {
  const started = performance.now();
  const wallMs = () => Math.round((performance.now() - started) * 1000) / 1000;
  try {
    const codec = await resolveCodec(spec);
    const encodeSecondsPerPage = await resolveEncodeCosts(spec, codec);
    const workload = await createWorkload(spec);
    // A recorded trace brings its own RAM size (its --ram is ignored): the row says what ran.
    const ramBytes = workload.pageCount * PAGE_SIZE;
    const ran = ramBytes === spec.ramBytes ? spec : { ...spec, ramBytes };
    const outcome = simulate({ spec: ran, workload, codec, encodeSecondsPerPage }, observer);
    return { spec: ran, ...outcome, wallMs: wallMs() };
  } catch (error) {
    // simulate() itself turns a WorkloadEndedError into a `trace-ended` result with the metrics
    // so far; one escaping here came from creating the workload, before anything ran.
    return { spec, status: "failed", error: oneLine(error), wallMs: wallMs() };
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

const OUTCOMES: readonly EncodeOutcome[] = ["zero", "unchanged", "delta", "overflow", "raw"];

async function resolveEncodeCosts(
  spec: CellSpec,
  codec: CodecDefinition,
): Promise<Record<EncodeOutcome, number>> {
  const calibration = await loadCalibration(spec.calibration);
  const costs = {} as Record<EncodeOutcome, number>;
  for (const outcome of OUTCOMES)
    costs[outcome] = encodeSeconds(calibration, codec.name, outcome, 1);
  return costs;
}

async function createWorkload(spec: CellSpec): Promise<WorkloadRun> {
  const definition = findWorkload(spec.workload);
  return definition.create({ ramBytes: spec.ramBytes, seed: spec.seed, params: spec.params });
}
