import { UsageError } from "../lib/errors.ts";
import { Permutation } from "./permutation.ts";
import { hash3 } from "./random.ts";
import { RECORD_PAGE_MASK } from "./trace-format.ts";
import type { TraceEpoch } from "./trace-index.ts";
import type { TraceReader } from "./trace-reader.ts";

/**
 * `--set on-end=loop`: how a trace repeats when the migration outlasts it, and whether it may.
 * docs/TRACE_FORMAT.md ("Replay") states the rule; in short:
 *
 * A trace records a sample of a program's writes. Repeating the sample page for page is honest
 * when the program keeps writing the same pages (a hot set, a buffer it sweeps), and not when
 * its writes are spread at random over more memory than the sample caught: the laps then
 * rewrite only the pages the sample happened to hit, and a migration longer than the trace
 * sees too few distinct dirty pages (a 2.5 s trace of a uniform random writer replayed for a
 * 13 s migration dirtied 11 346 pages at a sync where the real guest had ~25 000).
 *
 * Which case a trace is, is measured on its consecutive epochs A, B: pages written in both,
 * against what independent uniform draws from N pages would give (|A|·|B| / N). The capture–
 * recapture estimate (Lincoln–Petersen) of the pages the writes are drawn from is
 * N̂ = Σ|A|·|B| / Σ|A∩B|, and the trace's coverage is |W| / N̂, W the pages it ever wrote:
 * - coverage > 1.1: pages recur more often than random draws from W would make them (a hot set,
 *   a sweep): `repeat`, lap k replays epoch e's pages as recorded;
 * - 0.9 ≤ coverage ≤ 1.1: the writes look like random draws from W and the trace has seen
 *   (nearly) all of W: `permute`, lap k ≥ 1 writes epoch e's changes to other pages of W, by a
 *   seeded permutation of W drawn afresh for each lap;
 * - coverage < 0.9, or fewer than MIN_REPEATS repeated pages to measure it: refuse with a line
 *   saying why: the writes reach memory the trace never saw, so any loop would invent its
 *   dirtying.
 * In every lap after the first, a write moves its page one step along the page's own recorded
 * versions (image, v1 … vn), back and forth (vn, vn−1 … image, v1 …), so each change it makes
 * is one the program made to that page, of the same size; lap 0 is the recording itself.
 *
 * Touch epochs (format version 2) take no part in the estimate: a fine-captured hot page is in
 * nearly every touch epoch, so counting them would make every hot page "recur". In a lap their
 * records land where the page's content records do (target()) and move no version walk: a touch
 * carries no content.
 */

export type LoopKind = "repeat" | "permute";

/** Between these, a trace's writes look like uniform random draws from its written set. */
const RANDOM_COVERAGE_LOW = 0.9;
const RANDOM_COVERAGE_HIGH = 1.1;
/** Repeated pages needed to measure coverage to about ±10 % (1/√100). */
const MIN_REPEATS = 100;

/** What a loop needs to know about a trace, computed once per reader. */
export interface LoopPlan {
  readonly kind: LoopKind;
  /** The pages the epochs wrote, ascending: the dense index i names written[i]. */
  readonly written: Uint32Array;
  readonly denseOf: ReadonlyMap<number, number>;
  /**
   * Page i's versions are versionRecord[versionStart[i] .. versionStart[i + 1]): its image
   * record (−1 for a page that started zero), then its records in epoch order.
   */
  readonly versionStart: Uint32Array;
  readonly versionRecord: Int32Array;
}

const plans = new WeakMap<TraceReader, LoopPlan>();

/** The loop plan of a trace, or a UsageError saying why looping it would be dishonest. */
export function loopPlan(reader: TraceReader, file: string): LoopPlan {
  let plan = plans.get(reader);
  if (plan === undefined) {
    plan = buildPlan(reader, file);
    plans.set(reader, plan);
  }
  return plan;
}

/** `on-end=loop` refused: a usage error that keeps why, for a caller that shows only that. */
export class LoopRefusedError extends UsageError {
  constructor(
    file: string,
    readonly why: string,
  ) {
    super(
      `${file}: on-end=loop would invent this program's dirtying: ${why}; use on-end=stop (the default) or hold, or record a longer trace`,
    );
  }
}

function buildPlan(reader: TraceReader, file: string): LoopPlan {
  const { records } = reader;
  const contentEpochs = reader.epochs.filter((epoch) => epoch.index > 0 && !epoch.touch);
  const refuse = (why: string): never => {
    throw new LoopRefusedError(file, why);
  };
  if (contentEpochs.length < 2)
    refuse("it has fewer than two content epochs, so nothing says how its writes recur");
  // Σ|A|·|B| and Σ|A∩B| over consecutive content epochs (records ascend within an epoch: a merge).
  let products = 0;
  let repeats = 0;
  const counts = new Map<number, number>();
  for (let k = 0; k < contentEpochs.length; k++) {
    const [start, end] = reader.epochRecordRange(contentEpochs[k].index);
    for (let r = start; r < end; r++) {
      const page = records[r] & RECORD_PAGE_MASK;
      counts.set(page, (counts.get(page) ?? 0) + 1);
    }
    if (k === 0) continue;
    const [previousStart, previousEnd] = reader.epochRecordRange(contentEpochs[k - 1].index);
    products += (end - start) * (previousEnd - previousStart);
    repeats += intersectionSize(records, previousStart, previousEnd, start, end);
  }
  if (repeats < MIN_REPEATS)
    refuse(
      `its consecutive epochs rewrote only ${repeats} of the same pages (${MIN_REPEATS} are needed to tell random writes from a hot set), so its writes may reach pages it never recorded`,
    );
  const estimate = products / repeats;
  const coverage = counts.size / estimate;
  if (coverage < RANDOM_COVERAGE_LOW)
    refuse(
      `its writes look spread over ~${Math.round(estimate)} pages (estimated from the pages consecutive epochs both wrote) but it recorded ${counts.size} of them; a loop would rewrite only those, too few for a migration longer than the trace (random writes cover 90 % of them in about ${longerBy(coverage)}× this trace's length)`,
    );
  const kind: LoopKind = coverage <= RANDOM_COVERAGE_HIGH ? "permute" : "repeat";
  return { kind, ...versions(reader, contentEpochs, counts) };
}

/**
 * How much longer a recording of uniform random writes must be to cover 90 % of their pages,
 * given the share it covers: coverage = 1 − e^(−x) with x proportional to the length.
 */
function longerBy(coverage: number): number {
  return Math.ceil(Math.log(10) / -Math.log(1 - Math.min(coverage, 0.99)));
}

/** |{records[a..aEnd)} ∩ {records[b..bEnd)}| by page, both ascending. */
function intersectionSize(
  records: Uint32Array,
  a: number,
  aEnd: number,
  b: number,
  bEnd: number,
): number {
  let shared = 0;
  while (a < aEnd && b < bEnd) {
    const pa = records[a] & RECORD_PAGE_MASK;
    const pb = records[b] & RECORD_PAGE_MASK;
    if (pa === pb) {
      shared++;
      a++;
      b++;
    } else if (pa < pb) a++;
    else b++;
  }
  return shared;
}

/** Every written page's versions, image first, in epoch order (content epochs only). */
function versions(
  reader: TraceReader,
  contentEpochs: readonly TraceEpoch[],
  counts: ReadonlyMap<number, number>,
): Omit<LoopPlan, "kind"> {
  const written = Uint32Array.from(counts.keys()).sort();
  const denseOf = new Map<number, number>();
  const versionStart = new Uint32Array(written.length + 1);
  for (let i = 0; i < written.length; i++) {
    denseOf.set(written[i], i);
    versionStart[i + 1] = versionStart[i] + 1 + (counts.get(written[i]) ?? 0);
  }
  const versionRecord = new Int32Array(versionStart[written.length]);
  const filled = new Uint32Array(written.length);
  for (let i = 0; i < written.length; i++) {
    versionRecord[versionStart[i]] = reader.findImageRecord(written[i]);
    filled[i] = 1;
  }
  const records = reader.records;
  for (const epoch of contentEpochs) {
    const [from, to] = reader.epochRecordRange(epoch.index);
    for (let r = from; r < to; r++) {
      const i = denseOf.get(records[r] & RECORD_PAGE_MASK) as number;
      versionRecord[versionStart[i] + filled[i]++] = r;
    }
  }
  return { written, denseOf, versionStart, versionRecord };
}

/**
 * A run's laps: where lap k sends a recorded change, and which version each write gives its
 * page. Memory: a write counter per written page.
 */
export class TraceLaps {
  private readonly writes: Uint32Array;
  private permutation: Permutation | null = null;
  private lap = 0;

  constructor(
    private readonly plan: LoopPlan,
    private readonly seed: number,
  ) {
    this.writes = new Uint32Array(plan.written.length);
  }

  /** The laps from `lap` on write through this lap's permutation (permute) or as recorded. */
  startLap(lap: number): void {
    this.lap = lap;
    this.permutation =
      lap > 0 && this.plan.kind === "permute"
        ? new Permutation(this.plan.written.length, hash3(this.seed, lap, 0x1a95))
        : null;
  }

  /**
   * The page a recorded write of `page` lands on in this lap. A touched page no content epoch
   * wrote is outside W and stays where it is (the permutation is of W).
   */
  target(page: number): number {
    if (this.permutation === null) return page;
    const dense = this.plan.denseOf.get(page);
    return dense === undefined ? page : this.plan.written[this.permutation.forward(dense)];
  }

  /**
   * Count a write to `page` (a target()) and return the record of its new content: in lap 0
   * `recorded`, the record being replayed; later, the next step of the page's back-and-forth
   * walk over its versions (−1: zero).
   */
  write(page: number, recorded: number): number {
    const plan = this.plan;
    const dense = plan.denseOf.get(page) as number;
    const step = ++this.writes[dense];
    if (this.lap === 0) return recorded;
    const first = plan.versionStart[dense];
    const versions = plan.versionStart[dense + 1] - first - 1;
    const phase = step % (2 * versions);
    return plan.versionRecord[first + (phase <= versions ? phase : 2 * versions - phase)];
  }
}
