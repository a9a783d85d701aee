import { shellQuote } from "../lib/machine.ts";
import { DEFAULT_PAIRS, DEFAULT_SEED } from "./bench-options.ts";
import type { ResultRow } from "./bench-results.ts";

/**
 * The noise warning of `bench:codecs`, after hyperfine's "Statistical outliers were detected":
 * how many speeds are too uncertain, the worst few by name, and a command that measures just
 * those rows again with a longer budget (a command that parses: a test runs it through the
 * option parser).
 */

/** Above this relative margin of error (%, 95 % CI of the mean iteration time) a speed is flagged. */
export const RME_WARN_PERCENT = 10;
/** Rows named in the warning; the rest are counted. */
const NAMED = 4;

/** What the suggested command needs to know about the run. */
export interface NoiseContext {
  readonly pairs: number;
  readonly seed: number;
  readonly timeMs: number;
  /** --codec-module paths, with the codec each loaded. */
  readonly plugins: readonly { readonly path: string; readonly codec: string }[];
  /** The 1-minute load average when the run ended, and the CPUs: a busy machine is named. */
  readonly loadAverage: number;
  readonly cores: number;
}

interface NoisySpeed {
  readonly codec: string;
  readonly kind: string;
  readonly direction: "encode" | "decode";
  readonly rmePercent: number;
}

function noisySpeeds(rows: readonly ResultRow[]): NoisySpeed[] {
  const noisy: NoisySpeed[] = [];
  for (const row of rows) {
    for (const direction of ["encode", "decode"] as const) {
      const speed = row[direction];
      if (speed.meaningful && !(speed.stats.rmePercent <= RME_WARN_PERCENT)) {
        noisy.push({
          codec: row.codec,
          kind: row.kind,
          direction,
          rmePercent: speed.stats.rmePercent,
        });
      }
    }
  }
  return noisy.sort((a, b) => b.rmePercent - a.rmePercent);
}

const distinct = (values: readonly string[]) => [...new Set(values)];

/**
 * `npm run bench:codecs -- ...` for the noisy rows' codecs and kinds (in the run's order), with
 * a 4× longer budget, 2 s at least.
 */
export function rerunCommand(
  rows: readonly ResultRow[],
  noisy: readonly NoisySpeed[],
  context: NoiseContext,
): string {
  const isNoisy = (row: ResultRow) =>
    noisy.some((n) => n.codec === row.codec && n.kind === row.kind);
  const noisyRows = rows.filter(isNoisy);
  // memcpy is measured with every codec; for memcpy alone, any codec will do: raw is quickest.
  const codecs = distinct(noisyRows.map((r) => r.codec).filter((codec) => codec !== "memcpy"));
  const args = ["--codec", (codecs.length > 0 ? codecs : ["raw"]).join(",")];
  args.push("--kind", distinct(noisyRows.map((r) => r.kind)).join(","));
  args.push("--time", String(Math.max(2000, Math.round(4 * context.timeMs))));
  if (context.pairs !== DEFAULT_PAIRS) args.push("--pairs", String(context.pairs));
  if (context.seed !== DEFAULT_SEED) args.push("--seed", String(context.seed));
  for (const { path, codec } of context.plugins) {
    if (codecs.includes(codec)) args.push("--codec-module", path);
  }
  return `npm run bench:codecs -- ${args.map(shellQuote).join(" ")}`;
}

/** The warning's lines, or none when every meaningful speed is within the margin. */
export function noiseWarning(rows: readonly ResultRow[], context: NoiseContext): string[] {
  const noisy = noisySpeeds(rows);
  if (noisy.length === 0) return [];
  const speeds = rows.reduce(
    (n, row) => n + (row.encode.meaningful ? 1 : 0) + (row.decode.meaningful ? 1 : 0),
    0,
  );
  const named = noisy
    .slice(0, NAMED)
    .map((n) => `${n.codec}/${n.kind} ${n.direction} ±${n.rmePercent.toFixed(0)} %`);
  const more = noisy.length > NAMED ? ` and ${noisy.length - NAMED} more` : "";
  const busy =
    context.loadAverage >= context.cores
      ? ` (the load average is ${context.loadAverage.toFixed(1)} on ${context.cores} CPUs)`
      : "";
  return [
    `warning: ${noisy.length} of ${speeds} speeds have a margin of error above ±${RME_WARN_PERCENT} % ` +
      `(95 % CI of the mean): ${named.join(", ")}${more}.`,
    `  Close other programs${busy}, or measure those rows again with a longer budget:`,
    `  ${rerunCommand(rows, noisy, context)}`,
  ];
}
