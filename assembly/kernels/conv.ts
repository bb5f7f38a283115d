// Conv2D (and Conv1D = Conv2D with H = 1, KH = 1): forward, input gradient, weight gradient.
//   x: (N, H, W, C) f32            NHWC, channels last
//   y: (N, OH, OW, OC) f32         OH = floor((H + padT + padB - dilH*(KH-1) - 1) / strideH) + 1, OW alike
//   w: (KH, KW, C/groups, OC) f32  "HWIO", TF/Keras' layout; output channel oc is in group
//                                  oc / (OC/groups) and reads input channels g*C/groups ..
// Why NHWC: the channel axis is innermost, so every SIMD inner loop (over C in depthwise and
// pooling, over OC in the GEMM and grouped paths) reads contiguous memory; a pixel's channels form
// one GEMM row, so a 1x1 conv IS a GEMM over (N*H*W, C) and im2col copies whole channel runs; bias
// and batch norm are per column of (N*H*W, C). TF/Keras are NHWC already; PyTorch/ONNX NCHW tensors
// and (OC, C/g, KH, KW) weights are transposed once by the importers. HWIO makes a weight row over
// OC contiguous and flattens to the (KH*KW*C/g, OC) GEMM operand with no copy.
// Padding is explicit and may be asymmetric (top, left, bottom, right): the host turns 'same' and
// 'valid' into pads. Bias: f32_conv2d_bias_fwd adds it as the implicit GEMM stores y (else one
// f32_bias_add pass after the convolution: the same float adds either way); its gradient is
// f32_bias_grad over (N*OH*OW, OC) rows.
// fwd overwrites y; bwd_x and bwd_w ACCUMULATE into dx and dw.
//
// __simd picks a path from the geometry:
//   groups = 1, 1x1, stride 1, no padding  → one GEMM over all pixels (pointwise)
//   groups = 1, K = KH*KW*C <= 256, OC <= 512 (fwd only) → implicit GEMM, no im2col (conv_igemm.ts)
//   groups = 1, bwd_w, padded image fits   → implicit weight gradient (conv_grad.ts)
//   groups = 1, bwd_x, stride 1, pads within the kernel, KH*KW*OC <= 512 → transposed implicit GEMM (conv_grad.ts)
//   groups = 1 otherwise                   → im2col of a block of pixels into scratch + GEMM
//   groups = C = OC (depthwise)            → direct SIMD over channels; 3x3 fast paths (conv_direct.ts, backward conv_direct_bwd.ts)
//   other groups                           → direct SIMD over the output channels of a group
// Threads: each path splits its own work (GEMM blocks, images, weight-gradient tiles, output rows, channels).
// scratch: conv2d_scratch_floats(...) f32 (0 unless groups = 1); __ref ignores it.
import { f32_gemm__simd, gemm, gemm_scratch_floats, f32_bias_add__ref } from './gemm';
import { f32_leaky_relu_fwd__ref } from './act';
import { setEpilogue, clearEpilogue, EPI_LEAKY } from './epilogue';
import { MT_CONV_SCALE } from '../mt';
import { convGeometry, convOutDim, px, addRow, directFwd,
  gN, gH, gW, gC, gOC, gKH, gKW, gSH, gSW, gPT, gPL, gDH, gDW, gG, gOH, gOW } from './conv_direct';
import { igemmFits, igemmFwd, igemmScratchFloats, igemmPadCase } from './conv_igemm';
import { wgradImplicit, wgradScratchFloats, bwdxFits, bwdxTransposed, bwdxScratchFloats } from './conv_grad';
import { directBwd } from './conv_direct_bwd';

// Pixels per im2col block: the column block (rows x KH*KW*C floats) stays within COL_BUDGET floats
// (1 MiB), between 8 and 256 rows.
const COL_BUDGET: i32 = 1 << 18;
// @ts-ignore: decorator
@inline function colRows(M: i32, K: i32): i32 { return min(M, max(8, min(256, COL_BUDGET / K))); }

// @ts-ignore: decorator
@inline function isPointwise(KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32): bool {
  return (KH == 1) & (KW == 1) & (strideH == 1) & (strideW == 1) & ((padT | padL | padB | padR) == 0);
}

/** Scratch for the conv2d __simd kernels, in floats (all three passes; mirrored by conv2dScratchFloats in src/ops.ts). */
export function conv2d_scratch_floats(N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                      padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32, groups: i32): i32 {
  if (groups != 1) return 0;
  const M = N * convOutDim(H, padT, padB, KH, dilH, strideH) * convOutDim(W, padL, padR, KW, dilW, strideW);
  if (isPointwise(KH, KW, strideH, strideW, padT, padL, padB, padR)) {
    return max(gemm_scratch_floats(M, OC, C), max(gemm_scratch_floats(M, C, OC), gemm_scratch_floats(C, OC, M)));
  }
  const K = KH * KW * C, mb = colRows(M, K);
  const g = max(gemm_scratch_floats(mb, OC, K), max(gemm_scratch_floats(mb, K, OC), gemm_scratch_floats(K, OC, mb)));
  const col = ((mb * K + 3) & ~3) + g;
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  const grads = max(wgradScratchFloats(), bwdxScratchFloats());
  if (!igemmFits(K, OC)) return max(col, grads);
  return max(max(col, grads), igemmScratchFloats(H, W, C, OC, KH, KW, gOH, gOW, strideH, strideW, padT, padL, dilH, dilW));
}

// ---- reference: the textbook loops ----

// y: (N, OH, OW, OC) f32; x: (N, H, W, C) f32; w: (KH, KW, C/groups, OC) f32
export function f32_conv2d_fwd__ref(y: usize, x: usize, w: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                    KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                    dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  refLoops(y, x, w, 0);
}

// y: (N, OH, OW, OC) f32 = conv(x, w) + b; b: (OC) f32
export function f32_conv2d_bias_fwd__ref(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                         KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                         dilH: i32, dilW: i32, groups: i32): void {
  f32_conv2d_fwd__ref(y, x, w, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  f32_bias_add__ref(y, b, N * gOH * gOW, OC);
}

// y: (N, OH, OW, OC) f32 = leaky_relu(conv(x, w) + b, alpha) (alpha 0: ReLU); b: (OC) f32
export function f32_conv2d_bias_act_fwd__ref(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                             KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                             dilH: i32, dilW: i32, groups: i32, alpha: f32): void {
  f32_conv2d_bias_fwd__ref(y, x, w, b, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  f32_leaky_relu_fwd__ref(y, y, N * gOH * gOW * OC, alpha);
}

// dx: (N, H, W, C) f32 +=; dy: (N, OH, OW, OC) f32; w: (KH, KW, C/groups, OC) f32
export function f32_conv2d_bwd_x__ref(dx: usize, dy: usize, w: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                      KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                      dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  refLoops(dy, dx, w, 1);
}

// dw: (KH, KW, C/groups, OC) f32 +=; dy: (N, OH, OW, OC) f32; x: (N, H, W, C) f32
export function f32_conv2d_bwd_w__ref(dw: usize, dy: usize, x: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                      KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                      dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  refLoops(dy, x, dw, 2);
}

// One loop nest for all three passes over (out pixel, oc, tap, ci):
// mode 0: y[o] = sum x[i] w[k]; mode 1: x[i] += y[o] w[k] (dx from dy); mode 2: w[k] += y[o] x[i] (dw from dy).
function refLoops(y: usize, x: usize, w: usize, mode: i32): void {
  const C = gC, OC = gOC, Cg = C / gG, OCg = OC / gG;
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) for (let oc = 0; oc < OC; oc++) {
    const g = oc / OCg;
    const yo = px(y, n, oh, ow, gOH, gOW, OC) + (<usize>oc << 2);
    const yv = load<f32>(yo);
    let s: f32 = 0;
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (ih < 0 || ih >= gH) continue;
      for (let kw = 0; kw < gKW; kw++) {
        const iw = ow * gSW - gPL + kw * gDW;
        if (iw < 0 || iw >= gW) continue;
        for (let ci = 0; ci < Cg; ci++) {
          const xo = px(x, n, ih, iw, gH, gW, C) + (<usize>(g * Cg + ci) << 2);
          const wo = w + ((((<usize>(kh * gKW + kw) * Cg) + ci) * OC + oc) << 2);
          if (mode == 0) s += load<f32>(xo) * load<f32>(wo);
          else if (mode == 1) store<f32>(xo, load<f32>(xo) + yv * load<f32>(wo));
          else store<f32>(wo, load<f32>(wo) + yv * load<f32>(xo));
        }
      }
    }
    if (mode == 0) store<f32>(yo, s);
  }
}

// ---- im2col / col2im over a block of output pixels [p0, p0 + rows) ----
// col: (rows, KH*KW*C) f32, row layout (kh, kw, c) = the row order of the flattened HWIO weight.

// @ts-ignore: decorator
@inline function copyRun(d: usize, s: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) { const o = <usize>k << 2; v128.store(d + o, v128.load(s + o)); }
  for (; k < n; k++) { const o = <usize>k << 2; store<f32>(d + o, load<f32>(s + o)); }
}
// @ts-ignore: decorator
@inline function zeroRun(d: usize, n: i32): void {
  let k = 0;
  const z = f32x4.splat(0);
  for (; k + 4 <= n; k += 4) v128.store(d + (<usize>k << 2), z);
  for (; k < n; k++) store<f32>(d + (<usize>k << 2), 0);
}

// Valid kernel columns [lo, hi) of one kernel row at input column iw0 (dilation dw): 0 <= iw0 + kw*dw < W.
// @ts-ignore: decorator
@inline function kwLo(iw0: i32, dw: i32): i32 { return iw0 >= 0 ? 0 : (-iw0 + dw - 1) / dw; }
// @ts-ignore: decorator
@inline function kwHi(iw0: i32, dw: i32, KW: i32, W: i32): i32 { return iw0 >= W ? 0 : min(KW, (W - iw0 + dw - 1) / dw); }

// NOTE: with dilation 1 the valid taps of a kernel row are one contiguous run of input pixels
// (NHWC), so each kernel row is at most three SIMD runs (zeros, copy, zeros): no per-tap branches.
function im2col(col: usize, x: usize, p0: i32, rows: i32): void {
  const C = gC, KW = gKW, run = KW * C, dw = gDW;
  let ow = p0 % gOW, t = p0 / gOW, oh = t % gOH, n = t / gOH;
  let d = col;
  for (let r = 0; r < rows; r++) {
    const iw0 = ow * gSW - gPL, lo = kwLo(iw0, dw), hi = max(lo, kwHi(iw0, dw, KW, gW));
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih >= <u32>gH || hi == lo) zeroRun(d, run);
      else {
        zeroRun(d, lo * C);
        if (dw == 1) copyRun(d + (<usize>(lo * C) << 2), px(x, n, ih, iw0 + lo, gH, gW, C), (hi - lo) * C);
        else for (let kw = lo; kw < hi; kw++) copyRun(d + (<usize>(kw * C) << 2), px(x, n, ih, iw0 + kw * dw, gH, gW, C), C);
        zeroRun(d + (<usize>(hi * C) << 2), (KW - hi) * C);
      }
      d += <usize>run << 2;
    }
    if (++ow == gOW) { ow = 0; if (++oh == gOH) { oh = 0; n++; } }
  }
}

function col2imAdd(dx: usize, col: usize, p0: i32, rows: i32): void {
  const C = gC, KW = gKW, run = KW * C, dw = gDW;
  let ow = p0 % gOW, t = p0 / gOW, oh = t % gOH, n = t / gOH;
  let s = col;
  for (let r = 0; r < rows; r++) {
    const iw0 = ow * gSW - gPL, lo = kwLo(iw0, dw), hi = max(lo, kwHi(iw0, dw, KW, gW));
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih < <u32>gH && hi > lo) {
        if (dw == 1) addRow(px(dx, n, ih, iw0 + lo, gH, gW, C), s + (<usize>(lo * C) << 2), (hi - lo) * C);
        else for (let kw = lo; kw < hi; kw++) addRow(px(dx, n, ih, iw0 + kw * dw, gH, gW, C), s + (<usize>(kw * C) << 2), C);
      }
      s += <usize>run << 2;
    }
    if (++ow == gOW) { ow = 0; if (++oh == gOH) { oh = 0; n++; } }
  }
}

// ---- SIMD dispatchers ----

// y: (N, OH, OW, OC) f32; x: (N, H, W, C) f32; w: (KH, KW, C/groups, OC) f32; scratch: conv2d_scratch_floats f32
export function f32_conv2d_fwd__simd(y: usize, x: usize, w: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                     KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                     dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  convFwd(y, x, w, scratch);
}

/**
 * y = conv(x, w) for the geometry convGeometry() set, through the store epilogue when one is set after it
 * (epilogue.ts: in the implicit GEMM's stores, after each GEMM block, after each direct output row).
 */
export function convFwd(y: usize, x: usize, w: usize, scratch: usize): void {
  const M = gN * gOH * gOW, C = gC, OC = gOC;
  if (M <= 0) return;
  if (gG != 1) { directFwd(y, x, w); return; }
  const pointwise = (gKH == 1) & (gKW == 1) & (gSH == 1) & (gSW == 1) & ((gPT | gPL) == 0) & (gOH == gH) & (gOW == gW);
  if (pointwise) { gemm(y, x, w, scratch, M, OC, C, 0, 0, 0, MT_CONV_SCALE); return; }
  const K = gKH * gKW * C;
  if (igemmFits(K, OC)) { igemmFwd(y, x, w, scratch); return; }
  const mb = colRows(M, K), gs = scratch + ((<usize>mb * K + 3) & ~3) * 4;
  for (let p0 = 0; p0 < M; p0 += mb) {
    const rows = min(mb, M - p0);
    im2col(scratch, x, p0, rows);
    gemm(y + (<usize>p0 * OC << 2), scratch, w, gs, rows, OC, K, 0, 0, 0, MT_CONV_SCALE);
  }
}

// y: (N, OH, OW, OC) f32 = conv(x, w) + b; b: (OC) f32; scratch: conv2d_scratch_floats f32
export function f32_conv2d_bias_fwd__simd(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                          KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                          dilH: i32, dilW: i32, groups: i32): void {
  biasActFwd(y, x, w, b, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups, 0, 0);
}

// y: (N, OH, OW, OC) f32 = leaky_relu(conv(x, w) + b, alpha) (alpha 0: ReLU); b: (OC) f32; scratch: conv2d_scratch_floats f32
export function f32_conv2d_bias_act_fwd__simd(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                              KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                              dilH: i32, dilW: i32, groups: i32, alpha: f32): void {
  biasActFwd(y, x, w, b, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups, 1, alpha);
}

// conv + bias (+ leaky ReLU when act), the bias and activation in the store epilogue on every path
function biasActFwd(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                    KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                    dilH: i32, dilW: i32, groups: i32, act: i32, alpha: f32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  setEpilogue(b, act ? EPI_LEAKY : 0, alpha);
  convFwd(y, x, w, scratch);
  clearEpilogue();
}

// dx: (N, H, W, C) f32 +=; dy: (N, OH, OW, OC) f32; w: (KH, KW, C/groups, OC) f32; scratch: conv2d_scratch_floats f32
export function f32_conv2d_bwd_x__simd(dx: usize, dy: usize, w: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                       KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                       dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  const M = N * gOH * gOW;
  if (M <= 0) return;
  if (groups != 1) { directBwd(dx, dy, w, 0); return; }
  // dx (M, C) += dy (M, OC) . W^T, W stored (C, OC)
  if (isPointwise(KH, KW, strideH, strideW, padT, padL, padB, padR)) { f32_gemm__simd(dx, dy, w, scratch, M, C, OC, 0, 1, 1); return; }
  if (bwdxFits()) { bwdxTransposed(dx, dy, w, scratch); return; }
  const K = KH * KW * C, mb = colRows(M, K), gs = scratch + ((<usize>mb * K + 3) & ~3) * 4;
  for (let p0 = 0; p0 < M; p0 += mb) {
    const rows = min(mb, M - p0);
    f32_gemm__simd(scratch, dy + (<usize>p0 * OC << 2), w, gs, rows, K, OC, 0, 1, 0);
    col2imAdd(dx, scratch, p0, rows);
  }
}

// dw: (KH, KW, C/groups, OC) f32 +=; dy: (N, OH, OW, OC) f32; x: (N, H, W, C) f32; scratch: conv2d_scratch_floats f32
export function f32_conv2d_bwd_w__simd(dw: usize, dy: usize, x: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                       KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                       dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  const M = N * gOH * gOW;
  if (M <= 0) return;
  if (groups != 1) { directBwd(dw, dy, x, 1); return; }
  // dW (K, OC) += col^T (K, M) . dy (M, OC)
  if (isPointwise(KH, KW, strideH, strideW, padT, padL, padB, padR)) { f32_gemm__simd(dw, x, dy, scratch, C, OC, M, 1, 0, 1); return; }
  if (igemmPadCase() < 2) { wgradImplicit(dw, dy, x, scratch); return; }
  const K = KH * KW * C, mb = colRows(M, K), gs = scratch + ((<usize>mb * K + 3) & ~3) * 4;
  for (let p0 = 0; p0 < M; p0 += mb) {
    const rows = min(mb, M - p0);
    im2col(scratch, x, p0, rows);
    f32_gemm__simd(dw, scratch, dy + (<usize>p0 * OC << 2), gs, K, OC, rows, 1, 0, 1);
  }
}
