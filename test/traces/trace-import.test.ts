import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { InputError, UsageError } from "../../lib/errors.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { importSnapshots } from "../../workloads/trace-import.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun } from "../../workloads/trace-workload.ts";
import { pageContent, tempDir } from "./trace-model.ts";

const PAGES = 300; // more than one 256-page import chunk

/** Three dumps: snap1 changes pages 3, 7, 299 and zeroes 10; snap2 changes 7 and 260. */
function writeSnapshots(dir: string): { files: string[]; dumps: Buffer[] } {
  const snap0 = Buffer.alloc(PAGES * 4096);
  for (let p = 0; p < PAGES; p++) if (p % 3 !== 0) snap0.set(pageContent(p, 1), p * 4096);
  snap0.set(pageContent(10, 1), 10 * 4096);
  const snap1 = Buffer.from(snap0);
  snap1.set(pageContent(3, 2), 3 * 4096);
  snap1.set(pageContent(7, 2), 7 * 4096);
  snap1[299 * 4096 + 4095] ^= 1; // one byte at the very end of the last page
  snap1.fill(0, 10 * 4096, 11 * 4096);
  const snap2 = Buffer.from(snap1);
  snap2.set(pageContent(7, 3), 7 * 4096);
  snap2.set(pageContent(260, 3), 260 * 4096);
  const dumps = [snap0, snap1, snap2];
  const files = dumps.map((dump, i) => {
    const file = join(dir, `snap${i}.bin`);
    writeFileSync(file, dump);
    return file;
  });
  return { files, dumps };
}

test("import: epochs hold exactly the pages that differ, and replay gives the dumps back", (t) => {
  const dir = tempDir(t);
  const { files, dumps } = writeSnapshots(dir);
  const out = join(dir, "vm.trace");
  const summary = importSnapshots({ files, out, timesS: [0, 0.5, 1.0] });
  assert.equal(summary.epochs, 2);
  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.equal(reader.pageCount, PAGES);
  assert.equal(reader.epochs[0].records, 200); // pages 0, 3, 6, … are zero and elided
  assert.deepEqual(reader.metadata.source, "import");

  const run = new TraceRun(reader, "stop");
  const page = new Uint8Array(4096);
  const expectState = (dump: Buffer) => {
    for (let p = 0; p < PAGES; p++) {
      run.readPage(p, page);
      assert.ok(Buffer.from(page).equals(dump.subarray(p * 4096, (p + 1) * 4096)), `page ${p}`);
      assert.equal(
        run.isZero(p),
        dump.subarray(p * 4096, (p + 1) * 4096).every((b) => b === 0),
      );
    }
  };
  expectState(dumps[0]);
  const dirty = new PageBitmap(PAGES);
  run.advanceTo(0.5, dirty);
  assert.deepEqual(pagesOf(dirty), [3, 7, 10, 299]);
  expectState(dumps[1]);
  dirty.clear();
  run.advanceTo(1.0, dirty);
  assert.deepEqual(pagesOf(dirty), [7, 260]);
  expectState(dumps[2]);
});

test("import rejects a missing file and unequal sizes with one clear error", (t) => {
  const dir = tempDir(t);
  const { files } = writeSnapshots(dir);
  const out = join(dir, "bad.trace");
  const missing = join(dir, "snap9.bin");
  assert.throws(
    () => importSnapshots({ files: [files[0], missing], out, timesS: [0, 1] }),
    (error: unknown) => error instanceof InputError && error.message === `${missing}: no such file`,
  );
  const short = join(dir, "short.bin");
  writeFileSync(short, Buffer.alloc(4096 * 2));
  assert.throws(
    () => importSnapshots({ files: [files[0], short], out, timesS: [0, 1] }),
    (error: unknown) =>
      error instanceof InputError &&
      error.input === short &&
      /all snapshots must be the same size/.test(error.message),
  );
  const ragged = join(dir, "ragged.bin");
  writeFileSync(ragged, Buffer.alloc(5000));
  assert.throws(
    () => importSnapshots({ files: [ragged], out, timesS: [0] }),
    /not a positive multiple of 4096/,
  );
  assert.throws(() => importSnapshots({ files, out, timesS: [0, 1, 1] }), UsageError);
});

function pagesOf(bitmap: PageBitmap): number[] {
  const pages: number[] = [];
  bitmap.forEach((p) => {
    pages.push(p);
  });
  return pages;
}
