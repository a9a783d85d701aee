;; Zero-page check, WebAssembly SIMD (v128). Source of codecs/zero-page-kernel.generated.ts
;; (run `node --require ./scripts/register-tsx.cjs codecs/build-kernels.ts` after editing).
;;
;; The question QEMU's buffer_is_zero() (util/bufferiszero.c) answers before any codec: is every
;; byte of the page zero? 64 bytes a step (an or of four 16-byte loads, v128.any_true), stopping
;; at the first step with a nonzero byte. Plain JS over a Uint32Array managed 8-10 GB/s here,
;; bound by its own loop; this runs at the speed memory delivers the page (codecs/zero-page.ts).
;; The page lies in the imported memory (codecs/page-memory.ts); no alignment is needed.
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
)
