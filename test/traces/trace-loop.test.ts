import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { UsageError } from "../../lib/errors.ts";
import { rewrittenPage } from "../../workloads/page-versions.ts";
import { Xoshiro128 } from "../../workloads/random.ts";
import { loopPlan } from "../../workloads/trace-loop.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun } from "../../workloads/trace-workload.ts";
import { dirtyPages, pageContent, type TraceModel, tempDir, writeModel } from "./trace-model.ts";

// on-end=loop (workloads/trace-loop.ts, docs/TRACE_FORMAT.md "Replay"): a trace whose writes
// look random and cover their pages loops onto other pages; one with a hot set repeats; one
// whose random writes reach more pages than it recorded is refused.

/** `epochs` epochs 0.1 s apart, each writing `perEpoch` distinct pages `pick` chooses. */
function model(
  pageCount: number,
  epochs: number,
  perEpoch: number,
  pick: (random: Xoshiro128, chosen: Set<number>) => number,
): TraceModel {
  const random = new Xoshiro128(7);
  const version = new Map<number, number>();
  const image = new Map<number, number>();
  for (let p = 0; p < pageCount; p++) if (p % 3 !== 0) image.set(p, 1);
  return {
    pageCount,
    image,
    epochs: Array.from({ length: epochs }, (_, e) => {
      const chosen = new Set<number>();
      while (chosen.size < perEpoch) chosen.add(pick(random, chosen));
      const pages = new Map<number, number>();
      for (const p of chosen) {
        const v = (version.get(p) ?? image.get(p) ?? 0) + 1;
        version.set(p, v);
        pages.set(p, v);
      }
      return { timeS: (e + 1) / 10, pages };
    }),
  };
}

function open(t: { after(fn: () => void): void }, name: string, data: TraceModel): TraceReader {
  const file = join(tempDir(t), `${name}.trace`);
  writeModel(file, data, 32);
  const reader = TraceReader.open(file);
  t.after(() => reader.close());
  return reader;
}

const sorted = (pages: Iterable<number>) => [...pages].sort((a, b) => a - b);

test("random writes that cover their pages loop onto other pages of the written set", (t) => {
  // 300 pages, 30 epochs of 60 uniform draws: every page is written (coverage ≈ 1).
  const data = model(300, 30, 60, (random) => random.below(300));
  const reader = open(t, "random", data);
  assert.equal(loopPlan(reader, "random.trace").kind, "permute");
  const run = new TraceRun(reader, "loop", { seed: 5 });
  const endS = run.endS;
  // Lap 0 is the recording itself.
  assert.deepEqual(dirtyPages(run, 0.1), sorted(data.epochs[0].pages.keys()));
  assert.deepEqual(
    dirtyPages(run, endS),
    sorted(new Set(data.epochs.slice(1).flatMap((e) => [...e.pages.keys()]))),
  );
  // Lap 1, epoch 1: as many pages, all of the written set, but not the recorded ones.
  const lap1 = dirtyPages(run, endS + 0.1);
  const recorded = sorted(data.epochs[0].pages.keys());
  assert.equal(lap1.length, recorded.length);
  assert.notDeepEqual(lap1, recorded);
  // Each lap draws its own permutation: lap 2's epoch 1 lands elsewhere again.
  dirtyPages(run, 2 * endS);
  assert.notDeepEqual(dirtyPages(run, 2 * endS + 0.1), lap1);
  // The seed chooses the laps.
  const other = new TraceRun(reader, "loop", { seed: 6 });
  dirtyPages(other, endS);
  assert.notDeepEqual(dirtyPages(other, endS + 0.1), lap1);
});

test("a looped page steps back and forth along its own recorded versions", (t) => {
  // Every epoch writes all 120 pages: each page has versions image, v1 … v10. Lap 1 (a
  // permutation of all pages onto all pages) writes each page once per epoch, so after lap 1's
  // first epoch every page is at its 11th write: v9 (the walk turned at v10); after its
  // second, v8.
  const data = model(120, 10, 120, (_, chosen) => chosen.size);
  const reader = open(t, "sweep", data);
  assert.equal(loopPlan(reader, "sweep.trace").kind, "permute");
  const run = new TraceRun(reader, "loop");
  dirtyPages(run, run.endS + 0.1);
  const out = new Uint8Array(4096);
  const start = (page: number) => (page % 3 === 0 ? 0 : 1);
  for (const page of [0, 1, 2, 119]) {
    run.readPage(page, out);
    assert.deepEqual(out, pageContent(page, start(page) + 9), `page ${page} after 11 writes`);
  }
  dirtyPages(run, run.endS * 2);
  for (let page = 0; page < 120; page++) {
    // 20 writes: the walk went v10 → … → image → v1 … ; after 20 it is back at the image.
    run.readPage(page, out);
    assert.deepEqual(out, pageContent(page, start(page)), `page ${page} after 20 writes`);
    assert.equal(run.isZero(page), start(page) === 0);
  }
});

test("a hot set repeats as recorded", (t) => {
  // 110 hot pages in every epoch plus 10 cold ones drawn from 400: hot pages recur far more
  // than random draws would make them, so lap k replays the epochs page for page.
  const data = model(600, 12, 120, (random, chosen) =>
    chosen.size < 110 ? chosen.size : 110 + random.below(400),
  );
  const reader = open(t, "hot", data);
  assert.equal(loopPlan(reader, "hot.trace").kind, "repeat");
  const run = new TraceRun(reader, "loop");
  const lap0 = dirtyPages(run, 0.1);
  dirtyPages(run, run.endS);
  assert.deepEqual(dirtyPages(run, run.endS + 0.1), lap0);
});

test("random writes over more pages than the trace recorded are refused, with the estimate", (t) => {
  // 6 epochs of 400 uniform draws from 5000 pages: the trace sees ~1 900 of them. A loop would
  // rewrite only those.
  const data = model(5000, 6, 400, (random) => random.below(5000));
  const reader = open(t, "sparse", data);
  assert.throws(
    () => new TraceRun(reader, "loop", { file: "sparse.trace" }),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      const match =
        /^sparse\.trace: on-end=loop would invent this program's dirtying: its writes look spread over ~(\d+) pages .* but it recorded (\d+) of them/.exec(
          error.message,
        );
      assert.ok(match, error.message);
      // Capture–recapture is good to ~10 % with ≥ 100 repeated pages.
      assert.ok(Math.abs(Number(match[1]) / 5000 - 1) < 0.25, match[1]);
      assert.ok(Number(match[2]) < 2400);
      return true;
    },
  );
  // stop and hold replay it as recorded.
  assert.doesNotThrow(() => new TraceRun(reader, "hold"));
});

/** `data` with a touch epoch 0.05 s after each content epoch but the last, on its pages. */
function withTouches(data: TraceModel): TraceModel {
  const epochs: TraceModel["epochs"][number][] = [];
  data.epochs.forEach((epoch, e) => {
    epochs.push(epoch);
    if (e + 1 < data.epochs.length)
      epochs.push({ timeS: epoch.timeS + 0.05, touch: true, pages: epoch.pages });
  });
  return { ...data, epochs };
}

test("touch epochs: the estimate ignores them, laps map them like content, walks skip them", (t) => {
  const data = model(300, 30, 60, (random) => random.below(300));
  const plain = open(t, "plain", data);
  const touched = open(t, "touched", withTouches(data));
  // Counted, the touches would repeat every page of the epoch before: a "hot set".
  assert.equal(loopPlan(touched, "touched.trace").kind, "permute");
  assert.deepEqual(loopPlan(touched, "t").written, loopPlan(plain, "p").written);
  const a = new TraceRun(plain, "loop", { seed: 5 });
  const b = new TraceRun(touched, "loop", { seed: 5 });
  assert.equal(a.endS, b.endS);
  dirtyPages(a, a.endS);
  dirtyPages(b, b.endS);
  // Lap 1: epoch 1's pages through the lap's permutation, then the touch epoch on the same ones.
  const lap1 = dirtyPages(a, a.endS + 0.1);
  assert.deepEqual(dirtyPages(b, b.endS + 0.1), lap1);
  assert.deepEqual(dirtyPages(b, b.endS + 0.15), lap1);
  // The touches moved no version walk; each rewrote its pages once: lap 1's first epoch wrote
  // these, so they hold that version (the plain run's) with the bytes that write changed from
  // what they held when the lap began given new values — never either of the two.
  const begun = new TraceRun(plain, "loop", { seed: 5 });
  dirtyPages(begun, begun.endS);
  dirtyPages(a, a.endS + 0.15);
  const [before, latest, y] = [new Uint8Array(4096), new Uint8Array(4096), new Uint8Array(4096)];
  assert.ok(lap1.length > 0);
  for (const page of lap1) {
    begun.readPage(page, before);
    a.readPage(page, latest);
    b.readPage(page, y);
    const expected = latest.slice();
    rewrittenPage(expected, before, 1);
    assert.deepEqual(y, expected, `page ${page}`);
    assert.notDeepEqual(y, latest, `page ${page} differs from its latest version`);
    assert.notDeepEqual(y, before, `page ${page} differs from its version before`);
  }
});

test("a looped trace's last touch epoch and the next lap's first epoch: their common pages stay dirty between laps", (t) => {
  // The hot-set trace with a touch epoch 0.05 s after its last content epoch, on the hot pages:
  // a program still rewriting them when the recording ended.
  const data = model(600, 12, 120, (random, chosen) =>
    chosen.size < 110 ? chosen.size : 110 + random.below(400),
  );
  const hot = new Map([...Array(110).keys()].map((page) => [page, 0]));
  const last = data.epochs[data.epochs.length - 1].timeS;
  const touched = {
    ...data,
    epochs: [...data.epochs, { timeS: last + 0.05, touch: true, pages: hot }],
  };
  const reader = open(t, "hot-touched", touched);
  assert.equal(loopPlan(reader, "hot-touched.trace").kind, "repeat");
  const run = new TraceRun(reader, "loop");
  const firstEpoch = reader.epochs[1].timeS;
  dirtyPages(run, run.endS);
  // Between the laps, before lap 1's first epoch: the hot pages in both are dirty.
  const between = dirtyPages(run, run.endS + firstEpoch / 2);
  const [from, to] = reader.epochRecordRange(1);
  const firstPages = new Set([...reader.records.subarray(from, to)].map((r) => r & 0x7fffffff));
  assert.deepEqual(between, sorted([...hot.keys()].filter((page) => firstPages.has(page))));
  assert.ok(between.length >= 100, `${between.length} hot pages between the laps`);
});
