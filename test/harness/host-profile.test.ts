import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { raw } from "../../codecs/raw.ts";
import { RAW_RECORD_BYTES } from "../../codecs/types.ts";
import { zero } from "../../codecs/zero.ts";
import {
  type HostProfile,
  loadHostProfile,
  NO_HOST_OVERHEAD,
  QEMU_72_TCG,
  QEMU_72_TCG_LAB,
  readHostProfile,
} from "../../harness/simulator/host-profile.ts";
import { ZERO_RECORD_BYTES } from "../../harness/simulator/page-sender.ts";
import { simulate } from "../../harness/simulator/precopy.ts";
import { firstSyncPagewisePages } from "../../harness/simulator/setup-time.ts";
import { InputError } from "../../lib/errors.ts";
import type { CellSpec } from "../../results/cell.ts";
import { baseSpec, FREE_CPU, IdleWorkload, MiB, UniformWorkload } from "./precopy-fixtures.ts";

// The host profile's three costs, each checked against an answer derived on paper: setup time
// shifts the whole migration, the downtime's fixed part adds to the stop-and-copy, and the
// sender's cost per page limits the rate once it exceeds a page's wire time.

const pages = 16384;
const near = (actual: number, expected: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual}, expected ${expected}`,
  );

function profile(overrides: Partial<HostProfile>): HostProfile {
  return { ...NO_HOST_OVERHEAD, source: "test", ...overrides };
}

function idleRun(spec: Partial<CellSpec>, host: HostProfile, zeroVm = false, count = pages) {
  return simulate({
    spec: baseSpec({ ramBytes: count * 4096, ...spec }),
    workload: new IdleWorkload(count, zeroVm),
    codec: zeroVm ? zero : raw,
    encodeSecondsPerPage: FREE_CPU,
    hostProfile: host,
  });
}

describe("host profile: setup and the downtime's fixed part", () => {
  it("an idle VM: total = setup + pages × 4104 / bandwidth + the fixed downtime", () => {
    // Nothing is written. The VM stops once what is left of the bulk pass is below the
    // threshold, and the link runs at the cap, so the stop-and-copy sends the rest at the same
    // pace: its downtime is the fixed part plus those pages' wire time.
    const bandwidth = 32 * MiB;
    const host = profile({ setupMs: 180, downtimeFixedMs: 8.7 });
    const result = idleRun({ bandwidthBytesPerS: bandwidth, linkBytesPerS: bandwidth }, host);
    assert.equal(result.status, "completed");
    const m = result.metrics;
    near(m.setupTimeMs, 180, "setup");
    near(m.totalTimeMs, 180 + ((pages * RAW_RECORD_BYTES) / bandwidth) * 1000 + 8.7, "total");
    // The first pass starts when setup ends; the stop-and-copy row lasts the downtime.
    near(result.passes[0].startMs, 180, "first pass start");
    const last = result.passes[result.passes.length - 1];
    assert.ok(last.stopAndCopy && last.pagesSent > 0);
    near(m.downtimeMs, 8.7 + ((last.pagesSent * RAW_RECORD_BYTES) / bandwidth) * 1000, "downtime");
    near(last.durationMs, m.downtimeMs, "stop-and-copy row");
  });

  it("the setup's part per page: every page of a RAM that is not a multiple of 256 KiB", () => {
    // QEMU 7.2's first sync walks such a RAM page by page, and one that is a word-multiple a
    // word at a time (harness/simulator/setup-time.ts): 16 383 pages pay 2 µs each, 16 384 none.
    const host = profile({ setupMs: 10, setupMicrosPerPage: 2 });
    const odd = idleRun({}, host, false, pages - 1);
    near(odd.metrics.setupTimeMs, 10 + (2 * (pages - 1)) / 1000, "walked page by page");
    near(odd.passes[0].startMs, odd.metrics.setupTimeMs, "first pass start");
    near(idleRun({}, host).metrics.setupTimeMs, 10, "a word at a time");
    assert.equal(firstSyncPagewisePages(131070), 131070);
    assert.equal(firstSyncPagewisePages(131072), 0);
  });

  it("with no other cost, a profile's setup and fixed downtime are exactly what it adds", () => {
    // A writer that keeps pages dirty, so the stop-and-copy has pages to send. Setup shifts the
    // guest too (it runs during setup), so compare fixed downtime alone, which moves nothing.
    const run = (host: HostProfile) =>
      simulate({
        spec: baseSpec({ ramBytes: pages * 4096, bandwidthBytesPerS: 32 * MiB }),
        workload: new UniformWorkload(pages, 2000, pages, 1),
        codec: raw,
        encodeSecondsPerPage: FREE_CPU,
        hostProfile: host,
      });
    const without = run(NO_HOST_OVERHEAD);
    const withFixed = run(profile({ downtimeFixedMs: 8.7 }));
    if (without.status !== "completed" || withFixed.status !== "completed")
      assert.fail("both cells must complete");
    assert.ok(without.passes[without.passes.length - 1].pagesSent > 0);
    near(withFixed.metrics.downtimeMs - without.metrics.downtimeMs, 8.7, "downtime difference");
    near(withFixed.metrics.totalTimeMs - without.metrics.totalTimeMs, 8.7, "total difference");
    assert.equal(withFixed.metrics.transferredBytes, without.metrics.transferredBytes);
    assert.equal(without.metrics.setupTimeMs, 0);
  });
});

describe("host profile: the sender's cost per page", () => {
  it("limits the rate when it exceeds the wire time: zero pages at 2.85 µs each", () => {
    // A zero page is 9 bytes (0.27 µs at 32 MiB/s) but costs the migration thread 2.85 µs, so
    // every chunk is CPU-bound, the stop-and-copy's too: the migration takes pages × 2.85 µs,
    // and the measured bandwidth (hence the threshold) is 9 bytes per 2.85 µs. A 512 MiB VM,
    // so the bulk pass outlasts the first 100 ms window.
    const bandwidth = 32 * MiB;
    const zeroPages = 131072;
    const result = idleRun({ bandwidthBytesPerS: bandwidth }, QEMU_72_TCG, true, zeroPages);
    const perPageS = QEMU_72_TCG.senderMicrosPerPage.zero / 1e6;
    assert.ok(ZERO_RECORD_BYTES / bandwidth < perPageS);
    const m = result.metrics;
    near(
      m.totalTimeMs,
      QEMU_72_TCG.setupMs + zeroPages * perPageS * 1000 + QEMU_72_TCG.downtimeFixedMs,
      "total",
    );
    assert.equal(m.zeroPages, zeroPages);
    // Encode time stays the codec's alone: the sender's cost is not encoding.
    assert.equal(m.encodeCpuMs, 0);
    const threshold = result.passes[0].thresholdBytes;
    const expected = (ZERO_RECORD_BYTES / perPageS) * 0.3;
    assert.ok(Math.abs(threshold / expected - 1) < 1e-6, `threshold ${threshold} vs ${expected}`);
  });

  it("is not divided by --threads, and adds to the codec's own time", () => {
    // Raw pages at 2 GiB/s take 1.9 µs on the wire; the sender's 3.1 µs plus an encode of
    // 2 µs (0.5 µs on 4 threads) sets the pace: pages × (3.1 + 2 / threads) µs.
    const bandwidth = 2 * 1024 * MiB;
    const run = (threads: number) =>
      simulate({
        spec: baseSpec({
          ramBytes: pages * 4096,
          bandwidthBytesPerS: bandwidth,
          linkBytesPerS: bandwidth,
          threads,
        }),
        workload: new IdleWorkload(pages, false),
        codec: raw,
        encodeSecondsPerPage: { ...FREE_CPU, raw: 2e-6 },
        hostProfile: profile({ senderMicrosPerPage: { ...QEMU_72_TCG.senderMicrosPerPage } }),
      });
    for (const threads of [1, 4]) {
      const m = run(threads).metrics;
      near(m.totalTimeMs, pages * (3.1 + 2 / threads) * 1e-3, `total with ${threads} threads`);
      near(m.encodeCpuMs, pages * 2e-3, `encode CPU with ${threads} threads`);
    }
  });

  it("paces the stop-and-copy too: downtime = fixed + pages × the normal page's cost", () => {
    // At 100 Gbit/s a raw page's wire time (0.33 µs) is below the sender's 3.1 µs.
    const result = simulate({
      spec: baseSpec({
        ramBytes: pages * 4096,
        bandwidthBytesPerS: 32 * MiB,
        linkBytesPerS: 12.5e9,
      }),
      workload: new UniformWorkload(pages, 2000, pages, 1),
      codec: raw,
      encodeSecondsPerPage: FREE_CPU,
      hostProfile: QEMU_72_TCG,
    });
    assert.equal(result.status, "completed");
    const last = result.passes[result.passes.length - 1];
    assert.ok(last.stopAndCopy && last.pagesSent > 0);
    const expected = QEMU_72_TCG.downtimeFixedMs + last.pagesSent * 3.1e-3;
    near(result.metrics.downtimeMs, expected, "downtime");
  });
});

describe("host profile: a busy guest slows the sender (busyVcpuSlowdown)", () => {
  it("live pages cost (1 + slowdown × guest_vcpu_busy) times as much; the stop-and-copy does not", () => {
    // An idle VM of normal pages at 100 Gbit/s: every chunk is CPU-bound at 10 µs a page. With
    // slowdown 0.5 and a guest using 0.6 of a vCPU, a live page costs 10 × 1.3 = 13 µs; once
    // the VM is stopped no vCPU competes and a page costs 10 µs again.
    const host = profile({
      senderMicrosPerPage: { zero: 10, normal: 10, hit: 10, miss: 10, overflow: 10 },
      busyVcpuSlowdown: 0.5,
    });
    const run = (busy: number) =>
      simulate({
        spec: baseSpec({
          ramBytes: pages * 4096,
          bandwidthBytesPerS: 12.5e9,
          linkBytesPerS: 12.5e9,
          params: { guest_vcpu_busy: busy },
        }),
        workload: new IdleWorkload(pages, false),
        codec: raw,
        encodeSecondsPerPage: FREE_CPU,
        hostProfile: host,
      });
    for (const busy of [0, 0.6]) {
      const result = run(busy);
      assert.equal(result.status, "completed");
      const last = result.passes[result.passes.length - 1];
      assert.ok(last.stopAndCopy && last.pagesSent > 0);
      const live = pages - last.pagesSent;
      near(result.metrics.downtimeMs, last.pagesSent * 10e-3, `downtime at busy ${busy}`);
      near(
        result.metrics.totalTimeMs,
        live * 10e-3 * (1 + 0.5 * busy) + last.pagesSent * 10e-3,
        `total at busy ${busy}`,
      );
    }
    // Without the profile term the guest's vCPU use changes nothing.
    const quiet = profile({ senderMicrosPerPage: host.senderMicrosPerPage });
    const plain = (busy: number) =>
      simulate({
        spec: baseSpec({ ramBytes: pages * 4096, params: { guest_vcpu_busy: busy } }),
        workload: new IdleWorkload(pages, false),
        codec: raw,
        encodeSecondsPerPage: FREE_CPU,
        hostProfile: quiet,
      }).metrics.totalTimeMs;
    assert.equal(plain(1), plain(0));
  });
});

describe("host profile files", () => {
  const dir = mkdtempSync(join(tmpdir(), "migbench-profile-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, data: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof data === "string" ? data : JSON.stringify(data));
    return path;
  };

  it("built-in names and a file round-trip; none is the model without host costs", async () => {
    assert.equal(await loadHostProfile("qemu-7.2-tcg"), QEMU_72_TCG);
    assert.deepEqual(await loadHostProfile("none"), NO_HOST_OVERHEAD);
    const path = write("tcg.json", QEMU_72_TCG);
    assert.deepEqual(await loadHostProfile(path), QEMU_72_TCG);
    // The lab's own host, with its busy-guest slowdown, survives the same round trip.
    assert.equal(await loadHostProfile("qemu-7.2-tcg-lab"), QEMU_72_TCG_LAB);
    const lab = write("lab.json", QEMU_72_TCG_LAB);
    assert.deepEqual(await loadHostProfile(lab), QEMU_72_TCG_LAB);
    // Its value is the fit's (test/validate/lab-profile.test.ts); here only that it has one.
    assert.ok((QEMU_72_TCG_LAB.busyVcpuSlowdown ?? 0) > 0);
    await assert.rejects(
      loadHostProfile(write("neg.json", { ...QEMU_72_TCG_LAB, busyVcpuSlowdown: -1 })),
      /"busyVcpuSlowdown" must be a number ≥ 0/,
    );
  });

  it("the checksum is of the bytes parsed; a built-in has none", async () => {
    const text = JSON.stringify(QEMU_72_TCG, null, 1);
    const path = write("hashed.json", text);
    const read = await readHostProfile(path);
    assert.deepEqual(read.values, QEMU_72_TCG);
    assert.equal(read.sha256, createHash("sha256").update(text).digest("hex"));
    assert.equal((await readHostProfile("qemu-7.2-tcg")).sha256, null);
  });

  it("a bad file is one InputError naming the file and the field", async () => {
    const cases: [unknown, RegExp][] = [
      ["{", /not valid JSON/],
      [[], /expected a JSON object/],
      [{ ...QEMU_72_TCG, setupMs: -1 }, /"setupMs" must be a number ≥ 0/],
      [{ ...QEMU_72_TCG, setupMicrosPerPage: "2" }, /"setupMicrosPerPage" must be a number ≥ 0/],
      [{ ...QEMU_72_TCG, extra: 1 }, /unknown field "extra"/],
      [
        { ...QEMU_72_TCG, senderMicrosPerPage: { ...QEMU_72_TCG.senderMicrosPerPage, delta: 1 } },
        /unknown outcome "delta"/,
      ],
      [
        { ...QEMU_72_TCG, senderMicrosPerPage: { zero: 1 } },
        /"senderMicrosPerPage.normal" must be a number/,
      ],
    ];
    for (const [index, [data, message]] of cases.entries()) {
      const path = write(`bad-${index}.json`, data);
      await assert.rejects(loadHostProfile(path), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, message);
        assert.ok(error.message.startsWith(path));
        return true;
      });
    }
    await assert.rejects(loadHostProfile(join(dir, "missing.json")), /no such host profile file/);
  });
});
