import { isAbsolute, join, resolve } from "node:path";
import { type Calibration, readCalibration } from "../../codecs/calibration.ts";
import { loadCodecModule, resolveCodecs } from "../../codecs/registry.ts";
import type { CodecDefinition } from "../../codecs/types.ts";
import { checkWritableDirectory } from "../../lib/atomic-file.ts";
import { UsageError } from "../../lib/errors.ts";
import { flagList, flagValue, repeatedFlag } from "../../lib/flag-list.ts";
import type { CellSpec } from "../../results/cell.ts";
import { fileSha256 } from "../../results/manifest.ts";
import { RUNS_DIR } from "../../results/run-dir.ts";
import type { WorkloadCatalogue } from "../../workloads/catalogue.ts";
import type { WorkloadDefinition } from "../../workloads/types.ts";
import { parseRamBytes } from "../../workloads/workload-params.ts";
import {
  DEFAULT_HOST_PROFILE,
  type HostProfile,
  isBuiltinHostProfile,
  loadHostProfile,
} from "../simulator/host-profile.ts";
import { AXIS_FLAGS, axisOptionsRecord, defaultList, parseAxisLists } from "./axis-options.ts";
import {
  buildCells,
  type CodecChoice,
  DEFAULT_CALIBRATION,
  expandParamSets,
  type WorkloadAxis,
} from "./plan.ts";

/**
 * A run's plan from its options, as yargs parsed them (harness/cli/bench-options.ts): the
 * workloads with their RAM sizes and --set parameter sets, the codecs (plug-ins loaded), the
 * lists of the other axes (harness/sweep/axis-options.ts), the cells, and the calibration.
 * `--resume` plans the recorded command line again with this same function.
 */

/** Options as yargs hands them over: flag → text (an array when given twice). */
export type OptionTexts = Readonly<Record<string, unknown>>;

/**
 * The options that define the cells; on --resume they must match the run's (others may
 * differ). Workload, RAM and codec options, the axes' table, the calibration and the host
 * profile.
 */
export const SWEEP_FLAGS: readonly string[] = [
  "workload",
  "ram",
  "set",
  "codec",
  "codec-module",
  ...AXIS_FLAGS,
  "calibration",
  "profile",
];

export const DEFAULT_WORKLOAD = "sap-like";

export interface Plan {
  /** The sweep as manifest.json's options record it: bytes, bytes/s, ms, absolute paths. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly workloads: readonly string[];
  readonly seeds: readonly number[];
  /** The --codec-module plug-ins, absolute paths. */
  readonly codecModules: readonly string[];
  /** The codecs of the sweep (plug-ins loaded), for what their traits say about the settings. */
  readonly codecs: readonly CodecDefinition[];
  readonly cells: CellSpec[];
  /** "builtin" or the file's path, the file's sha256 (null for builtin), and its rates. */
  readonly calibration: {
    readonly source: string;
    readonly sha256: string | null;
    readonly rates: Calibration;
  };
  /** A built-in profile's name or the file's path, the file's sha256 (null for a built-in), and its values. */
  readonly profile: {
    readonly source: string;
    readonly sha256: string | null;
    readonly values: HostProfile;
  };
}

export async function planSweep(
  argv: OptionTexts,
  cwd: string,
  catalogue: WorkloadCatalogue,
  checkOutput = true,
): Promise<Plan> {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  const workloadNames = flagList(argv.workload, "workload") ?? [DEFAULT_WORKLOAD];
  const definitions = workloadNames.map((name) => catalogue.findWorkload(name));
  const ramBytes = flagList(argv.ram, "ram")?.map((text) => parseRamBytes(text, "--ram")) ?? null;
  const set = parseSets(argv.set, workloadNames, definitions);
  const workloads = definitions.map((definition) =>
    workloadAxis(definition, ramBytes, set, catalogue),
  );
  const codecModules = repeatedFlag(argv["codec-module"]).map(at);
  const { choices: codecs, definitions: codecDefinitions } = await codecChoices(
    argv.codec,
    codecModules,
  );
  const calibrationArg = flagValue(argv.calibration, "calibration") ?? DEFAULT_CALIBRATION;
  const calibrationPath =
    calibrationArg === DEFAULT_CALIBRATION ? calibrationArg : at(calibrationArg);
  const profileArg = flagValue(argv.profile, "profile") ?? DEFAULT_HOST_PROFILE;
  const profilePath = isBuiltinHostProfile(profileArg) ? profileArg : at(profileArg);
  const lists = parseAxisLists(argv);
  const options = {
    workloads: workloadNames,
    ramBytes,
    set,
    codecs,
    codecModules,
    ...axisOptionsRecord(lists),
    calibration: calibrationPath,
    profile: profilePath,
  };
  const cells = buildCells({ ...lists, workloads, codecs, calibration: calibrationPath });
  const seeds = lists.seed ?? defaultList("seed");

  // The files and what the workloads reject, after every option is known to be well formed.
  const { rates, sha256 } = await readCalibration(calibrationPath);
  const profile = await loadHostProfile(profilePath);
  const profileSha256 = isBuiltinHostProfile(profilePath) ? null : fileSha256(profilePath);
  for (const [index, workload] of workloads.entries())
    for (const ram of workload.ramBytes)
      for (const params of workload.paramSets)
        await catalogue.checkRun?.(definitions[index], { ramBytes: ram, seed: seeds[0], params });
  // The run directory (or runs/, where the default one goes) must take files before the
  // first cell runs, not fail on the first row; a dry run writes nothing, not even that.
  const outArg = flagValue(argv.out, "out");
  if (checkOutput) checkWritableDirectory(outArg === undefined ? join(cwd, RUNS_DIR) : at(outArg));
  return {
    options,
    workloads: workloadNames,
    seeds,
    codecModules,
    codecs: codecDefinitions,
    cells,
    calibration: { source: calibrationPath, sha256, rates },
    profile: { source: profilePath, sha256: profileSha256, values: profile },
  };
}

type SetOption = [key: string, values: string[]];

/**
 * --set key=v1,v2 (repeatable). A key must belong to at least one chosen workload; each
 * workload takes the keys it declares (so a multi-workload sweep can set each one's knobs).
 */
function parseSets(
  given: unknown,
  workloadNames: readonly string[],
  definitions: readonly WorkloadDefinition[],
): SetOption[] {
  const set: SetOption[] = [];
  for (const text of repeatedFlag(given)) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set: "${text}" is not key=value`);
    const key = text.slice(0, eq);
    const values = flagList(text.slice(eq + 1), `set ${key}`) ?? [];
    if (set.some(([k]) => k === key)) throw new UsageError(`--set: ${key} is set twice`);
    if (!definitions.some((d) => d.params.some((p) => p.name === key)))
      throw new UsageError(
        `--set: workload ${workloadNames.join(", ")} has no parameter "${key}" (known: ${[
          ...new Set(definitions.flatMap((d) => d.params.map((p) => p.name))),
        ].join(", ")})`,
      );
    set.push([key, values]);
  }
  return set;
}

/** One workload's RAM sizes (its default unless --ram) and parameter sets (--set's product). */
function workloadAxis(
  definition: WorkloadDefinition,
  ramBytes: readonly number[] | null,
  set: readonly SetOption[],
  catalogue: WorkloadCatalogue,
): WorkloadAxis {
  const own = set.filter(([key]) => definition.params.some((p) => p.name === key));
  const combos = expandParamSets({}, new Map(own));
  return {
    name: definition.name,
    ramBytes: ramBytes ?? [definition.defaultRamBytes],
    paramSets: combos.map((sets) =>
      catalogue.resolveParams(
        definition,
        Object.entries(sets).map(([key, value]) => `${key}=${value}`),
      ),
    ),
  };
}

/** --codec's names (default: paper and every plug-in's codec), plug-ins loaded first. */
async function codecChoices(
  given: unknown,
  codecModules: readonly string[],
): Promise<{ choices: CodecChoice[]; definitions: CodecDefinition[] }> {
  const plugins: { path: string; codec: CodecDefinition }[] = [];
  for (const path of codecModules) plugins.push({ path, codec: await loadCodecModule(path) });
  const codecNames = flagList(given, "codec") ?? [
    "paper",
    ...plugins.map((plugin) => plugin.codec.name),
  ];
  const definitions = resolveCodecs(
    codecNames,
    plugins.map((p) => p.codec),
  );
  const choices = definitions.map((codec) => ({
    name: codec.name,
    module: plugins.find((p) => p.codec === codec)?.path ?? null,
  }));
  return { choices, definitions };
}
