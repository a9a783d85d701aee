import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinCalibration, encodeSeconds } from "../../codecs/calibration.ts";
import { QEMU_72_TCG, validateHostProfile } from "../../harness/simulator/host-profile.ts";
import { fitTable } from "../../validate/fit-table.ts";
import {
  fitIntervalCosts,
  hitPageCost,
  normalPageCpu,
  pollIntervals,
  zeroPageCost,
  zeroPageCpu,
} from "../../validate/interval-costs.ts";
import { fitHostProfile } from "../../validate/profile-fit.ts";
import { runOf } from "./lab-fixture.ts";

// The sender's cost per outcome from the stretches between polls (validate/interval-costs.ts).

test("pollIntervals: the stretches between active polls after setup, by kind of page", () => {
  const run = runOf(
    [
      [100, 13_000, 0, 0, 0, 100],
      [102, 0, 3277, 0, 0, 10],
    ],
    0,
  );
  assert.deepEqual(
    pollIntervals(run).map((s) => [
      s.ms,
      s.zero,
      s.normal,
      s.xbzrle,
      s.syncs,
      Math.round(s.cpuMicros),
    ]),
    [
      [100, 13_000, 0, 0, 0, 100_000],
      [102, 0, 3277, 0, 0, 10_000],
    ],
  );
});

test("zeroPageCost: wall time over the zero-only stretches; too few pages say nothing", () => {
  const run = runOf(
    [
      [100, 12_500, 0, 0, 0, 100],
      [100, 0, 3277, 0, 0, 10], // normal: not counted
      [100, 12_500, 0, 0, 0, 100],
      [100, 6_000, 0, 0, 1, 60], // a sync in it: not counted
      [100, 8_000, 1000, 0, 0, 80], // mixed: not counted
    ],
    0.25,
  );
  assert.deepEqual(zeroPageCost(run), { micros: 8, busy: 0.25 });
  assert.equal(zeroPageCost(runOf([[100, 4000, 0, 0, 0, 100]], 0)), null);
});

test("zeroPageCpu: the thread's CPU over the stretches of zero pages, less their normal pages'", () => {
  // A preallocated guest: zero pages never fill a stretch alone.
  const run = runOf(
    [
      [100, 40_000, 3000, 0, 0, 23], // 23 ms − 3000 × 1 µs = 20 ms for 40 000 zero pages
      [100, 500, 3277, 0, 0, 4], // too few zero pages: not counted
      [100, 20_000, 1000, 0, 1, 50], // a sync in it: not counted
      [100, 10_000, 3000, 0, 0, 8], // 8 ms − 3 ms = 5 ms for 10 000
    ],
    0,
  );
  assert.ok(Math.abs((zeroPageCpu([run], 1) ?? 0) - 25_000 / 50_000) < 1e-9);
  assert.equal(zeroPageCpu([runOf([[100, 0, 3000, 0, 0, 3]], 0)], 1), null);
  // With no zero-only stretch the fit takes it (and fits no slowdown from CPU time).
  const normalOnly = runOf([[100, 0, 3000, 0, 0, 3]], 0);
  const costs = fitIntervalCosts([run, normalOnly], QEMU_72_TCG.senderMicrosPerPage);
  assert.ok(costs);
  assert.equal(costs.zeroRuns, 0);
  assert.equal(costs.slowdown, 0);
  assert.ok(costs.zeroCpuMicros !== null && costs.zeroCpuMicros > 0);
  const codecZero = encodeSeconds(builtinCalibration, "zero", "zero") * 1e6;
  assert.ok(
    Math.abs(costs.micros.zero - Math.max(0, costs.zeroCpuMicros - codecZero)) < 1e-9,
    "less the codec's part",
  );
});

test("normalPageCpu: the thread's CPU over the normal-only stretches of every run", () => {
  const a = runOf([[100, 10, 3000, 0, 0, 3]], 0);
  const b = runOf(
    [
      [100, 0, 1000, 0, 0, 2],
      [100, 500, 3000, 0, 0, 50], // too many zero pages beside them: not counted
    ],
    0,
  );
  assert.ok(Math.abs((normalPageCpu([a, b]) ?? 0) - 5000 / 4000) < 1e-9);
  assert.equal(normalPageCpu([runOf([[100, 13_000, 0, 0, 0, 100]], 0)]), null);
});

test("hitPageCost: wall time over the stretches of hits with at most 2 % misses and no zero page", () => {
  const run = runOf(
    [
      [100, 0, 0, 20_000, 5, 95], // 5 µs a hit, syncs and all
      [100, 0, 400, 20_000, 5, 95], // misses are 2 % of the hits: still counted
      [100, 0, 3000, 0, 0, 10], // normal: not counted
      [100, 0, 500, 10_000, 2, 60], // 5 % misses: not counted
      [100, 100, 0, 20_000, 5, 95], // zero pages beside them: not counted
    ],
    0.9,
  );
  assert.deepEqual(hitPageCost(run), { micros: 5, busy: 0.9 });
  assert.equal(hitPageCost(runOf([[100, 0, 0, 4000, 1, 20]], 0)), null);
});

test("fitIntervalCosts: a hit's cost is the median over the runs, at an idle guest's speed, less the delta's codec time", () => {
  const zeroOnly = runOf([[80, 10_000, 0, 0, 0, 80]], 0);
  const zeroBusy = runOf([[120, 10_000, 0, 0, 0, 80]], 1);
  // The zero line gives the slowdown 0.5; a hit costs δ + 2 µs × (1 + 0.5 × busy).
  const delta = encodeSeconds(builtinCalibration, "xbzrle", "delta") * 1e6;
  const hits = (micros: number, busy: number) =>
    runOf([[(micros * 20_000) / 1000, 0, 0, 20_000, 5, 90]], busy);
  const outlier = hits(delta + 20, 0.4); // a host busy with other work: the median ignores it
  const fit = fitIntervalCosts([zeroOnly, zeroBusy], QEMU_72_TCG.senderMicrosPerPage, [
    zeroOnly,
    hits(delta + 2 * 1.5, 1),
    hits(delta + 2 * 1.45, 0.9),
    outlier,
  ]);
  assert.ok(fit);
  assert.ok(Math.abs(fit.slowdown - 0.5) < 1e-9);
  assert.ok(Math.abs(fit.micros.hit - 2) < 1e-9, String(fit.micros.hit));
  assert.equal(fit.hitRuns, 3);
  // Without hit-only stretches the fallback's hit stands.
  assert.equal(
    fitIntervalCosts([zeroOnly, zeroBusy], QEMU_72_TCG.senderMicrosPerPage)?.micros.hit,
    QEMU_72_TCG.senderMicrosPerPage.hit,
  );
});

test("fitIntervalCosts: c₀ and the slowdown from a line over the runs' vCPU use, less the codec's part", () => {
  // Zero pages cost 8 µs × (1 + 0.5 × busy): 8 at 0, 10 at 0.5, 12 at 1.
  const at = (busy: number) =>
    runOf(
      [
        [8 * (1 + 0.5 * busy) * 10, 10_000, 0, 0, 0, 80],
        [100, 0, 3000, 0, 0, 6],
      ],
      busy,
    );
  const fit = fitIntervalCosts([at(0), at(0.5), at(1)], QEMU_72_TCG.senderMicrosPerPage);
  assert.ok(fit);
  const codec = (o: "zero" | "raw") => encodeSeconds(builtinCalibration, "zero", o) * 1e6;
  assert.ok(Math.abs(fit.micros.zero - (8 - codec("zero"))) < 1e-9, String(fit.micros.zero));
  assert.ok(Math.abs(fit.slowdown - 0.5) < 1e-9, String(fit.slowdown));
  assert.ok(Math.abs(fit.micros.normal - (2 - codec("raw"))) < 1e-9);
  // Outcomes no stretch isolates keep the fallback's values.
  assert.equal(fit.micros.hit, QEMU_72_TCG.senderMicrosPerPage.hit);
  assert.equal(fit.micros.overflow, QEMU_72_TCG.senderMicrosPerPage.overflow);
  // Guests that used their vCPU alike: no slowdown, the mean cost.
  const alike = fitIntervalCosts([at(0), at(0)], QEMU_72_TCG.senderMicrosPerPage);
  assert.equal(alike?.slowdown, 0);
  assert.equal(alike?.zeroLine, null);
  // No normal-only stretch: the fallback's normal cost.
  const noNormal = fitIntervalCosts(
    [runOf([[80, 10_000, 0, 0, 0, 80]], 0)],
    QEMU_72_TCG.senderMicrosPerPage,
  );
  assert.ok(Math.abs((noNormal?.micros.normal ?? 0) - (3.1 - codec("raw"))) < 1e-9);
  assert.equal(
    fitIntervalCosts([runOf([[100, 0, 3000, 0, 0, 6]], 0)], QEMU_72_TCG.senderMicrosPerPage),
    null,
  );
});

test("fitHostProfile --fit-basis polls: the stretches' costs in the profile, or one line why not", () => {
  const at = (busy: number, i: number) => ({
    ...runOf(
      [
        [8 * (1 + 0.5 * busy) * 10, 10_000, 0, 0, 0, 80],
        [100, 0, 3000, 0, 0, 6],
      ],
      busy,
    ),
    repetition: i,
  });
  const fit = fitHostProfile([{ dir: "RUN", runs: [at(0, 0), at(1, 1)] }], QEMU_72_TCG, "polls");
  assert.equal(fit.profile.busyVcpuSlowdown, 0.5);
  assert.equal(fit.profile.fittedFrom?.senderBasis, "polls");
  assert.match(
    fit.profile.source,
    /sender cost from the polls' zero-only, normal-only and hit-only stretches/,
  );
  assert.equal(fit.profile.senderMicrosPerPage.hit, QEMU_72_TCG.senderMicrosPerPage.hit);
  assert.deepEqual(fit.profile.fittedFrom?.builtinOutcomes, ["hit", "miss", "overflow"]);
  assert.match(
    fitTable(fit),
    /\| zero page, wall µs per run's zero-only stretches = c₀ \+ slope × vCPU use \| 8\.00/,
  );
  assert.equal(
    validateHostProfile(JSON.parse(JSON.stringify(fit.profile)), "x").senderMicrosPerPage.zero,
    fit.profile.senderMicrosPerPage.zero,
  );
  assert.throws(
    () =>
      fitHostProfile([{ dir: "RUN", runs: [{ ...at(0, 0), polls: [] }] }], QEMU_72_TCG, "polls"),
    /--fit-basis polls: no run in RUN has polls that sent zero pages/,
  );
});
