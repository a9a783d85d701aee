;; XBZRLE encoder kernel, WebAssembly SIMD (v128). Source of codecs/xbzrle-kernel.generated.ts
;; (run `node --require ./scripts/register-tsx.cjs codecs/build-xbzrle-kernel.ts` after editing).
;;
;; Produces exactly what QEMU's scalar xbzrle_encode_buffer() (migration/xbzrle.c) produces for a
;; 4096-byte page: maximal alternating zero runs (old == new) and nonzero runs (length + new
;; bytes), ULEB128 lengths of 1-2 bytes, the trailing zero run left out, and QEMU's overflow
;; checks in QEMU's order (2 bytes reserved before every zero-run scan and before every nonzero
;; run; the nonzero run's bytes must fit). Only the way runs are found differs: instead of
;; QEMU's byte loop + long-word compares, the page is taken 64 bytes at a time as a 64-bit
;; "equal" mask (4 x i8x16.eq + i8x16.bitmask), and i64.ctz on that mask (or its complement)
;; gives the next run boundary, so consecutive runs in one block cost no further loads.
;;
;; Why the loop is shaped around blocks, not runs: every block a zero run covers is loaded by
;; ONE set of load instructions ($blocks), in address order, and an all-equal block (one
;; or-of-xors, v128.any_true) goes straight back to the next. So on the run-heavy pages
;; (identical, zero, sparse, medium ...) the loads stream like a plain read of both pages, and
;; consecutive pages continue the same stride. An earlier kernel loaded a page's first block in
;; one place and the rest in a separate zero-run loop: as fast in the CPU caches, but from RAM
;; (64 MiB of pairs, AMD Zen 5) it reached 13-14 GB/s on identical pages where this shape and
;; a plain read reach 19-20 -- the hardware prefetchers track the stream per load site, and
;; that split broke the stream at every page. A nonzero run that covers whole blocks is scanned
;; by its own loop ($skipDiffering): those pages (random-full) are bound by the copy, not RAM.
;;
;; Memory contract (lib/page-memory.ts): the old page, the new page and the output area all
;; lie in the imported memory, and at least 16 readable bytes follow each page. Nothing is
;; written outside out[0, limit): short nonzero runs are copied 16 bytes at a time only while
;; the rounded-up copy still ends inside the limit, so the output area may be the caller's own
;; buffer. Bytes past the returned length may be overwritten. `limit` is at most 8192 here (no
;; page's delta is longer than 6146 bytes, so a larger limit gives the same result).
;; Layout assumption (lib/page-memory.ts): nothing here needs aligned addresses (align=1).
;; The equal-mask and length-writing steps are written out inline (V8 in Node 20 does not
;; inline wasm calls, and a call per 64 bytes costs as much as the compare).
(module
  (import "env" "memory" (memory 1))

  ;; encode(old, new, out, limit) -> 0 unchanged, -1 overflow, else the delta length.
  ;; $base is the current 64-byte block, $po / $pn point at it in old / new, $a0..$a3 /
  ;; $b0..$b3 are its old / new bytes and $equal its mask (bit b set when old[base + b] ==
  ;; new[base + b]); $sm keeps the bits at or after the current position. $pos starts the
  ;; current zero run, $j the nonzero run after it and $k the zero run after that.

  (func (export "encode") (param $o i32) (param $n i32) (param $out i32) (param $limit i32)
    (result i32)
    (local $d i32) (local $base i32) (local $pos i32) (local $j i32) (local $k i32)
    (local $count i32) (local $c i32) (local $at i32)
    (local $po i32) (local $pn i32)
    (local $equal i64) (local $m i64) (local $sm i64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    ;; QEMU reserves 2 bytes before every zero-run scan, the first one included
    (if (i32.lt_s (local.get $limit) (i32.const 2)) (then (return (i32.const -1))))
    (block $pageEnd
    (loop $blocks
      (local.set $po (i32.add (local.get $o) (local.get $base)))
      (local.set $pn (i32.add (local.get $n) (local.get $base)))
      (local.set $a0 (v128.load align=1 (local.get $po)))
      (local.set $b0 (v128.load align=1 (local.get $pn)))
      (local.set $a1 (v128.load offset=16 align=1 (local.get $po)))
      (local.set $b1 (v128.load offset=16 align=1 (local.get $pn)))
      (local.set $a2 (v128.load offset=32 align=1 (local.get $po)))
      (local.set $b2 (v128.load offset=32 align=1 (local.get $pn)))
      (local.set $a3 (v128.load offset=48 align=1 (local.get $po)))
      (local.set $b3 (v128.load offset=48 align=1 (local.get $pn)))
      (block $nextBlock
        (if (i32.eqz (v128.any_true (v128.or
            (v128.or (v128.xor (local.get $a0) (local.get $b0)) (v128.xor (local.get $a1) (local.get $b1)))
            (v128.or (v128.xor (local.get $a2) (local.get $b2)) (v128.xor (local.get $a3) (local.get $b3))))))
          (then
            (local.set $base (i32.add (local.get $base) (i32.const 64)))
            (br_if $blocks (i32.lt_u (local.get $base) (i32.const 4096)))
            (br $pageEnd)))
        (local.set $equal
          (i64.or
            (i64.extend_i32_u (i32.or
              (i8x16.bitmask (i8x16.eq (local.get $a0) (local.get $b0)))
              (i32.shl (i8x16.bitmask (i8x16.eq (local.get $a1) (local.get $b1))) (i32.const 16))))
            (i64.shl
              (i64.extend_i32_u (i32.or
                (i8x16.bitmask (i8x16.eq (local.get $a2) (local.get $b2)))
                (i32.shl (i8x16.bitmask (i8x16.eq (local.get $a3) (local.get $b3))) (i32.const 16))))
              (i64.const 32))))
        (local.set $sm (i64.const -1))
        ;; the runs that end in this block (a nonzero run may carry on through later blocks)
        (loop $bounds
          ;; zero run: the first differing byte at or after the current position
          (local.set $m (i64.and (i64.xor (local.get $equal) (i64.const -1)) (local.get $sm)))
          (br_if $nextBlock (i64.eqz (local.get $m)))
          (local.set $j (i32.add (local.get $base) (i32.wrap_i64 (i64.ctz (local.get $m)))))
          (local.set $count (i32.sub (local.get $j) (local.get $pos)))
          (local.set $at (i32.add (local.get $out) (local.get $d)))
          (if (i32.lt_u (local.get $count) (i32.const 128))
            (then
              (i32.store8 (local.get $at) (local.get $count))
              (local.set $d (i32.add (local.get $d) (i32.const 1))))
            (else
              (i32.store16 align=1 (local.get $at)
                (i32.or
                  (i32.or (i32.and (local.get $count) (i32.const 0x7f)) (i32.const 0x80))
                  (i32.shl (i32.shr_u (local.get $count) (i32.const 7)) (i32.const 8))))
              (local.set $d (i32.add (local.get $d) (i32.const 2)))))
          (if (i32.gt_s (i32.add (local.get $d) (i32.const 2)) (local.get $limit))
            (then (return (i32.const -1))))
          (local.set $sm (i64.shl (i64.const -1) (i64.extend_i32_u (i32.sub (local.get $j) (local.get $base)))))
          ;; nonzero run: the first equal byte after $j, in this block or a later one
          (local.set $m (i64.and (local.get $equal) (local.get $sm)))
          (if (i64.eqz (local.get $m))
            (then
              (block $found
                (loop $skipDiffering
                  (br_if $found (i32.eq (local.get $base) (i32.const 4032)))
                  (local.set $base (i32.add (local.get $base) (i32.const 64)))
                  (local.set $po (i32.add (local.get $o) (local.get $base)))
                  (local.set $pn (i32.add (local.get $n) (local.get $base)))
                  (local.set $equal
                    (i64.or
                      (i64.extend_i32_u (i32.or (i8x16.bitmask (i8x16.eq (v128.load align=1 (local.get $po)) (v128.load align=1 (local.get $pn))))
                        (i32.shl (i8x16.bitmask (i8x16.eq (v128.load offset=16 align=1 (local.get $po)) (v128.load offset=16 align=1 (local.get $pn)))) (i32.const 16))))
                      (i64.shl
                        (i64.extend_i32_u (i32.or (i8x16.bitmask (i8x16.eq (v128.load offset=32 align=1 (local.get $po)) (v128.load offset=32 align=1 (local.get $pn))))
                          (i32.shl (i8x16.bitmask (i8x16.eq (v128.load offset=48 align=1 (local.get $po)) (v128.load offset=48 align=1 (local.get $pn)))) (i32.const 16))))
                        (i64.const 32))))
                  (local.set $m (local.get $equal))
                  (br_if $skipDiffering (i64.eqz (local.get $m)))))))
          ;; ctz(0) = 64: a run still open in the last block ends with the page
          (local.set $k (i32.add (local.get $base) (i32.wrap_i64 (i64.ctz (local.get $m)))))
          (local.set $count (i32.sub (local.get $k) (local.get $j)))
          (local.set $at (i32.add (local.get $out) (local.get $d)))
          (if (i32.lt_u (local.get $count) (i32.const 128))
            (then
              (i32.store8 (local.get $at) (local.get $count))
              (local.set $d (i32.add (local.get $d) (i32.const 1))))
            (else
              (i32.store16 align=1 (local.get $at)
                (i32.or
                  (i32.or (i32.and (local.get $count) (i32.const 0x7f)) (i32.const 0x80))
                  (i32.shl (i32.shr_u (local.get $count) (i32.const 7)) (i32.const 8))))
              (local.set $d (i32.add (local.get $d) (i32.const 2)))))
          (if (i32.gt_s (i32.add (local.get $d) (local.get $count)) (local.get $limit))
            (then (return (i32.const -1))))
          ;; copy the run: 16 bytes at a time when short and the rounded-up copy ends inside the limit
          (local.set $at (i32.add (local.get $out) (local.get $d)))
          (if (i32.and
                (i32.le_u (local.get $count) (i32.const 256))
                (i32.le_s
                  (i32.add (local.get $d) (i32.and (i32.add (local.get $count) (i32.const 15)) (i32.const -16)))
                  (local.get $limit)))
            (then
              (local.set $c (i32.const 0))
              (loop $copy
                (v128.store align=1
                  (i32.add (local.get $at) (local.get $c))
                  (v128.load align=1
                    (i32.add (i32.add (local.get $n) (local.get $j)) (local.get $c))))
                (local.set $c (i32.add (local.get $c) (i32.const 16)))
                (br_if $copy (i32.lt_u (local.get $c) (local.get $count)))))
            (else
              (memory.copy (local.get $at) (i32.add (local.get $n) (local.get $j)) (local.get $count))))
          (local.set $d (i32.add (local.get $d) (local.get $count)))
          (local.set $pos (local.get $k))
          ;; QEMU reserves 2 bytes before every zero-run scan, but none starts at the page end
          (br_if $nextBlock (i32.eq (local.get $k) (i32.const 4096)))
          (if (i32.gt_s (i32.add (local.get $d) (i32.const 2)) (local.get $limit))
            (then (return (i32.const -1))))
          (local.set $sm (i64.shl (i64.const -1) (i64.extend_i32_u (i32.sub (local.get $k) (local.get $base)))))
          (br $bounds)))
      (local.set $base (i32.add (local.get $base) (i32.const 64)))
      (br_if $blocks (i32.lt_u (local.get $base) (i32.const 4096)))))
    ;; the trailing zero run is not sent; d is 0 only when no byte differed (QEMU's "unchanged")
    (local.get $d))
)
