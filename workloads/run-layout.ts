import { Permutation } from "./permutation.ts";

/**
 * Which pages of a region belong to a set laid out in runs: the region is cut into runs of
 * `runPages` pages, a seeded permutation orders them, and the set is the first runs in that
 * order, whole, until it holds round(share × pages) pages — the last one taken in part, from its
 * start. Exact rather than one coin per run: with runs of 8192 pages a 512 MiB region has only
 * 16, and coins (or whole runs only) would move the set by ±32 MiB from seed to seed.
 * Memory: one byte per run.
 */
export class RunLayout {
  /** Per run: 0 out, 1 whole, 2 the partial run. */
  private readonly runs: Uint8Array;
  private readonly partialPages: number;

  constructor(
    pages: number,
    private readonly runPages: number,
    share: number,
    seed: number,
  ) {
    const count = Math.max(1, Math.ceil(pages / runPages));
    const wanted = Math.min(pages, Math.round(share * pages));
    const order = new Permutation(count, seed);
    this.runs = new Uint8Array(count);
    let taken = 0;
    let partial = 0;
    for (let rank = 0; rank < count && taken < wanted; rank++) {
      const run = order.forward(rank);
      const size = Math.min(runPages, pages - run * runPages);
      if (taken + size <= wanted) {
        this.runs[run] = 1;
        taken += size;
      } else {
        this.runs[run] = 2;
        partial = wanted - taken;
        taken = wanted;
      }
    }
    this.partialPages = partial;
  }

  /** True when page `local` (0-based in the region) is in the set. */
  has(local: number): boolean {
    const run = Math.floor(local / this.runPages);
    const kind = this.runs[run];
    return kind === 1 || (kind === 2 && local - run * this.runPages < this.partialPages);
  }
}
