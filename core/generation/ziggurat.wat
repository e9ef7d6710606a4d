;; Standard normals for many row streams at once (core/generation/batch-kernels.mjs, NormalKernel):
;; xoroshiro128+ and the ziggurat, step for step what RowStream.normal() does in JavaScript
;; (which emulates each 64-bit operation with two 32-bit ones), so the draws and values are
;; the same: test/core/batch-kernels.test.ts compares them. exp and log are JavaScript's own
;; (imported), so the rare wedge and tail cases compute exactly what JavaScript computes.
;; Build: npx tsx infra/build-wasm.ts (writes core/generation/ziggurat-wasm.ts; a test checks it is current).
;;
;; Memory layout (bytes):
;;   0       K: 128 f64, |value| below K[layer] lies inside the layer's rectangle
;;   1024    W: 128 f64, value × W[layer] is the normal
;;   2048    F: 128 f64, the density at each layer's edge
;;   3072    K as i32 (init writes them)
;;   4096    states: per row s0 then s1, each an i64 (little-endian: low word first)
;;   `out`   rows × count f32, row-major (placed by the caller after the states)
(module
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))
  (memory (export "memory") 1)
  ;; The generator while the slow path runs (the fast loop keeps it in locals).
  (global $s0 (mut i64) (i64.const 0))
  (global $s1 (mut i64) (i64.const 0))

  ;; One xoroshiro128+ step (a = 24, b = 16, c = 37); the draw is the low word of s0 + s1.
  (func $next (result i32)
    (local $a i64)
    (local $b i64)
    (local $out i32)
    (local.set $a (global.get $s0))
    (local.set $b (global.get $s1))
    (local.set $out (i32.wrap_i64 (i64.add (local.get $a) (local.get $b))))
    (local.set $b (i64.xor (local.get $b) (local.get $a)))
    (global.set $s0
      (i64.xor
        (i64.xor (i64.rotl (local.get $a) (i64.const 24)) (local.get $b))
        (i64.shl (local.get $b) (i64.const 16))))
    (global.set $s1 (i64.rotl (local.get $b) (i64.const 37)))
    (local.get $out))

  ;; 1 − uniformFloat64: (0, 1], from 26 + 27 bits of two draws (pure-rand's uniformFloat64).
  (func $openUniform (result f64)
    (local $high f64)
    (local.set $high
      (f64.mul
        (f64.convert_i32_u (i32.and (call $next) (i32.const 0x3ffffff)))
        (f64.const 0x1p-26)))
    (f64.sub
      (f64.const 1)
      (f64.add
        (local.get $high)
        (f64.mul
          (f64.convert_i32_u (i32.and (call $next) (i32.const 0x7ffffff)))
          (f64.const 0x1p-53)))))

  ;; The draws outside the rectangles: wedges and tail (core/rng.ts, zigguratSlow).
  (func $slow (param $bits i32) (result f64)
    (local $layer i32)
    (local $value i32)
    (local $x f64)
    (local $y f64)
    (local $f f64)
    (loop $again
      (local.set $layer (i32.shl (i32.shr_u (local.get $bits) (i32.const 25)) (i32.const 3)))
      (local.set $value (i32.shr_s (i32.shl (local.get $bits) (i32.const 7)) (i32.const 7)))
      (if (f64.lt
            (f64.abs (f64.convert_i32_s (local.get $value)))
            (f64.load (local.get $layer)))
        (then
          (return
            (f64.mul
              (f64.convert_i32_s (local.get $value))
              (f64.load offset=1024 (local.get $layer))))))
      (if (i32.eqz (local.get $layer))
        (then
          ;; The tail beyond R (Marsaglia's method).
          (loop $tail
            (local.set $x
              (f64.div
                (f64.neg (call $log (call $openUniform)))
                (f64.const 3.442619855899)))
            (local.set $y (f64.neg (call $log (call $openUniform))))
            (br_if $tail
              (f64.lt
                (f64.add (local.get $y) (local.get $y))
                (f64.mul (local.get $x) (local.get $x)))))
          (return
            (select
              (f64.add (f64.const 3.442619855899) (local.get $x))
              (f64.sub (f64.const -3.442619855899) (local.get $x))
              (i32.gt_s (local.get $value) (i32.const 0))))))
      (local.set $x
        (f64.mul
          (f64.convert_i32_s (local.get $value))
          (f64.load offset=1024 (local.get $layer))))
      ;; f = F[layer] + u · (F[layer − 1] − F[layer])
      (local.set $f
        (f64.add
          (f64.load offset=2048 (local.get $layer))
          (f64.mul
            (call $openUniform)
            (f64.sub
              (f64.load offset=2040 (local.get $layer))
              (f64.load offset=2048 (local.get $layer))))))
      (if (f64.lt
            (local.get $f)
            (call $exp
              (f64.mul (f64.mul (f64.const -0.5) (local.get $x)) (local.get $x))))
        (then (return (local.get $x))))
      (local.set $bits (call $next))
      (br $again))
    (unreachable))

  ;; Integer copies of K (3072: 128 i32, filled by `init`): the values are 25-bit integers and
  ;; so is every K, so |value| < K compares exactly in i32.
  (func (export "init")
    (local $layer i32)
    (loop $copy
      (i32.store offset=3072
        (i32.shl (local.get $layer) (i32.const 2))
        (i32.trunc_f64_s (f64.load (i32.shl (local.get $layer) (i32.const 3)))))
      (local.set $layer (i32.add (local.get $layer) (i32.const 1)))
      (br_if $copy (i32.lt_u (local.get $layer) (i32.const 128)))))

  ;; `count` normals from each of `rows` streams (states at 4096) into `out` (row-major); each
  ;; state is left as the stream's state after its draws. Rows go two at a time, their steps
  ;; interleaved: each generator step depends on the one before, so one row alone leaves the
  ;; processor waiting on that chain, and a second, independent row fills the gaps.
  (func (export "fillRows") (param $rows i32) (param $count i32) (param $out i32)
    (local $r i32)
    (local $i i32)
    (local $state i32)
    (local $outA i32)
    (local $outB i32)
    (local $s0A i64)
    (local $s1A i64)
    (local $bA i64)
    (local $s0B i64)
    (local $s1B i64)
    (local $bB i64)
    (local $bitsA i32)
    (local $bitsB i32)
    (local $layerA i32)
    (local $layerB i32)
    (local $valueA i32)
    (local $valueB i32)
    (local $normalA f64)
    (local $normalB f64)
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        ;; Row r is lane A; lane B is row r + 1, or row r again when it is the last row (its
        ;; draws are the same, written twice to the same places).
        (local.set $state (i32.add (i32.const 4096) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $s0A (i64.load (local.get $state)))
        (local.set $s1A (i64.load offset=8 (local.get $state)))
        (local.set $outA
          (i32.add (local.get $out)
            (i32.shl (i32.mul (local.get $r) (local.get $count)) (i32.const 2))))
        (local.set $outB (local.get $outA))
        (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows))
          (then
            (local.set $state (i32.add (local.get $state) (i32.const 16)))
            (local.set $outB
              (i32.add (local.get $outA) (i32.shl (local.get $count) (i32.const 2))))))
        (local.set $s0B (i64.load (local.get $state)))
        (local.set $s1B (i64.load offset=8 (local.get $state)))
        (local.set $i (i32.const 0))
        (block $drawsDone
          (loop $draw
            (br_if $drawsDone (i32.ge_u (local.get $i) (local.get $count)))
            ;; Lane A: one xoroshiro128+ step, then the ziggurat's rectangle test.
            (local.set $bitsA (i32.wrap_i64 (i64.add (local.get $s0A) (local.get $s1A))))
            (local.set $bA (i64.xor (local.get $s1A) (local.get $s0A)))
            (local.set $s0A
              (i64.xor
                (i64.xor (i64.rotl (local.get $s0A) (i64.const 24)) (local.get $bA))
                (i64.shl (local.get $bA) (i64.const 16))))
            (local.set $s1A (i64.rotl (local.get $bA) (i64.const 37)))
            (local.set $layerA (i32.shr_u (local.get $bitsA) (i32.const 25)))
            (local.set $valueA (i32.shr_s (i32.shl (local.get $bitsA) (i32.const 7)) (i32.const 7)))
            (if (i32.lt_s
                  (select
                    (local.get $valueA)
                    (i32.sub (i32.const 0) (local.get $valueA))
                    (i32.ge_s (local.get $valueA) (i32.const 0)))
                  (i32.load offset=3072 (i32.shl (local.get $layerA) (i32.const 2))))
              (then
                (local.set $normalA
                  (f64.mul
                    (f64.convert_i32_s (local.get $valueA))
                    (f64.load offset=1024 (i32.shl (local.get $layerA) (i32.const 3))))))
              (else
                (global.set $s0 (local.get $s0A))
                (global.set $s1 (local.get $s1A))
                (local.set $normalA (call $slow (local.get $bitsA)))
                (local.set $s0A (global.get $s0))
                (local.set $s1A (global.get $s1))))
            ;; Lane B: one xoroshiro128+ step, then the ziggurat's rectangle test.
            (local.set $bitsB (i32.wrap_i64 (i64.add (local.get $s0B) (local.get $s1B))))
            (local.set $bB (i64.xor (local.get $s1B) (local.get $s0B)))
            (local.set $s0B
              (i64.xor
                (i64.xor (i64.rotl (local.get $s0B) (i64.const 24)) (local.get $bB))
                (i64.shl (local.get $bB) (i64.const 16))))
            (local.set $s1B (i64.rotl (local.get $bB) (i64.const 37)))
            (local.set $layerB (i32.shr_u (local.get $bitsB) (i32.const 25)))
            (local.set $valueB (i32.shr_s (i32.shl (local.get $bitsB) (i32.const 7)) (i32.const 7)))
            (if (i32.lt_s
                  (select
                    (local.get $valueB)
                    (i32.sub (i32.const 0) (local.get $valueB))
                    (i32.ge_s (local.get $valueB) (i32.const 0)))
                  (i32.load offset=3072 (i32.shl (local.get $layerB) (i32.const 2))))
              (then
                (local.set $normalB
                  (f64.mul
                    (f64.convert_i32_s (local.get $valueB))
                    (f64.load offset=1024 (i32.shl (local.get $layerB) (i32.const 3))))))
              (else
                (global.set $s0 (local.get $s0B))
                (global.set $s1 (local.get $s1B))
                (local.set $normalB (call $slow (local.get $bitsB)))
                (local.set $s0B (global.get $s0))
                (local.set $s1B (global.get $s1))))
            (f32.store (local.get $outA) (f32.demote_f64 (local.get $normalA)))
            (f32.store (local.get $outB) (f32.demote_f64 (local.get $normalB)))
            (local.set $outA (i32.add (local.get $outA) (i32.const 4)))
            (local.set $outB (i32.add (local.get $outB) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $draw)))
        ;; Lane A's state first: when both lanes are the last row, B's (the same) is stored.
        (local.set $state (i32.add (i32.const 4096) (i32.shl (local.get $r) (i32.const 4))))
        (i64.store (local.get $state) (local.get $s0A))
        (i64.store offset=8 (local.get $state) (local.get $s1A))
        (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows))
          (then (local.set $state (i32.add (local.get $state) (i32.const 16)))))
        (i64.store (local.get $state) (local.get $s0B))
        (i64.store offset=8 (local.get $state) (local.get $s1B))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $row))))
)
