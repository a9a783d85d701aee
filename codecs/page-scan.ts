import { arenaOf, instanceOn } from "./page-memory.ts";
import { PAGE_SCAN_KERNEL_BASE64 } from "./page-scan-kernel.generated.ts";

/**
 * The whole-page scans of codecs/page-scan.wat, bound to one arena: byte offsets in, 1 or 0 out.
 * Each reads 4096 bytes from every offset it is given, so callers pass only offsets of whole
 * pages inside the arena (a view's byteOffset, for a view of at least 4096 bytes).
 */
export interface PageScan {
  /** 1 when the page at `at` is all zero. */
  readonly isZero: (at: number) => number;
  /** 1 when the pages at `a` and `b` are equal. */
  readonly equal: (a: number, b: number) => number;
}

let kernelModule: WebAssembly.Module | null = null;
try {
  kernelModule = new WebAssembly.Module(Buffer.from(PAGE_SCAN_KERNEL_BASE64, "base64"));
} catch {
  kernelModule = null; // no wasm SIMD here: callers keep their JS loops
}

/** The scans for pages in `buffer`, when it is an arena's memory (allocatePages()); else null. */
export function pageScanFor(buffer: ArrayBufferLike): PageScan | null {
  const arena = kernelModule ? arenaOf(buffer) : undefined;
  return arena ? (instanceOn(arena, "page-scan", kernelModule!) as unknown as PageScan) : null;
}
