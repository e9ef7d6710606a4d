;; Standard normals for many row streams at once (core/batch-kernels.mjs, NormalKernel):
;; xoroshiro128+ and the ziggurat, step for step what RowStream.normal() does in JavaScript
;; (which emulates each 64-bit operation with two 32-bit ones), so the draws and values are
;; the same: test/core/batch-kernels.test.ts compares them. exp and log are JavaScript's own
;; (imported), so the rare wedge and tail cases compute exactly what JavaScript computes.
;; Build: npx tsx infra/build-wasm.ts (writes core/ziggurat-wasm.ts; a test checks it is current).
;;
;; Memory layout (bytes):
;;   0       K: 128 f64, |value| below K[layer] lies inside the layer's rectangle
;;   1024    W: 128 f64, value × W[layer] is the normal
;;   2048    F: 128 f64, the density at each layer's edge
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

  ;; `count` normals from each of `rows` streams (states at 4096) into `out`; each state is
  ;; left as the stream's state after its draws.
  (func (export "fillRows") (param $rows i32) (param $count i32) (param $out i32)
    (local $r i32)
    (local $i i32)
    (local $state i32)
    (local $s0 i64)
    (local $s1 i64)
    (local $b i64)
    (local $bits i32)
    (local $layer i32)
    (local $value f64)
    (local $normal f64)
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $state (i32.add (i32.const 4096) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $s0 (i64.load (local.get $state)))
        (local.set $s1 (i64.load offset=8 (local.get $state)))
        (local.set $i (i32.const 0))
        (block $drawsDone
          (loop $draw
            (br_if $drawsDone (i32.ge_u (local.get $i) (local.get $count)))
            (local.set $bits (i32.wrap_i64 (i64.add (local.get $s0) (local.get $s1))))
            (local.set $b (i64.xor (local.get $s1) (local.get $s0)))
            (local.set $s0
              (i64.xor
                (i64.xor (i64.rotl (local.get $s0) (i64.const 24)) (local.get $b))
                (i64.shl (local.get $b) (i64.const 16))))
            (local.set $s1 (i64.rotl (local.get $b) (i64.const 37)))
            (local.set $layer (i32.shl (i32.shr_u (local.get $bits) (i32.const 25)) (i32.const 3)))
            (local.set $value
              (f64.convert_i32_s
                (i32.shr_s (i32.shl (local.get $bits) (i32.const 7)) (i32.const 7))))
            (if (f64.lt (f64.abs (local.get $value)) (f64.load (local.get $layer)))
              (then
                (local.set $normal
                  (f64.mul (local.get $value) (f64.load offset=1024 (local.get $layer)))))
              (else
                (global.set $s0 (local.get $s0))
                (global.set $s1 (local.get $s1))
                (local.set $normal (call $slow (local.get $bits)))
                (local.set $s0 (global.get $s0))
                (local.set $s1 (global.get $s1))))
            (f32.store (local.get $out) (f32.demote_f64 (local.get $normal)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $draw)))
        (i64.store (local.get $state) (local.get $s0))
        (i64.store offset=8 (local.get $state) (local.get $s1))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
