import { InputError, UsageError } from "../../lib/errors.ts";
import { gitInfo } from "../../lib/machine.ts";
import { differingOptions, fileSha256, type Manifest } from "../../results/manifest.ts";
import type { Plan } from "./options.ts";

/**
 * `--resume DIR`: whether an interrupted run can be finished as it started, and the manifest it
 * goes on with. The sweep is planned again from the manifest's argv and cwd (harness/sweep/
 * options.ts); it must give the options the manifest recorded — the same table of options
 * (harness/sweep/axis-options.ts) writes both, so they are compared key by key — and the
 * plug-ins, calibration and host profile files it read must be the bytes it hashed. Which cells are done is
 * the run directory's business (results/run-dir.ts).
 */

export interface ResumeRequest {
  /** --resume's argument as given, for messages. */
  readonly resumeArg: string;
  readonly previous: Manifest;
  /** The plan the manifest's argv and cwd give today. */
  readonly recorded: Plan;
  /** The plan of the sweep options given together with --resume; null when none were. */
  readonly given: Plan | null;
  readonly workers: number;
  /** This machine's host name: a part (--shard) records where its last session ran. */
  readonly host: string;
  readonly startedAt: string;
  readonly commandLine: string;
  /** Writes a line of warning. */
  readonly warn: (line: string) => void;
}

/** The manifest of the resumed session, after the checks that make resuming safe. */
export function resumedManifest(request: ResumeRequest): Manifest {
  const { previous } = request;
  checkOptions(request);
  checkFiles(previous, request.recorded);
  const currentGit = gitInfo();
  if (previous.gitCommit !== currentGit.gitCommit)
    request.warn(
      `bench: warning: the run started at commit ${previous.gitCommit}, resuming at ${currentGit.gitCommit}; results may mix versions`,
    );
  return {
    ...previous,
    plugins: previous.plugins ?? [],
    status: "running",
    endedAt: null,
    ...(previous.shard === undefined ? {} : { shard: { ...previous.shard, host: request.host } }),
    workers: request.workers,
    resumes: [
      ...previous.resumes,
      { startedAt: request.startedAt, commandLine: request.commandLine, cellsAlreadyDone: 0 },
    ],
  };
}

function checkOptions({ resumeArg, previous, recorded, given }: ResumeRequest): void {
  if (given !== null) {
    const differ = differingOptions(previous.options, given.options);
    if (differ.length > 0)
      throw new UsageError(
        `--resume: these options differ from the run in ${resumeArg}: ${differ.join(", ")}; resume with --resume alone`,
      );
  }
  if (JSON.stringify(previous.options) !== JSON.stringify(recorded.options))
    throw new UsageError(
      `--resume: the run's command line no longer gives the options it recorded (${differingOptions(previous.options, recorded.options).join(", ")} changed: codecs, workloads or files changed since); start a new run`,
    );
}

/**
 * The same options can still mean other results: a plug-in, calibration or profile file edited
 * since.
 * Their bytes were hashed when the run started.
 */
function checkFiles(previous: Manifest, recorded: Plan): void {
  for (const plugin of previous.plugins ?? []) {
    const sha256 = fileSha256(plugin.path);
    if (sha256 !== plugin.sha256)
      throw new InputError(
        plugin.path,
        `this codec plug-in changed since the run started (sha256 ${plugin.sha256.slice(0, 12)}… → ${sha256.slice(0, 12)}…), so its cells would mix two codecs; restore it or start a new run`,
      );
  }
  const { source, sha256, rates } = recorded.calibration;
  const startedWith = previous.calibration.sha256;
  if (typeof startedWith === "string" && startedWith !== sha256)
    throw new InputError(
      source,
      `this calibration file changed since the run started (sha256 ${startedWith.slice(0, 12)}… → ${sha256?.slice(0, 12)}…); restore it or start a new run`,
    );
  if (JSON.stringify(previous.calibration.rates) !== JSON.stringify(rates))
    throw new UsageError(
      `--resume: the calibration (${source}) changed since the run started; start a new run`,
    );
  // The host profile, likewise: a file edited since, or a built-in profile changed by an update.
  const profile = recorded.profile;
  const profileStartedWith = previous.profile?.sha256;
  if (typeof profileStartedWith === "string" && profileStartedWith !== profile.sha256)
    throw new InputError(
      profile.source,
      `this host profile file changed since the run started (sha256 ${profileStartedWith.slice(0, 12)}… → ${profile.sha256?.slice(0, 12)}…); restore it or start a new run`,
    );
  if (JSON.stringify(previous.profile?.values) !== JSON.stringify(profile.values))
    throw new UsageError(
      `--resume: the host profile (${profile.source}) changed since the run started; start a new run`,
    );
}
