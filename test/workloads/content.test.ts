import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../../codecs/types.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { lmbenchLike } from "../../workloads/lmbench-like.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { sapLike } from "../../workloads/sap-like.ts";
import { medium, sparse } from "../../workloads/scenario-2011.ts";
import { stride } from "../../workloads/stride.ts";
import { videoLike } from "../../workloads/video-like.ts";

/** Page contents look like what each workload models. */

function read(run: { readPage(page: number, out: Uint8Array): void }, page: number): Uint8Array {
  const out = new Uint8Array(PAGE_SIZE);
  run.readPage(page, out);
  return out;
}

function distinctBytes(page: Uint8Array): number {
  return new Set(page).size;
}

describe("stride (QEMU docs' load generator)", () => {
  const make = async (passesPerS: number) =>
    stride.create({
      ramBytes: 64 * 1024 ** 2,
      seed: 1,
      params: resolveParams(stride, [`passes_per_s=${passesPerS}`]),
    });

  it("after n passes holds n mod 256 at every 1024th byte of the 16 MiB buffer, 0 elsewhere", async () => {
    const run = await make(10);
    const dirty = new PageBitmap(run.pageCount);
    for (const [t, passes] of [
      [0.05, 0],
      [2.55, 25],
      [30, 300],
    ] as const) {
      run.advanceTo(t, dirty);
      for (const page of [0, 1, 2047, 4095]) {
        const bytes = read(run, page);
        for (let offset = 0; offset < PAGE_SIZE; offset++) {
          const want = offset % 1024 === 0 ? passes % 256 : 0;
          assert.equal(bytes[offset], want, `t=${t} page ${page} offset ${offset}`);
        }
      }
      assert.equal(
        read(run, 4096).every((byte) => byte === 0),
        true,
        "past the buffer: zero",
      );
    }
  });

  it("dirties exactly the buffer's 4096 pages when a pass happened, nothing otherwise", async () => {
    const run = await make(10);
    const none = new PageBitmap(run.pageCount);
    run.advanceTo(0.09, none);
    assert.equal(none.size, 0);
    const one = new PageBitmap(run.pageCount);
    run.advanceTo(0.1, one);
    assert.equal(one.size, 4096);
    assert.equal(one.next(4096), -1);
  });

  it("is all zero again after 256 passes (the byte wraps)", async () => {
    const run = await make(10);
    run.advanceTo(25.6, new PageBitmap(run.pageCount));
    assert.equal(run.isZero(0), true);
    assert.equal(
      read(run, 0).every((byte) => byte === 0),
      true,
    );
  });
});

describe("sparse and medium (the 2011 scenarios)", () => {
  for (const [definition, len, step] of [
    [sparse, 12, 1111],
    [medium, 33, 701],
  ] as const) {
    it(`${definition.name}: an update changes only ${len} bytes every ${step}`, async () => {
      const make = () =>
        definition.create({
          ramBytes: 16 * 1024 ** 2,
          seed: 3,
          params: resolveParams(definition, ["wss=4MiB", "pages_per_s=1000"]),
        });
      const before = await make();
      const after = await make();
      const dirty = new PageBitmap(after.pageCount);
      after.advanceTo(0.5, dirty);
      assert.ok(dirty.size > 100);
      let pagesChecked = 0;
      dirty.forEach((page) => {
        if (pagesChecked++ > 50) return;
        const old = read(before, page);
        const now = read(after, page);
        let changed = 0;
        for (let offset = 0; offset < PAGE_SIZE; offset++) {
          const inArea = offset % step < len;
          if (!inArea) assert.equal(now[offset], old[offset], `page ${page} offset ${offset}`);
          else if (now[offset] !== old[offset]) changed++;
        }
        const areaBytes = Math.ceil(PAGE_SIZE / step) * len;
        assert.ok(
          changed > areaBytes * 0.9,
          `most area bytes changed (${changed} of ${areaBytes})`,
        );
      });
    });
  }
});

describe("sap-like", () => {
  const make = (sets: string[] = []) =>
    sapLike.create({
      ramBytes: 256 * 1024 ** 2,
      seed: 8,
      params: resolveParams(sapLike, ["active_bytes=32MiB", ...sets]),
    });

  it("has about zero_share zero pages and structured, compressible data elsewhere", async () => {
    const run = await make();
    let zero = 0;
    for (let page = 0; page < run.pageCount; page++) if (run.isZero(page)) zero++;
    const share = zero / run.pageCount;
    // 65 536 pages, p = 0.1: sd = 0.0012; 5 sd
    assert.ok(Math.abs(share - 0.1) < 0.006, `zero share ${share}`);
    const data = read(run, run.isZero(0) ? 1 : 0);
    let zeroBytes = 0;
    let textBytes = 0;
    for (const byte of data) {
      if (byte === 0) zeroBytes++;
      if (byte >= 0x41 && byte <= 0x5a) textBytes++;
    }
    // Random bytes would have ~16 zero bytes and ~416 in A–Z.
    assert.ok(zeroBytes > 1000, `NULL columns, high bytes, unused rows (${zeroBytes} zero bytes)`);
    assert.ok(textBytes > 800, `text columns (${textBytes} bytes in A–Z)`);
  });

  it("a sparse update changes a few 8-byte fields of a page, not the page", async () => {
    const before = await make(["dense_rewrites_per_s=0"]);
    const after = await make(["dense_rewrites_per_s=0"]);
    const dirty = new PageBitmap(after.pageCount);
    after.advanceTo(0.002, dirty); // 200 writes, mostly one per page
    let maxChangedWords = 0;
    dirty.forEach((page) => {
      const old = read(before, page);
      const now = read(after, page);
      let changedWords = 0;
      for (let word = 0; word < PAGE_SIZE / 8; word++) {
        for (let b = 0; b < 8; b++) {
          if (old[word * 8 + b] !== now[word * 8 + b]) {
            changedWords++;
            break;
          }
        }
      }
      maxChangedWords = Math.max(maxChangedWords, changedWords);
    });
    assert.ok(maxChangedWords >= 1 && maxChangedWords <= 16, `changed words ${maxChangedWords}`);
  });

  it("popularity is skewed: the busiest 1 % of the active set takes a large share of writes", async () => {
    // Distinct pages dirtied by 20 000 writes over 8 192 active pages: uniform would touch ~7 800
    // (1 − e^(−2.44)); Zipf 1.0 concentrates them on far fewer.
    const run = await make(["dense_rewrites_per_s=0", "writes_per_s=20000"]);
    const dirty = new PageBitmap(run.pageCount);
    run.advanceTo(1, dirty);
    assert.ok(dirty.size < 6000, `distinct pages ${dirty.size}`);
  });
});

describe("video-like", () => {
  it("frame pages are high-entropy and change every lap; metadata pages are sparse", async () => {
    const run = await videoLike.create({
      ramBytes: 128 * 1024 ** 2,
      seed: 2,
      params: resolveParams(videoLike, ["ring_frames=2"]),
    });
    const first = read(run, 0);
    assert.ok(distinctBytes(first) > 240, "random-looking frame data");
    const dirty = new PageBitmap(run.pageCount);
    run.advanceTo(0.1, dirty); // 2.5 frames: the 2-frame ring has wrapped
    assert.ok(dirty.has(0));
    const second = read(run, 0);
    let same = 0;
    for (let i = 0; i < PAGE_SIZE; i++) if (first[i] === second[i]) same++;
    assert.ok(same < 64, `a new frame shares ~1/256 of bytes by chance (${same})`);
  });
});

describe("lmbench-like", () => {
  it("bw_mem writes the int 1 everywhere: a page rewritten is identical to its last copy", async () => {
    const run = await lmbenchLike.create({
      ramBytes: 64 * 1024 ** 2,
      seed: 1,
      params: resolveParams(lmbenchLike, ["buffer_bytes=4MiB", "write_bytes_per_s=8MiB/s"]),
    });
    const dirty = new PageBitmap(run.pageCount);
    assert.equal(run.isZero(5), true, "the buffer starts zeroed");
    run.advanceTo(0.25, dirty); // 2048 pages/s over 1024 pages: first pass over pages 0–511
    const once = read(run, 5);
    assert.deepEqual([...once.subarray(0, 8)], [1, 0, 0, 0, 1, 0, 0, 0]);
    dirty.clear();
    run.advanceTo(0.75, dirty); // second pass over page 5
    assert.ok(dirty.has(5));
    assert.deepEqual(read(run, 5), once);
  });

  it("pattern=pass writes the pass number, so a rewritten page differs", async () => {
    const run = await lmbenchLike.create({
      ramBytes: 64 * 1024 ** 2,
      seed: 1,
      params: resolveParams(lmbenchLike, [
        "buffer_bytes=4MiB",
        "write_bytes_per_s=8MiB/s",
        "pattern=pass",
      ]),
    });
    run.advanceTo(0.25, new PageBitmap(run.pageCount));
    assert.equal(read(run, 5)[0], 1);
    run.advanceTo(0.75, new PageBitmap(run.pageCount));
    assert.equal(read(run, 5)[0], 2);
  });
});
