import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import {
  BLOCK,
  BLOCK_KIND_TOUCH,
  crc32,
  EPOCH_ENTRY,
  EPOCH_TOUCH_FLAG,
  HEADER,
  INDEX,
  RECORD_ZERO_FLAG,
  TRAILER,
} from "../../workloads/trace-format.ts";
import { summarizeTrace } from "../../workloads/trace-info.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun } from "../../workloads/trace-workload.ts";
import {
  dirtyPages,
  pageContent,
  SAMPLE_MODEL,
  type TraceModel,
  tempDir,
  versionsAt,
  writeModel,
} from "./trace-model.ts";

// Touch epochs (format version 2, docs/TRACE_FORMAT.md): "these pages were written at this
// time", no content. Round trip, the version-1 bytes of traces without them, rejection of
// malformed ones, and the replay rule: dirtied by any epoch, content from content epochs only, a
// rewrite (a touch, or a step through a gap) giving new values to the bytes the page's last
// recorded change changed.

/** Content epochs at 0.2, 0.6 and 1.0 s with touch epochs between them. */
const model: TraceModel = {
  pageCount: 24,
  image: new Map([
    [0, 1],
    [1, 1],
    [5, 2],
    [23, 3],
  ]),
  epochs: [
    {
      timeS: 0.2,
      pages: new Map([
        [1, 2],
        [2, 1],
        [5, 0],
      ]),
    },
    {
      timeS: 0.25,
      touch: true,
      pages: new Map([
        [1, 0],
        [2, 0],
      ]),
    },
    {
      timeS: 0.3,
      touch: true,
      pages: new Map([
        [1, 0],
        [2, 0],
        [9, 0],
      ]),
    },
    {
      timeS: 0.6,
      pages: new Map([
        [0, 4],
        [1, 3],
        [2, 2],
        [3, 1],
        [4, 1],
      ]),
    },
    {
      timeS: 0.65,
      touch: true,
      pages: new Map([
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0],
      ]),
    },
    { timeS: 1.0, pages: new Map([[7, 5]]) },
  ],
};

function write(t: { after(fn: () => void): void }, data: TraceModel = model) {
  const dir = tempDir(t);
  const file = join(dir, "touch.trace");
  writeModel(file, data, 2);
  return { file, bad: join(dir, "bad.trace"), bytes: readFileSync(file) };
}

test("touch epochs round-trip: version 2, flagged in the index, records without content", (t) => {
  const { file } = write(t);
  const reader = TraceReader.open(file);
  t.after(() => reader.close());
  assert.equal(reader.version, 2);
  assert.deepEqual(
    reader.epochs.map((e) => [e.timeS, e.touch, e.records]),
    [
      [0, false, 4],
      [0.2, false, 3],
      [0.25, true, 2],
      [0.3, true, 3],
      [0.6, false, 5],
      [0.65, true, 5],
      [1, false, 1],
    ],
  );
  const [from, to] = reader.epochRecordRange(3);
  assert.deepEqual([...reader.records.subarray(from, to)], [1, 2, 9]);
  const summary = summarizeTrace(reader);
  assert.equal(summary.epochs, 3);
  assert.equal(summary.touchEpochs, 3);
  assert.equal(summary.touches, 10);
  assert.equal(summary.touchesPerSecond, 10);
  assert.equal(summary.changedPages, 9);
  // Content epochs' intervals skip the touch epochs between them.
  assert.deepEqual(
    summary.perEpoch.map((e) => Math.round(e.intervalS * 1000)),
    [200, 400, 400],
  );
});

test("a trace without touch epochs is still version 1, byte for byte", (t) => {
  // The sample of trace-reject.test.ts, as written before version 2 existed.
  const v1 = SAMPLE_MODEL;

  const { bytes } = write(t, v1);
  assert.equal(bytes.readUInt16LE(HEADER.version), 1);
  assert.equal(
    createHash("sha256").update(bytes).digest("hex"),
    "7a18548ee76bdb2be4bba6227f6e25039785638440b9dcd64311e083c41fcff0",
  );
});

/**
 * The rule of docs/TRACE_FORMAT.md "Replay", written out byte by byte: where `latest` differs
 * from `previous`, the byte moves `rewrites` places along the cycle of the 255 non-zero values.
 */
function rewritten(latest: Uint8Array, previous: Uint8Array, rewrites: number): Uint8Array {
  const steps = rewrites % 255;
  return latest.map((v, i) => {
    if (steps === 0 || v === previous[i]) return v;
    let x = v;
    for (let k = 0; k < steps; k++) x = x === 255 ? 1 : x + 1;
    return x;
  });
}

test("the rewrite rule steps only the changed bytes, never to 0, back after 255 rewrites", () => {
  const previous = pageContent(1, 1);
  const latest = previous.slice();
  previous[7] = 0; // a byte the change wrote from 0 …
  latest[8] = 0; // … and one it set to 0
  for (const at of [100, 101, 102, 4095]) latest[at] = (previous[at] + 1) & 255;
  for (const k of [1, 2, 3, 254]) {
    const page = rewritten(latest, previous, k);
    page.forEach((v, i) => {
      if (latest[i] === previous[i]) assert.equal(v, latest[i]);
      else {
        assert.notEqual(v, latest[i], `byte ${i} after ${k}`);
        assert.notEqual(v, 0, `byte ${i} after ${k}`);
      }
    });
  }
  assert.deepEqual(rewritten(latest, previous, 255), latest);
  // A zero byte the change wrote steps to k: a rewritten page is never a zero page.
  assert.deepEqual(
    rewritten(new Uint8Array([0, 0]), new Uint8Array([0, 7]), 3),
    new Uint8Array([0, 3]),
  );
});

test("replay: any epoch dirties its pages; each rewrite gives the bytes the last recorded change changed new values", (t) => {
  const { file } = write(t);
  const reader = TraceReader.open(file);
  t.after(() => reader.close());
  const run = new TraceRun(reader, "stop");
  assert.deepEqual(dirtyPages(run, 0.2), [1, 2, 5]);
  const out = new Uint8Array(4096);
  // One touch: page 1 (image version 1, version 2 at 0.2 s) gets new values where 2 differs from
  // 1; page 2, zero before 0.2 s, keeps its first data (its first data is not a change a rewrite
  // repeats, and a rewrite does not make a page zero).
  assert.deepEqual(dirtyPages(run, 0.25), [1, 2]);
  run.readPage(1, out);
  assert.deepEqual(out, rewritten(pageContent(1, 2), pageContent(1, 1), 1), "one touch");
  assert.notDeepEqual(out, pageContent(1, 2));
  assert.notDeepEqual(out, pageContent(1, 1));
  assert.equal(run.isZero(1), false);
  run.readPage(2, out);
  assert.deepEqual(out, pageContent(2, 1), "one touch on a page first written at 0.2 s");
  assert.equal(run.isZero(2), false);
  // (0.25, 0.3]: a second touch gives page 1 new values again, not the ones before either touch
  // (a page rewritten twice between two sends is not sent as unchanged); page 9 only touched
  // (never written with content, so it has no change to repeat and stays as it is).
  assert.deepEqual(dirtyPages(run, 0.3), [1, 2, 9]);
  run.readPage(1, out);
  assert.deepEqual(out, rewritten(pageContent(1, 2), pageContent(1, 1), 2), "two touches");
  assert.notDeepEqual(out, rewritten(pageContent(1, 2), pageContent(1, 1), 1));
  for (const [page, version] of versionsAt(model, 0.3)) {
    if (page === 1) continue;
    run.readPage(page, out);
    assert.deepEqual(out, pageContent(page, version), `page ${page} at 0.3 s`);
  }
  assert.equal(run.isZero(9), true);
  assert.equal(run.isZero(5), true);
  // (0.3, 0.64]: the content epoch at 0.6 s stores page 1's version 3 and starts its count again.
  assert.deepEqual(dirtyPages(run, 0.64), [0, 1, 2, 3, 4]);
  run.readPage(1, out);
  assert.deepEqual(out, pageContent(1, 3), "a content epoch stores what the page holds");
  assert.deepEqual(dirtyPages(run, 0.7), [0, 1, 2, 3, 4]);
  run.readPage(1, out);
  assert.deepEqual(out, rewritten(pageContent(1, 3), pageContent(1, 2), 1), "touched after 0.6 s");
  // Page 3's version before 0.6 s was zero: a touch leaves its first data as it is.
  run.readPage(3, out);
  assert.deepEqual(out, pageContent(3, 1));
  assert.deepEqual(dirtyPages(run, 1.0), [7]);
});

test("replay between two epochs, one a touch epoch: the pages both list are dirty throughout", (t) => {
  const { file } = write(t);
  const reader = TraceReader.open(file);
  t.after(() => reader.close());
  const run = new TraceRun(reader, "stop");
  assert.deepEqual(dirtyPages(run, 0.2), [1, 2, 5]);
  // (0.2, 0.22]: between content {1, 2, 5} and touch {1, 2}.
  assert.deepEqual(dirtyPages(run, 0.22), [1, 2]);
  assert.deepEqual(dirtyPages(run, 0.22), [], "no time passed, nothing written");
  assert.deepEqual(dirtyPages(run, 0.25), [1, 2]);
  // Between touch {1, 2} and touch {1, 2, 9}; then touch {1, 2, 9} and content {0 … 4}.
  assert.deepEqual(dirtyPages(run, 0.27), [1, 2]);
  // Dirty in a gap is rewritten in it: page 1 was rewritten in (0.2, 0.22], at 0.25 s and in
  // (0.25, 0.27].
  const gap = new Uint8Array(4096);
  run.readPage(1, gap);
  assert.deepEqual(gap, rewritten(pageContent(1, 2), pageContent(1, 1), 3));
  assert.deepEqual(dirtyPages(run, 0.3), [1, 2, 9]);
  assert.deepEqual(dirtyPages(run, 0.4), [1, 2]);
  assert.deepEqual(dirtyPages(run, 0.62), [0, 1, 2, 3, 4]);
  assert.deepEqual(dirtyPages(run, 0.7), [0, 1, 2, 3, 4]);
  // Between touch {0 … 4} and content {7}: nothing in both.
  assert.deepEqual(dirtyPages(run, 0.8), []);
  // Content changes at content epochs and at every rewrite: page 1, written at 0.6 s, touched at
  // 0.65 s and in no gap since (0.7 … 0.8 lists nothing common), was rewritten once.
  const out = new Uint8Array(4096);
  run.readPage(1, out);
  assert.deepEqual(out, rewritten(pageContent(1, 3), pageContent(1, 2), 1));
  // Page 2 was rewritten in the gaps (0.2, 0.22], (0.25, 0.27] and (0.3, 0.4] and by two touches,
  // none of which changed it (its version at 0.2 s was its first data); since its version 2 at
  // 0.6 s, once.
  run.readPage(2, out);
  assert.deepEqual(out, rewritten(pageContent(2, 2), pageContent(2, 1), 1));
  // A trace without touch epochs (snapshots only) says nothing of what happens between them.
  const plain = write(t, SAMPLE_MODEL);
  const v1 = TraceReader.open(plain.file);
  t.after(() => v1.close());
  const snapshots = new TraceRun(v1, "stop");
  assert.deepEqual(dirtyPages(snapshots, 0.2), [1, 2, 9]);
  assert.deepEqual(dirtyPages(snapshots, 0.3), []);
});

/** The file with the index rewritten by `patch` (its checksum and the trailer's recomputed). */
function patchIndex(bytes: Buffer, patch: (index: Buffer) => void): Buffer {
  const out = Buffer.from(bytes);
  const indexOffset = Number(out.readBigUInt64LE(out.length - TRAILER.size));
  const index = out.subarray(indexOffset, out.length - TRAILER.size);
  patch(index);
  index.writeUInt32LE(crc32(index, 0, index.length - 4), index.length - 4);
  return out;
}

/** The file with block b's header rewritten by `patch` (its header checksum recomputed). */
function patchBlock(
  bytes: Buffer,
  file: string,
  b: number,
  patch: (block: Buffer, payloadStart: number) => void,
): Buffer {
  const reader = TraceReader.open(file);
  const offset = reader.blockOffset(b);
  reader.close();
  const out = Buffer.from(bytes);
  const header = out.subarray(offset, offset + BLOCK.size);
  patch(out, offset + BLOCK.size);
  header.writeUInt32LE(crc32(header, 0, BLOCK.headerCrc), BLOCK.headerCrc);
  return out;
}

function epochEntry(e: number): number {
  return INDEX.fixedSize + e * EPOCH_ENTRY.size;
}

function rejection(file: string, bytes: Uint8Array): InputError {
  writeFileSync(file, bytes);
  try {
    TraceReader.open(file).close();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${file}: at byte `), error.message);
    assert.equal(error.message.split("\n").length, 1);
    return error;
  }
  assert.fail(`${file} was accepted`);
}

test("malformed touch epochs are rejected with one line naming the byte", (t) => {
  const { file, bad, bytes } = write(t);
  const reader = TraceReader.open(file);
  const touchBlock = reader.epochs[2].firstBlock;
  const contentBlock = reader.epochs[4].firstBlock;
  reader.close();

  // A version-1 header with a touch epoch in the index.
  const v1 = Buffer.from(bytes);
  v1.writeUInt16LE(1, HEADER.version);
  v1.writeUInt32LE(crc32(v1, 0, HEADER.crc), HEADER.crc);
  assert.match(
    rejection(bad, v1).message,
    /epoch 2 is flagged as a touch epoch, which format version 1 does not have/,
  );

  // The image flagged as a touch epoch.
  const image = patchIndex(bytes, (index) => {
    const at = epochEntry(0) + EPOCH_ENTRY.blockCount;
    index.writeUInt32LE((index.readUInt32LE(at) | EPOCH_TOUCH_FLAG) >>> 0, at);
  });
  assert.match(rejection(bad, image).message, /the image \(epoch 0\) is flagged as a touch epoch/);

  // A touch epoch that claims zero records.
  const zeros = patchIndex(bytes, (index) =>
    index.writeUInt32LE(1, epochEntry(2) + EPOCH_ENTRY.zeroRecords),
  );
  assert.match(
    rejection(bad, zeros).message,
    /touch epoch 2 claims 1 zero pages; a touch carries no content/,
  );

  // A touch record with the zero flag (payload checksum fixed, so the record check speaks).
  const zeroRecord = patchBlock(bytes, file, touchBlock, (out, payload) => {
    out.writeUInt32LE((out.readUInt32LE(payload) | RECORD_ZERO_FLAG) >>> 0, payload);
    const header = out.subarray(payload - BLOCK.size, payload);
    const end = payload + header.readUInt32LE(BLOCK.records) * 4;
    header.writeUInt32LE(crc32(out, payload, end), BLOCK.payloadCrc);
  });
  const zeroError = rejection(bad, zeroRecord);
  assert.match(zeroError.message, /touch record for page 1 has the zero flag/);

  // A content block in a touch epoch, and a touch block in a content epoch.
  const contentKind = patchBlock(bytes, file, touchBlock, (out, payload) =>
    out.writeUInt8(1, payload - BLOCK.size + BLOCK.kind),
  );
  assert.match(
    rejection(bad, contentKind).message,
    /block kind 1 does not fit its epoch \(a touch epoch: kind 2\)/,
  );
  const touchKind = patchBlock(bytes, file, contentBlock, (out, payload) =>
    out.writeUInt8(BLOCK_KIND_TOUCH, payload - BLOCK.size + BLOCK.kind),
  );
  assert.match(
    rejection(bad, touchKind).message,
    /block kind 2 does not fit its epoch \(a content epoch: kind 1\)/,
  );

  // A touch block with content: content epoch 4 flagged as touch, its blocks' kind to match.
  const reader4 = TraceReader.open(file);
  const { firstBlock, blockCount } = reader4.epochs[4];
  reader4.close();
  let withContent = patchIndex(bytes, (index) => {
    const at = epochEntry(4) + EPOCH_ENTRY.blockCount;
    index.writeUInt32LE((index.readUInt32LE(at) | EPOCH_TOUCH_FLAG) >>> 0, at);
  });
  for (let b = firstBlock; b < firstBlock + blockCount; b++)
    withContent = patchBlock(withContent, file, b, (out, payload) =>
      out.writeUInt8(BLOCK_KIND_TOUCH, payload - BLOCK.size + BLOCK.kind),
    );
  assert.match(
    rejection(bad, withContent).message,
    /a touch block carries no content, but it has \d+ content bytes/,
  );
});
