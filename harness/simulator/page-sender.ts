import { badEncodeResult, codecLabel, createChecked, PluginError } from "../../codecs/plugin.ts";
import {
  type ArenaEncode,
  type CodecDefinition,
  OVERFLOW,
  PAGE_HEADER_BYTES,
  PAGE_SIZE,
  type PageCodec,
  RAW_RECORD_BYTES,
  UNCHANGED,
} from "../../codecs/types.ts";
import type { WorkloadRun } from "../../workloads/types.ts";
import type { WorkPages } from "./cache/slots.ts";
import type { PageCache } from "./cache/types.ts";
import { PageEvent } from "./page-events.ts";
import { PageVerifier, type VerifiedPages } from "./verify.ts";

/** ram.c save_zero_page(): the page header plus one fill byte. */
export const ZERO_RECORD_BYTES = PAGE_HEADER_BYTES + 1;

/** What the sender reads of ram.c RAMState (the model, harness/simulator/migration.ts, owns it). */
export interface SenderState {
  /** dirty_sync_count: the generation the cache ages entries by. */
  readonly dirtySyncCount: number;
  /** xbzrle_enabled. */
  readonly deltaActive: boolean;
  /** last_stage: the stop-and-copy (no cache inserts, no cache updates). */
  readonly lastStage: boolean;
  /** Passes recorded so far, to name a page in an error. */
  readonly passes: number;
}

export interface PageSenderInputs {
  readonly codec: CodecDefinition;
  readonly workload: WorkloadRun;
  /** The delta codec's cache; null for a codec without one. */
  readonly cache: PageCache | null;
  /** Decode and compare one encoded page in this many (1 = all, 0 = none); see precopy.ts. */
  readonly verifyEvery: number;
  /** Send a delta codec's pages raw in the stop-and-copy (convergence.ts, qemu-kvm 0.13). */
  readonly rawFinalStage: boolean;
}

/**
 * ram.c ram_save_target_page() → save_zero_page(), save_xbzrle_page(), save_normal_page():
 * sends one page by running the codec on its real bytes, and says what happened (a PageEvent;
 * its wire bytes in `wireBytes`). Nothing here allocates per page: the page, the encoder's
 * output and the cache share one arena (harness/simulator/cache/slots.ts).
 */
export class PageSender implements VerifiedPages {
  /** The wire bytes of the page send() last sent. */
  wireBytes = 0;
  readonly current: Uint8Array;
  readonly encoded: Uint8Array;
  private readonly definition: CodecDefinition;
  private readonly codec: PageCodec;
  private readonly workload: WorkloadRun;
  private readonly cache: PageCache | null;
  private readonly detectsZeroPages: boolean;
  private readonly sendsPagesRaw: boolean;
  private readonly rawFinalStage: boolean;
  /**
   * The codec's arena entry point on the cache's memory (codecs/types.ts ArenaEncode), with the
   * work pages' offsets and the memory's bytes; null when the codec or the cache has none.
   */
  private readonly arenaEncode: {
    readonly encode: ArenaEncode;
    readonly work: WorkPages;
    readonly bytes: Uint8Array;
    readonly currentAt: number;
    readonly outputAt: number;
  } | null;
  private readonly zeroPage = new Uint8Array(PAGE_SIZE);
  private readonly verifier: PageVerifier | null;
  private readonly verifyEvery: number;
  /** Encoded pages until the next one is verified. */
  private verifyCountdown = 1;

  constructor(
    inputs: PageSenderInputs,
    private readonly state: SenderState,
  ) {
    this.definition = inputs.codec;
    this.codec = createChecked(inputs.codec);
    this.workload = inputs.workload;
    const cache = inputs.cache;
    this.cache = cache;
    this.detectsZeroPages = inputs.codec.detectsZeroPages;
    this.sendsPagesRaw = inputs.codec.sendsPagesRaw === true;
    this.rawFinalStage = inputs.rawFinalStage;
    // With a cache, the work pages share its memory so a WASM kernel works in place. Codecs
    // write at most `limit` (4096) bytes into `encoded`; the slack is for plug-ins that overshoot.
    this.current = cache?.workPages.current ?? new Uint8Array(PAGE_SIZE);
    this.encoded = cache?.workPages.output ?? new Uint8Array(2 * PAGE_SIZE);
    const work = cache?.workPages;
    const encode = work?.arena && this.codec.arenaEncoder?.(work.arena);
    this.arenaEncode =
      work?.arena && encode
        ? {
            encode,
            work,
            bytes: work.arena.bytes,
            currentAt: work.current.byteOffset,
            outputAt: work.output.byteOffset,
          }
        : null;
    this.verifyEvery = inputs.verifyEvery;
    this.verifier =
      inputs.verifyEvery > 0 ? new PageVerifier(inputs.codec, this.codec, cache, this) : null;
  }

  /** Send `page`: what happened to it, with its wire bytes in `wireBytes`. */
  send(page: number): PageEvent {
    const cache = this.cache;
    const state = this.state;
    // save_zero_page(): buffer_is_zero() before any codec.
    if (this.detectsZeroPages && this.workload.isZero(page)) {
      // xbzrle_cache_zero_page(): once XBZRLE runs, a zero page refreshes its cache slot so a
      // stale copy is never used as the reference.
      if (cache !== null && state.deltaActive) {
        const slot = cache.insert(page, state.dirtySyncCount);
        if (slot >= 0) cache.view(slot).set(this.zeroPage);
      }
      this.wireBytes = ZERO_RECORD_BYTES;
      return PageEvent.zero;
    }
    if (cache !== null) {
      if (!state.deltaActive || (state.lastStage && this.rawFinalStage)) {
        return this.sendRaw(PageEvent.raw);
      }
      return this.saveXbzrlePage(cache, page);
    }
    if (this.sendsPagesRaw) {
      if (this.verifier !== null && --this.verifyCountdown === 0) {
        this.verifyCountdown = this.verifyEvery;
        this.verifySentRaw(page, this.verifier);
      }
      return this.sendRaw(PageEvent.raw);
    }
    return this.compress(page);
  }

  /**
   * A codec that declares `sendsPagesRaw` is held to it on the pages sampled for verification
   * (every page under --verify): encode() must say "send it raw" (OVERFLOW) or write a raw
   * record that decodes to the page. Its result changes nothing sent or counted.
   */
  private verifySentRaw(page: number, verifier: PageVerifier): void {
    this.workload.readPage(page, this.current);
    const result = this.codec.encode(this.current, null, this.encoded, PAGE_SIZE);
    if ((result | 0) !== result || result < OVERFLOW || result > PAGE_SIZE) {
      throw badEncodeResult(this.definition, result, PAGE_SIZE, this.describePage(page));
    }
    if (result === OVERFLOW) return;
    if (result === UNCHANGED || this.checkedWireBytes(page, result) !== RAW_RECORD_BYTES) {
      throw new PluginError(
        codecLabel(this.definition),
        `declares sendsPagesRaw, but encode() returned ${result} for ${this.describePage(page)}, ` +
          `not a raw record (${RAW_RECORD_BYTES} bytes on the wire) nor -1 (send it raw)`,
      );
    }
    verifier.verify(page, result, -1);
  }

  /** ram.c save_normal_page(): header + 4096 bytes. */
  private sendRaw(event: PageEvent): PageEvent {
    this.wireBytes = RAW_RECORD_BYTES;
    return event;
  }

  /**
   * A codec without a reference page encodes the page on its own. QEMU's multifd compression
   * counts a compressed page as a normal page (ram.normal, normal-bytes uncompressed); only
   * transferred sees the smaller record. It is not an XBZRLE page, so never a cache hit.
   */
  private compress(page: number): PageEvent {
    this.workload.readPage(page, this.current);
    const result = this.codec.encode(this.current, null, this.encoded, PAGE_SIZE);
    this.checkEncoded(page, result, -1);
    if (result === UNCHANGED) {
      this.wireBytes = 0;
      return PageEvent.unchanged;
    }
    this.wireBytes = this.checkedWireBytes(page, result);
    return result === OVERFLOW ? PageEvent.raw : PageEvent.compressed;
  }

  /**
   * ram.c save_xbzrle_page(): a miss inserts the page (not in the last stage) and sends it raw;
   * a hit encodes against the cached copy with QEMU's limit TARGET_PAGE_SIZE, updates the copy
   * (not in the last stage, not when unchanged), and sends nothing (unchanged), the page raw
   * (overflow) or a delta record.
   */
  private saveXbzrlePage(cache: PageCache, page: number): PageEvent {
    const generation = this.state.dirtySyncCount;
    const lastStage = this.state.lastStage;
    const slot = cache.lookup(page, generation);
    if (slot < 0) {
      if (!lastStage) {
        const inserted = cache.insert(page, generation);
        if (inserted < 0) return this.sendRaw(PageEvent.missRefused);
        this.workload.readPage(page, cache.view(inserted));
      }
      return this.sendRaw(PageEvent.miss);
    }
    this.workload.readPage(page, this.current);
    let result: number;
    const arena = this.arenaEncode;
    if (arena !== null) {
      // Offsets, not views: no slot view object to touch (codecs/types.ts ArenaEncode).
      const previousAt = arena.work.slotAt(slot);
      result = arena.encode(arena.currentAt, previousAt, arena.outputAt, PAGE_SIZE);
      // Before the cached copy becomes this page: it is the reference the delta was made on.
      this.checkEncoded(page, result, slot);
      if (result !== UNCHANGED && !lastStage) {
        arena.bytes.copyWithin(previousAt, arena.currentAt, arena.currentAt + PAGE_SIZE);
      }
    } else {
      const previous = cache.view(slot);
      result = this.codec.encode(this.current, previous, this.encoded, PAGE_SIZE);
      this.checkEncoded(page, result, slot);
      if (result !== UNCHANGED && !lastStage) previous.set(this.current);
    }
    if (result === UNCHANGED) {
      this.wireBytes = 0;
      return PageEvent.hitUnchanged;
    }
    this.wireBytes = this.checkedWireBytes(page, result);
    return result === OVERFLOW ? PageEvent.hitOverflow : PageEvent.hitDelta;
  }

  /**
   * What the codec returned for `page` must be an EncodeResult for the limit (codecs/types.ts);
   * a plug-in's NaN, fraction or length past the limit would otherwise become silently wrong
   * counters (codecs/plugin.ts isEncodeResult, inlined: one integer compare and two bounds).
   * Every verifyEvery-th page that was not an overflow is then rebuilt and compared. `slot` is
   * the cache slot of the page's reference copy, not yet updated; -1 for a codec without one.
   */
  private checkEncoded(page: number, result: number, slot: number): void {
    if ((result | 0) !== result || result < OVERFLOW || result > PAGE_SIZE) {
      throw badEncodeResult(this.definition, result, PAGE_SIZE, this.describePage(page));
    }
    if (this.verifier !== null && result !== OVERFLOW && --this.verifyCountdown === 0) {
      this.verifyCountdown = this.verifyEvery;
      this.verifier.verify(page, result, slot);
    }
  }

  /** The codec's wire bytes for a result: a whole number, at least the bytes it encoded. */
  private checkedWireBytes(page: number, result: number): number {
    const bytes = this.codec.wireBytes(result);
    if ((bytes | 0) !== bytes || bytes < result || bytes < 0) {
      throw new PluginError(
        codecLabel(this.definition),
        `wireBytes(${result}) returned ${bytes} for ${this.describePage(page)}; wire bytes are a ` +
          "whole number, at least the encoded length",
      );
    }
    return bytes;
  }

  describePage(page: number): string {
    const stage = this.state.lastStage ? ", stop-and-copy" : "";
    return `page ${page} (pass ${this.state.passes + 1}${stage})`;
  }
}
