import { InputError, isSystemError, UsageError } from "../lib/errors.ts";
import { parseBytes, parseDurationMs, parseRate } from "../lib/units.ts";
import { withGuestProgress } from "./guest-progress.ts";
import { idle } from "./idle.ts";
import { lmbenchLike } from "./lmbench-like.ts";
import { sapLike } from "./sap-like.ts";
import { medium, sparse } from "./scenario-2011.ts";
import { stride } from "./stride.ts";
import { traceWorkload } from "./trace-workload.ts";
import type {
  WorkloadDefinition,
  WorkloadOptions,
  WorkloadParam,
  WorkloadParams,
} from "./types.ts";
import { uniform } from "./uniform.ts";
import { videoLike } from "./video-like.ts";
import type { BoundedParam } from "./workload-params.ts";
import { zipfWriter } from "./zipf-writer.ts";

/**
 * The workload table: one row per source of dirty pages, selected by `--workload NAME`.
 * Adding a workload is one file in workloads/ and one line here. Every row also takes the
 * guest-progress parameters (guest-progress.ts): any guest has run before a migration starts,
 * and any guest's vCPU can stall.
 */
export const builtinWorkloads: readonly WorkloadDefinition[] = [
  sapLike,
  videoLike,
  lmbenchLike,
  stride,
  sparse,
  medium,
  idle,
  uniform,
  zipfWriter,
  traceWorkload,
].map(withGuestProgress);

/** The row named `name`; unknown names are a UsageError listing the known ones. */
export function findWorkload(
  name: string,
  table: readonly WorkloadDefinition[] = builtinWorkloads,
): WorkloadDefinition {
  const found = table.find((definition) => definition.name === name);
  if (!found) {
    throw new UsageError(
      `unknown workload "${name}" (known: ${table.map((definition) => definition.name).join(", ")})`,
    );
  }
  return found;
}

/**
 * Every declared parameter of `definition`, defaults filled in, overridden by `sets` — the
 * repeated `--set key=value` options, later ones winning. Numbers accept plain numbers and, by
 * the parameter's unit, sizes ("1GiB" for bytes), rates ("1GiB/s" for bytes/s) or durations
 * ("500ms" for s or ms). Unknown keys, malformed values, out-of-range numbers and strings outside
 * a parameter's choices are UsageErrors naming the workload and the key.
 */
export function resolveParams(
  definition: WorkloadDefinition,
  sets: readonly string[],
): WorkloadParams {
  const values: Record<string, number | string> = {};
  for (const param of definition.params) values[param.name] = param.defaultValue;
  for (const set of sets) {
    const equals = set.indexOf("=");
    if (equals <= 0) {
      throw new UsageError(
        `--set "${set}" is not key=value (e.g. --set ${exampleSet(definition)})`,
      );
    }
    const key = set.slice(0, equals).trim();
    const text = set.slice(equals + 1).trim();
    const param = definition.params.find((candidate) => candidate.name === key);
    if (!param) {
      const keys = definition.params.map((candidate) => candidate.name).join(", ");
      throw new UsageError(
        `workload ${definition.name} has no parameter "${key}" (its parameters: ${keys || "none"})`,
      );
    }
    values[key] = parseValue(definition.name, param, text);
  }
  return values;
}

function parseValue(workload: string, param: WorkloadParam, text: string): number | string {
  const what = `${workload} parameter ${param.name}`;
  if (typeof param.defaultValue === "string") {
    if (param.choices && !param.choices.includes(text)) {
      throw new UsageError(`${what} must be one of ${param.choices.join(", ")} (got "${text}")`);
    }
    return text;
  }
  const value = parseNumber(what, param.unit, text);
  const bounds = param as BoundedParam;
  if (!Number.isFinite(value))
    throw new UsageError(`${what} must be a finite number (got "${text}")`);
  if (bounds.integer && !Number.isInteger(value)) {
    throw new UsageError(`${what} must be a whole number (got "${text}")`);
  }
  if (bounds.min !== undefined && value < bounds.min) {
    throw new UsageError(
      `${what} must be ≥ ${bounds.min}${unitSuffix(param.unit)} (got "${text}")`,
    );
  }
  if (bounds.max !== undefined && value > bounds.max) {
    throw new UsageError(
      `${what} must be ≤ ${bounds.max}${unitSuffix(param.unit)} (got "${text}")`,
    );
  }
  return value;
}

function parseNumber(what: string, unit: string, text: string): number {
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return Number(text);
  // A unit suffix, interpreted by the parameter's unit.
  if (unit === "bytes") return parseBytes(text, what);
  if (unit === "bytes/s") return parseRate(text, what);
  if (unit === "s") return parseDurationMs(text, what) / 1000;
  if (unit === "ms") return parseDurationMs(text, what);
  throw new UsageError(`${what} must be a number${unitSuffix(unit)} (got "${text}")`);
}

function unitSuffix(unit: string): string {
  return unit === "" ? "" : ` ${unit}`;
}

function exampleSet(definition: WorkloadDefinition): string {
  const first = definition.params[0];
  return first ? `${first.name}=${formatDefault(first)}` : "key=value";
}

/**
 * Make one run of `definition` and drop it, so that what its create() rejects — a RAM too
 * small for an active set (workloads/heap-model.ts), `--workload trace` without `file=`, a
 * trace file that is missing or corrupt — is one line before any cell runs instead of a
 * failed cell per seed after the sweep has started. Creating a run is cheap (no page is
 * built: workloads/types.ts; ~0.1 s for a 64 GiB sap-like VM). Only errors users cause are
 * passed on (UsageError, InputError, a file-system error); anything else is left for the cell
 * to report with its stack, as before.
 */
export async function checkWorkloadRun(
  definition: WorkloadDefinition,
  options: WorkloadOptions,
): Promise<void> {
  try {
    await definition.create(options);
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError || isSystemError(error))
      throw error;
  }
}

/** Text for `--help-workload`: what it models, where it comes from, and a table of knobs. */
export function describeWorkload(definition: WorkloadDefinition): string {
  const lines = [
    `${definition.name} — ${definition.description}`,
    `source:      ${definition.source}`,
    `default RAM: ${exactBytes(definition.defaultRamBytes)} (--ram)`,
    "",
  ];
  if (definition.params.length === 0) {
    lines.push("no parameters");
    return lines.join("\n");
  }
  const rows = definition.params.map((param) => [
    param.name,
    param.unit || "-",
    formatDefault(param),
    param.description + rangeNote(param),
  ]);
  const header = ["parameter", "unit", "default", "description"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
      .join("  ");
  lines.push(format(header), format(widths.map((width) => "-".repeat(width))));
  for (const row of rows) lines.push(format(row));
  lines.push("", `set with --set NAME=VALUE (repeatable), e.g. --set ${exampleSet(definition)}`);
  return lines.join("\n");
}

function formatDefault(param: WorkloadParam): string {
  const value = param.defaultValue;
  if (typeof value === "string") return value;
  if (param.unit === "bytes") return exactBytes(value);
  if (param.unit === "bytes/s") return `${exactBytes(value)}/s`;
  return String(value);
}

/** "16MiB" when the size is a whole number of a binary unit, else the plain number. */
function exactBytes(value: number): string {
  for (const [unit, size] of [
    ["TiB", 1024 ** 4],
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (value >= size && value % size === 0) return `${value / size}${unit}`;
  }
  return String(value);
}

function rangeNote(param: WorkloadParam): string {
  if (param.choices) return ` (${param.choices.join(" | ")})`;
  const { min, max } = param as BoundedParam;
  if (min !== undefined && max !== undefined) return ` [${min}, ${max}]`;
  return "";
}
