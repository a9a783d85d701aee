import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import { msLabel } from "../../lib/format.ts";
import { reportHtml } from "../../reports/html.ts";
import { escapeHtml } from "../../reports/manifest-view.ts";
import { SETTINGS } from "../../reports/settings.ts";
import { stopOf } from "../../reports/stops.ts";
import { summarize, summaryCells, summaryHead } from "../../reports/summary.ts";
import { summaryTables } from "../../reports/terminal-summary.ts";
import { type CellRow, readResults } from "../../results/records.ts";
import { RESULT_SETTING_COLUMNS, RESULT_SPEC_COLUMNS } from "../../results/schema.ts";

const RESULTS = new URL("../fixtures/reports/sweep-run/results.csv", import.meta.url).pathname;
const cells = readResults(RESULTS);

/** The fixture's xbrle cells at direct 64 MiB, 32 MiB/s: one seed completed, one did not. */
const mixed = cells.filter(
  (c) =>
    c.codec === "xbrle" &&
    c.cacheModel === "direct" &&
    c.cacheSizeBytes === 64 * 1024 ** 2 &&
    c.bandwidthBytesPerS === 32 * 1024 ** 2,
);

test("downtime is the mean over completed seeds; a stopped seed makes time and bytes bounds", () => {
  assert.deepEqual(
    mixed.map((c) => c.status),
    ["did-not-converge", "completed"],
  );
  // The stopped cell has no downtime at all, rather than 0 ms.
  assert.equal(mixed[0].downtimeMs, null);
  const completed = mixed[1].downtimeMs as number;
  const [table] = summarize(cells);
  const row = table.rows.find(
    (r) => r.codec === "xbrle" && r.settings.join() === "direct,64 MiB,32 MiB/s",
  );
  assert.ok(row);
  // The header is codec, the settings, status, then one title per metric.
  const downtime = summaryHead(table).indexOf("downtime") - (2 + table.settings.length);
  assert.deepEqual(row.metrics[downtime], { mean: completed, stoppedBy: [] });
  assert.deepEqual(row.statuses, [
    ["did-not-converge", 1],
    ["completed", 1],
  ]);
  const text = (title: string) => summaryCells(row)[summaryHead(table).indexOf(title)];
  assert.equal(text("downtime"), "6.25 ms");
  // The stopped seed counts at --max-time (120 s), the completed one at its own time: the mean
  // is a lower bound, and says which limit stopped the other seed.
  const maxTimeMs = Number(mixed[0].columns.max_time_ms);
  const expectedMs = (maxTimeMs + (mixed[1].totalTimeMs as number)) / 2;
  assert.equal(text("total time"), `> ${msLabel(expectedMs)} (max-time)`);
  assert.match(text("transferred"), /^> \d/);
});

test("a row whose seeds were all stopped shows the limit, no downtime, and the notes say why", () => {
  const stopped = cells.filter((c) => c.codec === "raw" && c.status === "did-not-converge");
  assert.ok(stopped.length > 0);
  const [table] = summarize(stopped);
  const head = summaryHead(table);
  for (const row of table.rows) {
    const text = summaryCells(row);
    assert.equal(text[head.indexOf("total time")], "> 120.0 s (max-time)");
    assert.equal(text[head.indexOf("downtime")], "—");
    assert.doesNotMatch(text.join(" "), /0\.00 ms/);
  }
  const notes = summaryTables(stopped).slice(-2);
  assert.match(notes[0], /^> : a lower bound/);
  // Only the columns that show a — are named.
  assert.equal(notes[1], "— : no value (downtime: no seed completed; hit rate: no cache lookups).");
  const html = reportHtml({
    runName: "run",
    manifest: null,
    headlines: [],
    tables: [table],
    failed: [],
    charts: [],
    dataFiles: [],
    cellCount: stopped.length,
  });
  for (const note of notes) assert.ok(html.includes(`<p class="note">${escapeHtml(note)}</p>`));
});

test("a stop is named by the limit that made it", () => {
  const base = cells.find((c) => c.status === "did-not-converge");
  assert.ok(base);
  const columns = { ...base.columns, max_time_ms: "60000.000", max_passes: "30" };
  const at = (status: CellRow["status"], totalTimeMs: number) =>
    stopOf({ ...base, status, totalTimeMs, columns });
  assert.deepEqual(at("did-not-converge", 60_080), { reason: "max-time", atMs: 60_000 });
  assert.deepEqual(at("did-not-converge", 12_345), { reason: "max-passes", atMs: 12_345 });
  assert.deepEqual(at("trace-ended", 7_000), { reason: "trace ended", atMs: 7_000 });
  assert.equal(at("completed", 5_000), null);
});

test("the terminal and report.html print the same header and cells", () => {
  const tables = summarize(cells);
  const terminal = summaryTables(cells).join("\n");
  const html = reportHtml({
    runName: "run",
    manifest: null,
    headlines: [],
    tables,
    failed: [],
    charts: [],
    dataFiles: [],
    cellCount: cells.length,
  });
  assert.match(terminal, /^sap-like \(means over 2 seeds\)$/m);
  for (const table of tables) {
    const head = summaryHead(table);
    assert.match(terminal, new RegExp(head.map((h) => `${h} +│`).join(" ")));
    assert.ok(html.includes(head.map((h) => `<th scope="col">${h}</th>`).join("")));
    for (const row of table.rows) {
      const text = summaryCells(row);
      assert.ok(
        terminal.includes(
          `│ ${text.map((t, i) => t.padEnd(terminalWidth(terminal, i))).join(" │ ")} │`,
        ),
        text.join(" | "),
      );
      const cellsHtml = text.slice(1).map(escapeHtml).join("</td><td>");
      assert.ok(html.includes(`<td>${cellsHtml}</td>`), text.join(" | "));
    }
  }
  // The units the two used to disagree on.
  assert.match(terminal, /│ 16 MiB +│ 1 Gbit\/s +│/);
  assert.doesNotMatch(terminal, /16\.0 MiB|119 MiB\/s/);
});

/** The text width of column `i` of the first table, from its header line. */
function terminalWidth(terminal: string, i: number): number {
  const header = terminal.split("\n")[2];
  return header.split("│")[i + 1].length - 2;
}

test("one settings table names every setting column results.csv has", () => {
  const settings = [
    ...RESULT_SPEC_COLUMNS.filter((c) => !["cell", "codec", "seed"].includes(c)),
    ...RESULT_SETTING_COLUMNS,
  ];
  assert.deepEqual(SETTINGS.map((s) => s.column).sort(), [...settings].sort());
});

test("the records reader rejects a row of the wrong length, naming the file and row", () => {
  const dir = mkdtempSync(join(tmpdir(), "migbench-records-"));
  try {
    const file = join(dir, "results.csv");
    const [header, first] = readFileSync(RESULTS, "utf8").split("\n");
    writeFileSync(file, `${header}\n${first.replace(/,[^,]*$/, "")}\n`);
    assert.throws(
      () => readResults(file),
      (e) => e instanceof InputError && /row 2: \d+ fields, the header has \d+/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
