import { codecLabel, PluginError } from "../../codecs/plugin.ts";
import { type CodecDefinition, PAGE_SIZE, type PageCodec, UNCHANGED } from "../../codecs/types.ts";
import type { PageCache } from "./cache/types.ts";

/** Index of the first byte where two pages differ, or -1 (a native memcmp when equal). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  for (let i = 0; i < PAGE_SIZE; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Where the sender's page and the encoder's output are, and how to name a page in a message. */
export interface VerifiedPages {
  readonly current: Uint8Array;
  readonly encoded: Uint8Array;
  describePage(page: number): string;
}

/**
 * Rebuilds an encoded page as the receiver would — decode the delta onto the reference copy,
 * or keep the copy when encode() said unchanged — and compares it with the page that was
 * encoded; a mismatch is a PluginError naming the codec and the page. Allocation-free per page:
 * `rebuilt` and the views of the output by length are made once per cell.
 */
export class PageVerifier {
  private readonly rebuilt = new Uint8Array(PAGE_SIZE);
  private readonly encodedViews: (Uint8Array | undefined)[] = new Array(PAGE_SIZE + 1);

  constructor(
    private readonly definition: CodecDefinition,
    private readonly codec: PageCodec,
    private readonly cache: PageCache | null,
    private readonly pages: VerifiedPages,
  ) {}

  /** `slot`: the cache slot of the reference copy, not yet updated; -1 without a cache. */
  verify(page: number, result: number, slot: number): void {
    const previous = slot < 0 || this.cache === null ? null : this.cache.view(slot);
    const current = this.pages.current;
    if (result === UNCHANGED) {
      if (previous === null) {
        throw this.mismatch(
          page,
          "encode() returned 0 (unchanged) but the codec has no previous copy",
        );
      }
      const differsAt = firstDifference(previous, current);
      if (differsAt >= 0) {
        throw this.mismatch(
          page,
          `encode() returned 0 (unchanged) but the page differs from its cached copy at byte ${differsAt}`,
        );
      }
      return;
    }
    let encoded = this.encodedViews[result];
    if (encoded === undefined) {
      encoded = this.pages.encoded.subarray(0, result);
      this.encodedViews[result] = encoded;
    }
    try {
      this.codec.decode(encoded, previous, this.rebuilt);
    } catch (error) {
      if (error instanceof PluginError) throw error;
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw this.mismatch(page, `decode() rejected the ${result} bytes encode() wrote: ${reason}`);
    }
    const differsAt = firstDifference(this.rebuilt, current);
    if (differsAt >= 0) {
      throw this.mismatch(
        page,
        `the ${result} bytes encode() wrote decode to a different page (first difference at byte ${differsAt})`,
      );
    }
  }

  private mismatch(page: number, problem: string): PluginError {
    return new PluginError(
      codecLabel(this.definition),
      `verification failed for ${this.pages.describePage(page)}: ${problem}`,
    );
  }
}
