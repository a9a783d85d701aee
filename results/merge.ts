import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../lib/errors.ts";
import { JOURNAL_FILE, type JournalEntry, readJournal } from "./cells-journal.ts";
import {
  differingOptions,
  type Manifest,
  type MergedPart,
  readManifest,
  type ShardRecord,
  writeManifest,
} from "./manifest.ts";
import { onFile } from "./run-dir.ts";
import { RunWriter } from "./run-writer.ts";

/**
 * `npm run merge`: the run directories of a sweep's parts (`bench --shard K/N`,
 * docs/CLUSTERS.md) checked to be one whole sweep, and written as one run directory. The merged
 * results.csv, passes.csv and timings.csv are made from the parts' cells.journal entries — the
 * rows each part formatted under the whole sweep's columns — by the writer every run uses
 * (run-writer.ts), in cell order: byte for byte what one machine writes for the whole sweep.
 *
 * Every refusal is an InputError naming the part (or the missing part) and what is wrong.
 */

/** A part's run directory, as its manifest describes it. */
export interface Part {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly shard: ShardRecord;
}

/**
 * Read the parts' manifests and check that they are the N parts of one sweep, each once, each
 * finished. Returns them in part order, and warnings (parts run by different migbench commits).
 */
export function readParts(dirs: readonly string[]): { parts: Part[]; warnings: string[] } {
  const parts = dirs.map((given) => readPart(resolve(given)));
  const [first] = parts;
  for (const part of parts.slice(1)) checkSameSweep(first, part);
  const byIndex = new Map<number, Part>();
  for (const part of parts) {
    const twin = byIndex.get(part.shard.index);
    if (twin !== undefined)
      throw new InputError(
        part.dir,
        `part ${part.shard.index}/${part.shard.count} again (also ${twin.dir}); give each part once`,
      );
    byIndex.set(part.shard.index, part);
  }
  for (let index = 1; index <= first.shard.count; index++)
    if (!byIndex.has(index))
      throw new InputError(
        `part ${index}/${first.shard.count}`,
        `missing (the parts given are ${[...byIndex.keys()].sort((a, b) => a - b).join(", ")}); give every part's directory`,
      );
  for (const part of parts) checkFinished(part);
  const commits = [...new Set(parts.map((part) => part.manifest.gitCommit ?? "none"))];
  const warnings =
    commits.length > 1
      ? [
          `the parts ran at different migbench commits (${commits.join(", ")}); results may mix versions`,
        ]
      : [];
  return { parts: [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index), warnings };
}

function readPart(dir: string): Part {
  const manifest = readManifest(dir);
  if (manifest.shard === undefined)
    throw new InputError(
      dir,
      "not a part of a sharded sweep (its manifest.json has no shard; bench --shard K/N makes parts)",
    );
  return { dir, manifest, shard: manifest.shard };
}

/** Two parts of one sweep: the same options, seeds, calibration, host profile, plug-ins and split. */
function checkSameSweep(first: Part, part: Part): void {
  const a = first.manifest;
  const b = part.manifest;
  const differ = differingOptions(a.options, b.options);
  const same = (value: (m: Manifest) => unknown) =>
    JSON.stringify(value(a)) === JSON.stringify(value(b));
  if (!same((m) => m.seeds)) differ.push("seeds");
  if (!same((m) => m.calibration.rates)) differ.push("calibration rates");
  if (!same((m) => m.profile?.values)) differ.push("host profile");
  if (!same((m) => m.plugins.map((plugin) => plugin.sha256))) differ.push("codec plug-ins");
  if (a.cells !== b.cells) differ.push("cells");
  if (first.shard.count !== part.shard.count) differ.push("number of parts");
  if (differ.length > 0)
    throw new InputError(
      part.dir,
      `a part of another sweep than ${first.dir} (${[...new Set(differ)].join(", ")} differ); merge the parts of one sweep`,
    );
}

function checkFinished({ dir, manifest, shard }: Part): void {
  if (manifest.status !== "completed")
    throw new InputError(
      dir,
      `unfinished (${manifest.status}, ${manifest.cellsDone} of ${shard.cells} cells done); finish it with npm run bench -- --resume ${dir}`,
    );
}

/**
 * Every part's journal entries, checked: each part holds exactly its cells, none failed, and
 * the parts together hold every cell of the sweep once. Returns the entries in cell order.
 */
export function readEntries(parts: readonly Part[]): JournalEntry[] {
  const cells = parts[0].manifest.cells;
  const owner: (Part | undefined)[] = new Array(cells);
  const entries: JournalEntry[] = new Array(cells);
  for (const part of parts) {
    const { latest } = readJournal(join(part.dir, JOURNAL_FILE), null);
    if (latest.size !== part.shard.cells)
      throw new InputError(
        part.dir,
        `${JOURNAL_FILE} holds ${latest.size} cells, its manifest says ${part.shard.cells}; finish it with npm run bench -- --resume ${part.dir}`,
      );
    for (const [cell, entry] of latest) {
      if (entry.failed)
        throw new InputError(
          part.dir,
          `cell ${cell} failed (${entry.results.at(-1)}); run it again with npm run bench -- --resume ${part.dir}`,
        );
      if (!(cell >= 0 && cell < cells))
        throw new InputError(part.dir, `cell ${cell} is not a cell of the ${cells}-cell sweep`);
      const other = owner[cell];
      if (other !== undefined)
        throw new InputError(
          part.dir,
          `cell ${cell} is also in ${other.dir}: the parts do not split the sweep the same way (different migbench versions?)`,
        );
      owner[cell] = part;
      entries[cell] = entry;
    }
  }
  for (let cell = 0; cell < cells; cell++)
    if (owner[cell] === undefined)
      throw new InputError(
        `cell ${cell}`,
        "in no part: the parts do not split the sweep the same way (different migbench versions?)",
      );
  return entries;
}

/** The merged run's record of one part and the machine it ran on. */
export function mergedPart({ dir, manifest, shard }: Part): MergedPart {
  return {
    dir,
    shard: shard.index,
    cells: shard.cells,
    host: shard.host,
    cpu: manifest.cpu,
    node: manifest.node,
    gitCommit: manifest.gitCommit,
    workers: manifest.workers,
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt,
    resumes: manifest.resumes.length,
    machine: manifest.machine,
  };
}

/**
 * Write the merged run directory `out` from the entries (in cell order) and its manifest: into
 * a directory beside it first, renamed into place when complete, so `out` is either absent or
 * whole. `out` must not exist, or be an empty directory.
 */
export function writeMergedRun(out: string, entries: readonly JournalEntry[], manifest: Manifest) {
  checkMergeTarget(out);
  const building = join(dirname(out), `.${basename(out)}.merging-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  try {
    const writer = new RunWriter(
      building,
      entries.map((entry) => entry.spec),
      false,
    );
    try {
      for (const entry of entries) writer.addEntry(entry);
    } finally {
      writer.close();
    }
    writeManifest(building, manifest);
    if (existsSync(out)) onFile(out, () => rmdirSync(out)); // empty: checked above
    onFile(out, () => renameSync(building, out));
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
}

/** Refuse an `out` that holds anything: a merge never writes over a run. */
export function checkMergeTarget(out: string): void {
  if (!existsSync(out)) return;
  const entries = onFile(out, () => readdirSync(out));
  if (entries.length > 0)
    throw new InputError(out, "already exists and is not empty; merge into a new directory");
}
