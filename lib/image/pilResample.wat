;; The transforms' hot loops. Pillow's 8-bit resampling passes (Resample.c, ImagingResampleHorizontal_8bpc /
;; Vertical_8bpc) with
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

  ;; The float stage of the transforms (pipeline.ts): crop rows of bytes -> float32 values in the
  ;; output layout (HWC, BGR, flipped when asked), by table: tables[c][v] already holds the reference's
  ;; whole float32 chain for byte v (to_tensor, x255, minus the mean) for output channel c (B, G, R:
  ;; three tables of 256 f32 one after the other, read from source bytes 2, 1, 0).
  (func (export "bgrFloats")
    (param $src i32) (param $width i32) (param $height i32) (param $flip i32) (param $tables i32) (param $dst i32)
    (local $y i32) (local $x i32) (local $s i32) (local $d i32) (local $step i32) (local $rowLen i32)
    (local.set $rowLen (i32.mul (local.get $width) (i32.const 12)))
    (local.set $step (select (i32.const -12) (i32.const 12) (local.get $flip)))
    (local.set $s (local.get $src))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $rowLen))))
        (if (local.get $flip) (then (local.set $d (i32.add (local.get $d) (i32.sub (local.get $rowLen) (i32.const 12))))))
        (local.set $x (i32.const 0))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $width)))
            (f32.store (local.get $d)
              (f32.load (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=2 (local.get $s)) (i32.const 2)))))
            (f32.store offset=4 (local.get $d)
              (f32.load offset=1024 (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 2)))))
            (f32.store offset=8 (local.get $d)
              (f32.load offset=2048 (i32.add (local.get $tables) (i32.shl (i32.load8_u (local.get $s)) (i32.const 2)))))
            (local.set $s (i32.add (local.get $s) (i32.const 3)))
            (local.set $d (i32.add (local.get $d) (local.get $step)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $pixelLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; Mask bytes -> float32 v/255 by table (256 f32), flipped when asked.
  (func (export "maskFloats")
    (param $src i32) (param $width i32) (param $height i32) (param $flip i32) (param $table i32) (param $dst i32)
    (local $y i32) (local $x i32) (local $s i32) (local $d i32) (local $step i32) (local $rowLen i32)
    (local.set $rowLen (i32.shl (local.get $width) (i32.const 2)))
    (local.set $step (select (i32.const -4) (i32.const 4) (local.get $flip)))
    (local.set $s (local.get $src))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $rowLen))))
        (if (local.get $flip) (then (local.set $d (i32.add (local.get $d) (i32.sub (local.get $rowLen) (i32.const 4))))))
        (local.set $x (i32.const 0))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $width)))
            (f32.store (local.get $d)
              (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $s)) (i32.const 2)))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (local.set $d (i32.add (local.get $d) (local.get $step)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $pixelLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; BGAugment in place: image = image*m + bg*(1-m) per channel, in float32 (each multiply, the 1-m and
  ;; the sum rounded to float32 as torch's separate tensor ops are), with bg the background's crop
  ;; bytes through the same tables and flip as bgrFloats, and m the sample's mask (HW f32).
  (func (export "compositeFloats")
    (param $src i32) (param $width i32) (param $height i32) (param $flip i32) (param $tables i32)
    (param $image i32) (param $mask i32)
    (local $y i32) (local $x i32) (local $s i32) (local $d i32) (local $mp i32) (local $step i32)
    (local $m f32) (local $om f32)
    (local.set $step (select (i32.const -1) (i32.const 1) (local.get $flip)))
    (local.set $s (local.get $src))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        ;; $mp: index of the output pixel (y, x) lands on
        (local.set $mp (i32.mul (local.get $y) (local.get $width)))
        (if (local.get $flip) (then (local.set $mp (i32.add (local.get $mp) (i32.sub (local.get $width) (i32.const 1))))))
        (local.set $x (i32.const 0))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $m (f32.load (i32.add (local.get $mask) (i32.shl (local.get $mp) (i32.const 2)))))
            (local.set $om (f32.sub (f32.const 1) (local.get $m)))
            (local.set $d (i32.add (local.get $image) (i32.mul (local.get $mp) (i32.const 12))))
            (f32.store (local.get $d)
              (f32.add (f32.mul (f32.load (local.get $d)) (local.get $m))
                (f32.mul (f32.load (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=2 (local.get $s)) (i32.const 2))))
                         (local.get $om))))
            (f32.store offset=4 (local.get $d)
              (f32.add (f32.mul (f32.load offset=4 (local.get $d)) (local.get $m))
                (f32.mul (f32.load offset=1024 (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 2))))
                         (local.get $om))))
            (f32.store offset=8 (local.get $d)
              (f32.add (f32.mul (f32.load offset=8 (local.get $d)) (local.get $m))
                (f32.mul (f32.load offset=2048 (i32.add (local.get $tables) (i32.shl (i32.load8_u (local.get $s)) (i32.const 2))))
                         (local.get $om))))
            (local.set $s (i32.add (local.get $s) (i32.const 3)))
            (local.set $mp (i32.add (local.get $mp) (local.get $step)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $pixelLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))
)
