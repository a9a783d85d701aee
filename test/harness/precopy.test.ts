import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinCalibration } from "../../codecs/calibration.ts";
import { raw } from "../../codecs/raw.ts";
import { builtinCodecs } from "../../codecs/registry.ts";
import { type CodecDefinition, RAW_RECORD_BYTES } from "../../codecs/types.ts";
import { xbzrle } from "../../codecs/xbzrle.ts";
import { NO_HOST_OVERHEAD } from "../../harness/simulator/host-profile.ts";
import { simulate } from "../../harness/simulator/precopy.ts";
import { runCell } from "../../harness/simulator/run-cell.ts";
import type { PageBitmap } from "../../lib/page-bitmap.ts";
import type { CellSpec, MigrationResult } from "../../results/cell.ts";
import { MINIMAL_GUEST_OS_SHARE } from "../../workloads/os-base.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { sapLike } from "../../workloads/sap-like.ts";
import { stride } from "../../workloads/stride.ts";
import { WorkloadEndedError } from "../../workloads/types.ts";
import { uniform } from "../../workloads/uniform.ts";
import { baseSpec, FREE_CPU, IdleWorkload, MiB, UniformWorkload } from "./precopy-fixtures.ts";

/**
 * QEMU's docs' stride generator, `passesPerS` sweeps/s over a `bufferBytes` buffer, with a
 * 64 MiB cache so the 16 MiB hot set fits. 25 sweeps/s is fast enough that every migration pass
 * below (≥ 50 ms) finds the whole buffer dirty, and slow enough that the buffer's bytes do not
 * wrap back to an all-zero buffer (after 256 sweeps, 10.24 s) inside any test's time span.
 */
function strideCell(
  overrides: Partial<CellSpec>,
  { passesPerS = 25, bufferBytes = 16 * MiB, deltaSeconds = 0 } = {},
): MigrationResult {
  const spec = baseSpec({
    workload: "stride",
    codec: "xbzrle",
    cacheSizeBytes: 64 * MiB,
    ...overrides,
  });
  const workload = stride.create({
    ramBytes: spec.ramBytes,
    seed: spec.seed,
    params: { buffer_bytes: bufferBytes, passes_per_s: passesPerS, os_share: 0, os_run_pages: 1 },
  });
  assert.ok(!(workload instanceof Promise));
  return simulate({
    spec,
    workload,
    codec: xbzrle,
    encodeSecondsPerPage: { ...FREE_CPU, delta: deltaSeconds },
  });
}

/**
 * What a hit costs in the cells below that need the buffer all dirty at every sync: QEMU sends
 * a pass of hits in one burst (at 2 MiB/s a window's budget holds ~8 000 deltas of ~25 bytes),
 * so with free CPU the next sync would come microseconds later and find the buffer clean. At
 * 12 µs a pass of 4 096 hits lasts 49 ms, longer than one 40 ms sweep.
 */
const HIT_SECONDS = 12e-6;

describe("stride with xbzrle and the direct cache", () => {
  it("every hot page misses once, on its first send with XBZRLE on; later sends all hit", () => {
    // 256 MiB VM at 2 MiB/s: pending (16 MiB uncompressed) never drops below the 600 KiB
    // threshold, so the run goes on to maxPasses. Pass 1 is the bulk pass (no XBZRLE); pass 2
    // wraps around, turns XBZRLE on and inserts the hot pages; the early sync cuts pass 2 short,
    // so the last few hot pages get their first (missing) send in pass 3. From pass 4 on every
    // page sent is a cache hit.
    const result = strideCell(
      { ramBytes: 256 * MiB, bandwidthBytesPerS: 2 * MiB, maxPasses: 10 },
      { deltaSeconds: HIT_SECONDS },
    );
    assert.equal(result.status, "did-not-converge");
    assert.equal(result.passes.length, 10);
    assert.equal(result.metrics.cacheMissPages, 4096);
    assert.equal(result.passes[0].cacheMisses + result.passes[0].cacheHits, 0, "bulk: no XBZRLE");
    assert.equal(result.passes[1].cacheHits, 0);
    assert.equal(result.passes[1].cacheMisses + result.passes[2].cacheMisses, 4096);
    for (const pass of result.passes.slice(3)) {
      assert.equal(pass.cacheMisses, 0, `pass ${pass.pass}`);
      assert.equal(pass.overflows, 0);
      assert.equal(pass.cacheHits, 4096, `pass ${pass.pass}`);
      assert.equal(pass.pagesSent, 4096);
      // 4 changed bytes per page: a small delta record, never a raw page.
      assert.ok(pass.bytesSent < 4096 * 64, `pass ${pass.pass}: ${pass.bytesSent} B`);
    }
    assert.equal(result.metrics.overflowPages, 0);
    assert.ok((result.metrics.encodingRate ?? 0) > 100);
  });

  it("cache age rule: a 16 MiB hot set through an 8 MiB direct cache misses half the time", () => {
    // 2 GiB VM so the bulk pass (zero pages, 9 B each) outlasts the first 100 ms window.
    // The hot pages p and p + 2048 share slot p & 2047. Without the age rule each evicts the
    // other every pass: every lookup misses. With it (CACHED_PAGE_LIFETIME = 2), whichever of
    // the two holds the slot is hit once per pass, so its age is always the current or the
    // previous generation and the other page's insert is refused forever: one hit and one miss
    // per slot per pass → a miss rate of 0.5.
    const missRate = (cacheAge: boolean) => {
      const result = strideCell({
        ramBytes: 2048 * MiB,
        bandwidthBytesPerS: 32 * MiB,
        cacheSizeBytes: 8 * MiB,
        cacheAge,
        maxPasses: 12,
      });
      assert.equal(result.status, "did-not-converge");
      const later = result.passes.slice(2);
      const misses = later.reduce((sum, pass) => sum + pass.cacheMisses, 0);
      const hits = later.reduce((sum, pass) => sum + pass.cacheHits, 0);
      return { rate: misses / (misses + hits), result };
    };
    const withAge = missRate(true);
    const withoutAge = missRate(false);
    assert.equal(withoutAge.rate, 1);
    assert.equal(withoutAge.result.metrics.cacheMissRate, 1);
    assert.ok(Math.abs(withAge.rate - 0.5) < 0.05, `miss rate with the age rule ${withAge.rate}`);
    assert.ok(withAge.result.metrics.cacheInsertRefused > 0);
    assert.equal(withoutAge.result.metrics.cacheInsertRefused, 0);
  });
});

describe("stop conditions", () => {
  it("did-not-converge after maxTime of simulated time", () => {
    const pages = 16384;
    const result = simulate({
      spec: baseSpec({ ramBytes: pages * 4096, maxTimeMs: 3000 }),
      workload: new UniformWorkload(pages, 50_000, pages, 1),
      codec: raw,
      encodeSecondsPerPage: FREE_CPU,
    });
    assert.equal(result.status, "did-not-converge");
    assert.ok(result.metrics.totalTimeMs >= 3000 && result.metrics.totalTimeMs < 3101);
    // It never stopped the VM: no downtime, rather than a downtime of 0 ms.
    assert.equal(result.metrics.downtimeMs, null);
    assert.ok(result.passes.every((pass) => !pass.stopAndCopy));
  });

  it("did-not-converge after maxPasses passes", () => {
    const pages = 16384;
    const result = simulate({
      spec: baseSpec({ ramBytes: pages * 4096, maxPasses: 4 }),
      workload: new UniformWorkload(pages, 50_000, pages, 1),
      codec: raw,
      encodeSecondsPerPage: FREE_CPU,
    });
    assert.equal(result.status, "did-not-converge");
    assert.equal(result.passes.length, 4);
    assert.equal(result.metrics.passes, 4);
  });

  it("trace-ended when a recorded workload runs out of data", () => {
    const pages = 16384;
    const idle = new IdleWorkload(pages, false);
    const ending = {
      pageCount: pages,
      timeS: 0,
      endS: 1,
      advanceTo(timeS: number, dirty: PageBitmap) {
        if (timeS > 1) throw new WorkloadEndedError("recorded", 1);
        idle.advanceTo(timeS, dirty);
      },
      isZero: (page: number) => idle.isZero(page),
      readPage: (page: number, out: Uint8Array) => idle.readPage(page, out),
    };
    const result = simulate({
      spec: baseSpec({ ramBytes: pages * 4096 }),
      workload: ending,
      codec: raw,
      encodeSecondsPerPage: FREE_CPU,
    });
    assert.equal(result.status, "trace-ended");
    assert.ok(result.metrics.totalTimeMs > 1000 && result.metrics.totalTimeMs < 1002);
  });
});

describe("rules", () => {
  const pages = 16384;

  it("bulk-skip off (pre-2013) uses the cache from the first pass", () => {
    // Every page starts non-zero, so the first pass has pages to look up.
    const run = (bulkSkip: boolean) =>
      simulate({
        spec: baseSpec({ ramBytes: pages * 4096, codec: "xbzrle", maxPasses: 3, bulkSkip }),
        workload: new UniformWorkload(pages, 50_000, pages, 1),
        codec: xbzrle,
        encodeSecondsPerPage: FREE_CPU,
      });
    const skipped = run(true).passes[0];
    assert.equal(skipped.cacheMisses + skipped.cacheHits, 0);
    // Nothing is cached yet, so every page the first pass sends (all non-zero) misses.
    const first = run(false).passes[0];
    assert.ok(first.pagesSent > 0);
    assert.equal(first.cacheMisses, first.pagesSent);
  });

  it("encode time on the sender's threads: a chunk takes max(wire, encode)", () => {
    const bandwidth = 32 * MiB;
    const wirePerPage = RAW_RECORD_BYTES / bandwidth;
    const run = (threads: number) =>
      simulate({
        spec: baseSpec({ ramBytes: pages * 4096, threads, linkBytesPerS: bandwidth }),
        workload: new IdleWorkload(pages, false),
        codec: raw,
        // Encoding a page takes twice its wire time on one thread.
        encodeSecondsPerPage: { ...FREE_CPU, raw: 2 * wirePerPage },
      });
    const oneThread = run(1);
    const twoThreads = run(2);
    const wireMs = pages * wirePerPage * 1000;
    assert.ok(Math.abs(oneThread.metrics.totalTimeMs / wireMs - 2) < 0.01);
    assert.ok(Math.abs(twoThreads.metrics.totalTimeMs / wireMs - 1) < 0.01);
    assert.ok(Math.abs(oneThread.metrics.encodeCpuMs - 2 * wireMs) < 1e-6);
  });

  it("codec-aware convergence stops where QEMU's uncompressed rule does not", () => {
    // stride at 2 MiB/s: XBZRLE sends each pass in ~100 KiB, but QEMU counts the 16 MiB of
    // dirty pages uncompressed against a 600 KiB threshold and never stops.
    const qemu = strideCell(
      { ramBytes: 256 * MiB, bandwidthBytesPerS: 2 * MiB, maxPasses: 12 },
      { deltaSeconds: HIT_SECONDS },
    );
    const aware = strideCell(
      {
        ramBytes: 256 * MiB,
        bandwidthBytesPerS: 2 * MiB,
        maxPasses: 12,
        convergence: "codec-aware",
      },
      { deltaSeconds: HIT_SECONDS },
    );
    assert.equal(qemu.status, "did-not-converge");
    assert.equal(aware.status, "completed");
    const stop = aware.passes.at(-1)!;
    assert.ok(stop.stopAndCopy);
    assert.ok(stop.cacheHits > 0, "the stop-and-copy still uses XBZRLE");
    assert.ok(aware.metrics.downtimeMs < 300);
  });

  it("qemu-kvm 0.13: a sync every call, and the final stage sends raw pages", () => {
    // 2 GiB VM: the bulk pass (zero pages, 9 B each, 140 ms) outlasts one ~100 ms call. A
    // 256 KiB buffer (64 pages) is small enough to send within the 30 ms limit.
    const result = strideCell(
      {
        ramBytes: 2048 * MiB,
        bandwidthBytesPerS: 32 * MiB,
        downtimeLimitMs: 30,
        convergence: "qemu-kvm-0.13",
        maxTimeMs: 60_000,
      },
      { bufferBytes: 256 * 1024 },
    );
    assert.equal(result.status, "completed");
    const stop = result.passes.at(-1)!;
    assert.ok(stop.stopAndCopy);
    assert.equal(stop.cacheHits + stop.cacheMisses, 0, "no XBZRLE in the final stage");
    // Every page is a 9-byte ZERO record or a 4104-byte raw record: no delta records.
    const rawPages = (stop.bytesSent - 9 * stop.pagesSent) / (RAW_RECORD_BYTES - 9);
    assert.equal(rawPages, 64);
    // A sync at the end of every ~100 ms call: the bulk pass is cut at the first call's end.
    assert.ok(result.passes.length >= 3);
    for (const pass of result.passes)
      assert.ok(pass.durationMs <= 101, `pass ${pass.pass}: ${pass.durationMs}`);
    assert.ok(result.passes[0].pagesSent < result.passes[0].dirtyPages);
  });

  it("a page compressed on its own (zstd) is a normal page, never an XBZRLE page", () => {
    const zstd = builtinCodecs.find((codec) => codec.name === "zstd")!;
    const run = (codec: typeof zstd) => {
      const spec = baseSpec({ workload: "sap-like", codec: codec.name, ramBytes: 64 * MiB });
      const workload = sapLike.create({
        ramBytes: spec.ramBytes,
        seed: 1,
        params: resolveParams(sapLike, ["active_bytes=16MiB"]),
      });
      assert.ok(!(workload instanceof Promise));
      return simulate({ spec, workload, codec, encodeSecondsPerPage: FREE_CPU });
    };
    const compressed = run(zstd);
    const plain = run(raw);
    assert.equal(compressed.metrics.deltaPages, 0);
    assert.equal(compressed.metrics.deltaBytes, 0);
    assert.equal(compressed.metrics.cacheMissPages, 0);
    assert.ok(compressed.metrics.normalPages > 0);
    // Structured rows compress: the same first pass costs fewer bytes on the wire.
    const firstBytes = (r: MigrationResult) => r.passes[0].bytesSent / r.passes[0].pagesSent;
    assert.ok(firstBytes(compressed) < 0.8 * firstBytes(plain), `${firstBytes(compressed)} B/page`);
  });

  /** A 64 MiB VM writing a 16 MiB working set at random, migrated with `codec`'s xbzrle. */
  const uniformRun = (codec: CodecDefinition, seed: number): MigrationResult => {
    const spec = baseSpec({ workload: "uniform", ramBytes: 64 * MiB, codec: "xbzrle", seed });
    const workload = uniform.create({
      ramBytes: spec.ramBytes,
      seed,
      params: {
        wss: 16 * MiB,
        writes_per_s: 20_000,
        initial: "random",
        os_share: MINIMAL_GUEST_OS_SHARE,
        os_run_pages: 1,
      },
    });
    assert.ok(!(workload instanceof Promise));
    return simulate({ spec, workload, codec, encodeSecondsPerPage: FREE_CPU });
  };

  it("is deterministic: the same spec twice gives the same result", () => {
    const first = uniformRun(xbzrle, 3);
    assert.ok(first.metrics.deltaPages > 0);
    assert.deepEqual(uniformRun(xbzrle, 3), first);
  });

  it("xbzrle through its arena entry point and through encode() on views: the same migration", () => {
    let arenaCalls = 0;
    const counted: CodecDefinition = {
      ...xbzrle,
      create: () => {
        const codec = xbzrle.create();
        const bind = codec.arenaEncoder!;
        codec.arenaEncoder = (arena) => {
          const encode = bind(arena);
          return (pageAt, previousAt, outAt, limit) => {
            arenaCalls++;
            return encode(pageAt, previousAt, outAt, limit);
          };
        };
        return codec;
      },
    };
    const viewsOnly: CodecDefinition = {
      ...xbzrle,
      create: () => {
        const { arenaEncoder: _, ...codec } = xbzrle.create();
        return codec;
      },
    };
    const viaArena = uniformRun(counted, 5);
    assert.equal(arenaCalls, viaArena.metrics.deltaPages);
    assert.ok(arenaCalls > 0);
    assert.deepEqual(uniformRun(viewsOnly, 5), viaArena);
  });
});

describe("runCell", () => {
  it("a recorded trace's row carries the trace's RAM, not --ram", async () => {
    const result = await runCell(
      baseSpec({
        workload: "trace",
        ramBytes: 0,
        params: { file: "workloads/traces/sqlite-kv.trace", "on-end": "stop" },
      }),
      { calibration: builtinCalibration, profile: NO_HOST_OVERHEAD },
    );
    assert.notEqual(result.status, "failed", result.status === "failed" ? result.error : "");
    assert.equal(result.spec.ramBytes, 6_778_880);
  });

  it("turns an error into a failed result with one line", async () => {
    const result = await runCell(baseSpec({ codec: "no-such-codec" }), {
      calibration: builtinCalibration,
      profile: NO_HOST_OVERHEAD,
    });
    assert.equal(result.status, "failed");
    assert.ok(result.status === "failed" && !result.error.includes("\n"));
    assert.match(result.status === "failed" ? result.error : "", /unknown codec "no-such-codec"/);
  });
});
