import { PAGE_SIZE } from "../lib/page.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import { checkForward, HeapModel } from "./heap-model.ts";
import { fillRandom, PageWords } from "./page-content.ts";
import { hash3 } from "./random.ts";
import type { WorkloadDefinition, WorkloadRun } from "./types.ts";
import {
  activeRegion,
  checkedPageCount,
  numberParam,
  param,
  regionPages,
} from "./workload-params.ts";

/**
 * `video-like` — a VLC transcoding/streaming server, the VEE'11 paper's second workload (an 8 s
 * picture freeze without delta compression, none noticeable with it; docs/SOURCES.md#paper; sizes not
 * published, ours below).
 *
 * Model:
 * - A ring of `ring_frames` frame buffers of `frame_bytes` each, at the start of RAM, written in
 *   order at `fps` frames per second; each frame's pages are written progressively over the
 *   frame interval (page j of frame i at (i + j / pages per frame) / fps seconds). Frame data is
 *   high-entropy (compressed/transcoded video), so a delta codec overflows and sends it raw.
 * - A small hot set of `meta_bytes` of metadata (stream positions, timestamps, counters) taking
 *   `meta_writes_per_s` one-field updates: the part delta compression helps with.
 * - The rest of RAM: the server's code and heap (structured data) with `zero_share` free pages.
 *
 * Content: a ring page holds the frame written on the ring's last lap through it, found in O(1)
 * from the frame-page write count; metadata pages use the heap model (heap-model.ts).
 * Memory: 16 bytes per metadata page (write counter, page number, alias table); nothing per ring page or
 * other page.
 * Defaults: 1080p YUV 4:2:0 frames (1920×1080×1.5 = 3 110 400 bytes, 760 pages), 8 frames,
 * 25 fps (19 000 frame pages/s, 58 % of the 32 768 pages/s that 128 MiB/s moves raw), 256 KiB
 * of metadata at 5 000 writes/s, 4 GiB RAM half free.
 */
export const videoLike: WorkloadDefinition = {
  name: "video-like",
  description:
    "video transcoding server: a ring of high-entropy frame buffers plus sparse metadata writes",
  source:
    "VEE'11 paper (VLC transcoding/streaming: 8 s freeze → none noticeable); sizes are migbench's",
  defaultRamBytes: 4 * 1024 ** 3,
  params: [
    param({
      name: "frame_bytes",
      unit: "bytes",
      defaultValue: 1920 * 1080 * 1.5,
      description: "size of one frame buffer (1080p YUV 4:2:0 by default), rounded up to pages",
      min: 1,
    }),
    param({
      name: "ring_frames",
      unit: "frames",
      defaultValue: 8,
      description: "frame buffers in the ring",
      min: 1,
      integer: true,
    }),
    param({
      name: "fps",
      unit: "frames/s",
      defaultValue: 25,
      description: "frames written per second",
      min: 0,
    }),
    param({
      name: "meta_bytes",
      unit: "bytes",
      defaultValue: 256 * 1024,
      description: "hot metadata receiving sparse writes",
      min: PAGE_SIZE,
    }),
    param({
      name: "meta_writes_per_s",
      unit: "writes/s",
      defaultValue: 5000,
      description: "metadata writes per second (steady), one 8-byte field each",
      min: 0,
    }),
    param({
      name: "zero_share",
      unit: "fraction",
      defaultValue: 0.5,
      description: "share of the RAM outside the ring that is free (all-zero)",
      min: 0,
      max: 1,
    }),
  ],
  create(options) {
    const p = options.params;
    const pageCount = checkedPageCount(options.ramBytes);
    const framePages = Math.ceil(numberParam(p, "frame_bytes") / PAGE_SIZE);
    const ringBytes = framePages * PAGE_SIZE * numberParam(p, "ring_frames");
    const ringPages = regionPages(
      ringBytes,
      pageCount - 1,
      "the frame ring (frame_bytes × ring_frames)",
    );
    const heap = new HeapModel({
      name: "video-like",
      seed: options.seed,
      firstPage: ringPages,
      pages: pageCount - ringPages,
      ...activeRegion(p, "meta_bytes", pageCount - ringPages),
      zipfExponent: 0,
      writesPerS: numberParam(p, "meta_writes_per_s"),
      wordsPerWrite: 1,
      hotWords: 16,
      rewritesPerS: 0,
      zeroShare: numberParam(p, "zero_share"),
    });
    return new VideoRun(
      pageCount,
      ringPages,
      framePages * numberParam(p, "fps"),
      heap,
      options.seed,
    );
  },
};

class VideoRun implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  /** Frame pages written so far (all frames, all laps). */
  private written = 0;
  private readonly view = new PageWords();
  private readonly seed: number;

  constructor(
    readonly pageCount: number,
    private readonly ringPages: number,
    private readonly framePagesPerS: number,
    private readonly heap: HeapModel,
    seed: number,
  ) {
    this.seed = seed >>> 0;
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    const written = Math.floor(timeS * this.framePagesPerS);
    const fresh = written - this.written;
    if (fresh >= this.ringPages) {
      for (let page = 0; page < this.ringPages; page++) dirty.add(page);
    } else {
      for (let g = this.written; g < written; g++) dirty.add(g % this.ringPages);
    }
    this.written = Math.max(this.written, written);
    this.heap.advanceTo(timeS, dirty);
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    return page >= this.ringPages && this.heap.isZero(page);
  }

  readPage(page: number, out: Uint8Array): void {
    const view = this.view;
    view.bind(out);
    if (page < this.ringPages) {
      // Lap of the last write to this ring page (0 = the frame there before the run started).
      const lap =
        this.written > page ? Math.floor((this.written - 1 - page) / this.ringPages) + 1 : 0;
      fillRandom(view.words, view.offset, hash3(this.seed, page, lap));
    } else {
      this.heap.readPage(page, view);
    }
    view.finish();
  }
}
