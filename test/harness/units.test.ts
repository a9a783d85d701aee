import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AXIS_OPTIONS } from "../../harness/sweep/axis-options.ts";
import { SWEEP_DEFAULTS } from "../../harness/sweep/plan.ts";
import { UsageError } from "../../lib/errors.ts";
import { flagList, joinNegativeValues } from "../../lib/flag-list.ts";
import {
  parseBytes,
  parseDurationMs,
  parseInteger,
  parseNumber,
  parseRate,
} from "../../lib/units.ts";

const rejects = (f: () => unknown, pattern: RegExp) =>
  assert.throws(f, (error: Error) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, pattern);
    return true;
  });

test("rates: b is a bit, B a byte, whatever the spelling", () => {
  const gigabit = 1e9 / 8;
  for (const text of ["10Gbit/s", "10Gb/s", "10Gbps", "10Gbitps", "10 Gbit/s"])
    assert.equal(parseRate(text), 10 * gigabit, text);
  for (const text of ["10GB/s", "10GBps"]) assert.equal(parseRate(text), 10e9, text);
  assert.equal(parseRate("128MiB/s"), 128 * 2 ** 20);
  assert.equal(parseRate("1GiB/s"), 2 ** 30);
  assert.equal(parseRate("100kbps"), 12_500);
  assert.equal(parseRate("100Kbit/s"), 12_500);
  assert.equal(parseRate("1Mibit/s"), 2 ** 20 / 8);
  assert.equal(parseRate("8bps"), 1);
  assert.equal(parseRate("1B/s"), 1);
});

test("the default link speed and the README's rates keep their bytes (results unchanged)", () => {
  assert.equal(AXIS_OPTIONS.linkBytesPerS.default, "10Gbit/s");
  assert.deepEqual(SWEEP_DEFAULTS.linkBytesPerS, [1.25e9]);
  assert.equal(parseRate("32MiB/s"), 33_554_432);
  assert.equal(parseRate("1Gbit/s"), 125_000_000);
});

test("ambiguous or wrong-case rate units are rejected with the accepted forms", () => {
  rejects(() => parseRate("10gbps", "--link-speed"), /--link-speed: "10gbps".*GBps or Gbps/);
  rejects(() => parseRate("10gb/s", "--link-speed"), /GB\/s or Gb\/s.*Gbit\/s/);
  rejects(
    () => parseRate("10G/s", "--link-speed"),
    /unknown or ambiguous unit "G\/s"; use .*Gbit\/s/,
  );
  rejects(() => parseRate("10mbit/s"), /did you mean Mbit\/s/);
  rejects(() => parseRate("64MiB", "--bandwidth"), /--bandwidth: "64MiB" needs a per-second unit/);
  rejects(() => parseRate("0MiB/s"), /must be positive/);
  rejects(
    () => parseRate("1e999MiB/s", "--bandwidth"),
    /--bandwidth: "1e999MiB\/s" is not a finite/,
  );
  rejects(() => parseRate("-1MiB/s", "--bandwidth"), /--bandwidth: "-1MiB\/s" is negative/);
});

test("sizes: SI and IEC prefixes; a bare prefix and lower-case m/g/t are ambiguous", () => {
  assert.equal(parseBytes("64MiB"), 64 * 2 ** 20);
  assert.equal(parseBytes("64MB"), 64e6);
  assert.equal(parseBytes("64kB"), 64_000);
  assert.equal(parseBytes("64KB"), 64_000);
  assert.equal(parseBytes("4096"), 4096);
  assert.equal(parseBytes("0.5KiB"), 512);
  assert.equal(parseBytes("1TiB"), 2 ** 40);
  rejects(
    () => parseBytes("64M", "--cache-size"),
    /--cache-size: "64M" is ambiguous: say 64MiB .* or 64MB/,
  );
  rejects(() => parseBytes("64mb", "--ram"), /--ram: "64mb".*did you mean MB/);
  rejects(() => parseBytes("1Gbit", "--ram"), /unknown or ambiguous unit "Gbit"/);
  rejects(() => parseBytes("64MiB/s", "--ram"), /is a rate; give a size/);
  rejects(() => parseBytes("-16MiB", "--cache-size"), /--cache-size: "-16MiB" is negative/);
  rejects(() => parseBytes("1e999MiB", "--ram"), /not a finite number/);
  rejects(() => parseBytes("1e20TiB", "--ram"), /too large/);
  rejects(() => parseBytes("lots", "--ram"), /--ram: "lots" is not a number with a unit/);
});

test("durations: ms, s, min, h; a plain number is ms; infinite and negative rejected", () => {
  assert.equal(parseDurationMs("300ms"), 300);
  assert.equal(parseDurationMs("10s"), 10_000);
  assert.equal(parseDurationMs("2min"), 120_000);
  assert.equal(parseDurationMs("1h"), 3_600_000);
  assert.equal(parseDurationMs("5"), 5);
  rejects(() => parseDurationMs("1e999s", "--max-time"), /--max-time: "1e999s" is not a finite/);
  rejects(() => parseDurationMs("-1s", "--at"), /--at: "-1s" is negative/);
  rejects(() => parseDurationMs("10S", "--at"), /did you mean s\?/);
});

test("integers and numbers: bounds named, NaN/Infinity/hex/fractions rejected", () => {
  assert.equal(parseInteger("16384", "--pairs", 1, 524287), 16384);
  assert.equal(parseInteger("1e3", "--pairs", 1), 1000);
  for (const text of ["abc", "", "1.5", "0x10", "1e999", "-1", "0", "524288", "NaN", "Infinity"])
    rejects(
      () => parseInteger(text, "--pairs", 1, 524287, "why"),
      /--pairs: ".*" is not a whole number from 1 to 524287 \(why\)/,
    );
  assert.equal(parseNumber("0.5", "--time", { min: 0 }), 0.5);
  rejects(
    () => parseNumber("0", "--time", { min: 0, unit: "ms" }),
    /--time: "0" is not a number > 0 ms/,
  );
  rejects(() => parseNumber("4", "--hang-seconds", { min: 5, inclusive: true }), /≥ 5/);
  rejects(() => parseNumber("1e999", "--time", { min: 0 }), /not a number/);
});

test("property: n × unit parses to n × its scale, and the case-flipped prefix is refused", () => {
  const scales: [string, number][] = [
    ["KiB", 1024],
    ["MiB", 2 ** 20],
    ["GiB", 2 ** 30],
    ["kB", 1e3],
    ["MB", 1e6],
    ["GB", 1e9],
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 100_000 }),
      fc.constantFrom(...scales),
      (n, [unit, scale]) => {
        assert.equal(parseBytes(`${n}${unit}`), n * scale);
        assert.equal(parseRate(`${n + 1}${unit}/s`), (n + 1) * scale);
        assert.equal(parseRate(`${n + 1}${unit.replace("B", "bit")}/s`), ((n + 1) * scale) / 8);
        if (unit[0] !== "k")
          assert.throws(() => parseBytes(`${n}${unit.toLowerCase()}`), UsageError);
      },
    ),
  );
});

test("a list flag: one comma list; given twice it is refused with the joined example", () => {
  assert.deepEqual(flagList("60s,120s", "max-time"), ["60s", "120s"]);
  assert.equal(flagList(undefined, "max-time"), undefined);
  rejects(
    () => flagList(["60s", "120s"], "max-time"),
    /^--max-time: given 2 times; give one comma list, e\.g\. --max-time 60s,120s$/,
  );
  rejects(() => flagList("1,,2", "seed"), /--seed: empty value/);
  rejects(() => flagList("1,1", "seed"), /--seed: "1" is listed twice/);
});

test("a negative value after its flag reaches the flag; booleans and -- are left alone", () => {
  assert.deepEqual(joinNegativeValues(["--cache-size", "-16MiB", "--ram", "1GiB"]), [
    "--cache-size=-16MiB",
    "--ram",
    "1GiB",
  ]);
  assert.deepEqual(joinNegativeValues(["--limit", "-.5"]), ["--limit=-.5"]);
  assert.deepEqual(joinNegativeValues(["--quiet", "-5"], ["quiet"]), ["--quiet", "-5"]);
  assert.deepEqual(joinNegativeValues(["--no-pin", "-5"]), ["--no-pin", "-5"]);
  assert.deepEqual(joinNegativeValues(["--out", "x", "--", "cmd", "--n", "-1"]), [
    "--out",
    "x",
    "--",
    "cmd",
    "--n",
    "-1",
  ]);
  assert.deepEqual(joinNegativeValues(["--x=-1", "--y", "-z"]), ["--x=-1", "--y", "-z"]);
});
