;; The `topk` selection policy for a whole batch of rows (core/generation/selection.ts, TopkRows): per row
;; and category, the k most probable tags, best first, ties to the lower tag index, skipping
;; the row's seed tags; k = min(request, tags the category has left). The same rule as
;; selectTags in JavaScript, and the same tags for every real probability (f32 values compare
;; the same as their f64 copies); test/core/selection.test.ts compares the two. Uses 128-bit
;; SIMD (f32x4.pmax: the largest of two lanes; no NaN reaches it).
;; Build: npx tsx infra/build-wasm.ts (writes core/generation/topk-wasm.ts; a test checks it is current).
;;
;; topk(rows, D, C, S, at) reads and writes a block of memory at `at` (bytes, each part
;; 8-aligned, offsets computed by the caller in the same order) and returns the number of tags
;; written:
;;   ranges      C × 2 i32     category c is tags [start, end)
;;   candidates  (D + 8) f32   scratch: the current category's probabilities, −∞ once taken
;;   probs       rows × D f32
;;   requests    rows × C u8
;;   seeds       rows × S u16  the row's seed tags, seedCounts[r] of them
;;   seedCounts  rows u8
;;   out         rows × D u16  the rows' tags, packed: row r's follow row r − 1's, category by
;;                             category
;;   outCounts   rows u16
(module
  (memory (export "memory") 1)

  (func $align8 (param $x i32) (result i32)
    (i32.and (i32.add (local.get $x) (i32.const 7)) (i32.const -8)))

  ;; Per category, the k best tags are found one at a time: the largest remaining probability
  ;; (a 4-lane maximum over the category), then the first tag that holds it (so ties go to the
  ;; lower tag), which is then struck off (−∞). Requests are small, so k passes over a
  ;; category cost less than keeping a sorted list, whose insertions branch unpredictably.
  ;; Seeds are struck off before the first pass. A probability that is NaN or −∞ counts as
  ;; −3.4e38, so every real candidate stays above the struck-off ones.
  (func (export "topk")
    (param $rows i32) (param $D i32) (param $C i32) (param $S i32) (param $at i32) (result i32)
    (local $ranges i32) (local $cand i32)
    (local $probs i32) (local $requests i32) (local $seeds i32) (local $seedCounts i32)
    (local $out i32) (local $outCounts i32)
    (local $r i32) (local $c i32) (local $e i32) (local $j i32) (local $size i32) (local $padded i32)
    (local $start i32) (local $end i32) (local $want i32) (local $blocked i32) (local $k i32)
    (local $t i32) (local $found i32) (local $written i32) (local $total i32) (local $seedCount i32) (local $seed i32)
    (local $rowProbs i32) (local $rowSeeds i32) (local $v v128) (local $best v128)
    (local $other v128) (local $lane i32)
    ;; The parts of the block, in order.
    (local.set $ranges (local.get $at))
    (local.set $cand
      (call $align8 (i32.add (local.get $ranges) (i32.shl (local.get $C) (i32.const 3)))))
    (local.set $probs
      (call $align8
        (i32.add (local.get $cand) (i32.shl (i32.add (local.get $D) (i32.const 8)) (i32.const 2)))))
    (local.set $requests
      (call $align8
        (i32.add (local.get $probs)
          (i32.shl (i32.mul (local.get $rows) (local.get $D)) (i32.const 2)))))
    (local.set $seeds
      (call $align8
        (i32.add (local.get $requests) (i32.mul (local.get $rows) (local.get $C)))))
    (local.set $seedCounts
      (call $align8
        (i32.add (local.get $seeds)
          (i32.shl (i32.mul (local.get $rows) (local.get $S)) (i32.const 1)))))
    (local.set $out (call $align8 (i32.add (local.get $seedCounts) (local.get $rows))))
    (local.set $outCounts
      (call $align8
        (i32.add (local.get $out)
          (i32.shl (i32.mul (local.get $rows) (local.get $D)) (i32.const 1)))))

    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $rowProbs
          (i32.add (local.get $probs)
            (i32.shl (i32.mul (local.get $r) (local.get $D)) (i32.const 2))))
        (local.set $rowSeeds
          (i32.add (local.get $seeds)
            (i32.shl (i32.mul (local.get $r) (local.get $S)) (i32.const 1))))
        (local.set $seedCount (i32.load8_u (i32.add (local.get $seedCounts) (local.get $r))))
        (local.set $written (i32.const 0))
        (local.set $c (i32.const 0))
        (block $categoriesDone
          (loop $category
            (br_if $categoriesDone (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $want
              (i32.load8_u
                (i32.add (local.get $requests)
                  (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)))))
            (local.set $start
              (i32.load (i32.add (local.get $ranges) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $end
              (i32.load offset=4
                (i32.add (local.get $ranges) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $size (i32.sub (local.get $end) (local.get $start)))
            ;; Seeds in this category.
            (local.set $blocked (i32.const 0))
            (local.set $e (i32.const 0))
            (block $counted
              (loop $count
                (br_if $counted (i32.ge_u (local.get $e) (local.get $seedCount)))
                (local.set $seed
                  (i32.load16_u
                    (i32.add (local.get $rowSeeds) (i32.shl (local.get $e) (i32.const 1)))))
                (if (i32.and
                      (i32.ge_u (local.get $seed) (local.get $start))
                      (i32.lt_u (local.get $seed) (local.get $end)))
                  (then (local.set $blocked (i32.add (local.get $blocked) (i32.const 1)))))
                (local.set $e (i32.add (local.get $e) (i32.const 1)))
                (br $count)))
            (local.set $k (i32.sub (local.get $size) (local.get $blocked)))
            (if (i32.lt_s (local.get $want) (local.get $k)) (then (local.set $k (local.get $want))))
            (if (i32.gt_s (local.get $k) (i32.const 0))
              (then
                ;; The candidates: the category's probabilities, padded with −∞ to whole pairs of lanes.
                (local.set $padded (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8)))
                (local.set $j (i32.const 0))
                (block $copied
                  (loop $copy
                    (br_if $copied (i32.ge_u (local.get $j) (local.get $padded)))
                    (local.set $v
                      (v128.load
                        (i32.add (local.get $rowProbs)
                          (i32.shl (i32.add (local.get $start) (local.get $j)) (i32.const 2)))))
                    ;; NaN and −∞ (v > −∞ fails for both) become −3.4e38.
                    (v128.store
                      (i32.add (local.get $cand) (i32.shl (local.get $j) (i32.const 2)))
                      (v128.bitselect
                        (local.get $v)
                        (v128.const f32x4 -0x1.fffffep+127 -0x1.fffffep+127 -0x1.fffffep+127 -0x1.fffffep+127)
                        (f32x4.gt (local.get $v) (v128.const f32x4 -inf -inf -inf -inf))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $copy)))
                ;; The last lanes read past the category (or the row): strike them off.
                (local.set $j (local.get $size))
                (block $padDone
                  (loop $pad
                    (br_if $padDone (i32.ge_u (local.get $j) (local.get $padded)))
                    (f32.store
                      (i32.add (local.get $cand) (i32.shl (local.get $j) (i32.const 2)))
                      (f32.const -inf))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $pad)))
                ;; Strike off the row's seeds of this category.
                (local.set $e (i32.const 0))
                (block $struck
                  (loop $strike
                    (br_if $struck (i32.ge_u (local.get $e) (local.get $seedCount)))
                    (local.set $seed
                      (i32.load16_u
                        (i32.add (local.get $rowSeeds) (i32.shl (local.get $e) (i32.const 1)))))
                    (if (i32.and
                          (i32.ge_u (local.get $seed) (local.get $start))
                          (i32.lt_u (local.get $seed) (local.get $end)))
                      (then
                        (f32.store
                          (i32.add (local.get $cand)
                            (i32.shl (i32.sub (local.get $seed) (local.get $start)) (i32.const 2)))
                          (f32.const -inf))))
                    (local.set $e (i32.add (local.get $e) (i32.const 1)))
                    (br $strike)))
                (local.set $t (i32.const 0))
                (block $picked
                  (loop $pick
                    (br_if $picked (i32.ge_u (local.get $t) (local.get $k)))
                    ;; The largest candidate, in every lane: two running maxima (of even and of odd lanes
                    ;; of 4), so that each waits only on every other load.
                    (local.set $best (v128.load (local.get $cand)))
                    (local.set $other (v128.load offset=16 (local.get $cand)))
                    (local.set $j (i32.const 8))
                    (block $maxed
                      (loop $max
                        (br_if $maxed (i32.ge_u (local.get $j) (local.get $padded)))
                        (local.set $lane
                          (i32.add (local.get $cand) (i32.shl (local.get $j) (i32.const 2))))
                        (local.set $best (f32x4.pmax (local.get $best) (v128.load (local.get $lane))))
                        (local.set $other
                          (f32x4.pmax (local.get $other) (v128.load offset=16 (local.get $lane))))
                        (local.set $j (i32.add (local.get $j) (i32.const 8)))
                        (br $max)))
                    (local.set $best (f32x4.pmax (local.get $best) (local.get $other)))
                    (local.set $best
                      (f32x4.pmax
                        (local.get $best)
                        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                          (local.get $best) (local.get $best))))
                    (local.set $best
                      (f32x4.pmax
                        (local.get $best)
                        (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11
                          (local.get $best) (local.get $best))))
                    ;; The first candidate that holds it.
                    (local.set $j (i32.const 0))
                    (loop $find
                      (local.set $found
                        (i32x4.bitmask
                          (f32x4.eq
                            (v128.load
                              (i32.add (local.get $cand) (i32.shl (local.get $j) (i32.const 2))))
                            (local.get $best))))
                      (if (i32.eqz (local.get $found))
                        (then
                          (local.set $j (i32.add (local.get $j) (i32.const 4)))
                          (br $find))))
                    (local.set $j (i32.add (local.get $j) (i32.ctz (local.get $found))))
                    (f32.store
                      (i32.add (local.get $cand) (i32.shl (local.get $j) (i32.const 2)))
                      (f32.const -inf))
                    (i32.store16
                      (i32.add (local.get $out)
                        (i32.shl
                          (i32.add (local.get $total) (local.get $written))
                          (i32.const 1)))
                      (i32.add (local.get $start) (local.get $j)))
                    (local.set $written (i32.add (local.get $written) (i32.const 1)))
                    (local.set $t (i32.add (local.get $t) (i32.const 1)))
                    (br $pick)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $category)))
        (i32.store16
          (i32.add (local.get $outCounts) (i32.shl (local.get $r) (i32.const 1)))
          (local.get $written))
        (local.set $total (i32.add (local.get $total) (local.get $written)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
    (local.get $total))
)
