// int8 (qs8) convolution and max pooling, NHWC, for quantized CNNs (src/quant).
//   x: (N, H, W, C) i8, asymmetric per tensor (sa, za); y: (N, OH, OW, OC) i8 (sc, zc), clamped to
//   [qmin, qmax] (fused ReLU / ReLU6 as in q8.ts); weights symmetric per output channel (sw[oc]);
//   bias (OC) i32 at scale sa*sw[oc]. Same requantization as the int8 GEMM (f32 multiplier, nearest).
//   groups = 1:  w (OC, KH, KW, C) i8 = the (N=OC, K=KH*KW*C) operand of qs8_gemm, packed once by
//                qs8_pack_w. im2col copies a block of output pixels into scratch (padding = za, the
//                real 0) and the packed GEMM of q8.ts runs on it; 1x1 / stride 1 / no padding runs
//                the GEMM on x directly. Threads: the GEMM splits itself; im2col blocks go to threads whole.
//   depthwise:   q8_dw.ts (re-exported here).
//   max pool:    i8 max over the window (input and output share scale and zero point); padded
//                positions never win (windows always hold an element: pads <= half the window).
// Every __ref is dequantize -> f32 -> quantize; the fast kernels match it within 1 LSB (max pool: exactly).
import { convOutDim } from './conv_direct';
import { qs8_gemm_fwd__simd, qs8_gemm_fwd__relaxed } from './q8';
import { qs8_gemm_scratch_bytes } from './q8_pack';
import { mtFor, parallelRange, rangeLo, rangeHi, setArg, setArgF, arg, argF, argP, workerScratch, WORKER_SCRATCH } from '../mt';

export * from './q8_dw';


// @ts-ignore: decorator
@inline function quant1(x: f32, scale: f32, zp: i32, qmin: i32, qmax: i32): i32 {
  let q = nearest(x / scale);
  if (q != q) q = 0;
  return <i32>min(max(q, <f32>(qmin - zp)), <f32>(qmax - zp)) + zp;
}

// @ts-ignore: decorator
@inline function isPointwise(KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32): bool {
  return (KH == 1) & (KW == 1) & (strideH == 1) & (strideW == 1) & ((padT | padL | padB | padR) == 0);
}

/** Output pixels per im2col block: the block (rows x K bytes) within 256 KiB, 4 to 256 rows. */
// @ts-ignore: decorator
@inline function colRows(M: i32, K: i32): i32 { return min(M, max(4, min(256, (1 << 18) / max(K, 1)))); }

/** Scratch bytes of qs8_conv2d_fwd__simd/__relaxed (mirrored by q8ConvScratchBytes in src/ops.ts). */
export function qs8_conv2d_scratch_bytes(N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                         padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): i32 {
  const M = N * convOutDim(H, padT, padB, KH, dilH, strideH) * convOutDim(W, padL, padR, KW, dilW, strideW);
  if (isPointwise(KH, KW, strideH, strideW, padT, padL, padB, padR)) return qs8_gemm_scratch_bytes(M, OC, C);
  const K = KH * KW * C, mb = colRows(M, K);
  return ((mb * K + 15) & ~15) + qs8_gemm_scratch_bytes(mb, OC, K);
}

// ---- reference: dequantize -> f32 convolution -> quantize ----

// y: (N, OH, OW, OC) i8; x: (N, H, W, C) i8; w: (OC, KH, KW, C) i8; bias: (OC) i32; sw: (OC) f32
export function qs8_conv2d_fwd__ref(y: usize, x: usize, w: usize, bias: usize, sw: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                    KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                    za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let oc = 0; oc < OC; oc++) {
    const ws = load<f32>(sw + (<usize>oc << 2));
    let s: f32 = 0;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * strideH - padT + kh * dilH;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * strideW - padL + kw * dilW;
        if (iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) {
          const xv = sa * <f32>(<i32>load<i8>(x + ((<usize>n * H + ih) * W + iw) * C + c) - za);
          s += xv * (ws * <f32>load<i8>(w + ((<usize>oc * KH + kh) * KW + kw) * C + c));
        }
      }
    }
    s += sa * ws * <f32>load<i32>(bias + (<usize>oc << 2));
    store<i8>(y + ((<usize>n * OH + oh) * OW + ow) * OC + oc, <i8>quant1(s, sc, zc, qmin, qmax));
  }
}

// ---- groups = 1: im2col + packed int8 GEMM ----

// bytes [s, s + n) → d. NOTE: memory.copy / fill are calls in V8 (~20 ns), so runs below 256 bytes
// (a kernel row of KW*C bytes) move in 16-byte vectors (the last one overlapping), 8-byte words and bytes
// @ts-ignore: decorator
@inline function copyRun(d: usize, s: usize, n: i32): void {
  if (n >= 256) { memory.copy(d, s, <usize>n); return; }
  if (n >= 16) {
    let i = 0;
    for (; i + 16 <= n; i += 16) v128.store(d + i, v128.load(s + i));
    if (i < n) v128.store(d + n - 16, v128.load(s + n - 16));
    return;
  }
  let i = 0;
  if (n >= 8) { store<u64>(d, load<u64>(s)); i = 8; }
  for (; i < n; i++) store<u8>(d + i, load<u8>(s + i));
}
// @ts-ignore: decorator
@inline function fillRun(d: usize, v: u8, n: i32): void {
  if (n >= 256) { memory.fill(d, v, <usize>n); return; }
  let i = 0;
  if (n >= 16) {
    const z = i8x16.splat(<i8>v);
    for (; i + 16 <= n; i += 16) v128.store(d + i, z);
    if (i < n) v128.store(d + n - 16, z);
    return;
  }
  for (; i < n; i++) store<u8>(d + i, v);
}

// col: (rows, KH*KW*C) i8 for output pixels [p0, p0 + rows), row layout (kh, kw, c); outside = za.
// With dilation 1 the KW taps of one kernel row are one contiguous run of KW*C input bytes.
function im2col(col: usize, x: usize, p0: i32, rows: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32, za: i32): void {
  const K = KH * KW * C, run = KW * C, zb = <u8>za;
  let ow = p0 % OW, t = p0 / OW, oh = t % OH, n = t / OH;
  for (let r = 0; r < rows; r++) {
    let d = col + <usize>r * K;
    const iw0 = ow * strideW - padL, inside = (dilW == 1) & (iw0 >= 0) & (iw0 + KW <= W);
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * strideH - padT + kh * dilH;
      if (<u32>ih >= <u32>H) { fillRun(d, zb, run); d += run; continue; }
      const xr = x + (<usize>n * H + ih) * W * C;
      if (inside) { copyRun(d, xr + <usize>iw0 * C, run); d += run; continue; }
      for (let kw = 0; kw < KW; kw++) {
        const iw = iw0 + kw * dilW;
        if (<u32>iw < <u32>W) copyRun(d, xr + <usize>iw * C, C);
        else fillRun(d, zb, C);
        d += C;
      }
    }
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
  }
}

function conv2d(y: usize, x: usize, wp: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32,
                strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32, relaxed: bool): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW), M = N * OH * OW;
  if (isPointwise(KH, KW, strideH, strideW, padT, padL, padB, padR)) {
    if (relaxed) qs8_gemm_fwd__relaxed(y, x, wp, scratch, M, OC, C, za, sa, sc, zc, qmin, qmax);
    else qs8_gemm_fwd__simd(y, x, wp, scratch, M, OC, C, za, sa, sc, zc, qmin, qmax);
    return;
  }
  const K = KH * KW * C, mb = colRows(M, K), blocks = (M + mb - 1) / mb;
  const th = qs8_conv2d_scratch_bytes(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW) <= <i32>WORKER_SCRATCH
    ? min(blocks, mtFor(<i64>M * OC * K)) : 1;
  if (th <= 1) {
    convBlocks(y, x, wp, scratch, H, W, C, OC, KH, KW, OH, OW, strideH, strideW, padT, padL, dilH, dilW, za, sa, sc, zc, qmin, qmax, relaxed, M, 0, blocks);
    return;
  }
  // threads: the im2col blocks (each with its own scratch; the GEMM of a block stays on its thread)
  setArg(0, <i32>y); setArg(1, <i32>x); setArg(2, <i32>wp); setArg(3, <i32>scratch); setArg(4, H); setArg(5, W); setArg(6, C); setArg(7, OC);
  setArg(8, KH); setArg(9, KW); setArg(10, OH); setArg(11, OW); setArg(12, strideH); setArg(13, strideW); setArg(14, padT); setArg(15, padL);
  setArg(16, dilH); setArg(17, dilW); setArg(18, za); setArgF(19, sa); setArgF(20, sc); setArg(21, zc); setArg(22, qmin); setArg(23, qmax);
  setArg(24, <i32>relaxed); setArg(25, M);
  parallelRange(convTask, blocks, 1, th);
}
function convTask(t: i32, tid: i32): void {
  convBlocks(argP(0), argP(1), argP(2), tid ? workerScratch(tid) : argP(3), arg(4), arg(5), arg(6), arg(7), arg(8), arg(9), arg(10), arg(11),
    arg(12), arg(13), arg(14), arg(15), arg(16), arg(17), arg(18), argF(19), argF(20), arg(21), arg(22), arg(23), arg(24) != 0, arg(25), rangeLo(t), rangeHi(t));
}

// im2col blocks [b0, b1) of M output pixels: each copied into scratch, then the packed GEMM on it
function convBlocks(y: usize, x: usize, wp: usize, scratch: usize, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                    strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
                    za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32, relaxed: bool, M: i32, b0: i32, b1: i32): void {
  const K = KH * KW * C, mb = colRows(M, K);
  const gs = scratch + <usize>((mb * K + 15) & ~15);
  for (let b = b0; b < b1; b++) {
    const p0 = b * mb, rows = min(mb, M - p0);
    im2col(scratch, x, p0, rows, H, W, C, KH, KW, OH, OW, strideH, strideW, padT, padL, dilH, dilW, za);
    const c = y + <usize>p0 * OC;
    if (relaxed) qs8_gemm_fwd__relaxed(c, scratch, wp, gs, rows, OC, K, za, sa, sc, zc, qmin, qmax);
    else qs8_gemm_fwd__simd(c, scratch, wp, gs, rows, OC, K, za, sa, sc, zc, qmin, qmax);
  }
}

// y: (N, OH, OW, OC) i8; x: (N, H, W, C) i8; wp: W (OC, KH*KW*C) packed by qs8_pack_w__simd; scratch: qs8_conv2d_scratch_bytes
export function qs8_conv2d_fwd__simd(y: usize, x: usize, wp: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                     KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                     za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  conv2d(y, x, wp, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, za, sa, sc, zc, qmin, qmax, false);
}
// as __simd; wp packed by qs8_pack_w__relaxed (either layout)
export function qs8_conv2d_fwd__relaxed(y: usize, x: usize, wp: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                        KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                        za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  conv2d(y, x, wp, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, za, sa, sc, zc, qmin, qmax, true);
}

// ---- max pooling ----

// y: (N, OH, OW, C) i8; x: (N, H, W, C) i8
export function qs8_maxpool2d_fwd__ref(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                       strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best: i32 = -128;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * strideH - padT + kh;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * strideW - padL + kw;
        if (iw < 0 || iw >= W) continue;
        best = max(best, <i32>load<i8>(x + ((<usize>n * H + ih) * W + iw) * C + c));
      }
    }
    store<i8>(y + ((<usize>n * OH + oh) * OW + ow) * C + c, <i8>best);
  }
}

export function qs8_maxpool2d_fwd__simd(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                        strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  const C16 = C & ~15, C8 = C & ~7;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const yo = y + ((<usize>n * OH + oh) * OW + ow) * C;
    const kh0 = max(0, padT - oh * strideH), kh1 = min(KH, H + padT - oh * strideH);
    const kw0 = max(0, padL - ow * strideW), kw1 = min(KW, W + padL - ow * strideW);
    const base = x + ((<usize>n * H + (oh * strideH - padT)) * W + (ow * strideW - padL)) * C;
    let c = 0;
    for (; c < C16; c += 16) {
      let best = i8x16.splat(-128);
      for (let kh = kh0; kh < kh1; kh++) for (let kw = kw0; kw < kw1; kw++) {
        best = i8x16.max_s(best, v128.load(base + (<usize>kh * W + kw) * C + c));
      }
      v128.store(yo + c, best);
    }
    if (c < C8) {
      let best = i8x16.splat(-128);
      for (let kh = kh0; kh < kh1; kh++) for (let kw = kw0; kw < kw1; kw++) {
        best = i8x16.max_s(best, v128.load64_zero(base + (<usize>kh * W + kw) * C + c));
      }
      v128.store64_lane(yo + c, best, 0);
      c += 8;
    }
    for (; c < C; c++) {
      let best: i32 = -128;
      for (let kh = kh0; kh < kh1; kh++) for (let kw = kw0; kw < kw1; kw++) best = max(best, <i32>load<i8>(base + (<usize>kh * W + kw) * C + c));
      store<i8>(yo + c, <i8>best);
    }
  }
}

// ---- plan entry points: quantization parameters from a qp block (q8.ts: [za, sa, sc, zc, qmin, qmax]) ----

// y: (N, OH, OW, OC) i8; x: (N, H, W, C) i8; wp: packed by qs8_pack_w__relaxed; scratch: qs8_conv2d_scratch_bytes; qp: 6 words
export function qs8_conv2d_fwd_qp__relaxed(y: usize, x: usize, wp: usize, scratch: usize, qp: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                           KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  conv2d(y, x, wp, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW,
    load<i32>(qp), load<f32>(qp, 4), load<f32>(qp, 8), load<i32>(qp, 12), load<i32>(qp, 16), load<i32>(qp, 20), true);
}
