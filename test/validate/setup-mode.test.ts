import assert from "node:assert/strict";
import { test } from "node:test";
import type { ComparedConfig } from "../../validate/compared.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import { setupMicrosPerPage, setupModeLine } from "../../validate/setup-mode.ts";
import { runWithSetup } from "./lab-fixture.ts";

// The summary's setup line: QEMU's setup-times, and how many walked the larger TCG TLB,
// per page of guest RAM walked one at a time (none for a RAM that is a multiple of 256 KiB).

const withSetup = runWithSetup;
const compared = (real: LabRun[]): ComparedConfig[] => [
  { config: real[0].config, real, realFigures: [], sources: [] },
];

test("setupModeLine: the mean, the range, and the runs over 2 µs a page walked", () => {
  // 524 280 KiB: 131 070 pages walked; (210 − 10) ms over them is 1.53 µs, (350 − 10) is 2.59.
  const real = [withSetup(524280, 210, 0), withSetup(524280, 350, 1), withSetup(524280, 230, 2)];
  assert.ok(Math.abs((setupMicrosPerPage(real[0]) ?? 0) - 1.526) < 0.001);
  assert.equal(
    setupModeLine(compared(real)),
    "QEMU's setup: mean 263 ms over 3 real migrations (210–350 ms); 1 of 3 walked the larger TCG TLB (over 2 µs a page of guest RAM; a host profile's setup is the mean of both)",
  );
  // A failed run and a run without a setup-time say nothing about the setup.
  const failed = { ...withSetup(524280, 600, 3), outcome: "failed" as const };
  assert.equal(
    setupModeLine(compared([...real, failed, withSetup(524280, undefined, 4)])),
    setupModeLine(compared(real)),
  );
});

test("setupModeLine: a RAM that is a multiple of 256 KiB walks no page one at a time", () => {
  const real = [withSetup(524288, 1, 0), withSetup(524288, 2, 1)];
  assert.equal(setupMicrosPerPage(real[0]), null);
  assert.equal(
    setupModeLine(compared(real)),
    "QEMU's setup: mean 2 ms over 2 real migrations (1–2 ms); no page walked one at a time",
  );
  assert.equal(setupModeLine(compared([withSetup(524280, undefined, 0)])), null);
});
