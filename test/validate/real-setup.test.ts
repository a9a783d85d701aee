import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  QEMU_72_TCG_LAB_PREALLOC_NOKASLR,
  validateHostProfile,
} from "../../harness/simulator/host-profile.ts";
import { meanRealSetupMs, profileWithSetup } from "../../validate/real-setup.ts";
import { runWithSetup } from "./lab-fixture.ts";

// --real-setup: a simulation takes the real migration's setup-time, and nothing else of the
// profile changes.

const withSetup = (setupMs: number | undefined, i: number) => runWithSetup(524280, setupMs, i);

test("meanRealSetupMs: the mean of the setups QEMU reported, null without any", () => {
  assert.equal(
    meanRealSetupMs([withSetup(200, 0), withSetup(400, 1), withSetup(undefined, 2)]),
    300,
  );
  assert.equal(meanRealSetupMs([withSetup(undefined, 0)]), null);
  assert.equal(meanRealSetupMs([]), null);
});

test("profileWithSetup: the base profile with that setup and no part per page, as a valid file", () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-real-setup-"));
  const file = profileWithSetup(QEMU_72_TCG_LAB_PREALLOC_NOKASLR, 363, dir, "idle-rep0");
  assert.equal(file, join(dir, "idle-rep0.json"));
  const written = validateHostProfile(JSON.parse(readFileSync(file, "utf8")), file);
  assert.equal(written.setupMs, 363);
  assert.equal(written.setupMicrosPerPage, undefined);
  assert.deepEqual(
    written.senderMicrosPerPage,
    QEMU_72_TCG_LAB_PREALLOC_NOKASLR.senderMicrosPerPage,
  );
  assert.equal(written.downtimeFixedMs, QEMU_72_TCG_LAB_PREALLOC_NOKASLR.downtimeFixedMs);
  assert.match(written.source, /363 ms \(--real-setup\)$/);
  // Its setup replaced again: nothing else moves.
  const again = profileWithSetup(written, 250, dir, "idle-rep1");
  const second = validateHostProfile(JSON.parse(readFileSync(again, "utf8")), again);
  assert.equal(second.setupMs, 250);
  assert.deepEqual(second.senderMicrosPerPage, written.senderMicrosPerPage);
});
