import { PAGE_SIZE } from "../../../codecs/types.ts";
import { PageIndex } from "./page-index.ts";
import { emptyStats, SlotStore } from "./slots.ts";
import type { PageCache } from "./types.ts";

const NONE = -1;

// The four lists of ARC, by index: T1 and T2 hold cached pages, B1 and B2 only page numbers.
const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;

/** Resident list sizes and the target, for tests. */
export interface ArcState {
  readonly t1: number;
  readonly t2: number;
  readonly b1: number;
  readonly b2: number;
  /** ARC's adaptive target size of T1, p (0 ≤ p ≤ c). */
  readonly target: number;
}

/**
 * Adaptive Replacement Cache (N. Megiddo, D. S. Modha, "ARC: A Self-Tuning, Low Overhead
 * Replacement Cache", FAST 2003, Fig. 4), the page cache of the authors' April 2010 prototype
 * (16 384 pages; docs/SOURCES.md#paper). c = ⌊size / 4096⌋ resident pages, fully associative.
 * T1 holds pages referenced once lately, T2 pages referenced at least twice; B1 and B2 remember
 * the page numbers recently evicted from T1 and T2 (no bytes). A reference to a page in B1
 * means T1 was too small, so the target size p of T1 grows; one in B2 shrinks it. A page used
 * once and never again (a scan) passes through T1 without displacing T2.
 *
 * Mapped onto page_cache.c's two calls: lookup() is a reference to a resident page (case I:
 * the page moves to the most recent end of T2) or a miss, which changes nothing: QEMU's sender
 * inserts the page after a miss (save_xbzrle_page), except in the last stage, when it is never
 * fetched. insert() is the reference that brings a page in (cases II–IV: adapt p on a ghost hit,
 * REPLACE, and put the page in T2 if it was a ghost, in T1 if not); inserting a resident page is
 * case I again. The generation is not used and an insert is never refused.
 *
 * The directory (T1 ∪ T2 ∪ B1 ∪ B2, at most 2c entries) is a pool of nodes in typed arrays,
 * each on one of four intrusive doubly linked lists (head = most recent), and a PageIndex from
 * page number to node; a resident node also names its slot. Nothing is allocated per call.
 */
export class ArcPageCache implements PageCache {
  readonly model = "arc" as const;
  readonly capacity: number;
  readonly stats = emptyStats();
  private readonly nodePage: Int32Array;
  private readonly nodeList: Uint8Array;
  private readonly nodeSlot: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly head = new Int32Array(4).fill(NONE);
  private readonly tail = new Int32Array(4).fill(NONE);
  private readonly size = new Int32Array(4);
  /** Free nodes, chained through `next`. */
  private freeNode: number;
  /** Slots handed out so far; below capacity until the cache first fills. */
  private usedSlots = 0;
  /** p: the target size of T1. */
  private target = 0;
  private readonly index: PageIndex;
  private readonly store: SlotStore;

  constructor(cacheSizeBytes: number) {
    this.capacity = Math.floor(cacheSizeBytes / PAGE_SIZE);
    if (this.capacity < 1) throw new RangeError(`cache size ${cacheSizeBytes} B is below one page`);
    const nodes = 2 * this.capacity;
    this.nodePage = new Int32Array(nodes);
    this.nodeList = new Uint8Array(nodes);
    this.nodeSlot = new Int32Array(nodes).fill(NONE);
    this.prev = new Int32Array(nodes).fill(NONE);
    this.next = new Int32Array(nodes);
    for (let node = 0; node < nodes; node++) this.next[node] = node + 1 < nodes ? node + 1 : NONE;
    this.freeNode = 0;
    this.index = new PageIndex(nodes);
    this.store = new SlotStore(this.capacity);
  }

  lookup(page: number, _generation: number): number {
    const node = this.index.get(page);
    if (node === NONE || this.nodeList[node] >= B1) {
      this.stats.misses++;
      return NONE;
    }
    this.stats.hits++;
    this.moveToFront(node, T2);
    return this.nodeSlot[node];
  }

  insert(page: number, _generation: number): number {
    this.stats.inserts++;
    const node = this.index.get(page);
    if (node === NONE) return this.insertNew(page);
    const list = this.nodeList[node];
    if (list === T1 || list === T2) {
      this.moveToFront(node, T2);
      return this.nodeSlot[node];
    }
    const c = this.capacity;
    const b1 = this.size[B1];
    const b2 = this.size[B2];
    // Case II (ghost hit in B1: grow T1's target) or III (in B2: shrink it), δ as in Fig. 4.
    if (list === B1) this.target = Math.min(c, this.target + Math.max(b2 / b1, 1));
    else this.target = Math.max(0, this.target - Math.max(b1 / b2, 1));
    const slot = this.replace(list === B2);
    this.nodeSlot[node] = slot;
    this.moveToFront(node, T2);
    return slot;
  }

  /** Case IV: a page in no list. Make room as Fig. 4 does, then put it in T1. */
  private insertNew(page: number): number {
    const c = this.capacity;
    const size = this.size;
    let slot: number;
    if (size[T1] + size[B1] === c) {
      if (size[T1] < c) {
        this.forget(this.tail[B1]);
        slot = this.replace(false);
      } else {
        // B1 is empty and T1 fills the cache: its least recent page leaves without a ghost.
        const victim = this.tail[T1];
        slot = this.nodeSlot[victim];
        this.forget(victim);
        this.stats.evictions++;
      }
    } else if (size[T1] + size[T2] + size[B1] + size[B2] >= c) {
      if (size[T1] + size[T2] + size[B1] + size[B2] === 2 * c) this.forget(this.tail[B2]);
      slot = this.replace(false);
    } else {
      slot = this.usedSlots++;
    }
    const node = this.freeNode;
    this.freeNode = this.next[node];
    this.nodePage[node] = page;
    this.nodeSlot[node] = slot;
    this.index.add(page, node);
    this.pushFront(node, T1);
    return slot;
  }

  /**
   * REPLACE(x, p): evict the least recent page of T1 into B1 when T1 is over its target (or at
   * it, for a page coming from B2), else the least recent of T2 into B2; return its slot.
   */
  private replace(fromB2: boolean): number {
    const t1 = this.size[T1];
    const fromT1 = t1 >= 1 && ((fromB2 && t1 === this.target) || t1 > this.target);
    const victim = this.tail[fromT1 ? T1 : T2];
    const slot = this.nodeSlot[victim];
    this.nodeSlot[victim] = NONE;
    this.moveToFront(victim, fromT1 ? B1 : B2);
    this.stats.evictions++;
    return slot;
  }

  /** Drop a node from the directory altogether. */
  private forget(node: number): void {
    this.unlink(node);
    this.index.delete(this.nodePage[node]);
    this.nodeSlot[node] = NONE;
    this.next[node] = this.freeNode;
    this.freeNode = node;
  }

  private moveToFront(node: number, list: number): void {
    this.unlink(node);
    this.pushFront(node, list);
  }

  private unlink(node: number): void {
    const list = this.nodeList[node];
    const before = this.prev[node];
    const after = this.next[node];
    if (before === NONE) this.head[list] = after;
    else this.next[before] = after;
    if (after === NONE) this.tail[list] = before;
    else this.prev[after] = before;
    this.size[list]--;
  }

  private pushFront(node: number, list: number): void {
    const first = this.head[list];
    this.nodeList[node] = list;
    this.prev[node] = NONE;
    this.next[node] = first;
    if (first !== NONE) this.prev[first] = node;
    else this.tail[list] = node;
    this.head[list] = node;
    this.size[list]++;
  }

  view(slot: number): Uint8Array {
    return this.store.view(slot);
  }

  get workPages(): SlotStore {
    return this.store;
  }

  /** List sizes and p (for tests). */
  state(): ArcState {
    const [t1, t2, b1, b2] = this.size;
    return { t1, t2, b1, b2, target: this.target };
  }

  /** The pages of one list, most recent first (for tests). */
  pages(list: "t1" | "t2" | "b1" | "b2"): number[] {
    const pages: number[] = [];
    const which = { t1: T1, t2: T2, b1: B1, b2: B2 }[list];
    for (let node = this.head[which]; node !== NONE; node = this.next[node]) {
      pages.push(this.nodePage[node]);
    }
    return pages;
  }
}
