import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import { reportHtml } from "../../reports/html.ts";
import { escapeHtml } from "../../reports/manifest-view.ts";
import { SETTINGS } from "../../reports/settings.ts";
import { summarize, summaryCells, summaryHead } from "../../reports/summary.ts";
import { summaryTables } from "../../reports/terminal-summary.ts";
import { readResults } from "../../results/records.ts";
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

test("downtime is the mean over completed seeds: a stopped cell's 0 ms is not averaged in", () => {
  assert.deepEqual(
    mixed.map((c) => c.status),
    ["did-not-converge", "completed"],
  );
  const completed = mixed[1].downtimeMs as number;
  const [table] = summarize(cells);
  const row = table.rows.find(
    (r) => r.codec === "xbrle" && r.settings.join() === "direct,64 MiB,32 MiB/s",
  );
  assert.ok(row);
  // The header is codec, the settings, status, then one title per metric.
  const downtime = summaryHead(table).indexOf("downtime") - (2 + table.settings.length);
  assert.equal(row.metrics[downtime], completed);
  assert.deepEqual(row.statuses, [
    ["did-not-converge", 1],
    ["completed", 1],
  ]);
  assert.equal(summaryCells(row)[summaryHead(table).indexOf("downtime")], "6.25 ms");
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
  // A row where no seed converged has no total time and no total bytes, only a bound.
  assert.match(
    terminal,
    /│ raw +│ direct +│ 16 MiB +│ 32 MiB\/s +│ did-not-converge ×2 +│ > 120\.1 s \(stopped\) +│ — +│ > 3\.75 GiB \(stopped\) +│/,
  );
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
