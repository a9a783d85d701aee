import { checkWorkloadRun, describeWorkload, findWorkload, resolveParams } from "./registry.ts";
import type { WorkloadDefinition, WorkloadOptions } from "./types.ts";

/**
 * The workloads a sweep may name, as the front ends (bench, bench:scale) see them: the built-in
 * registry (workloads/registry.ts), or a stub in tests.
 */
export interface WorkloadCatalogue {
  findWorkload(name: string): WorkloadDefinition;
  /** `sets` = "key=value" strings, as --set gives them; unknown keys are a UsageError. */
  resolveParams(
    definition: WorkloadDefinition,
    sets: readonly string[],
  ): Readonly<Record<string, number | string>>;
  describeWorkload(definition: WorkloadDefinition): string;
  /**
   * Reject, before any cell runs, a run the workload's create() would reject (RAM too small
   * for its active set, a trace without file=...); optional (test stubs leave it out).
   */
  checkRun?(definition: WorkloadDefinition, options: WorkloadOptions): Promise<void>;
}

export const builtinCatalogue: WorkloadCatalogue = {
  findWorkload: (name) => findWorkload(name),
  resolveParams,
  describeWorkload,
  checkRun: checkWorkloadRun,
};
