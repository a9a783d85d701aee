import type { VegaLiteSpec } from "./common.ts";
import { chart, SCREEN } from "./layout.ts";

/**
 * The validation lab's chart (`npm run validate:qemu`, docs/VALIDATION.md): per configuration,
 * simulated over real total time and transferred bytes, one point per real repetition (its
 * simulation over it) or per seed of a stochastic configuration's sweep (over the real mean),
 * for each simulation source side by side in the configuration's row (synthetic workload, trace
 * replay: colour), the ±10 % band shaded, and points whose outcome differs (one side did not converge; its time
 * is then the time limit, a bound) drawn as crosses. Not a run-report chart (charts/registry.ts
 * draws a run's results.csv): the lab writes it into its own run directory through the same
 * renderer, so a Vega warning fails it the same way.
 */

/** What the simulation replayed: the synthetic workload or the trace recorded from the guest. */
export type ValidationSource = "synthetic" | "trace";

export interface ValidationRatioRow {
  readonly config: string;
  readonly source: ValidationSource;
  readonly measure: "total time" | "transferred bytes";
  /** "repetition" (sim #k / real #k) or "seed" (seed over the real mean). */
  readonly point: "repetition" | "seed";
  readonly index: number;
  /** sim / real, > 0. */
  readonly ratio: number;
  readonly outcome: "same" | "differs";
}

export const VALIDATION_CHART = "validation-ratios";

const MEASURES = ["total time", "transferred bytes"] as const;
const SOURCES: readonly ValidationSource[] = ["synthetic", "trace"];

/** A log axis that always holds the band and every point, in whole decades' halves. */
function domain(rows: readonly ValidationRatioRow[]): [number, number] {
  const ratios = rows.map((r) => r.ratio);
  const low = Math.min(0.5, ...ratios);
  const high = Math.max(2, ...ratios);
  return [low / 1.1, high * 1.1];
}

function panel(
  rows: readonly ValidationRatioRow[],
  measure: string,
  configs: readonly string[],
  showConfigs: boolean,
) {
  const x = { type: "log", domain: domain(rows) };
  return {
    width: 300,
    height: Math.max(60, 30 * configs.length),
    title: `sim / real: ${measure}`,
    layer: [
      {
        data: { values: [{ low: 0.9, high: 1.1 }] },
        mark: { type: "rect", color: "#2ca02c", opacity: 0.15 },
        encoding: {
          x: { field: "low", type: "quantitative", scale: x, title: "simulated / real" },
          x2: { field: "high" },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: "rule", color: "#2ca02c" },
        encoding: { x: { field: "one", type: "quantitative", scale: x } },
      },
      {
        data: { values: rows.filter((r) => r.measure === measure) },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: { field: "ratio", type: "quantitative", scale: x },
          // The configuration names once, on the left panel.
          y: {
            field: "config",
            type: "nominal",
            sort: configs,
            title: null,
            ...(showConfigs ? {} : { axis: null }),
          },
          yOffset: { field: "source", type: "nominal", sort: SOURCES },
          color: {
            field: "source",
            type: "nominal",
            title: "simulated from",
            scale: { domain: SOURCES, range: ["#1f77b4", "#ff7f0e"] },
          },
          // A seed's point stands for one of many draws: lighter than a repetition's.
          opacity: {
            field: "point",
            type: "ordinal",
            sort: ["repetition", "seed"],
            title: "point",
            scale: { domain: ["repetition", "seed"], range: [0.9, 0.4] },
          },
          shape: {
            field: "outcome",
            type: "nominal",
            title: "outcome",
            scale: { domain: ["same", "differs"], range: ["circle", "cross"] },
          },
        },
      },
    ],
  };
}

/** The spec: one panel per measure, side by side, configurations in the lab's order. */
export function validationRatiosSpec(
  rows: readonly ValidationRatioRow[],
  configs: readonly string[],
  caption: readonly string[],
): VegaLiteSpec {
  return chart(SCREEN, "Simulated against real QEMU migrations", caption, {
    hconcat: MEASURES.map((measure, i) => panel(rows, measure, configs, i === 0)),
    spacing: 16,
    resolve: { scale: { x: "independent" } },
  });
}
