;; Whole-page scans, WebAssembly SIMD (v128). Source of codecs/page-scan-kernel.generated.ts
;; (run `node --require ./scripts/register-tsx.cjs codecs/build-kernels.ts` after editing).
;;
;; The two questions asked of a page before any encoding, answered 64 bytes a step (an or of
;; four 16-byte loads or xors, v128.any_true) and stopping at the first step that settles it:
;; is every byte zero (QEMU's buffer_is_zero(), util/bufferiszero.c), and is the page equal to
;; its cached copy (the XOR codecs' "unchanged" test). Plain JS over 32-bit words managed 4-10
;; GB/s here, bound by its own loop; these run at the speed memory delivers the pages
;; (codecs/page-scan.ts). Pages lie in the imported memory (codecs/page-memory.ts); no
;; alignment is needed.
(module
  (import "env" "memory" (memory 1))

  ;; isZero(at) -> 1 when the 4096 bytes at `at` are all zero, else 0.
  (func (export "isZero") (param $at i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $at) (i32.const 4096)))
    (loop $steps
      (if (v128.any_true
            (v128.or
              (v128.or (v128.load align=1 (local.get $at)) (v128.load offset=16 align=1 (local.get $at)))
              (v128.or (v128.load offset=32 align=1 (local.get $at)) (v128.load offset=48 align=1 (local.get $at)))))
        (then (return (i32.const 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 64)))
      (br_if $steps (i32.lt_u (local.get $at) (local.get $end))))
    (i32.const 1))

  ;; equal(a, b) -> 1 when the 4096 bytes at `a` and at `b` are equal, else 0.
  (func (export "equal") (param $a i32) (param $b i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.const 4096)))
    (loop $steps
      (if (v128.any_true
            (v128.or
              (v128.or
                (v128.xor (v128.load align=1 (local.get $a)) (v128.load align=1 (local.get $b)))
                (v128.xor (v128.load offset=16 align=1 (local.get $a)) (v128.load offset=16 align=1 (local.get $b))))
              (v128.or
                (v128.xor (v128.load offset=32 align=1 (local.get $a)) (v128.load offset=32 align=1 (local.get $b)))
                (v128.xor (v128.load offset=48 align=1 (local.get $a)) (v128.load offset=48 align=1 (local.get $b))))))
        (then (return (i32.const 0))))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (br_if $steps (i32.lt_u (local.get $a) (local.get $end))))
    (i32.const 1))
)
