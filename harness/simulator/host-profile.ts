import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { InputError } from "../../lib/errors.ts";

/**
 * The host's own costs, which the codec calibration (codecs/calibration.ts) does not see: how
 * long QEMU takes to set a migration up, the part of the downtime that does not depend on the
 * RAM left (stopping the VM, device state, resuming it at the destination), and what the
 * migration thread spends on each page besides the codec (the dirty-bitmap walk, the page
 * header, the cache lookup and copy, the socket). `npm run bench -- --profile NAME|FILE`
 * chooses one; docs/SIMULATOR.md ("Host profile") gives the numbers and where they come from.
 */

/**
 * What the migration thread did with a page, as the profile charges it (docs/SIMULATOR.md maps
 * each page event onto one): a ZERO record; a normal page with no cache involved; an XBZRLE
 * cache hit sent as a delta or as nothing; a cache miss (sent raw, copied into the cache); a
 * hit whose delta overflowed (sent raw).
 */
export const SENDER_OUTCOMES = ["zero", "normal", "hit", "miss", "overflow"] as const;
export type SenderOutcome = (typeof SENDER_OUTCOMES)[number];

export interface HostProfile {
  /** What the numbers were measured or fitted on, for the manifest and for people. */
  readonly source: string;
  /**
   * migration.c setup-time, from the migrate command to the first iteration: its fixed part
   * (the whole of it when `setupMicrosPerPage` is absent).
   */
  readonly setupMs: number;
  /**
   * The setup's part per page of guest RAM that QEMU's first dirty-bitmap sync walks a page at a
   * time (setup-time.ts says which pages those are). Absent: 0, the setup is `setupMs` at any
   * RAM size.
   */
  readonly setupMicrosPerPage?: number;
  /** The downtime's fixed part, added to the final transfer's own time. */
  readonly downtimeFixedMs: number;
  /**
   * µs of the migration thread per page, by outcome, on top of the codec's calibrated encode
   * time. Not divided by --threads: this is the one thread that walks the bitmap and writes
   * the socket.
   */
  readonly senderMicrosPerPage: Readonly<Record<SenderOutcome, number>>;
  /**
   * How much a busy guest slows the sender on this host: each page costs (1 + this × the
   * guest's vCPU use, `guest_vcpu_busy`) times its per-page cost. Where the vCPU threads share
   * the host's cores with QEMU's migration thread and the destination (TCG on 2 cores), a guest
   * computing flat out takes CPU the sender would have had; on a host with cores to spare it is
   * 0. Absent: 0.
   */
  readonly busyVcpuSlowdown?: number;
  /** Present when `npm run validate:qemu -- --fit` made the profile: what it was fitted from. */
  readonly fittedFrom?: HostProfileFit;
}

/** The provenance of a fitted profile (validate/profile-fit.ts). */
export interface HostProfileFit {
  /** The validation run directories whose real.json were read. */
  readonly runs: readonly string[];
  /** Real migrations used. */
  readonly migrations: number;
  readonly accelerators: readonly string[];
  /** The host's 1-minute load average over those migrations; null when none was recorded. */
  readonly loadAverage1m: { readonly min: number; readonly max: number } | null;
  /** Outcomes the runs could not determine (absent or collinear): the built-in value is kept. */
  readonly builtinOutcomes: readonly SenderOutcome[];
  /** What the sender's cost was fitted to: the migration thread's CPU time, or wall time. */
  readonly senderBasis: "cpu" | "wall" | "polls";
}

/**
 * QEMU 7.2 (Debian 12) under TCG on a 2-core AMD EPYC VM, 512 MiB guests migrated over
 * loopback by `npm run validate:qemu` (docs/VALIDATION.md), estimated by hand from 42 real
 * migrations on a quiet machine (`--fit` fits a profile by code; docs/VALIDATION.md gives why
 * these numbers were kept):
 * - setup: QEMU's `setup-time` was 159–409 ms, mean ~180 ms over 30 short runs of a guest of
 *   524 280 KiB (131 070 pages, all walked one at a time by the first sync: setup-time.ts); the
 *   lab's fit over three guest sizes (`qemu-7.2-tcg-lab-prealloc-nokaslr`) puts 15 ms of the
 *   setup in its fixed part, so the rest, 165 ms, is 1.259 µs per page;
 * - downtimeFixedMs: over 35 runs, downtime ≈ 8.7 ms + 0.80 ms per MiB of the final transfer
 *   (the slope is the sender's cost per normal page, below);
 * - senderMicrosPerPage: the migration thread spent 2.9–5.5 µs per page. normal = the downtime
 *   slope, 0.80 ms per MiB of raw records (4104 bytes each) = 3.1 µs; zero = the lowest
 *   per-page cost (2.9 µs, runs that are 81 % zero pages) less the normal pages' share; miss =
 *   normal + copying the page into the cache (ram.c cache_insert()); hit = the XBZRLE-heavy
 *   stride runs' ~5 µs per hit less the ~1 µs the calibration already charges for the delta;
 *   overflow = a hit whose raw record costs what a normal page costs over a zero one.
 */
export const QEMU_72_TCG: HostProfile = {
  source: "qemu-7.2-tcg: QEMU 7.2 under TCG, 2-core AMD EPYC VM, loopback (42 real migrations)",
  setupMs: 15,
  setupMicrosPerPage: 1.259,
  downtimeFixedMs: 8.7,
  senderMicrosPerPage: { zero: 2.85, normal: 3.1, hit: 4, miss: 3.5, overflow: 4.3 },
};

/**
 * The validation lab's host as a whole (`npm run validate:qemu`, docs/VALIDATION.md): QEMU 7.2
 * under TCG with the source, the destination and the guest's vCPU on one 2-core AMD EPYC VM,
 * migrating over loopback. Fitted by `--fit --fit-basis polls` (validate/interval-costs.ts) to
 * the 42 migrations of three quiet `--quick --reps 2` runs (December 2026, load average
 * 0.4–3.1) kept in validate/data/2026-12-quiet (test/validate/lab-profile.test.ts refits them):
 * a zero page costs the wall time of the stretches that sent nothing else, 10.2 µs besides the
 * codec and 32 % more per vCPU computing flat out; a normal page the migration thread's CPU in
 * the stretches that sent only normal pages, 1.4 µs (their wall time is the rate cap's, which
 * the simulator adds as wire time); an XBZRLE hit the wall time of the stretches that sent only
 * hits (stride's buffer resent as deltas, sync after sync), 2.27 µs besides the codec at an idle
 * guest's speed (the median of 4 runs); misses and overflows keep `qemu-7.2-tcg`'s values (no
 * stretch isolates them). A description of that host, not of QEMU's sender on a host whose
 * destination is another machine: `qemu-7.2-tcg` is that, the default elsewhere.
 */
export const QEMU_72_TCG_LAB: HostProfile = {
  source:
    "qemu-7.2-tcg-lab: the validation lab, QEMU 7.2 under TCG with source, destination and guest on one 2-core AMD EPYC VM over loopback (polls' stretches, 42 quiet migrations)",
  setupMs: 263.1,
  downtimeFixedMs: 5.34,
  senderMicrosPerPage: {
    zero: 10.194,
    normal: 1.41,
    hit: 2.27,
    miss: 3.5,
    overflow: 4.3,
  },
  busyVcpuSlowdown: 0.32,
};

/**
 * The validation lab's host with the guests' RAM preallocated on both sides (`npm run
 * validate:qemu`'s default since the sixth session; validate/vm.ts GuestMemory says why): the
 * bulk pass no longer faults RAM in, so a zero page costs the migration thread's CPU only and the
 * migration is the rate cap's. Fitted by `--fit --fit-basis polls` to the quiet `--quick --reps 2`
 * runs S3 and S4 kept in validate/data/2026-12-quiet (test/validate/lab-profile.test.ts refits
 * them): zero pages never fill a poll alone there, so a zero page costs the thread's CPU in the
 * stretches of zero pages less their normal pages' (validate/interval-costs.ts zeroPageCpu),
 * which the calibration's zero-page check already covers; a normal page the thread's CPU in
 * normal-only stretches; a hit the wall time of hit-only stretches; misses and overflows keep
 * `qemu-7.2-tcg`'s values.
 */
export const QEMU_72_TCG_LAB_PREALLOC: HostProfile = {
  source:
    "qemu-7.2-tcg-lab-prealloc: the validation lab with preallocated guest RAM, QEMU 7.2 under TCG with source, destination and guest on one 2-core AMD EPYC VM over loopback (polls' stretches)",
  setupMs: 270.7,
  downtimeFixedMs: 13.24,
  senderMicrosPerPage: { zero: 0, normal: 0.643, hit: 3.824, miss: 3.5, overflow: 4.3 },
};

/**
 * The validation lab as it runs since December 2026's eighth session (docs/VALIDATION.md): guest
 * RAM preallocated and the guest kernel booted `nokaslr`, so that every boot lays RAM out alike
 * (validate/vm.ts GuestMemory). Fitted by `--fit --fit-basis polls` to the quiet `--quick --reps
 * 4` run S9 kept in validate/data/2026-12-quiet (test/validate/lab-profile.test.ts refits it), as
 * `qemu-7.2-tcg-lab-prealloc` was to S3 and S4; the downtime's fixed part from QEMU's own
 * `downtime-bytes`. Its setup is fitted over S9 and the idle runs S12, S13, S15 and S16, guests
 * of 262 136, 524 280, 524 288 and 1 048 568 KiB (`fitSetup`, validate/profile-fit.ts): a fixed
 * part and a part per page the first sync walks one at a time (setup-time.ts). It is a mean of
 * two modes: most first syncs cost ~1.5 µs a page and some ~2.2–2.6 µs, which no input of the
 * simulator predicts (docs/VALIDATION.md, tenth session).
 */
export const QEMU_72_TCG_LAB_PREALLOC_NOKASLR: HostProfile = {
  source:
    "qemu-7.2-tcg-lab-prealloc-nokaslr: the validation lab with preallocated guest RAM and nokaslr guests, QEMU 7.2 under TCG with source, destination and guest on one 2-core AMD EPYC VM over loopback (polls' stretches)",
  setupMs: 15,
  setupMicrosPerPage: 1.842,
  downtimeFixedMs: 4.67,
  senderMicrosPerPage: { zero: 0, normal: 1.232, hit: 2.768, miss: 3.5, overflow: 4.3 },
};

/** No host overhead: the model before host profiles existed (results of older runs). */
export const NO_HOST_OVERHEAD: HostProfile = {
  source: "none: no setup time, no fixed downtime, no per-page sender cost",
  setupMs: 0,
  downtimeFixedMs: 0,
  senderMicrosPerPage: { zero: 0, normal: 0, hit: 0, miss: 0, overflow: 0 },
};

/** The profiles `--profile` knows by name; anything else is a file. */
export const BUILTIN_HOST_PROFILES: Readonly<Record<string, HostProfile>> = {
  "qemu-7.2-tcg": QEMU_72_TCG,
  "qemu-7.2-tcg-lab": QEMU_72_TCG_LAB,
  "qemu-7.2-tcg-lab-prealloc": QEMU_72_TCG_LAB_PREALLOC,
  "qemu-7.2-tcg-lab-prealloc-nokaslr": QEMU_72_TCG_LAB_PREALLOC_NOKASLR,
  none: NO_HOST_OVERHEAD,
};

/** `--profile`'s default. */
export const DEFAULT_HOST_PROFILE = "qemu-7.2-tcg";

export function isBuiltinHostProfile(nameOrPath: string): boolean {
  return Object.hasOwn(BUILTIN_HOST_PROFILES, nameOrPath);
}

/** A built-in profile by name, or a profile JSON file (a HostProfile), checked field by field. */
export async function loadHostProfile(nameOrPath: string): Promise<HostProfile> {
  return (await readHostProfile(nameOrPath)).values;
}

/**
 * loadHostProfile, and the sha256 of the very bytes it parsed (null for a built-in profile):
 * a run records the checksum of what its cells used, as codecs/calibration.ts readCalibration
 * does, not of the file as it is a moment later.
 */
export async function readHostProfile(
  nameOrPath: string,
): Promise<{ values: HostProfile; sha256: string | null }> {
  if (isBuiltinHostProfile(nameOrPath))
    return { values: BUILTIN_HOST_PROFILES[nameOrPath], sha256: null };
  let bytes: Buffer;
  try {
    bytes = await readFile(nameOrPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      nameOrPath,
      code === "ENOENT"
        ? `no such host profile file (built-in profiles: ${Object.keys(BUILTIN_HOST_PROFILES).join(", ")})`
        : `cannot read: ${(error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new InputError(nameOrPath, `not valid JSON: ${(error as Error).message}`);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { values: validateHostProfile(data, nameOrPath), sha256 };
}

const PROFILE_KEYS = [
  "source",
  "setupMs",
  "setupMicrosPerPage",
  "downtimeFixedMs",
  "senderMicrosPerPage",
  "busyVcpuSlowdown",
  "fittedFrom",
];

/** Check that `data` is a HostProfile; an InputError naming `input` and the first bad field. */
export function validateHostProfile(data: unknown, input: string): HostProfile {
  const fail = (problem: string): never => {
    throw new InputError(input, `not a host profile: ${problem}`);
  };
  if (!isRecord(data))
    return fail(`expected a JSON object with ${PROFILE_KEYS.join(", ")} (docs/SIMULATOR.md)`);
  for (const key of Object.keys(data))
    if (!PROFILE_KEYS.includes(key))
      fail(`unknown field "${key}" (known: ${PROFILE_KEYS.join(", ")})`);
  if (typeof data.source !== "string") fail('"source" must be a string');
  const perPage = data.senderMicrosPerPage;
  if (!isRecord(perPage)) return fail('"senderMicrosPerPage" must be an object of outcome → µs');
  for (const key of Object.keys(perPage))
    if (!(SENDER_OUTCOMES as readonly string[]).includes(key))
      fail(
        `senderMicrosPerPage has an unknown outcome "${key}" (known: ${SENDER_OUTCOMES.join(", ")})`,
      );
  const micros = {} as Record<SenderOutcome, number>;
  for (const outcome of SENDER_OUTCOMES)
    micros[outcome] = nonNegative(perPage[outcome], `senderMicrosPerPage.${outcome}`, fail);
  const profile: HostProfile = {
    source: data.source as string,
    setupMs: nonNegative(data.setupMs, "setupMs", fail),
    ...(data.setupMicrosPerPage === undefined
      ? {}
      : {
          setupMicrosPerPage: nonNegative(data.setupMicrosPerPage, "setupMicrosPerPage", fail),
        }),
    downtimeFixedMs: nonNegative(data.downtimeFixedMs, "downtimeFixedMs", fail),
    senderMicrosPerPage: micros,
    ...(data.busyVcpuSlowdown === undefined
      ? {}
      : { busyVcpuSlowdown: nonNegative(data.busyVcpuSlowdown, "busyVcpuSlowdown", fail) }),
  };
  return data.fittedFrom === undefined
    ? profile
    : { ...profile, fittedFrom: validateFit(data.fittedFrom, fail) };
}

function validateFit(data: unknown, fail: (problem: string) => never): HostProfileFit {
  if (!isRecord(data)) return fail('"fittedFrom" must be an object');
  const strings = (value: unknown, field: string): string[] =>
    Array.isArray(value) && value.every((v) => typeof v === "string")
      ? value
      : fail(`"fittedFrom.${field}" must be an array of strings`);
  const outcomes = strings(data.builtinOutcomes, "builtinOutcomes");
  for (const outcome of outcomes)
    if (!isSenderOutcome(outcome))
      fail(`fittedFrom.builtinOutcomes has an unknown outcome "${outcome}"`);
  const load = data.loadAverage1m;
  if (load !== null && !(isRecord(load) && Object.keys(load).sort().join() === "max,min"))
    fail('"fittedFrom.loadAverage1m" must be null or { min, max }');
  return {
    runs: strings(data.runs, "runs"),
    migrations: nonNegative(data.migrations, "fittedFrom.migrations", fail),
    accelerators: strings(data.accelerators, "accelerators"),
    loadAverage1m: isRecord(load)
      ? {
          min: nonNegative(load.min, "fittedFrom.loadAverage1m.min", fail),
          max: nonNegative(load.max, "fittedFrom.loadAverage1m.max", fail),
        }
      : null,
    builtinOutcomes: outcomes.filter(isSenderOutcome),
    senderBasis:
      data.senderBasis === "cpu" || data.senderBasis === "wall" || data.senderBasis === "polls"
        ? data.senderBasis
        : fail('"fittedFrom.senderBasis" must be "cpu", "wall" or "polls"'),
  };
}

function isSenderOutcome(value: string): value is SenderOutcome {
  return (SENDER_OUTCOMES as readonly string[]).includes(value);
}

function nonNegative(value: unknown, field: string, fail: (problem: string) => never): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    fail(`"${field}" must be a number ≥ 0`);
  return value as number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
