import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRun } from "../../reports/data.ts";
import { downtimeText, headlines, rawComparisonText } from "../../reports/headline.ts";

const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;

test("the headline: who converged, bytes against raw at the same settings, downtime vs limit", () => {
  const [sapLike] = headlines(loadRun(FIXTURE).cells);
  assert.equal(
    sapLike.lead,
    "xbzrle converged in 10 of 12 settings (raw: 6 of 12); sent 1.4× less than raw where both converged and ≥ 2.0–2.4× less where raw did not; downtime 4.64–15.5 ms (limit 300 ms).",
  );
  const byCodec = Object.fromEntries(sapLike.codecs.map((c) => [c.codec, c]));
  assert.deepEqual(Object.keys(byCodec), ["raw", "zero", "xbrle", "xbzrle"]);
  assert.equal(byCodec.raw.vsRaw, null);
  // One xbrle setting converged in one seed of two: partly, not converged.
  assert.equal(byCodec.xbrle.converged, 9);
  assert.equal(byCodec.xbrle.partly, 1);
  // The failed cell's setting still counts its other seed; failed cells are no setting's data.
  assert.equal(byCodec.xbrle.settings, 12);
  const xbzrle = byCodec.xbzrle;
  assert.ok(xbzrle.vsRaw?.exact && xbzrle.vsRaw.atLeast);
  assert.equal(xbzrle.vsRaw.exact.settings + xbzrle.vsRaw.atLeast.settings, 10);
  assert.equal(
    rawComparisonText(xbzrle.vsRaw),
    "1.4× less; ≥ 2.0–2.4× less where raw did not converge",
  );
  assert.ok(xbzrle.downtime);
  assert.equal(downtimeText(xbzrle.downtime), "4.64–15.5 ms (limit 300 ms)");
  assert.equal(xbzrle.downtime.over, 0);
  assert.equal(byCodec.zero.vsRaw && rawComparisonText(byCodec.zero.vsRaw), "1.2–1.3× less");
});

test("comparisons read the right way round and say when raw was only a bound", () => {
  const one = { low: 4.3, high: 4.3, settings: 1 };
  assert.equal(rawComparisonText({ exact: one, atLeast: null }), "4.3× less");
  assert.equal(
    rawComparisonText({ exact: { low: 0.5, high: 0.8, settings: 2 }, atLeast: null }),
    "1.3–2.0× more",
  );
  assert.equal(
    rawComparisonText({ exact: { low: 0.8, high: 1.5, settings: 2 }, atLeast: null }),
    "1.3× more to 1.5× less",
  );
  assert.equal(
    rawComparisonText({ exact: null, atLeast: { low: 4.3, high: 4.6, settings: 2 } }),
    "≥ 4.3–4.6× less where raw did not converge",
  );
});
