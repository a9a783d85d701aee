import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { QEMU_72_TCG } from "../harness/simulator/host-profile.ts";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { InputError } from "../lib/errors.ts";
import { fitTable } from "./fit-table.ts";
import type { LabBoot, LabRun } from "./migration-run.ts";
import { type FitBasis, fitHostProfile, type RunSet } from "./profile-fit.ts";

/**
 * `npm run validate:qemu -- --fit RUN_DIR... [--out FILE]`: a host profile fitted from the
 * real.json of validation runs, written where `--profile FILE` reads it, and the fit printed.
 * Outcomes the runs cannot determine keep the built-in `qemu-7.2-tcg` value.
 */

/** Enough of a LabRun to fit and compare: what validate/migration-run.ts always writes. */
function isLabRun(value: unknown): value is LabRun {
  if (typeof value !== "object" || value === null) return false;
  const run = value as Partial<Record<keyof LabRun, unknown>>;
  const config = run.config as { name?: unknown } | undefined;
  return (
    typeof config?.name === "string" &&
    Array.isArray(run.polls) &&
    typeof run.outcome === "string" &&
    typeof run.repetition === "number"
  );
}

/** A validation run directory's real.json. */
export function readRuns(dir: string): RunSet {
  const file = join(dir, "real.json");
  if (!existsSync(file)) throw new InputError(dir, "no real.json: not a validation run directory");
  let runs: unknown;
  try {
    runs = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new InputError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(runs) || !runs.every(isLabRun))
    throw new InputError(file, "expected the array of real runs `npm run validate:qemu` writes");
  // Runs from before LabConfig.preallocated existed booted their guests without -mem-prealloc,
  // and those from before LabConfig.kaslr with the kernel's address randomization on.
  return {
    dir,
    runs: runs.map((run) => ({
      ...run,
      config: {
        ...run.config,
        preallocated: run.config.preallocated ?? false,
        kaslr: run.config.kaslr ?? true,
      },
    })),
  };
}

/**
 * How `runs` booted their guests; an error naming `where` if they differ. Preallocated or not,
 * their zero pages cost the host's page faults in one and not the other; with KASLR or without,
 * their setup took ~250 or ~215 ms most often (docs/VALIDATION.md, eighth session). Either way
 * one fit or one default profile cannot describe both (validate/vm.ts GuestMemory).
 */
export function labBoot(runs: readonly LabRun[], where: string): LabBoot {
  const one = (key: keyof LabBoot): boolean => {
    const kinds = new Set(runs.map((run) => run.config[key]));
    if (kinds.size > 1)
      throw new InputError(where, `mixes runs ${MIXED[key]}; fit or compare them apart`);
    return kinds.has(true);
  };
  return { preallocated: one("preallocated"), kaslr: one("kaslr") };
}

/** What a mix of runs differing in each boot setting is called in labBoot's error. */
const MIXED: Readonly<Record<keyof LabBoot, string>> = {
  preallocated: "with and without preallocated guest RAM (--prealloc)",
  kaslr: "whose guests booted with and without KASLR (--kaslr)",
};

/** Reads every run directory first, fits, writes `out`; the printed text. */
export function fitCommand(dirs: readonly string[], out: string, basis: FitBasis): string {
  const sets = dirs.map(readRuns);
  labBoot(
    sets.flatMap((s) => s.runs),
    dirs.join(" "),
  );
  const fit = fitHostProfile(sets, QEMU_72_TCG, basis);
  writeFileAtomic(out, `${JSON.stringify(fit.profile, null, 2)}\n`);
  const kept = fit.sender.fromFallback;
  const note =
    kept.length > 0
      ? `not identifiable from these runs (kept from qemu-7.2-tcg): ${kept.join(", ")}\n`
      : "";
  return `${fit.profile.source}\n\n${fitTable(fit)}${note}host profile: ${out} (npm run validate:qemu -- --profile ${out})\n`;
}
