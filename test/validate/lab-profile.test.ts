import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  QEMU_72_TCG,
  QEMU_72_TCG_LAB,
  QEMU_72_TCG_LAB_PREALLOC,
  QEMU_72_TCG_LAB_PREALLOC_NOKASLR,
} from "../../harness/simulator/host-profile.ts";
import { readRuns } from "../../validate/fit-command.ts";
import { fitHostProfile, fitSetup, setupFields } from "../../validate/profile-fit.ts";

// The built-in qemu-7.2-tcg-lab is not typed in by hand: it is what `--fit --fit-basis polls`
// makes of the three quiet lab runs kept in validate/data (docs/VALIDATION.md, runs C, D and F).

const DATA = fileURLToPath(new URL("../../validate/data/2026-12-quiet/", import.meta.url));

test("qemu-7.2-tcg-lab is the polls-basis fit of the kept quiet runs C, D and F", () => {
  const sets = ["C", "D", "F"].map((run) => readRuns(join(DATA, run)));
  assert.equal(
    sets.reduce((n, s) => n + s.runs.length, 0),
    42,
  );
  const { profile } = fitHostProfile(sets, QEMU_72_TCG, "polls");
  assert.equal(profile.setupMs, QEMU_72_TCG_LAB.setupMs);
  assert.equal(profile.downtimeFixedMs, QEMU_72_TCG_LAB.downtimeFixedMs);
  assert.deepEqual(profile.senderMicrosPerPage, QEMU_72_TCG_LAB.senderMicrosPerPage);
  assert.equal(profile.busyVcpuSlowdown, QEMU_72_TCG_LAB.busyVcpuSlowdown);
  // Every run recorded what the fit and the comparison need from it.
  for (const { runs } of sets)
    for (const run of runs) {
      assert.equal(typeof run.vcpuCpuShare, "number", run.config.name);
      assert.ok(run.loadAtStart, run.config.name);
    }
});

test("qemu-7.2-tcg-lab-prealloc is the polls-basis fit of the preallocated quiet runs S3 and S4", () => {
  const sets = ["S3", "S4"].map((run) => readRuns(join(DATA, run)));
  assert.equal(
    sets.reduce((n, s) => n + s.runs.length, 0),
    28,
  );
  for (const { runs } of sets) for (const run of runs) assert.equal(run.config.preallocated, true);
  const { profile, intervals } = fitHostProfile(sets, QEMU_72_TCG, "polls");
  // No poll sent zero pages alone: the zero page's cost is its CPU (validate/interval-costs.ts).
  assert.equal(intervals?.zeroRuns, 0);
  assert.equal(profile.setupMs, QEMU_72_TCG_LAB_PREALLOC.setupMs);
  assert.equal(profile.downtimeFixedMs, QEMU_72_TCG_LAB_PREALLOC.downtimeFixedMs);
  assert.deepEqual(profile.senderMicrosPerPage, QEMU_72_TCG_LAB_PREALLOC.senderMicrosPerPage);
  assert.equal(profile.busyVcpuSlowdown ?? 0, QEMU_72_TCG_LAB_PREALLOC.busyVcpuSlowdown ?? 0);
});

test("qemu-7.2-tcg-lab-prealloc-nokaslr is the polls-basis fit of S9, its setup fitted over five runs of four sizes", () => {
  const sets = [readRuns(join(DATA, "S9"))];
  assert.equal(sets[0].runs.length, 28);
  for (const run of sets[0].runs) {
    assert.equal(run.config.preallocated, true);
    assert.equal(run.config.kaslr, false);
    // The stop-and-copy's size is QEMU's own count, not the polls' estimate.
    if (run.outcome === "completed")
      assert.equal(typeof run.final?.ram?.["downtime-bytes"], "number", run.config.name);
  }
  const { profile } = fitHostProfile(sets, QEMU_72_TCG, "polls");
  // The setup over S9 and the idle runs of other guest sizes: S13 half the RAM, S15 a multiple
  // of 256 KiB (the first sync's word path), S16 twice the RAM; S12 S9's size again.
  const sizes = ["S9", "S12", "S13", "S15", "S16"].flatMap((run) => readRuns(join(DATA, run)).runs);
  assert.deepEqual(
    [...new Set(sizes.map((run) => run.config.guestRamKiB))].sort((a, b) => a - b),
    [262136, 524280, 524288, 1048568],
  );
  for (const run of sizes) assert.equal(run.config.kaslr, false);
  const setup = fitSetup(sizes.filter((run) => run.outcome !== "failed"));
  assert.ok(setup?.line);
  assert.deepEqual(setupFields(setup, QEMU_72_TCG), {
    setupMs: QEMU_72_TCG_LAB_PREALLOC_NOKASLR.setupMs,
    setupMicrosPerPage: QEMU_72_TCG_LAB_PREALLOC_NOKASLR.setupMicrosPerPage,
  });
  // S9 alone is one size: its setup is a mean, with no part per page.
  assert.equal(profile.setupMicrosPerPage, undefined);
  assert.equal(profile.downtimeFixedMs, QEMU_72_TCG_LAB_PREALLOC_NOKASLR.downtimeFixedMs);
  assert.deepEqual(
    profile.senderMicrosPerPage,
    QEMU_72_TCG_LAB_PREALLOC_NOKASLR.senderMicrosPerPage,
  );
  assert.equal(
    profile.busyVcpuSlowdown ?? 0,
    QEMU_72_TCG_LAB_PREALLOC_NOKASLR.busyVcpuSlowdown ?? 0,
  );
});
