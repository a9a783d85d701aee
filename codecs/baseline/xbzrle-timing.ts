import type { PagePairs } from "../page-kinds.ts";
import { PAGE_SIZE, type PageCodec } from "../types.ts";
import { createXbzrle, type XbzrleEngine } from "../xbzrle.ts";

/**
 * Times migbench's xbzrle the way codecs/baseline/harness.c times the C baseline, so the two sit
 * side by side: best-of-`reps` encode over every pair (limit 4096), then decode in place onto
 * the old pages (QEMU's receiver decodes onto the guest page) for pages that produced a delta.
 * Page views are made before timing, so the loop measures the codec, not view allocation.
 * Time is CPU time (process.cpuUsage(), user + system), as harness.c uses its thread's CPU time:
 * on a shared machine, time spent descheduled counts against neither side.
 */
export interface XbzrleTiming {
  encodeGBps: number;
  decodeGBps: number | null;
  /** Decode into a separate page (page !== previous: includes the 4 KiB copy of previous). */
  decodeCopyGBps: number | null;
}

/** Where the pages live: in a wasm-visible arena (zero copy) or in plain JS buffers. */
export type PagePlacement = "arena" | "plain";

function views(buffer: Uint8Array, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    buffer.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
  );
}

function best(reps: number, run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    fastest = Math.min(fastest, used.user + used.system);
  }
  return fastest / 1e6;
}

export function timeXbzrle(
  pairs: PagePairs,
  engine: XbzrleEngine,
  placement: PagePlacement,
  reps: number,
): XbzrleTiming {
  const count = pairs.count;
  const oldBytes = placement === "arena" ? pairs.old : new Uint8Array(pairs.old);
  const newBytes = placement === "arena" ? pairs.new : new Uint8Array(pairs.new);
  const olds = views(oldBytes, count);
  const news = views(newBytes, count);
  const codec: PageCodec = createXbzrle(engine);
  const out = new Uint8Array(PAGE_SIZE);
  let sink = 0;
  const encodeSeconds = best(reps, () => {
    for (let i = 0; i < count; i++) sink += codec.encode(news[i], olds[i], out, PAGE_SIZE);
  });

  const deltaBytes = new Uint8Array(count * PAGE_SIZE);
  const deltas: Uint8Array[] = [];
  const targets: Uint8Array[] = [];
  const previous: Uint8Array[] = [];
  const inPlace = new Uint8Array(oldBytes);
  for (let i = 0; i < count; i++) {
    const slot = deltaBytes.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    const n = codec.encode(news[i], olds[i], slot, PAGE_SIZE);
    if (n > 0) {
      deltas.push(slot.subarray(0, n));
      targets.push(inPlace.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      previous.push(olds[i]);
    }
  }
  if (deltas.length === 0) {
    return {
      encodeGBps: (count * PAGE_SIZE) / encodeSeconds / 1e9,
      decodeGBps: null,
      decodeCopyGBps: null,
    };
  }
  // In place: decoding onto the already-decoded page again gives the same page (idempotent).
  const decodeSeconds = best(reps, () => {
    for (let i = 0; i < deltas.length; i++) codec.decode(deltas[i], targets[i], targets[i]);
  });
  const scratch = new Uint8Array(PAGE_SIZE);
  const decodeCopySeconds = best(reps, () => {
    for (let i = 0; i < deltas.length; i++) codec.decode(deltas[i], previous[i], scratch);
  });
  for (let i = 0, t = 0; i < count; i++) {
    if (t < targets.length && targets[t].byteOffset === i * PAGE_SIZE) {
      if (Buffer.compare(targets[t], news[i]) !== 0) {
        throw new Error(`xbzrle decoded page ${i} wrong: the benchmark's check failed`);
      }
      t++;
    }
  }
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
  const pageBytes = deltas.length * PAGE_SIZE;
  return {
    encodeGBps: (count * PAGE_SIZE) / encodeSeconds / 1e9,
    decodeGBps: pageBytes / decodeSeconds / 1e9,
    decodeCopyGBps: pageBytes / decodeCopySeconds / 1e9,
  };
}
