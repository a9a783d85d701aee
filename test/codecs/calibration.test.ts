import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  builtinCalibration,
  type Calibration,
  calibrationFromRows,
  encodeSeconds,
  loadCalibration,
  OUTCOME_KINDS,
  PAGE_OUTCOMES,
  readCalibration,
} from "../../codecs/calibration.ts";
import type { BenchRow } from "../../codecs/codec-bench.ts";
import { builtinCodecs, resolveCodecs } from "../../codecs/registry.ts";
import { InputError } from "../../lib/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "migbench-calibration-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const rates = { zero: 8, unchanged: 4, delta: 2, overflow: 1, raw: 5 };
const good: Calibration = { source: "test", machine: "test CPU", encodeGBps: { xbrle: rates } };

async function rejects(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadCalibration(path), (error: unknown) => {
    assert.ok(error instanceof InputError, `not an InputError: ${String(error)}`);
    assert.ok(error.message.startsWith(path), `does not name the file: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("calibration", () => {
  it("'builtin' is the built-in table, which covers every built-in codec and outcome", async () => {
    assert.equal(await loadCalibration("builtin"), builtinCalibration);
    for (const codec of builtinCodecs) {
      const row = builtinCalibration.encodeGBps[codec.name];
      assert.ok(row, `builtin calibration has no ${codec.name} row`);
      for (const outcome of PAGE_OUTCOMES) assert.ok(row[outcome] > 0);
    }
  });

  it("loads a valid file", async () => {
    assert.deepEqual(await loadCalibration(file("good.json", good)), good);
    const nullMachine = { ...good, machine: null };
    assert.deepEqual(await loadCalibration(file("null.json", nullMachine)), nullMachine);
  });

  it("the checksum a run records is of the bytes whose rates it uses", async () => {
    const text = `${JSON.stringify(good, null, 1)}\n`;
    const path = file("digest.json", text);
    const read = await readCalibration(path);
    assert.deepEqual(read.rates, good);
    assert.equal(read.sha256, createHash("sha256").update(text).digest("hex"));
    assert.deepEqual(await readCalibration("builtin"), { rates: builtinCalibration, sha256: null });
  });

  it("rejects bad files with an InputError naming the file", async () => {
    await rejects(join(dir, "missing.json"), /no such calibration file/);
    await rejects(file("text.json", "{not json"), /not valid JSON/);
    await rejects(file("array.json", []), /expected a JSON object/);
    await rejects(file("source.json", { ...good, source: 3 }), /"source"/);
    await rejects(file("machine.json", { ...good, machine: 1 }), /"machine"/);
    await rejects(file("rates.json", { ...good, encodeGBps: [] }), /"encodeGBps"/);
    await rejects(file("empty.json", { ...good, encodeGBps: {} }), /lists no codec/);
    const { delta: _delta, ...noDelta } = rates;
    await rejects(file("outcome.json", { ...good, encodeGBps: { x: noDelta } }), /\.delta/);
    await rejects(
      file("negative.json", { ...good, encodeGBps: { x: { ...rates, raw: -1 } } }),
      /\.raw must be a positive/,
    );
    await rejects(
      file("unknown.json", { ...good, encodeGBps: { x: { ...rates, hit: 1 } } }),
      /unknown outcome "hit"/,
    );
  });

  it("encodeSeconds = pages × 4096 / (GB/s × 1e9), with the raw row for unknown codecs", () => {
    assert.equal(encodeSeconds(good, "xbrle", "delta"), 4096 / 2e9);
    assert.equal(encodeSeconds(good, "xbrle", "zero", 1000), (1000 * 4096) / 8e9);
    const withRaw: Calibration = {
      ...good,
      encodeGBps: { ...good.encodeGBps, raw: { ...rates, overflow: 16 } },
    };
    assert.equal(encodeSeconds(withRaw, "my-plugin", "overflow", 2), (2 * 4096) / 16e9);
    const rawRate = builtinCalibration.encodeGBps.raw.unchanged;
    assert.equal(encodeSeconds(good, "my-plugin", "unchanged"), 4096 / (rawRate * 1e9));
  });

  it("builds a calibration from bench rows with the documented kind mapping", () => {
    const codecs = resolveCodecs(["raw", "zero", "xbrle", "lz4"]);
    const kinds = [...new Set(Object.values(OUTCOME_KINDS))];
    const rows: BenchRow[] = [];
    codecs.forEach((codec, c) => {
      kinds.forEach((kind, k) => {
        rows.push({
          codec: codec.name,
          kind,
          encodeGBps: 10 * (c + 1) + k,
          decodeGBps: 1,
          encodedPercent: 1,
          overflowPercent: 0,
        });
      });
    });
    const rate = (codec: number, kind: string) => 10 * (codec + 1) + kinds.indexOf(kind);
    const cal = calibrationFromRows(rows, codecs, "test machine");
    assert.equal(cal.machine, "test machine");
    // raw: its own rows everywhere (no zero-page detection).
    assert.deepEqual(cal.encodeGBps.raw, {
      zero: rate(0, "zero"),
      unchanged: rate(0, "identical"),
      delta: rate(0, "random-1pct"),
      overflow: rate(0, "random-full"),
      raw: rate(0, "random-full"),
    });
    // xbrle (delta codec): zero from the zero codec's check, raw from the raw codec's copy.
    assert.deepEqual(cal.encodeGBps.xbrle, {
      zero: rate(1, "zero"),
      unchanged: rate(2, "identical"),
      delta: rate(2, "random-1pct"),
      overflow: rate(2, "random-full"),
      raw: rate(0, "random-full"),
    });
    // lz4 (no delta): raw = its own random-full compression.
    assert.equal(cal.encodeGBps.lz4.raw, rate(3, "random-full"));
    assert.throws(() => calibrationFromRows(rows.slice(1), codecs, "m"), /raw on zero/);
  });
});
