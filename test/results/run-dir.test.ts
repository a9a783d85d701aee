import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeFileAtomic } from "../../harness/atomic-file.ts";
import type { CellResult } from "../../harness/cell.ts";
import { UsageError } from "../../harness/errors.ts";
import { buildCells, SWEEP_DEFAULTS } from "../../harness/sweep.ts";
import { parseCsv } from "../../results/csv.ts";
import { completedPrefix, RunWriter } from "../../results/run-dir.ts";
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
  cacheSizesBytes: [16 * MIB, 64 * MIB],
  seeds: [1, 2],
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
  assert.deepEqual(files(dir), reference);
  assert.ok(
    readdirSync(dir).every((f) => !f.includes(".tmp-")),
    "no temp file left behind",
  );
  assert.throws(() => writer.add(results[0]), /reported twice/);
});

test("resume cuts passes.csv and timings.csv back to the cells results.csv holds", () => {
  const reference = inOrder(join(root, "whole"));
  const dir = join(root, "crashed");
  const first = new RunWriter(dir, cells, false);
  for (const r of results.slice(0, 5)) first.add(r);
  // A crash after cell 5's passes were appended but before results.csv committed it, with a
  // torn half row at the end of passes.csv (what a power cut could leave).
  const partial = files(dir);
  const fifth = readFileSync(join(dir, "passes.csv"), "utf8");
  writeFileSync(join(dir, "passes.csv"), `${fifth}5,toy,raw,direct,167`);
  // results.csv from after cell 3 only (cells 3,4 not committed).
  const lines = partial["results.csv"].split("\n");
  writeFileSync(join(dir, "results.csv"), `${lines.slice(0, 4).join("\n")}\n`);
  assert.equal(completedPrefix(dir, cells), 3);
  const resumed = new RunWriter(dir, cells, true);
  assert.equal(resumed.written, 3);
  for (const r of results.slice(3).reverse()) resumed.add(r);
  assert.deepEqual(files(dir), reference);
});

test("resume refuses a directory written by another sweep", () => {
  const dir = join(root, "other");
  const writer = new RunWriter(dir, cells, false);
  writer.add(results[0]);
  const otherCells = cells.map((c) => ({ ...c, seed: c.seed + 10 }));
  assert.throws(() => new RunWriter(dir, otherCells, true), UsageError);
  assert.throws(() => new RunWriter(dir, cells, false), /already exists/);
});

test("writeFileAtomic replaces the file whole and leaves no temp file", () => {
  const dir = join(root, "atomic");
  const path = join(dir, "x.csv");
  new RunWriter(dir, cells, false);
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
