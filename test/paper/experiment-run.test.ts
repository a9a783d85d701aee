import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Experiment } from "../../harness/paper/claim.ts";
import { runExperiment } from "../../harness/paper/experiment-run.ts";

// An experiment whose cells failed is "failed" on the run that made it and on every later run
// with the same --out: never reused, so its failed cells are never judged as "did not converge".

const out = mkdtempSync(join(tmpdir(), "mb-paper-exp-"));
after(() => rmSync(out, { recursive: true, force: true }));

const PLUGIN = new URL("../fixtures/plugins/encode-nan.ts", import.meta.url).pathname;

const broken: Experiment = {
  id: "broken",
  title: "a plug-in whose cells fail",
  parameters: [
    { flag: "workload", value: "uniform", reason: "small" },
    { flag: "ram", value: "32MiB", reason: "small" },
    { flag: "set", value: "wss=16MiB", reason: "small" },
    { flag: "bandwidth", value: "8MiB/s", reason: "small" },
    { flag: "cache-size", value: "16MiB", reason: "small" },
    { flag: "codec", value: "raw,bad-nan", reason: "one codec that fails" },
    { flag: "codec-module", value: PLUGIN, reason: "the failing plug-in" },
  ],
};

test("a run with failed cells is failed the first time and is not reused the second", async () => {
  const first = await runExperiment(broken, "quick", out, { workers: "0" });
  assert.equal(first.state, "failed", first.problem ?? "");
  assert.deepEqual(first.rows, []);
  const again = await runExperiment(broken, "quick", out, { workers: "0" });
  assert.equal(again.state, "failed");
  assert.match(again.problem ?? "", /^1 cell\(s\) failed when it ran/);
  assert.deepEqual(again.rows, []);
});
