import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildCells, SWEEP_DEFAULTS } from "../../harness/sweep/plan.ts";
import { writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import type { CellResult } from "../../results/cell.ts";
import { parseCsv } from "../../results/csv.ts";
import { lockRunDir } from "../../results/run-lock.ts";
import { RunWriter } from "../../results/run-writer.ts";
import { runCell } from "../fixtures/stub-run-cell.ts";

const root = mkdtempSync(join(tmpdir(), "migbench-run-dir-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MIB = 1024 ** 2;
const cells = buildCells({
  ...SWEEP_DEFAULTS,
  workloads: [{ name: "toy", ramBytes: [4 * MIB], paramSets: [{ rate: 1 }] }],
  codecs: [
    { name: "raw", module: null },
    { name: "xbzrle", module: null },
  ],
  cacheSizeBytes: [16 * MIB, 64 * MIB],
  seed: [1, 2],
});
const results: CellResult[] = await Promise.all(cells.map((c) => runCell(c)));

function files(dir: string) {
  return Object.fromEntries(
    ["results.csv", "passes.csv", "timings.csv"].map((f) => [
      f,
      readFileSync(join(dir, f), "utf8"),
    ]),
  );
}

function inOrder(dir: string) {
  const writer = new RunWriter(dir, cells, false);
  for (const r of results) writer.add(r);
  writer.close();
  return files(dir);
}

test("rows are written in cell order whatever the finish order, each add leaving whole rows", () => {
  const reference = inOrder(join(root, "ordered"));
  const dir = join(root, "shuffled");
  const writer = new RunWriter(dir, cells, false);
  const order = [3, 0, 2, 1, 7, 5, 4, 6];
  for (const i of order) {
    writer.add(results[i]);
    // On disk at every moment: a header and complete rows for a prefix of the cells.
    const table = parseCsv(readFileSync(join(dir, "results.csv"), "utf8"), "results.csv");
    assert.ok(table.rows.every((row) => row.length === table.header.length));
    assert.deepEqual(
      table.rows.map((row) => Number(row[0])),
      table.rows.map((_, k) => k),
    );
  }
  assert.equal(writer.written, cells.length);
  assert.throws(() => writer.add(results[0]), /reported twice/);
  writer.close();
  assert.deepEqual(files(dir), reference);
  assert.ok(
    readdirSync(dir).every((f) => !f.includes(".tmp-")),
    "no temp file left behind",
  );
});

test("resume keeps cells finished out of order, restores a lost tail and cuts a torn one", () => {
  const reference = inOrder(join(root, "whole"));
  const dir = join(root, "crashed");
  const first = new RunWriter(dir, cells, false);
  // Cells 3, 0, 2, 5 finish; only cell 0 can be in the CSV files (1 is missing). Then the process
  // dies without closing the writer.
  for (const i of [3, 0, 2, 5]) first.add(results[i]);
  assert.equal(first.written, 1);
  assert.equal(first.finished, 4);
  // What a power cut could leave besides: results.csv without its last row, and a torn half row
  // at the end of passes.csv for a cell the journal never got.
  const passes = readFileSync(join(dir, "passes.csv"), "utf8");
  writeFileSync(join(dir, "passes.csv"), `${passes}1,toy,raw,direct,167`);
  writeFileSync(
    join(dir, "results.csv"),
    `${readFileSync(join(dir, "results.csv"), "utf8").split("\n")[0]}\n`,
  );
  const resumed = new RunWriter(dir, cells, true);
  assert.equal(resumed.written, 1);
  assert.equal(resumed.kept, 4);
  assert.deepEqual(
    cells.filter((c) => !resumed.has(c.index)).map((c) => c.index),
    [1, 4, 6, 7],
  );
  assert.equal(resumed.notices.length, 2, resumed.notices.join("\n"));
  for (const i of [7, 1, 6, 4]) resumed.add(results[i]);
  resumed.close();
  assert.deepEqual(files(dir), reference);
});

test("resume runs a failed cell again and replaces its row", () => {
  const reference = inOrder(join(root, "whole-2"));
  const dir = join(root, "failed-cell");
  const first = new RunWriter(dir, cells, false);
  first.add(results[0]);
  first.add({ spec: cells[1], status: "failed", error: "worker died", wallMs: 0 });
  for (const r of results.slice(2)) first.add(r);
  first.close();
  assert.match(readFileSync(join(dir, "results.csv"), "utf8"), /worker died/);
  const resumed = new RunWriter(dir, cells, true);
  assert.equal(resumed.written, 1);
  assert.equal(resumed.kept, cells.length - 1);
  assert.equal(resumed.has(1), false);
  resumed.add(results[1]);
  resumed.close();
  assert.deepEqual(files(dir), reference);
});

test("a recorded trace's RAM (not the planned one) in a row does not stop a resume", () => {
  const dir = join(root, "trace-ram");
  const first = new RunWriter(dir, cells, false);
  // run-cell.ts reports the trace's own RAM size in the row's spec.
  first.add({ ...results[0], spec: { ...results[0].spec, ramBytes: 123 * 4096 } });
  first.close();
  const resumed = new RunWriter(dir, cells, true);
  assert.equal(resumed.written, 1);
  resumed.close();
});

test("edited rows, deleted rows and an edited journal are refused naming file and row", () => {
  const make = (name: string) => {
    const dir = join(root, name);
    const writer = new RunWriter(dir, cells, false);
    for (const r of results) writer.add(r);
    writer.close();
    return dir;
  };
  const edit = (dir: string, file: string, change: (text: string) => string) =>
    writeFileSync(join(dir, file), change(readFileSync(join(dir, file), "utf8")));

  const metric = make("edited-metric");
  // Cell 2's total_time_ms (column 12): one digit changed.
  edit(metric, "results.csv", (text) => {
    const lines = text.split("\n");
    const row = lines[3].split(",");
    row[11] = `${row[11]}1`;
    lines[3] = row.join(",");
    return lines.join("\n");
  });
  assert.throws(
    () => new RunWriter(metric, cells, true),
    (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(
        error.message,
        /results\.csv: row 3 \(cell 2\) differs from what the run recorded/,
      );
      return true;
    },
  );

  const deleted = make("deleted-pass");
  edit(deleted, "passes.csv", (text) => {
    const lines = text.split("\n");
    lines.splice(2, 1);
    return lines.join("\n");
  });
  assert.throws(() => new RunWriter(deleted, cells, true), /passes\.csv: row 2 \(cell 0\) differs/);

  const journal = make("edited-journal");
  edit(journal, "cells.journal", (text) => text.replace('"toy"', '"yot"'));
  assert.throws(
    () => new RunWriter(journal, cells, true),
    /cells\.journal: line 1: its digest does not match/,
  );

  // Deleting a view rebuilds it from the journal.
  const rebuilt = make("deleted-results");
  const before = files(rebuilt);
  rmSync(join(rebuilt, "results.csv"));
  const resumed = new RunWriter(rebuilt, cells, true);
  resumed.close();
  assert.deepEqual(files(rebuilt), before);
});

test("resume refuses a directory written by another sweep", () => {
  const dir = join(root, "other");
  const writer = new RunWriter(dir, cells, false);
  writer.add(results[0]);
  writer.close();
  const otherCells = cells.map((c) => ({ ...c, seed: c.seed + 10 }));
  assert.throws(
    () => new RunWriter(dir, otherCells, true),
    (error: Error) =>
      error instanceof UsageError &&
      /of another sweep \(seed: \d+ in the run, \d+ now\)/.test(error.message),
  );
  // A newer migbench that added a parameter names it.
  const newer = cells.map((c) => ({ ...c, params: { ...c.params, guest_vcpu_busy: 0 } }));
  assert.throws(
    () => new RunWriter(dir, newer, true),
    /params\.guest_vcpu_busy: absent in the run, 0 now\); resume with the run's own options, or with the migbench that started the run/,
  );
  assert.throws(() => new RunWriter(dir, cells, false), /already exists/);
});

test("one lock per run directory; a dead holder's lock is taken over", () => {
  const dir = join(root, "locked");
  const lock = lockRunDir(dir);
  assert.throws(
    () => lockRunDir(dir),
    (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, new RegExp(`\\.lock: migbench PID ${process.pid} on `));
      return true;
    },
  );
  lock.release();
  assert.ok(!existsSync(join(dir, ".lock")));
  // A PID that has exited, on this host: stale.
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
  writeFileSync(
    join(dir, ".lock"),
    JSON.stringify({ pid: dead, hostname: hostname(), startedAt: "x", processStart: null }),
  );
  lockRunDir(dir).release();
  // Another host's lock cannot be checked: held.
  writeFileSync(
    join(dir, ".lock"),
    JSON.stringify({ pid: dead, hostname: "elsewhere", startedAt: "x", processStart: null }),
  );
  assert.throws(() => lockRunDir(dir), /PID \d+ on elsewhere/);
});

test("writeFileAtomic replaces the file whole and leaves no temp file", () => {
  const dir = join(root, "atomic");
  const path = join(dir, "x.csv");
  new RunWriter(dir, cells, false).close();
  writeFileAtomic(path, "a\n");
  writeFileAtomic(path, "b\n");
  assert.equal(readFileSync(path, "utf8"), "b\n");
  // A failed write (target is a directory) leaves the old state and no temp file behind.
  assert.throws(() => writeFileAtomic(dir, "c\n"));
  assert.ok(readdirSync(root).every((f) => !f.includes(".tmp-")));
  assert.ok(readdirSync(dir).every((f) => !f.includes(".tmp-")));
  // Bytes as well as text, into a directory that does not exist yet.
  const nested = join(root, "atomic-new", "deeper", "page.bin");
  writeFileAtomic(nested, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...readFileSync(nested)], [1, 2, 3]);
});
