import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildCells, SWEEP_DEFAULTS } from "../../harness/sweep/plan.ts";
import { splitCells } from "../../harness/sweep/shard.ts";
import { UsageError } from "../../lib/errors.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { type Manifest, writeManifest } from "../../results/manifest.ts";
import { readEntries, readParts, writeMergedRun } from "../../results/merge.ts";
import { RunWriter } from "../../results/run-writer.ts";
import { runCell } from "../fixtures/stub-run-cell.ts";

// A run directory holding one part of a sweep (bench --shard) and the merge of the parts, at
// the writer's level: the parts' rows under the whole sweep's columns, a part resumed, and the
// merged files byte-identical to the whole sweep written in one directory. The spawned CLIs
// are test/harness/cluster.test.ts.

const root = mkdtempSync(join(tmpdir(), "migbench-merge-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MIB = 1024 ** 2;
// Two workloads with different parameters: a part with cells of one only must still carry the
// other's param_ columns.
const cells = buildCells({
  ...SWEEP_DEFAULTS,
  workloads: [
    { name: "toy", ramBytes: [4 * MIB, 8 * MIB], paramSets: [{ rate: 1 }] },
    { name: "other", ramBytes: [4 * MIB], paramSets: [{ shade: "blue" }] },
  ],
  codecs: [
    { name: "raw", module: null },
    { name: "xbzrle", module: null },
  ],
  cacheSizeBytes: [16 * MIB, 64 * MIB],
  seed: [1, 2],
});
const results: CellResult[] = await Promise.all(cells.map((c) => runCell(c)));
const FILES = ["results.csv", "passes.csv", "timings.csv"];
const files = (dir: string) => FILES.map((f) => readFileSync(join(dir, f), "utf8"));

function write(dir: string, part: readonly CellSpec[], order: (i: number) => number = (i) => i) {
  const writer = new RunWriter(dir, cells, false, part);
  const mine = part.map((cell) => results[cell.index]);
  for (let i = 0; i < mine.length; i++) writer.add(mine[order(i) % mine.length]);
  writer.close();
}

function partManifest(index: number, count: number, part: readonly CellSpec[]): Manifest {
  return {
    format: 1,
    migbenchVersion: "0.1.0",
    gitCommit: null,
    gitDirty: null,
    node: "v20",
    platform: "linux-x64",
    cpu: { model: "test", cores: 2 },
    totalMemoryBytes: 1,
    commandLine: "bench",
    cwd: root,
    argv: ["--shard", `${index}/${count}`, "--out", "x"],
    options: { workloads: ["toy", "other"] },
    seeds: [1, 2],
    calibration: { source: "builtin", sha256: null, rates: {} },
    plugins: [],
    cells: cells.length,
    shard: { index, count, cells: part.length, host: `node${index}` },
    workers: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:01:00.000Z",
    status: "completed",
    cellsDone: part.length,
    resumes: [],
    machine: null,
  };
}

test("parts hold their cells under the whole sweep's columns and merge into the one-directory run", () => {
  const whole = join(root, "whole");
  write(whole, cells);
  const split = splitCells(cells, 3).map((indices) => indices.map((i) => cells[i]));
  assert.ok(split.every((part) => part.length > 0));
  const dirs = split.map((part, k) => {
    const dir = join(root, `part-${k + 1}`);
    write(dir, part, (i) => (i * 7 + 3) % part.length); // finished out of order
    writeManifest(dir, partManifest(k + 1, 3, part));
    const [results] = files(dir);
    const rows = results.trimEnd().split("\n");
    assert.equal(rows[0], files(whole)[0].split("\n")[0], "the header is the sweep's");
    assert.deepEqual(
      rows.slice(1).map((row) => Number(row.split(",")[0])),
      part.map((cell) => cell.index),
    );
    return dir;
  });
  const { parts, warnings } = readParts([dirs[2], dirs[0], dirs[1]]);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    parts.map((part) => part.shard.index),
    [1, 2, 3],
  );
  const merged = join(root, "merged");
  writeMergedRun(merged, readEntries(parts), partManifest(1, 3, cells));
  assert.deepEqual(files(merged), files(whole));
  assert.equal(
    readFileSync(join(merged, "cells.journal"), "utf8").split("\n").length - 1,
    cells.length,
  );
});

test("a part resumed after an interruption equals the part written at once", () => {
  const part = splitCells(cells, 2)[1].map((i) => cells[i]);
  const once = join(root, "once");
  write(once, part);
  const dir = join(root, "resumed");
  const first = new RunWriter(dir, cells, false, part);
  // Two cells finished, the second one not the part's first: it waits in the journal.
  first.add(results[part[2].index]);
  first.add(results[part[0].index]);
  first.close();
  const resumed = new RunWriter(dir, cells, true, part);
  assert.equal(resumed.kept, 2);
  assert.equal(resumed.written, 1);
  for (const cell of part) if (!resumed.has(cell.index)) resumed.add(results[cell.index]);
  resumed.close();
  assert.deepEqual(files(dir), files(once));
  // The same directory is not another part's.
  const other = splitCells(cells, 2)[0].map((i) => cells[i]);
  assert.throws(() => new RunWriter(dir, cells, true, other), UsageError);
  // Nor may a cell of another part be added to it.
  const writer = new RunWriter(join(root, "strict"), cells, false, part);
  assert.throws(() => writer.add(results[other[0].index]), /not one of this run's cells/);
  writer.close();
});
