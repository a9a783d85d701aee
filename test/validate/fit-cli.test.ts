import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadHostProfile } from "../../harness/simulator/host-profile.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { agreements, summaryLines } from "../../validate/agreement.ts";
import { validateMain } from "../../validate/cli.ts";
import { defaultLabProfile } from "../../validate/compare.ts";
import { compareConfig, groupRuns } from "../../validate/comparison.ts";
import { labBoot, readRuns } from "../../validate/fit-command.ts";
import { fixture } from "./lab-fixture.ts";

// `--fit` end to end on a synthetic real.json (no QEMU): the file it writes is a profile
// `--profile FILE` loads.

test("validate:qemu --fit writes a host profile that --profile reads", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mb-fit-"));
  writeFileSync(join(dir, "real.json"), JSON.stringify(fixture(() => 0)));
  const out = join(dir, "host.json");
  const printed: string[] = [];
  t.mock.method(process.stdout, "write", (text: string) => printed.push(text) > 0);
  assert.equal(await validateMain(["--fit", dir, "--out", out]), 0);
  t.mock.restoreAll();
  const profile = await loadHostProfile(out);
  assert.equal(profile.fittedFrom?.migrations, 8);
  assert.equal(profile.fittedFrom?.senderBasis, "cpu");
  assert.match(printed.join(""), /\| sender µs\/page: zero \| 2\.200 ± 0\.000 \|/);
  assert.match(readFileSync(out, "utf8"), /"builtinOutcomes": \[\n\s+"overflow"\n\s+\]/);
});

test("validate:qemu: --fit needs a run directory, and excludes --quick", async () => {
  await assert.rejects(validateMain(["--fit", "--out", "x.json"]), UsageError);
  await assert.rejects(validateMain(["--fit", "a", "--quick"]), UsageError);
  await assert.rejects(validateMain(["--from", "a", "--full"]), UsageError);
  const empty = mkdtempSync(join(tmpdir(), "mb-fit-"));
  await assert.rejects(validateMain(["--fit", empty]), /no real\.json/);
});

test("validate:qemu: a --profile that cannot be read is refused before anything runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-fit-"));
  writeFileSync(join(dir, "real.json"), JSON.stringify(fixture(() => 0)));
  const missing = join(dir, "no-such-profile.json");
  await assert.rejects(
    validateMain(["--from", dir, "--profile", missing, "--out", join(dir, "again")]),
    (error: unknown) =>
      error instanceof InputError && /no such host profile file/.test(error.message),
  );
  assert.equal(existsSync(join(dir, "again")), false, "nothing was compared or written");
});

test("validate:qemu: an --out holding a run, or only the simulations of an interrupted one, is refused first", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-from-"));
  writeFileSync(join(dir, "real.json"), JSON.stringify(fixture(() => 0)));
  await assert.rejects(
    validateMain(["--from", dir, "--no-traces", "--out", dir]),
    (error: Error) =>
      error instanceof UsageError && /already holds a validation run/.test(error.message),
  );
  const interrupted = mkdtempSync(join(tmpdir(), "mb-out-"));
  mkdirSync(join(interrupted, "sim", "idle-xbzrle-off-128MiBps-300ms-rep0"), { recursive: true });
  await assert.rejects(
    validateMain(["--from", dir, "--no-traces", "--out", interrupted]),
    (error: Error) =>
      error instanceof UsageError &&
      error.message === `--out: ${interrupted} already holds a validation run; choose another`,
  );
});

test("validate:qemu --from: a run without traces needs the lab to record them, unless --no-traces", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-from-"));
  writeFileSync(join(dir, "real.json"), JSON.stringify(fixture(() => 0)));
  const noLab = mkdtempSync(join(tmpdir(), "mb-nolab-"));
  const out = join(dir, "again");
  await assert.rejects(
    validateMain(["--from", dir, "--lab", noLab, "--out", out]),
    (error: Error) =>
      error instanceof UsageError &&
      /has no guest to record them: run --setup first, or say --no-traces/.test(error.message),
  );
  // --no-traces is an option of its own (checked before any simulation runs).
  await assert.rejects(
    validateMain(["--from", dir, "--no-traces", "--only", "no-such", "--out", out]),
    /--from: no real runs to compare/,
  );
});

test("validate:qemu --fit: runs from before --prealloc read as not preallocated, and one fit never mixes the two", async () => {
  const runs = fixture(() => 0);
  const before = mkdtempSync(join(tmpdir(), "mb-old-"));
  const withoutField = runs.map(
    ({ config: { preallocated: _, kaslr: __, ...config }, ...run }) => ({
      ...run,
      config,
    }),
  );
  writeFileSync(join(before, "real.json"), JSON.stringify(withoutField));
  assert.ok(readRuns(before).runs.every((run) => run.config.preallocated === false));
  // They booted before the lab turned the kernel's address randomization off.
  assert.ok(readRuns(before).runs.every((run) => run.config.kaslr === true));
  assert.deepEqual(labBoot(readRuns(before).runs, before), { preallocated: false, kaslr: true });
  const now = mkdtempSync(join(tmpdir(), "mb-new-"));
  writeFileSync(join(now, "real.json"), JSON.stringify(runs));
  assert.deepEqual(labBoot(readRuns(now).runs, now), { preallocated: true, kaslr: false });
  assert.equal(
    defaultLabProfile({ preallocated: true, kaslr: false }),
    "qemu-7.2-tcg-lab-prealloc-nokaslr",
  );
  assert.equal(defaultLabProfile({ preallocated: true, kaslr: true }), "qemu-7.2-tcg-lab-prealloc");
  assert.equal(defaultLabProfile({ preallocated: false, kaslr: true }), "qemu-7.2-tcg-lab");
  await assert.rejects(
    validateMain(["--fit", before, now, "--out", join(now, "host.json")]),
    (error: unknown) =>
      error instanceof InputError &&
      /mixes runs with and without preallocated guest RAM/.test(error.message),
  );
  assert.equal(existsSync(join(now, "host.json")), false);
  // Preallocated both, but one booted with KASLR: their setups differ, so no one fit either.
  const randomized = mkdtempSync(join(tmpdir(), "mb-kaslr-"));
  writeFileSync(
    join(randomized, "real.json"),
    JSON.stringify(runs.map((run) => ({ ...run, config: { ...run.config, kaslr: true } }))),
  );
  await assert.rejects(
    validateMain(["--fit", randomized, now, "--out", join(now, "host.json")]),
    (error: unknown) =>
      error instanceof InputError &&
      /mixes runs whose guests booted with and without KASLR/.test(error.message),
  );
  assert.equal(existsSync(join(now, "host.json")), false);
});

test("validate:qemu: a simulation that fails is shown as not simulated, never as an outcome", () => {
  const out = mkdtempSync(join(tmpdir(), "mb-failed-"));
  const [group] = groupRuns(fixture(() => 0));
  // bench refuses to write over a finished run's results: the simulation fails at once.
  const dir = join(out, "sim", `${group.config.name}-rep0`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "results.csv"), "cell\n");
  const compared = compareConfig(group.config, group.real, {
    realSetup: null,
    out,
    profile: "none",
    seeds: 2,
    traces: null,
    measuredGuests: new Map(),
  });
  const [synthetic] = compared.sources;
  assert.equal(synthetic.state, "unavailable");
  assert.match(
    synthetic.state === "unavailable" ? synthetic.reason : "",
    /^failed: bench: .*results\.csv: already exists/,
  );
  assert.deepEqual(agreements([compared]), []);
  assert.match(
    summaryLines([compared])[0],
    /0 outcome mismatches in 0 configurations; not simulated: idle-/,
  );
});
