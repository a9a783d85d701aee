/**
 * Page memory that WebAssembly kernels can read without a copy. A WebAssembly module can only
 * address its own linear memory, so a codec kernel (codecs/xbzrle.wat) given pages in ordinary
 * JS ArrayBuffers must first copy them in — 8 KiB per page for old + new, which costs more
 * than XBZRLE's whole scan on run-heavy pages. `allocatePages()` puts page arrays inside a
 * WebAssembly.Memory (an "arena") instead, so a kernel instantiated on that memory reads them in
 * place. Callers keep using plain Uint8Array views; codecs look the arena up by buffer identity.
 *
 * Each arena ends with a scratch area the codecs own: two page slots (for a page that lives
 * elsewhere) and an output area, each followed by slack so 16-byte vector loads and stores near
 * their ends stay inside the memory.
 */

const WASM_PAGE_BYTES = 65536;
const SLACK_BYTES = 64;
/** Largest encode limit the kernels see: no XBZRLE delta of a 4096-byte page exceeds 6146. */
export const MAX_KERNEL_LIMIT = 8192;

export interface PageArena {
  readonly memory: WebAssembly.Memory;
  /** A byte view of the whole memory (it never grows, so the view stays valid). */
  readonly bytes: Uint8Array;
  /** Scratch page slot for an old page that is not in this arena. */
  readonly scratchOld: number;
  /** Scratch page slot for a new page that is not in this arena. */
  readonly scratchNew: number;
  /** Output area: MAX_KERNEL_LIMIT + slack bytes, 64-byte aligned. */
  readonly scratchOut: number;
  /** Per-arena state a codec attaches (e.g. its kernel instance), keyed by the codec. */
  readonly attached: Map<string, unknown>;
}

const SCRATCH_BYTES = 4096 + SLACK_BYTES + 4096 + SLACK_BYTES + MAX_KERNEL_LIMIT + SLACK_BYTES;
const arenas = new WeakMap<ArrayBufferLike, PageArena>();

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function makeArena(pageBytes: number): PageArena | null {
  const scratch = alignUp(pageBytes + SLACK_BYTES, 64);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({
      initial: Math.ceil((scratch + SCRATCH_BYTES) / WASM_PAGE_BYTES),
    });
  } catch {
    return null; // too large for a 32-bit wasm memory: callers fall back to a plain buffer
  }
  const arena: PageArena = {
    memory,
    bytes: new Uint8Array(memory.buffer),
    scratchOld: scratch,
    scratchNew: scratch + 4096 + SLACK_BYTES,
    scratchOut: scratch + 2 * (4096 + SLACK_BYTES),
    attached: new Map(),
  };
  arenas.set(memory.buffer, arena);
  return arena;
}

/**
 * A zero-filled Uint8Array of `byteLength` bytes at offset 0 of a fresh arena, or of a plain
 * ArrayBuffer when the size does not fit a wasm memory (codecs then copy pages in, correctly
 * but slower). Note: a WebAssembly.Memory's buffer cannot be transferred to another thread;
 * postMessage copies it.
 */
export function allocatePages(byteLength: number): Uint8Array {
  const arena = makeArena(byteLength);
  return arena ? new Uint8Array(arena.memory.buffer, 0, byteLength) : new Uint8Array(byteLength);
}

/** The arena a buffer belongs to, if allocatePages() made it. */
export function arenaOf(buffer: ArrayBufferLike): PageArena | undefined {
  return arenas.get(buffer);
}

/** An arena with no page area: a codec's private memory for pages that live elsewhere. */
export function createScratchArena(): PageArena {
  const arena = makeArena(0);
  if (!arena) throw new Error("cannot allocate a small WebAssembly.Memory");
  return arena;
}

/** Slots in an arena's known-views table (a power of two): 256 MiB of pages without a clash. */
const KNOWN_SLOTS = 1 << 16;
const knownTables = new WeakMap<PageArena, (Uint8Array | null)[]>();

/**
 * The arena's table of views already found to lie in it, slot knownSlot(view.byteOffset). A
 * view's buffer never changes, so `table[slot] === view` proves where its bytes are without
 * reading `view.buffer`: in Node 20's V8 that getter is a C++ builtin call, and two per page
 * cost xbzrle a third of its encode speed on sparse pages streamed from RAM
 * (bench:qemu-baseline). A kernel-backed codec fills the table as it meets views (after one
 * `.buffer` check each) and keeps it per arena, so switching arenas allocates nothing after the
 * first time; the table lives as long as its arena.
 */
export function knownViews(arena: PageArena): (Uint8Array | null)[] {
  let table = knownTables.get(arena);
  if (!table) {
    table = new Array<Uint8Array | null>(KNOWN_SLOTS).fill(null);
    knownTables.set(arena, table);
  }
  return table;
}

/** A view's slot in knownViews(): its page index, modulo the table size. */
export function knownSlot(byteOffset: number): number {
  return (byteOffset >>> 12) & (KNOWN_SLOTS - 1);
}
