import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { loadHostProfile, readHostProfile } from "../harness/simulator/host-profile.ts";
import { checkWritableDirectory, writeFileAtomic } from "../lib/atomic-file.ts";
import { UsageError } from "../lib/errors.ts";
import { flagValue } from "../lib/flag-list.ts";
import { runMain } from "../lib/main.ts";
import { parseBytes, parseInteger } from "../lib/units.ts";
import { DEFAULT_LAB_SEEDS, defaultLabProfile, QUICK_LAB_SEEDS, realFigures } from "./compare.ts";
import { type ComparisonOptions, compareConfig, groupRuns, writeComparison } from "./comparison.ts";
import { fitCommand, labBoot, readRuns } from "./fit-command.ts";
import { otherProcessesText } from "./host-cpu.ts";
import { defaultLabDir, type LabImage, readLab, setupLab } from "./lab-setup.ts";
import { FULL_LAB_REPS, fullMatrix, migrationOrder, quickLabReps, quickMatrix } from "./matrix.ts";
import { measuredGuestsByLoad, unplacedLoadsLine } from "./measured-guest.ts";
import { type LabConfig, type LabRun, runMigration } from "./migration-run.ts";
import { REAL_SETUP_NOTE } from "./real-setup.ts";
import { SESSION_PROFILE, SESSION_PROFILE_TEXT, sessionProfiles } from "./session-profile.ts";
import { bootAndRecord } from "./trace-boot.ts";
import { type RecordLoad, tracesFor } from "./trace-recording.ts";

/**
 * `npm run validate:qemu`: migrate real QEMU guests on this machine and set the simulator's
 * figures for the same guest load and parameters beside them. Never part of `npm test`: it
 * needs root (or the Debian packages already installed) and minutes of real migrations.
 */

function parser(args: readonly string[]) {
  return yargs([...args])
    .scriptName("npm run validate:qemu --")
    .usage(
      "$0 --setup | --quick | --full | --from RUN_DIR | --fit RUN_DIR... [options]\n\n" +
        "Migrate real QEMU 7.2 guests (loopback, TCG or KVM) and compare each migration with\n" +
        "migbench's simulation of the same load and parameters; fit a host profile from them.",
    )
    .option("setup", {
      type: "boolean",
      describe:
        "install QEMU and busybox from Debian, fetch a Debian cloud kernel, build the guest",
    })
    .option("quick", {
      type: "boolean",
      describe:
        "7 configurations, 3 repetitions of each deterministic one, 1 of the stochastic one (≈ 10 min on 2 cores)",
    })
    .option("full", {
      type: "boolean",
      describe: "28 configurations, 3 repetitions each (≈ 1–2 h)",
    })
    .option("from", {
      type: "string",
      describe:
        "compare the real runs of an earlier validation run again (e.g. with another --profile), into --out; replays its traces, or records them when it has none (needs the lab)",
    })
    .option("fit", {
      type: "string",
      array: true,
      describe:
        "fit a host profile from these validation runs' real.json; --out FILE (default host-profile.json)",
    })
    .option("fit-basis", {
      choices: ["cpu", "wall", "polls"] as const,
      describe:
        "--fit: the sender's cost from the migration thread's CPU time, from wall time (one cost for all pages), or per outcome from the polls' zero-only, normal-only and hit-only stretches",
      default: "cpu" as const,
    })
    .option("seeds", {
      type: "string",
      describe: `seeds a stochastic configuration is simulated over (1 to 100)`,
      defaultDescription: `${DEFAULT_LAB_SEEDS}; ${QUICK_LAB_SEEDS} with --quick`,
    })
    .option("reps", { type: "string", describe: "repetitions per configuration (1 to 20)" })
    .option("only", { type: "string", describe: "only configurations whose name contains this" })
    .option("guest-ram", {
      type: "string",
      describe:
        "guest RAM, e.g. 512MiB: a multiple of 256 KiB reproduces QEMU 7.2 TCG's lost dirty writes",
      defaultDescription: "524280KiB (512 MiB − 8 KiB)",
    })
    .option("prealloc", {
      type: "boolean",
      default: true,
      describe:
        "preallocate guest RAM on both sides (-mem-prealloc), so that the host's page faults stay out of the migrations; --no-prealloc lets the bulk pass fault it in",
    })
    .option("kaslr", {
      type: "boolean",
      default: false,
      describe:
        "let the guest kernel place itself at random in RAM (KASLR), so that every boot lays RAM out anew; by default the guests boot nokaslr and the migrations and the trace see one layout",
    })
    .option("lab", {
      type: "string",
      describe: "where the guest image lives",
      defaultDescription: defaultLabDir(),
    })
    .option("profile", {
      type: "string",
      describe:
        "host profile for the simulations (npm run bench's --profile: a name or a JSON file), or `session`: each configuration's fitted (--fit-basis polls) on this run's other configurations",
      defaultDescription: `${defaultLabProfile({ preallocated: true, kaslr: false })}; ${defaultLabProfile({ preallocated: true, kaslr: true })} for runs with --kaslr, ${defaultLabProfile({ preallocated: false, kaslr: true })} without --prealloc`,
    })
    .option("real-setup", {
      type: "boolean",
      default: false,
      describe:
        "simulate each real migration with its own setup-time instead of the profile's (QEMU's TCG setup is a draw the load does not predict: docs/VALIDATION.md); the setup ratio is then 1",
    })
    .option("traces", {
      type: "boolean",
      default: true,
      describe:
        "record each load as a trace (a boot of its own) and replay it beside the synthetic workload; --no-traces skips both",
    })
    .option("out", {
      type: "string",
      describe: "directory to write (with --fit: the profile file)",
      defaultDescription: "runs/validate-<UTC timestamp>",
    })
    .strict()
    .help()
    .version(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** --guest-ram in KiB (whole KiB, 64 MiB to 16 GiB), or null for the default. */
function guestRam(text: string | undefined): number | null {
  if (text === undefined) return null;
  const bytes = parseBytes(text, "--guest-ram");
  if (bytes % 1024 !== 0 || bytes < 64 * 2 ** 20 || bytes > 16 * 2 ** 30)
    throw new UsageError(`--guest-ram: "${text}" is not a whole number of KiB from 64MiB to 16GiB`);
  return bytes / 1024;
}

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

function describe(run: LabRun): string {
  const f = realFigures(run);
  const total = f.totalTimeMs === null ? "—" : `${(f.totalTimeMs / 1000).toFixed(1)} s`;
  const check = run.destination
    ? run.destination.consistent
      ? "destination consistent"
      : "DESTINATION INCONSISTENT"
    : (run.error ?? "");
  const parts = [run.outcome, `total ${total}`, `downtime ${f.downtimeMs ?? "—"} ms`, check];
  return [...parts.filter((part) => part !== ""), otherProcessesText(run.hostCpu)].join(", ");
}

/** The lab's recorder, or a usage error when there is no lab to boot. */
function labRecorder(labDir: string): RecordLoad {
  if (!existsSync(join(labDir, "lab.json")))
    throw new UsageError(
      `--from: the run has no traces and ${labDir} has no guest to record them: run --setup first, or say --no-traces`,
    );
  return bootAndRecord(readLab(labDir));
}

/**
 * Migrates every configuration `repsOf(config)` times, in migrationOrder, keeping real.json
 * after each migration.
 */
async function migrateMatrix(
  image: LabImage,
  matrix: readonly LabConfig[],
  repsOf: (config: LabConfig) => number,
  out: string,
  log: (line: string) => void,
): Promise<{ config: LabConfig; real: LabRun[] }[]> {
  const runs: LabRun[] = [];
  const groups = matrix.map((config) => ({ config, real: [] as LabRun[] }));
  const order = migrationOrder(matrix.map(repsOf));
  for (const [n, { index, rep }] of order.entries()) {
    const { config, real } = groups[index];
    const step = `[${n + 1}/${order.length}] ${config.name} #${rep + 1}`;
    log(`${step}: migrating`);
    const run = await runMigration(image, config, rep);
    log(`${step}: ${describe(run)}`);
    real.push(run);
    runs.push(run);
    // Every finished migration is kept, as it finishes.
    writeFileAtomic(join(out, "real.json"), `${JSON.stringify(runs, null, 1)}\n`);
  }
  return groups;
}

/**
 * Compares every configuration's real runs with their simulations and writes the outputs.
 * `allRuns` is the whole run's, `--only` or not: what the guest is measured from (its loads'
 * writes at the traces' start) and what a session profile is fitted on must not change with
 * which configurations are compared. `labProfile` is the built-in profile for such runs, which
 * a session profile falls back to.
 */
async function compareAndWrite(
  groups: readonly { config: LabConfig; real: readonly LabRun[] }[],
  allRuns: readonly LabRun[],
  labProfile: string,
  options: Omit<ComparisonOptions, "measuredGuests" | "realSetup"> & {
    readonly realSetup: boolean;
  },
  log: (line: string) => void,
): Promise<number> {
  const measuredGuests = measuredGuestsByLoad(allRuns, options.traces);
  const session = options.profile === SESSION_PROFILE;
  const configs = groups.map((g) => g.config);
  const profiles = session ? sessionProfiles(configs, allRuns, options.out, labProfile, log) : null;
  const profileOf = (config: LabConfig) => profiles?.get(config.name) ?? options.profile;
  // --real-setup rewrites each profile's setup: read each once, not once per simulation.
  const names = options.realSetup ? [...new Set(configs.map(profileOf))] : [];
  const read = new Map(
    await Promise.all(names.map(async (name) => [name, await loadHostProfile(name)] as const)),
  );
  const compared = groups.map(({ config, real }, i) =>
    compareConfig(config, real, {
      ...options,
      measuredGuests,
      profile: profileOf(config),
      realSetup: read.get(profileOf(config)) ?? null,
      progress: (what) => log(`[simulate ${i + 1}/${groups.length}] ${config.name}: ${what}`),
    }),
  );
  const profileText = session ? SESSION_PROFILE_TEXT : options.profile;
  const label = options.realSetup
    ? `${profileText}, with each migration's real setup`
    : profileText;
  const unplaced = unplacedLoadsLine(
    configs.map((config) => config.load.mode),
    measuredGuests,
  );
  const { table, summary, chart } = await writeComparison(options.out, compared, label, [
    ...(options.realSetup ? [REAL_SETUP_NOTE] : []),
    ...(unplaced === null ? [] : [unplaced]),
  ]);
  process.stdout.write(
    `${table}\n${summary}\nchart: ${chart.find((file) => file.endsWith(".svg"))}\nvalidation: ${options.out}\n`,
  );
  const inconsistent = groups
    .flatMap((g) => g.real)
    .filter((r) => r.destination && !r.destination.consistent);
  if (inconsistent.length > 0) {
    process.stderr.write(
      `validate: ${inconsistent.length} destination guest(s) failed their own memory check: QEMU delivered stale pages\n`,
    );
    return 1;
  }
  return 0;
}

export async function validateMain(args: readonly string[]): Promise<number> {
  const argv = parser(args).parseSync();
  const fitDirs = argv.fit?.map(String) ?? null;
  const from = flagValue(argv.from, "from");
  const modes = [argv.setup, argv.quick, argv.full, from !== undefined, fitDirs !== null].filter(
    Boolean,
  ).length;
  if (modes === 0)
    throw new UsageError("say --setup, --quick, --full, --from or --fit (see --help)");
  if (modes > 1 && !(modes === 2 && argv.setup && (argv.quick || argv.full)))
    throw new UsageError("--quick, --full, --from and --fit exclude each other");
  if (fitDirs !== null) {
    if (fitDirs.length === 0)
      throw new UsageError("--fit: name at least one validation run directory");
    const out = resolve(flagValue(argv.out, "out") ?? "host-profile.json");
    process.stdout.write(fitCommand(fitDirs, out, argv["fit-basis"]));
    return 0;
  }
  // Every option is checked before the setup or the first migration.
  const reps =
    argv.reps === undefined
      ? null
      : parseInteger(flagValue(argv.reps, "reps") ?? "", "--reps", 1, 20);
  const repsOf = (config: LabConfig): number =>
    reps ?? (argv.full ? FULL_LAB_REPS : quickLabReps(config));
  const seeds =
    argv.seeds === undefined
      ? argv.quick
        ? QUICK_LAB_SEEDS
        : DEFAULT_LAB_SEEDS
      : parseInteger(flagValue(argv.seeds, "seeds") ?? "", "--seeds", 1, 100);
  const guestRamKiB = guestRam(flagValue(argv["guest-ram"], "guest-ram"));
  const only = flagValue(argv.only, "only");
  const out = resolve(flagValue(argv.out, "out") ?? join("runs", `validate-${stamp(new Date())}`));
  // sim/ alone is what an interrupted comparison leaves: bench refuses to write over its cells,
  // so every simulation would fail, minutes later.
  if (["real.json", "comparison.csv", "sim"].some((name) => existsSync(join(out, name))))
    throw new UsageError(`--out: ${out} already holds a validation run; choose another`);
  // Read before anything else: the runs say which built-in profile describes them.
  const fromSet = from === undefined ? null : readRuns(from);
  const labProfile = defaultLabProfile(
    fromSet === null
      ? { preallocated: argv.prealloc, kaslr: argv.kaslr }
      : labBoot(fromSet.runs, join(fromSet.dir, "real.json")),
  );
  // A file is named by its absolute path: the simulations run from migbench's root.
  const profileArg = flagValue(argv.profile, "profile") ?? labProfile;
  const profile = existsSync(profileArg) ? resolve(profileArg) : profileArg;
  // The simulations read it only after the last migration: a typo must not cost them.
  if (profile !== SESSION_PROFILE) await readHostProfile(profile);
  const options = { out, profile, seeds, realSetup: argv["real-setup"] };
  const labDir = resolve(flagValue(argv.lab, "lab") ?? defaultLabDir());
  const log = (line: string) => process.stderr.write(`validate: ${line}\n`);
  const tracesDir = join(out, "traces");
  if (fromSet !== null) {
    const allRuns = fromSet.runs;
    const groups = groupRuns(allRuns).filter(
      (g) => only === undefined || g.config.name.includes(only),
    );
    if (groups.length === 0)
      throw new UsageError(`--from: no real runs to compare in ${fromSet.dir}`);
    checkWritableDirectory(out);
    const configs = groups.map((g) => g.config);
    const traces = argv.traces
      ? await tracesFor(
          configs,
          groups.flatMap((g) => g.real),
          resolve(fromSet.dir, "traces"),
          tracesDir,
          () => labRecorder(labDir),
          log,
        )
      : null;
    return compareAndWrite(groups, allRuns, labProfile, { ...options, traces }, log);
  }
  const matrix = (argv.full ? fullMatrix() : quickMatrix())
    .filter((c) => only === undefined || c.name.includes(only))
    .map((c) => ({ ...c, preallocated: argv.prealloc, kaslr: argv.kaslr }))
    .map((c) => (guestRamKiB === null ? c : { ...c, guestRamKiB }));
  if (matrix.length === 0) throw new UsageError(`--only: no configuration contains "${only}"`);
  if (argv.quick || argv.full) checkWritableDirectory(out);
  let image: LabImage;
  if (argv.setup || !existsSync(join(labDir, "lab.json"))) {
    image = setupLab(labDir, log);
    log(`guest ready in ${labDir} (QEMU ${image.qemuVersion}, ${image.kernelPackage})`);
  } else image = readLab(labDir);
  if (!argv.quick && !argv.full) return 0;

  const groups = await migrateMatrix(image, matrix, repsOf, out, log);
  // After the migrations, each load in a boot of its own: the recorder must not take CPU from them.
  const traces = argv.traces
    ? await tracesFor(
        matrix,
        groups.flatMap((g) => g.real),
        null,
        tracesDir,
        () => bootAndRecord(image),
        log,
      )
    : null;
  return compareAndWrite(
    groups,
    groups.flatMap((g) => g.real),
    labProfile,
    { ...options, traces },
    log,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("validate:qemu", () => validateMain(hideBin(process.argv)));
}
