;; Pillow's 8-bit resampling passes (Resample.c, ImagingResampleHorizontal_8bpc / Vertical_8bpc) with
;; WebAssembly SIMD: the same 32-bit integer arithmetic (22 fractional bits, +1/2 before the shift,
;; arithmetic shift, clip to 0..255 by saturating narrows), so the bytes equal Pillow's exactly.
;; pilResize.ts lays out the memory and calls these; scripts/build-wasm.ts compiles this file into
;; pilResampleWasm.ts (test/unit/ml/transforms/pilResampleWasm.test.ts checks that the two agree).
;;
;; Coefficients: `first` holds one i32 per output pixel (first input index, relative to the pass's
;; input), `weights` `taps` i32 per output pixel (pilResize.ts's fixed-length, zero-padded windows).
;; Every region the passes read or write is followed by 16 bytes of slack: the 3-channel pass loads and
;; stores 4 bytes per pixel, the vertical pass 16 bytes at a time, past the end of a row.
(module
  (memory (export "memory") 1)

  ;; Horizontal pass, 3 interleaved channels: rows x outW pixels from rows of `srcStride` bytes.
  ;; One i32x4 per output pixel (R, G, B, and a lane that is written over by the next pixel).
  (func (export "horizontal3")
    (param $src i32) (param $srcStride i32) (param $rows i32)
    (param $first i32) (param $weights i32) (param $taps i32) (param $outW i32) (param $dst i32)
    (local $rowBase i32) (local $rowEnd i32) (local $xx i32) (local $p i32) (local $w i32) (local $wEnd i32)
    (local $acc v128) (local $v v128)
    (local.set $rowEnd (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $srcStride))))
    (local.set $rowBase (local.get $src))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $rowBase) (local.get $rowEnd)))
        (local.set $xx (i32.const 0))
        (local.set $w (local.get $weights))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $p
              (i32.add (local.get $rowBase)
                (i32.mul (i32.load (i32.add (local.get $first) (i32.shl (local.get $xx) (i32.const 2))))
                         (i32.const 3))))
            (local.set $acc (v128.const i32x4 2097152 2097152 2097152 2097152))
            (local.set $wEnd (i32.add (local.get $w) (i32.shl (local.get $taps) (i32.const 2))))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $w) (local.get $wEnd)))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.mul
                      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                      (i32x4.splat (i32.load (local.get $w))))))
                (local.set $p (i32.add (local.get $p) (i32.const 3)))
                (local.set $w (i32.add (local.get $w) (i32.const 4)))
                (br $tapLoop)))
            (local.set $v (i32x4.shr_s (local.get $acc) (i32.const 22)))
            (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
            (v128.store32_lane 0 (local.get $dst) (i8x16.narrow_i16x8_u (local.get $v) (local.get $v)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 3)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $pixelLoop)))
        (local.set $rowBase (i32.add (local.get $rowBase) (local.get $srcStride)))
        (br $rowLoop))))

  ;; Horizontal pass, 1 channel (masks): scalar, the taps of one output pixel are contiguous bytes.
  (func (export "horizontal1")
    (param $src i32) (param $srcStride i32) (param $rows i32)
    (param $first i32) (param $weights i32) (param $taps i32) (param $outW i32) (param $dst i32)
    (local $rowBase i32) (local $rowEnd i32) (local $xx i32) (local $p i32) (local $w i32) (local $wEnd i32)
    (local $s i32)
    (local.set $rowEnd (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $srcStride))))
    (local.set $rowBase (local.get $src))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $rowBase) (local.get $rowEnd)))
        (local.set $xx (i32.const 0))
        (local.set $w (local.get $weights))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $p
              (i32.add (local.get $rowBase)
                (i32.load (i32.add (local.get $first) (i32.shl (local.get $xx) (i32.const 2))))))
            (local.set $s (i32.const 2097152))
            (local.set $wEnd (i32.add (local.get $w) (i32.shl (local.get $taps) (i32.const 2))))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $w) (local.get $wEnd)))
                (local.set $s (i32.add (local.get $s) (i32.mul (i32.load8_u (local.get $p)) (i32.load (local.get $w)))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $w (i32.add (local.get $w) (i32.const 4)))
                (br $tapLoop)))
            (local.set $s (i32.shr_s (local.get $s) (i32.const 22)))
            (i32.store8 (local.get $dst)
              (select (i32.const 0)
                (select (i32.const 255) (local.get $s) (i32.gt_s (local.get $s) (i32.const 255)))
                (i32.lt_s (local.get $s) (i32.const 0))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $pixelLoop)))
        (local.set $rowBase (i32.add (local.get $rowBase) (local.get $srcStride)))
        (br $rowLoop))))

  ;; Vertical pass (any channel count): output row yy = sum over taps of input rows first[yy] + t,
  ;; `n` bytes per row, 16 bytes at a time (four i32x4 accumulators), rows `stride` bytes apart in
  ;; `src` and `n` bytes apart in `dst`.
  (func (export "vertical")
    (param $src i32) (param $stride i32) (param $n i32)
    (param $first i32) (param $weights i32) (param $taps i32) (param $outH i32) (param $dst i32)
    (local $yy i32) (local $rowPtr i32) (local $i i32) (local $p i32) (local $w i32) (local $wEnd i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $v v128) (local $lo v128) (local $hi v128) (local $wv v128) (local $out i32)
    (local.set $yy (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $yy) (local.get $outH)))
        (local.set $rowPtr
          (i32.add (local.get $src)
            (i32.mul (i32.load (i32.add (local.get $first) (i32.shl (local.get $yy) (i32.const 2))))
                     (local.get $stride))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $yy) (local.get $n))))
        (local.set $i (i32.const 0))
        (block $blocksDone
          (loop $blockLoop
            (br_if $blocksDone (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $a0 (v128.const i32x4 2097152 2097152 2097152 2097152))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $rowPtr) (local.get $i)))
            (local.set $w (i32.add (local.get $weights) (i32.shl (i32.mul (local.get $yy) (local.get $taps)) (i32.const 2))))
            (local.set $wEnd (i32.add (local.get $w) (i32.shl (local.get $taps) (i32.const 2))))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $w) (local.get $wEnd)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $wv (i32x4.splat (i32.load (local.get $w))))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $wv))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $wv))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $wv))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $wv))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $w (i32.add (local.get $w) (i32.const 4)))
                (br $tapLoop)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $blockLoop)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $rowLoop))))
)
