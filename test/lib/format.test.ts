import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  elapsedLabel,
  msLabel,
  NO_VALUE,
  percentLabel,
  rateLabel,
  round,
  roundDecimals,
  sizeLabel,
} from "../../lib/format.ts";
import { parseBytes, parseRate } from "../../lib/units.ts";

test("sizes: binary prefixes, three significant digits, no trailing zeros", () => {
  assert.equal(sizeLabel(0), "0 B");
  assert.equal(sizeLabel(4096), "4 KiB");
  assert.equal(sizeLabel(16 * 1024 ** 2), "16 MiB");
  assert.equal(sizeLabel(64 * 1024 ** 2), "64 MiB");
  assert.equal(sizeLabel(1.5 * 1024 ** 3), "1.5 GiB");
  assert.equal(sizeLabel(2.25e9), "2.1 GiB");
  assert.equal(sizeLabel(1234567), "1.18 MiB");
});

test("rates: whole Gbit/s and Mbit/s as links are quoted, else MiB/s", () => {
  assert.equal(rateLabel(125_000_000), "1 Gbit/s");
  assert.equal(rateLabel(1_250_000_000), "10 Gbit/s");
  assert.equal(rateLabel(12_500_000), "100 Mbit/s");
  assert.equal(rateLabel(32 * 1024 ** 2), "32 MiB/s");
  assert.equal(rateLabel(128 * 1024 ** 2), "128 MiB/s");
});

test("a label is what a user would type back: sizes and rates parse to the value shown", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 999 }),
      fc.constantFrom("KiB", "MiB", "GiB"),
      (n, unit) => {
        const bytes = parseBytes(`${n}${unit}`);
        assert.equal(parseBytes(sizeLabel(bytes).replace(" ", "")), bytes);
        assert.equal(parseRate(rateLabel(bytes).replace(" ", "")), bytes);
      },
    ),
  );
  for (const link of ["1Gbit/s", "10Gbit/s", "100Mbit/s"])
    assert.equal(rateLabel(parseRate(link)).replace(" ", ""), link);
});

test("durations, percentages and elapsed time", () => {
  assert.equal(msLabel(4.7), "4.70 ms");
  assert.equal(msLabel(32.12), "32.1 ms");
  assert.equal(msLabel(300), "300 ms");
  assert.equal(msLabel(1500), "1.50 s");
  assert.equal(msLabel(121_300), "121.3 s");
  assert.equal(percentLabel(0.56), "56 %");
  assert.equal(percentLabel(0.045), "4.5 %");
  assert.equal(elapsedLabel(4.24), "4.2 s");
  assert.equal(elapsedLabel(42.4), "42 s");
  assert.equal(elapsedLabel(187), "3 min 7 s");
  assert.equal(round(1234.5678), 1235);
  assert.equal(round(0.000123456, 3), 0.000123);
});

test("no value prints as one mark everywhere", () => {
  for (const label of [sizeLabel, rateLabel, msLabel, percentLabel])
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY])
      assert.equal(label(value), NO_VALUE, `${label.name}(${value})`);
  assert.equal(elapsedLabel(Number.NaN), "?");
});

test("roundDecimals counts places after the point; round counts significant digits", () => {
  assert.equal(roundDecimals(11.70549, 3), 11.705);
  assert.equal(roundDecimals(268.46, 1), 268.5);
  assert.equal(roundDecimals(0.0004, 3), 0);
  assert.equal(round(11.70549, 3), 11.7);
});
