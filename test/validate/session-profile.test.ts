import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { validateHostProfile } from "../../harness/simulator/host-profile.ts";
import { defaultLabProfile } from "../../validate/compare.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import { sessionProfiles } from "../../validate/session-profile.ts";
import { runOf } from "./lab-fixture.ts";

// `--profile session` (validate/session-profile.ts): each configuration's profile is fitted on
// the run's other configurations, never on its own runs.

const FALLBACK = defaultLabProfile({ preallocated: false, kaslr: true });

test("sessionProfiles: each configuration's profile from the others' polls; none to fit from, the lab's", () => {
  const [idle, sparse, , stride] = quickMatrix();
  // idle's zero pages cost 8 µs, stride's 12: a profile fitted without idle's runs knows only 12.
  const zeroRun = (config: typeof idle, micros: number, busy: number, rep: number) =>
    runOf([[micros * 10, 10_000, 0, 0, 0, 80]], busy, config, rep);
  const groups = [
    { config: idle, real: [zeroRun(idle, 8, 0, 0), zeroRun(idle, 8, 0, 1)] },
    { config: stride, real: [zeroRun(stride, 12, 0, 0), zeroRun(stride, 12, 0, 1)] },
    // Its runs have no stretch of zero pages: only the others' say anything.
    { config: sparse, real: [runOf([[100, 0, 3000, 0, 0, 6]], 0, sparse)] },
  ];
  const out = mkdtempSync(join(tmpdir(), "mb-session-"));
  const lines: string[] = [];
  const configs = groups.map((g) => g.config);
  const allRuns = groups.flatMap((g) => g.real);
  const profiles = sessionProfiles(configs, allRuns, out, FALLBACK, (l) => lines.push(l));
  const zero = (name: string) =>
    validateHostProfile(JSON.parse(readFileSync(profiles.get(name) ?? "", "utf8")), name)
      .senderMicrosPerPage.zero;
  assert.equal(profiles.get(idle.name), join(out, "profiles", `${idle.name}.json`));
  // idle predicted from stride's (and sparse's) runs, stride from idle's: out of sample. (Each
  // cost is less the codec's part, the same for all three.)
  const [i, st, sp] = [zero(idle.name), zero(stride.name), zero(sparse.name)];
  assert.ok(Math.abs(i - st - 4) < 0.01, `${i} ${st}`);
  assert.ok(Math.abs(sp - (i + st) / 2) < 0.01, `${sp}`);
  assert.equal(lines.length, 0);

  // One configuration compared (`--only`): still fitted on every other configuration of the run.
  const only = sessionProfiles(
    [idle],
    allRuns,
    mkdtempSync(join(tmpdir(), "mb-session-")),
    FALLBACK,
    (l) => lines.push(l),
  );
  const onlyZero = validateHostProfile(
    JSON.parse(readFileSync(only.get(idle.name) ?? "", "utf8")),
    idle.name,
  ).senderMicrosPerPage.zero;
  assert.equal(onlyZero, i);
  assert.equal(lines.length, 0);

  // A run of one configuration: nothing else to fit from.
  const alone = sessionProfiles([idle], groups[0].real, out, FALLBACK, (l) => lines.push(l));
  assert.equal(alone.get(idle.name), FALLBACK);
  assert.match(
    lines[0],
    new RegExp(
      `^${idle.name}: no host profile from the other configurations .*; simulated with ${FALLBACK}$`,
    ),
  );
  assert.ok(existsSync(join(out, "profiles")));
});
