import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseArgs } from "../../harness/cli/bench-options.ts";
import { experimentArgs, parameterValue } from "../../harness/paper/claim.ts";
import { CLAIMS } from "../../harness/paper/claims.ts";

// The claims table is well formed: every claim names its source (an anchor docs/SOURCES.md has)
// and its published figure, every experiment parameter has a value and a reason in both
// suites, ids are unique, and every experiment is a command line bench accepts.

const SOURCES = readFileSync(new URL("../../docs/SOURCES.md", import.meta.url), "utf8");

test("every claim has a source docs/SOURCES.md names, a published figure and experiments", () => {
  for (const claim of CLAIMS) {
    assert.ok(claim.source.text.length > 0, claim.id);
    assert.ok(
      SOURCES.includes(`{#${claim.source.anchor}}`),
      `${claim.id}: #${claim.source.anchor}`,
    );
    assert.ok(claim.published.length > 0, claim.id);
    assert.ok(claim.experiments.length > 0, claim.id);
  }
});

test("claim numbers, claim ids and experiment ids are unique", () => {
  const unique = (values: string[]) =>
    assert.equal(new Set(values).size, values.length, values.join(","));
  unique(CLAIMS.map((c) => c.number));
  unique(CLAIMS.map((c) => c.id));
  unique(CLAIMS.flatMap((c) => c.experiments.map((e) => e.id)));
});

test("every parameter has a value and a reason; bench parses every experiment in both suites", () => {
  for (const claim of CLAIMS)
    for (const experiment of claim.experiments) {
      for (const p of experiment.parameters) {
        assert.ok(p.reason.trim().length > 10, `${experiment.id} --${p.flag}: reason`);
        for (const mode of ["quick", "full"] as const)
          assert.ok(parameterValue(p, mode).length > 0, `${experiment.id} --${p.flag}`);
      }
      const flags = experiment.parameters.map((p) => p.flag).filter((f) => f !== "set");
      assert.equal(new Set(flags).size, flags.length, `${experiment.id}: a flag given twice`);
      for (const mode of ["quick", "full"] as const)
        assert.doesNotThrow(() => parseArgs(experimentArgs(experiment, mode)), experiment.id);
    }
});

test("the quick suite runs every claim the full suite runs, on no more points", () => {
  for (const claim of CLAIMS)
    for (const experiment of claim.experiments)
      for (const p of experiment.parameters) {
        const count = (mode: "quick" | "full") => parameterValue(p, mode).split(",").length;
        assert.ok(count("quick") <= count("full"), `${experiment.id} --${p.flag}`);
      }
});
