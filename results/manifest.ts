import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { fileError, InputError } from "../lib/errors.ts";
import { MANIFEST_FILE } from "./schema.ts";

/**
 * manifest.json: what was run, on what, by whom — lzbench's header and footer as a file. Written
 * atomically when a run starts (status "running") and again when it ends; `--resume` reads it
 * back to re-create the sweep. Everything here may differ between two runs of the same sweep
 * (times, machine); results.csv holds only what must not.
 */

export type RunStatus = "running" | "completed" | "interrupted" | "failed";

export interface ManifestResume {
  readonly startedAt: string;
  readonly commandLine: string;
  /** Cells kept from earlier sessions (finished, not failed) when this resume started. */
  readonly cellsAlreadyDone: number;
}

/**
 * The part of a sweep a run directory holds, when `bench --shard K/N` ran it (docs/CLUSTERS.md).
 * The manifest's options, seeds and `cells` are then the whole sweep's, so that the parts can be
 * checked against each other before they are merged.
 */
export interface ShardRecord {
  /** 1-based: `--shard 2/4` is part 2. */
  readonly index: number;
  readonly count: number;
  /** The cells of this part. */
  readonly cells: number;
  /** The host the part's last session ran on. */
  readonly host: string;
}

/** One part of a merged run (`npm run merge`), and the machine it ran on. */
export interface MergedPart {
  readonly dir: string;
  readonly shard: number;
  readonly cells: number;
  readonly host: string;
  readonly cpu: { readonly model: string; readonly cores: number };
  readonly node: string;
  readonly gitCommit: string | null;
  readonly workers: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** How many times the part was resumed (a task submitted again). */
  readonly resumes: number;
  readonly machine: { readonly wallMs: number; readonly peakRssBytes: number } | null;
}

export interface Manifest {
  /** Manifest format version, bumped on an incompatible change. */
  readonly format: 1;
  readonly migbenchVersion: string;
  /** `git rev-parse HEAD` of the migbench tree, null when it is not a git checkout. */
  readonly gitCommit: string | null;
  /** True when the tree had uncommitted changes (so gitCommit alone does not reproduce it). */
  readonly gitDirty: boolean | null;
  readonly node: string;
  readonly platform: string;
  readonly cpu: { readonly model: string; readonly cores: number };
  readonly totalMemoryBytes: number;
  /** The full command line as typed (argv, shell-quoted), and where it ran. */
  readonly commandLine: string;
  readonly cwd: string;
  /** The arguments after the script, for --resume to re-parse. */
  readonly argv: readonly string[];
  /** The normalised options (sizes in bytes, rates in bytes/s, times in ms, absolute paths). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  /** Where codec rates came from and the rates themselves: results must not depend on the machine's load. */
  readonly calibration: Readonly<Record<string, unknown>>;
  /**
   * The host profile: its name or file, the file's sha256 and its values (absent in runs made
   * before profiles existed, which modelled no host costs).
   */
  readonly profile?: Readonly<Record<string, unknown>>;
  /** Each --codec-module plug-in and the sha256 of its file: a resume refuses a changed one. */
  readonly plugins: readonly { readonly path: string; readonly sha256: string }[];
  /** Cells of the sweep (of the whole sweep for a part: `shard.cells` are its own). */
  readonly cells: number;
  /** Present when the directory holds one part of the sweep (`bench --shard`). */
  readonly shard?: ShardRecord;
  /** Present when `npm run merge` made the directory from parts: those parts, in shard order. */
  readonly parts?: readonly MergedPart[];
  readonly workers: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly status: RunStatus;
  /** Cells with a result (a failed one included; it runs again on resume). */
  readonly cellsDone: number;
  readonly resumes: readonly ManifestResume[];
  /** Machine figures of the last session: wall time and peak RSS of the bench process. */
  readonly machine: { readonly wallMs: number; readonly peakRssBytes: number } | null;
}

export function writeManifest(dir: string, manifest: Manifest): void {
  const path = join(dir, MANIFEST_FILE);
  try {
    writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    throw fileError(path, error);
  }
}

/**
 * The option keys whose normalised values differ (for the refusals of --resume and merge), including
 * one only one side has (a run recorded before an axis was added).
 */
export function differingOptions(
  recorded: Readonly<Record<string, unknown>>,
  other: Readonly<Record<string, unknown>>,
): string[] {
  return [...new Set([...Object.keys(recorded), ...Object.keys(other)])].filter(
    (key) => JSON.stringify(recorded[key]) !== JSON.stringify(other[key]),
  );
}

/** sha256 of a file's bytes (plug-ins, calibration), for a resume to see they did not change. */
export function fileSha256(path: string): string {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch (error) {
    throw fileError(path, error);
  }
}

const isString = (v: unknown) => typeof v === "string";
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The fields --resume reads, each with its check: a manifest missing one (or with null, or the
 * wrong type) is named field by field instead of failing later with a TypeError.
 */
const RESUME_FIELDS: readonly [string, (v: unknown) => boolean, string][] = [
  ["argv", (v) => Array.isArray(v) && v.every(isString), "a list of strings"],
  ["cwd", isString, "a string"],
  ["options", isObject, "an object"],
  ["calibration", (v) => isObject(v) && isObject(v.rates), "an object with rates"],
  ["cells", (v) => Number.isSafeInteger(v) && (v as number) >= 0, "a whole number"],
  ["resumes", Array.isArray, "a list"],
  ["gitCommit", (v) => v === null || isString(v), "a string or null"],
  ["startedAt", isString, "a string"],
  [
    "shard",
    (v) =>
      v === undefined ||
      (isObject(v) &&
        ["index", "count", "cells"].every((key) => Number.isSafeInteger(v[key])) &&
        isString(v.host)),
    "{index, count, cells, host}",
  ],
  [
    "plugins",
    (v) =>
      v === undefined ||
      (Array.isArray(v) && v.every((p) => isObject(p) && isString(p.path) && isString(p.sha256))),
    "a list of {path, sha256}",
  ],
];

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new InputError(path, "no such file (is this a migbench run directory?)");
    throw fileError(path, error);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new InputError(path, `not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(manifest) || manifest.format !== 1)
    throw new InputError(path, "not a migbench manifest (an object with format 1)");
  const record = manifest as unknown as Record<string, unknown>;
  for (const [field, ok, what] of RESUME_FIELDS)
    if (!ok(record[field]))
      throw new InputError(
        path,
        `field "${field}" is ${record[field] === undefined ? "missing" : `${JSON.stringify(record[field])?.slice(0, 40)}`}, not ${what}; the manifest is damaged, so the run cannot be resumed`,
      );
  return manifest;
}
