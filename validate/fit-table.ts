import { SENDER_OUTCOMES } from "../harness/simulator/host-profile.ts";
import type { IntervalCosts } from "./interval-costs.ts";
import type { ProfileFit, SetupFit } from "./profile-fit.ts";

const f = (x: number, d: number) => x.toFixed(d);
const pm = (e: number | null, d: number) => (e === null ? "" : ` ± ${f(e, d)}`);

/** What a zero page's cost came from: the line over vCPU use, the mean, or the thread's CPU. */
function zeroPageRow(stretches: IntervalCosts): string {
  const line = stretches.zeroLine;
  if (line)
    return `| zero page, wall µs per run's zero-only stretches = c₀ + slope × vCPU use | ${f(line.fixed, 2)}${pm(line.fixedError, 2)} + ${f(line.slope, 2)}${pm(line.slopeError, 2)} | ${f(line.residualRms, 2)} µs | ${f(line.rSquared, 3)} | ${line.n} |`;
  if (stretches.zeroCpuMicros !== null)
    return `| zero page, the thread's CPU µs in zero-page stretches less their normal pages' (no stretch sent zero pages alone; no slowdown from CPU time) | ${f(stretches.zeroCpuMicros, 3)} | | | |`;
  return `| zero page, wall µs in zero-only stretches (mean; vCPU use too alike for a slowdown) | ${f(stretches.micros.zero, 2)} | | | ${stretches.zeroRuns} |`;
}

/** The setup's rows: the runs' spread, and the line over the pages the first sync walked. */
function setupRows(setup: SetupFit | null): string[] {
  if (!setup) return ["| setupMs | — (no runs) | | | 0 |"];
  const { spread, line } = setup;
  const rows = [
    `| setup-time (mean; min–max, σ) | ${f(spread.mean, 1)} ms (${f(spread.min, 0)}–${f(spread.max, 0)}, σ ${f(spread.sd, 1)})${line ? "" : " = setupMs (one guest size: no part per page)"} | | | ${spread.n} |`,
  ];
  if (line)
    rows.push(
      `| setup = setupMs + setupMicrosPerPage × pages the first sync walks one at a time | ${f(line.fixed, 1)}${pm(line.fixedError, 1)} ms + ${f(line.slope * 1000, 3)}${pm(line.slopeError === null ? null : line.slopeError * 1000, 3)} µs/page | ${f(line.residualRms, 1)} ms | ${f(line.rSquared, 3)} | ${line.n} |`,
    );
  return rows;
}

/** The fit as a small table for people: coefficient, residual, R², N. */
export function fitTable(fit: ProfileFit): string {
  const lines = [
    "| quantity | value (± standard error) | residual RMS | R² | N |",
    "|---|---|---|---|---|",
  ];
  const { setup, downtime, sender } = fit;
  lines.push(...setupRows(setup));
  lines.push(
    downtime
      ? `| downtime = fixed + slope × final MiB | ${f(downtime.fixed, 2)}${pm(downtime.fixedError, 2)} ms + ${f(downtime.slope, 3)}${pm(downtime.slopeError, 3)} ms/MiB | ${f(downtime.residualRms, 2)} ms | ${f(downtime.rSquared, 3)} | ${downtime.n} |`
      : "| downtime | — (fewer than 2 completed runs) | | | |",
  );
  for (const o of SENDER_OUTCOMES) {
    const kept = sender.fromFallback.includes(o)
      ? " (built-in: not identifiable)"
      : fit.intervals
        ? pm(sender.errors[o], 3) +
          (o === "normal"
            ? " (the thread's CPU)"
            : o === "hit"
              ? " (wall, hit-only stretches)"
              : "")
        : sender.errors[o] === null
          ? " (held at 0)"
          : pm(sender.errors[o], 3);
    lines.push(`| sender µs/page: ${o} | ${f(sender.micros[o], 3)}${kept} | | | |`);
  }
  lines.push(
    `| busy-guest slowdown (× vCPU use) | ${fit.slowdown > 0 ? f(fit.slowdown, 2) : "0 (not fitted: needs the wall or polls basis and guests whose vCPU use differs by ≥ 0.3)"} | | | |`,
  );
  const stretches = fit.intervals;
  if (stretches) {
    lines.push(zeroPageRow(stretches));
    lines.push(
      `| normal page, the thread's CPU µs in normal-only stretches | ${stretches.normalCpuMicros === null ? "— (none)" : f(stretches.normalCpuMicros, 2)} | | | |`,
    );
    lines.push(
      `| XBZRLE hit, wall µs in hit-only stretches (median of runs, at an idle guest's speed) | ${stretches.hitWallMicros === null ? "— (none)" : f(stretches.hitWallMicros, 2)} | | | ${stretches.hitRuns} |`,
    );
  } else
    lines.push(
      `| sender model (µs per migration, all outcomes) | | ${f(sender.residualRms / 1000, 1)} ms | ${f(sender.rSquared, 3)} | ${sender.n} |`,
    );
  const share = fit.threadCpuShare;
  if (share)
    lines.push(
      `| migration thread's CPU / wall time after setup | ${f(share.mean, 2)} (${f(share.min, 2)}–${f(share.max, 2)}) | | | ${share.n} |`,
    );
  return `${lines.join("\n")}\n`;
}
