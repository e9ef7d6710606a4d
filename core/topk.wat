;; The `topk` selection policy for a whole batch of rows (core/selection.ts, TopkRows): per row
;; and category, the k most probable tags, best first, ties to the lower tag index, skipping
;; the row's seed tags; k = min(request, tags the category has left). The same rule and the
;; same comparisons as selectTags in JavaScript (f32 values compare the same as their f64
;; copies); test/core/selection.test.ts compares the two.
;; Build: npx tsx infra/build-wasm.ts (writes core/topk-wasm.ts; a test checks it is current).
;;
;; topk(rows, D, C, S, at) reads and writes a block of memory at `at` (bytes, each part
;; 8-aligned, offsets computed by the caller in the same order):
;;   ranges      C × 2 i32     category c is tags [start, end)
;;   excluded    D u8          scratch: 1 for the current row's seeds (all 0 between rows)
;;   index       D i32         scratch: the current top list's tags
;;   score       D f32         scratch: their probabilities
;;   probs       rows × D f32
;;   requests    rows × C u8
;;   seeds       rows × S u16  the row's seed tags, seedCounts[r] of them
;;   seedCounts  rows u8
;;   out         rows × D u16  the row's tags from out[r × D], category by category
;;   outCounts   rows u16
(module
  (memory (export "memory") 1)

  (func $align8 (param $x i32) (result i32)
    (i32.and (i32.add (local.get $x) (i32.const 7)) (i32.const -8)))

  (func (export "topk")
    (param $rows i32) (param $D i32) (param $C i32) (param $S i32) (param $at i32)
    (local $ranges i32) (local $excluded i32) (local $index i32) (local $score i32)
    (local $probs i32) (local $requests i32) (local $seeds i32) (local $seedCounts i32)
    (local $out i32) (local $outCounts i32)
    (local $r i32) (local $c i32) (local $e i32) (local $j i32) (local $pos i32)
    (local $start i32) (local $end i32) (local $want i32) (local $blocked i32) (local $k i32)
    (local $filled i32) (local $written i32) (local $seedCount i32) (local $seed i32)
    (local $rowProbs i32) (local $rowSeeds i32) (local $p f32) (local $bar f32)
    ;; The parts of the block, in order.
    (local.set $ranges (local.get $at))
    (local.set $excluded
      (call $align8 (i32.add (local.get $ranges) (i32.shl (local.get $C) (i32.const 3)))))
    (local.set $index (call $align8 (i32.add (local.get $excluded) (local.get $D))))
    (local.set $score
      (call $align8 (i32.add (local.get $index) (i32.shl (local.get $D) (i32.const 2)))))
    (local.set $probs
      (call $align8 (i32.add (local.get $score) (i32.shl (local.get $D) (i32.const 2)))))
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
        ;; Mark the row's seeds.
        (local.set $e (i32.const 0))
        (block $marked
          (loop $mark
            (br_if $marked (i32.ge_u (local.get $e) (local.get $seedCount)))
            (i32.store8
              (i32.add (local.get $excluded)
                (i32.load16_u
                  (i32.add (local.get $rowSeeds) (i32.shl (local.get $e) (i32.const 1)))))
              (i32.const 1))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $mark)))
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
            (local.set $k
              (i32.sub (i32.sub (local.get $end) (local.get $start)) (local.get $blocked)))
            (if (i32.lt_s (local.get $want) (local.get $k)) (then (local.set $k (local.get $want))))
            (if (i32.gt_s (local.get $k) (i32.const 0))
              (then
                (local.set $filled (i32.const 0))
                (local.set $bar (f32.const -inf))
                (local.set $j (local.get $start))
                (block $scanned
                  (loop $scan
                    (br_if $scanned (i32.ge_u (local.get $j) (local.get $end)))
                    (local.set $p
                      (f32.load
                        (i32.add (local.get $rowProbs) (i32.shl (local.get $j) (i32.const 2)))))
                    ;; Once the list is full, a tag enters only above the bar (its last score):
                    ;; most tags stop at that one comparison.
                    (block $offered
                      (br_if $offered
                        (i32.eqz
                          (i32.or
                            (i32.lt_u (local.get $filled) (local.get $k))
                            (f32.gt (local.get $p) (local.get $bar)))))
                      (br_if $offered
                        (i32.load8_u (i32.add (local.get $excluded) (local.get $j))))
                      (local.set $pos
                        (select
                          (local.get $filled)
                          (i32.sub (local.get $k) (i32.const 1))
                          (i32.lt_u (local.get $filled) (local.get $k))))
                      ;; Shift lower scores down; an equal score keeps its (earlier) place.
                      (block $placed
                        (loop $shift
                          (br_if $placed (i32.eqz (local.get $pos)))
                          (br_if $placed
                            (i32.eqz
                              (f32.lt
                                (f32.load
                                  (i32.add (local.get $score)
                                    (i32.shl (i32.sub (local.get $pos) (i32.const 1))
                                      (i32.const 2))))
                                (local.get $p))))
                          (f32.store
                            (i32.add (local.get $score) (i32.shl (local.get $pos) (i32.const 2)))
                            (f32.load
                              (i32.add (local.get $score)
                                (i32.shl (i32.sub (local.get $pos) (i32.const 1))
                                  (i32.const 2)))))
                          (i32.store
                            (i32.add (local.get $index) (i32.shl (local.get $pos) (i32.const 2)))
                            (i32.load
                              (i32.add (local.get $index)
                                (i32.shl (i32.sub (local.get $pos) (i32.const 1))
                                  (i32.const 2)))))
                          (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
                          (br $shift)))
                      (f32.store
                        (i32.add (local.get $score) (i32.shl (local.get $pos) (i32.const 2)))
                        (local.get $p))
                      (i32.store
                        (i32.add (local.get $index) (i32.shl (local.get $pos) (i32.const 2)))
                        (local.get $j))
                      (if (i32.lt_u (local.get $filled) (local.get $k))
                        (then (local.set $filled (i32.add (local.get $filled) (i32.const 1)))))
                      (if (i32.eq (local.get $filled) (local.get $k))
                        (then
                          (local.set $bar
                            (f32.load
                              (i32.add (local.get $score)
                                (i32.shl (i32.sub (local.get $k) (i32.const 1))
                                  (i32.const 2))))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $scan)))
                ;; Append the category's list to the row's tags.
                (local.set $e (i32.const 0))
                (block $copied
                  (loop $copy
                    (br_if $copied (i32.ge_u (local.get $e) (local.get $filled)))
                    (i32.store16
                      (i32.add (local.get $out)
                        (i32.shl
                          (i32.add (i32.mul (local.get $r) (local.get $D)) (local.get $written))
                          (i32.const 1)))
                      (i32.load
                        (i32.add (local.get $index) (i32.shl (local.get $e) (i32.const 2)))))
                    (local.set $written (i32.add (local.get $written) (i32.const 1)))
                    (local.set $e (i32.add (local.get $e) (i32.const 1)))
                    (br $copy)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $category)))
        (i32.store16
          (i32.add (local.get $outCounts) (i32.shl (local.get $r) (i32.const 1)))
          (local.get $written))
        ;; Clear the row's marks.
        (local.set $e (i32.const 0))
        (block $cleared
          (loop $clear
            (br_if $cleared (i32.ge_u (local.get $e) (local.get $seedCount)))
            (i32.store8
              (i32.add (local.get $excluded)
                (i32.load16_u
                  (i32.add (local.get $rowSeeds) (i32.shl (local.get $e) (i32.const 1)))))
              (i32.const 0))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $clear)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
