import { join } from "node:path";
import { QEMU_72_TCG } from "../harness/simulator/host-profile.ts";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { UsageError } from "../lib/errors.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";
import { fitHostProfile } from "./profile-fit.ts";

/**
 * `--profile session`: each configuration is simulated with a host profile fitted
 * (`--fit-basis polls`, validate/interval-costs.ts) on the same run's migrations of the *other*
 * configurations — out of sample for the configuration it predicts, but on the host as it was
 * that day. The lab's 2-core VM ran the same zero page at 8.6 µs in one quiet session and 11.9
 * in another (docs/VALIDATION.md): a profile fitted on other days carries that drift into every
 * ratio, and a user's host differs from ours more than that. The profiles are kept in
 * `OUT/profiles/<configuration>.json`; a configuration whose others cannot be fitted (no stretch
 * of zero pages among them) falls back to `fallback`, the built-in lab profile for such runs, and
 * the log says so.
 */

export const SESSION_PROFILE = "session";

/** What `--profile session` says where a profile's name goes (the chart, the log). */
export const SESSION_PROFILE_TEXT =
  "session (each configuration's own, fitted with --fit-basis polls on this run's other configurations)";

/** Per configuration name, the profile (a file path, or the fallback's name) it is simulated with. */
export function sessionProfiles(
  configs: readonly LabConfig[],
  allRuns: readonly LabRun[],
  out: string,
  fallback: string,
  log: (line: string) => void,
): Map<string, string> {
  const profiles = new Map<string, string>();
  for (const config of configs) {
    const others = allRuns.filter((run) => run.config.name !== config.name);
    try {
      const fit = fitHostProfile([{ dir: out, runs: others }], QEMU_72_TCG, "polls");
      const file = join(out, "profiles", `${config.name}.json`);
      writeFileAtomic(file, `${JSON.stringify(fit.profile, null, 1)}\n`);
      profiles.set(config.name, file);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      log(
        `${config.name}: no host profile from the other configurations (${error.message}); simulated with ${fallback}`,
      );
      profiles.set(config.name, fallback);
    }
  }
  return profiles;
}
