import { textWidth } from "../font-metrics.ts";
import type { Layout } from "./layout.ts";

/**
 * The scales the charts share, with their tick values chosen here rather than by Vega, so that
 * zeros, tiny and huge values all have a place and no two tick labels overlap.
 *
 * Downtime and page counts reach 0 (a stop-and-copy with nothing left to send; a trace that
 * ends idle) and span four decades, so they use a symmetric log scale (Webber's bi-symmetric
 * log, Vega's `symlog`): linear within ±C of 0, logarithmic beyond, so 0 has a place at the
 * axis' origin instead of making a log domain [NaN, NaN]. Rates and cache sizes are positive
 * and set in powers of two, so they use a base-2 log scale with power-of-two ticks.
 */

/** The symlog constant for milliseconds: linear below 1 ms, logarithmic above. */
export const SYMLOG_MS = 1;
/** The symlog constant for page counts: linear below 1 page. */
export const SYMLOG_PAGES = 1;

/** The caption's statement of the downtime scale, so a reader knows where 0 ms sits. */
export const DOWNTIME_SCALE_RULE =
  "y: symmetric log scale (linear below 1 ms, logarithmic above), so 0 ms sits at the bottom";

/** The smallest of 1, 2, 5 × 10^k that is ≥ value (value > 0). */
function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const decade = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * decade >= value * (1 - 1e-12)) return step * decade;
  return 10 * decade;
}

/** Where `v` sits on a symlog scale of domain [0, top] and range [0, length], px from 0. */
function symlogPosition(v: number, top: number, constant: number, length: number): number {
  return (Math.log1p(v / constant) / Math.log1p(top / constant)) * length;
}

/**
 * Tick values for a symlog axis over [0, top]: 0, then decades, then 2 and 5 times a decade
 * where they leave at least `gap` px to their neighbours.
 */
export function symlogTicks(top: number, constant: number, length: number, gap: number): number[] {
  const at = (v: number) => symlogPosition(v, top, constant, length);
  const within = (v: number) => v <= top * (1 + 1e-9);
  const decades: number[] = [];
  for (let decade = constant; within(decade); decade *= 10) decades.push(decade);
  const others = [0.2 * constant, 0.5 * constant, ...decades.flatMap((d) => [2 * d, 5 * d])].filter(
    within,
  );
  const kept = [0];
  for (const v of decades) if (at(v) - at(kept[kept.length - 1]) >= gap) kept.push(v);
  for (const v of others) {
    const below = Math.max(...kept.filter((k) => k < v));
    const above = Math.min(...kept.filter((k) => k > v));
    if (at(v) - at(below) >= gap && (!Number.isFinite(above) || at(above) - at(v) >= gap))
      kept.push(v);
  }
  return kept.sort((a, b) => a - b);
}

/**
 * A symlog quantitative scale over [0, top] (top made nice), with its tick values. With
 * `headroom` px, the domain reaches past the top tick so that the last `headroom` px of the
 * axis hold no value (the "did not converge" band sits there).
 */
export function symlogAxis(
  top: number,
  constant: number,
  length: number,
  layout: Layout,
  headroom = 0,
) {
  const niceTop = niceCeil(Math.max(top, constant));
  const domainTop =
    headroom > 0
      ? constant * Math.expm1((Math.log1p(niceTop / constant) * length) / (length - headroom))
      : niceTop;
  return {
    scale: { type: "symlog", constant, domain: [0, domainTop], nice: false, zero: true },
    values: symlogTicks(niceTop, constant, length - headroom, layout.fontSize + 4),
  };
}

/**
 * A base-2 log scale around positive `values` with `padPx` of room beyond the outermost values
 * (at least a factor of √2), so marks drawn beside a value stay inside the plot, and
 * power-of-two ticks thinned until their labels do not touch.
 */
export function log2Axis(values: readonly number[], length: number, layout: Layout, padPx = 0) {
  const low = Math.min(...values);
  const high = Math.max(...values);
  // padPx of `length` must be pad octaves of the whole: solve for the total span.
  const spread = Math.log2(high / low);
  const padOctaves = Math.max(0.5, (padPx * spread) / Math.max(1, length - 2 * padPx));
  const domain = [low / 2 ** padOctaves, high * 2 ** padOctaves];
  const octaves = Math.log2(domain[1] / domain[0]);
  const at = (v: number) => (Math.log2(v / domain[0]) / octaves) * length;
  const powers: number[] = [];
  for (let p = Math.ceil(Math.log2(domain[0])); p <= Math.floor(Math.log2(domain[1])); p++)
    powers.push(2 ** p);
  let every = 1;
  const fits = (ticks: number[]) =>
    ticks.every(
      (v, i) =>
        i === 0 ||
        at(v) - at(ticks[i - 1]) >=
          (textWidth(tickLabel(v), layout.fontSize) +
            textWidth(tickLabel(ticks[i - 1]), layout.fontSize)) /
            2 +
            6,
    );
  let ticks = powers;
  while (!fits(ticks) && every < 64) {
    every *= 2;
    ticks = powers.filter((v) => Math.round(Math.log2(v)) % every === 0);
  }
  return {
    scale: { type: "log", base: 2, domain, nice: false },
    values: ticks,
    pxPerOctave: length / octaves,
  };
}

/** How a log-axis tick prints: 0.5, 16, 1024 (the axis title carries the unit). */
export function tickLabel(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/**
 * A Vega expression that moves each codec's marks sideways by `step` px on a log axis (so
 * codecs measured at the same setting do not hide each other), as a factor on `field`.
 */
export function dodgeExpression(
  field: string,
  codecs: readonly string[],
  stepPx: number,
  pxPerOctave: number,
): string {
  const centre = (codecs.length - 1) / 2;
  const octavesPerStep = stepPx / pxPerOctave;
  return `datum.${field} * pow(2, (indexof(${JSON.stringify(codecs)}, datum.codec) - ${centre}) * ${octavesPerStep.toPrecision(4)})`;
}
