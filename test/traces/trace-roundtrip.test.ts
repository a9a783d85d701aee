import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { crc32, RECORD_PAGE_MASK, RECORD_ZERO_FLAG } from "../../workloads/trace-format.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun } from "../../workloads/trace-workload.ts";
import { TraceWriter } from "../../workloads/trace-writer.ts";
import { pageContent, type TraceModel, tempDir, versionsAt, writeModel } from "./trace-model.ts";

const modelArbitrary: fc.Arbitrary<TraceModel> = fc
  .integer({ min: 1, max: 96 })
  .chain((pageCount) => {
    const pages = (maxLength: number, minVersion: number) =>
      fc
        .array(
          fc.tuple(
            fc.integer({ min: 0, max: pageCount - 1 }),
            fc.integer({ min: minVersion, max: 5 }),
          ),
          { maxLength },
        )
        .map((pairs) => new Map(pairs));
    return fc.record({
      pageCount: fc.constant(pageCount),
      image: pages(pageCount, 0),
      epochs: fc
        .array(fc.record({ gapMs: fc.integer({ min: 1, max: 400 }), pages: pages(40, 0) }), {
          maxLength: 6,
        })
        .map((list) => {
          let timeMs = 0;
          return list.map(({ gapMs, pages: changed }) => {
            timeMs += gapMs;
            return { timeS: timeMs / 1000, pages: changed };
          });
        }),
    });
  });

test("CRC32 matches the standard check value", () => {
  // CRC-32/ISO-HDLC of "123456789" is 0xCBF43926 (the catalogue's check value).
  assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
  const bytes = Buffer.from("The quick brown fox jumps over the lazy dog");
  assert.equal(crc32(bytes), 0x414fa339);
  // Continuing a checksum equals checksumming the concatenation.
  assert.equal(crc32(bytes, 10, bytes.length, crc32(bytes, 0, 10)), crc32(bytes));
});

test("write → read → replay gives back every epoch's pages and every page's content", (t) => {
  const dir = tempDir(t);
  const expected = new Uint8Array(4096);
  const actual = new Uint8Array(4096);
  let run = 0;
  fc.assert(
    fc.property(modelArbitrary, fc.integer({ min: 1, max: 6 }), (model, pagesPerBlock) => {
      const file = join(dir, `model-${run++}.trace`);
      writeModel(file, model, pagesPerBlock);
      const reader = TraceReader.open(file);
      try {
        // The image holds only the non-zero pages (zero pages elided).
        const nonZeroImage = [...model.image.values()].filter((v) => v !== 0).length;
        assert.equal(reader.epochs[0].records, nonZeroImage);
        assert.equal(reader.pageCount, model.pageCount);
        assert.equal(reader.epochCount, model.epochs.length);
        model.epochs.forEach((epoch, i) => {
          assert.ok(Math.abs(reader.epochs[i + 1].timeS - epoch.timeS) < 1e-6);
          const [from, to] = reader.epochRecordRange(i + 1);
          const pages = [...reader.records.subarray(from, to)].map((r) => r & RECORD_PAGE_MASK);
          assert.deepEqual(
            pages,
            [...epoch.pages.keys()].sort((a, b) => a - b),
          );
          const zeros = [...reader.records.subarray(from, to)].filter((r) => r & RECORD_ZERO_FLAG);
          assert.equal(zeros.length, [...epoch.pages.values()].filter((v) => v === 0).length);
        });

        // Replay epoch by epoch: dirty pages per interval and every page's content.
        const replay = new TraceRun(reader, "hold");
        const checkContents = (timeS: number) => {
          const versions = versionsAt(model, timeS);
          for (let p = 0; p < model.pageCount; p++) {
            const version = versions.get(p) ?? 0;
            assert.equal(replay.isZero(p), version === 0, `page ${p} zero at ${timeS}`);
            replay.readPage(p, actual);
            assert.deepEqual(actual, pageContent(p, version, expected), `page ${p} at ${timeS} s`);
          }
        };
        checkContents(0);
        for (const epoch of model.epochs) {
          const dirty = new PageBitmap(model.pageCount);
          replay.advanceTo(epoch.timeS, dirty);
          const pages: number[] = [];
          dirty.forEach((p) => {
            pages.push(p);
          });
          assert.deepEqual(
            pages,
            [...epoch.pages.keys()].sort((a, b) => a - b),
          );
          checkContents(epoch.timeS);
        }

        // One interval over all epochs dirties their union.
        const whole = new TraceRun(reader, "hold");
        const dirty = new PageBitmap(model.pageCount);
        whole.advanceTo(reader.durationS, dirty);
        const union = new Set(model.epochs.flatMap((e) => [...e.pages.keys()]));
        assert.equal(dirty.size, union.size);
        for (const p of union) assert.ok(dirty.has(p));
      } finally {
        reader.close();
      }
    }),
    { numRuns: 25, seed: 20261125 },
  );
});

test("a trace with only an image (no epochs) round-trips and ends at 0 s", (t) => {
  const file = join(tempDir(t), "image-only.trace");
  writeModel(file, { pageCount: 10, image: new Map([[3, 1]]), epochs: [] });
  const reader = TraceReader.open(file);
  assert.equal(reader.epochCount, 0);
  assert.equal(reader.durationS, 0);
  const run = new TraceRun(reader, "hold");
  assert.equal(run.isZero(3), false);
  assert.equal(run.isZero(4), true);
  reader.close();
});

test("the writer refuses pages out of order and times that do not increase", (t) => {
  const dir = tempDir(t);
  const model: TraceModel = { pageCount: 8, image: new Map(), epochs: [] };
  writeModel(join(dir, "ok.trace"), model);
  const writer = TraceWriter.create(join(dir, "bad.trace"), { pageCount: 8 });
  const page = pageContent(1, 1);
  writer.addPage(2, page);
  assert.throws(() => writer.addPage(2, page), /ascending/);
  writer.beginEpoch(0.5);
  writer.endEpoch();
  assert.throws(() => writer.beginEpoch(0.5), /later than the previous epoch/);
  writer.abort();
});
