import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { raw } from "../../codecs/raw.ts";
import { RAW_RECORD_BYTES } from "../../codecs/types.ts";
import { xbzrle } from "../../codecs/xbzrle.ts";
import { RATE_WINDOW_S } from "../../harness/simulator/migration.ts";
import type {
  MigrationView,
  RateWindow,
  SimulationObserver,
} from "../../harness/simulator/observer.ts";
import { ExpectedDowntime } from "../../harness/simulator/observers/expected-downtime.ts";
import { simulate } from "../../harness/simulator/precopy.ts";
import { baseSpec, FREE_CPU, IdleWorkload, MiB, UniformWorkload } from "./precopy-fixtures.ts";

describe("observers", () => {
  const pages = 16384; // 64 MiB
  const bandwidth = 32 * MiB;

  it("expected-downtime after the first window: pages left × 4096 / bandwidth (on paper)", () => {
    const expected = new ExpectedDowntime();
    const after: number[] = [];
    const probe: SimulationObserver = {
      onWindow: () => after.push(expected.expectedDowntimeS),
    };
    simulate(
      {
        spec: baseSpec({ ramBytes: pages * 4096, bandwidthBytesPerS: bandwidth }),
        workload: new IdleWorkload(pages, false),
        codec: raw,
        encodeSecondsPerPage: FREE_CPU,
      },
      [expected, probe],
    );
    // Raw records at the cap: the first window ends with the page that takes the clock past
    // 100 ms, and measures the cap itself.
    const sent = Math.ceil((RATE_WINDOW_S * bandwidth) / RAW_RECORD_BYTES);
    const onPaper = ((pages - sent) * 4096) / bandwidth;
    assert.ok(after.length > 1);
    assert.ok(Math.abs(after[0] - onPaper) < 1e-9 * onPaper, `${after[0]} s vs ${onPaper} s`);
  });

  it("see every sync, window and pass the results count", () => {
    let syncs = 0;
    let passEnds = 0;
    let stopAndCopies = 0;
    const windows: { view: number; window: RateWindow }[] = [];
    const observer: SimulationObserver = {
      onSync: () => syncs++,
      onWindow: (view: MigrationView, window: RateWindow) =>
        windows.push({ view: view.timeS, window }),
      onPassEnd: (_view: MigrationView, stopAndCopy: boolean) => {
        passEnds++;
        if (stopAndCopy) stopAndCopies++;
      },
    };
    const result = simulate(
      {
        spec: baseSpec({ ramBytes: pages * 4096, codec: "xbzrle", bandwidthBytesPerS: bandwidth }),
        workload: new UniformWorkload(pages, 20_000, pages / 4, 1),
        codec: xbzrle,
        encodeSecondsPerPage: FREE_CPU,
      },
      [observer],
    );
    assert.equal(result.status, "completed");
    assert.equal(syncs, result.metrics.dirtySyncCount);
    assert.equal(passEnds, result.passes.length);
    assert.equal(stopAndCopies, 1);
    // Windows are 100 ms of the clock apart or more (a window can run past its end by a page).
    for (let i = 1; i < windows.length; i++) {
      assert.ok(windows[i].view - windows[i - 1].view >= RATE_WINDOW_S - 1e-12);
    }
  });
});
