// int8 (qs8) depthwise convolution, NHWC, for quantized CNNs (src/quant; scheme as q8_conv.ts).
//   groups = C, OC = C * dm: x (N, H, W, C) i8 (sa, za); w (KH, KW, OC) i8, symmetric per channel
//   (sw[oc]); bias (OC) i32 at scale sa*sw[oc]; y (N, OH, OW, OC) i8 (sc, zc) clamped to [qmin, qmax].
//   Output channel oc reads input channel oc / dm.
//   __ref       dequantize -> f32 -> quantize (the oracle; the others are within 1 LSB of it).
//   __i32__ref  integer accumulation, then the f32 requantization of q8_requant.ts, one channel at a
//               time: the SIMD kernel equals it bit for bit.
//   __simd      dm = 1, 3x3, dilation 1 (MobileNet's case), any stride and padding: 8 channels per
//               step, taps paired as i16 (x, x') . (w, w') with i32x4.dot_i16x8_s (5 dots per 4
//               channels instead of 9 widening multiplies). Stride 1 slides over the columns, so
//               each pair is interleaved once for three output pixels (dwRowS1). The zero point is
//               folded into the bias as -za * sum(w) per output row, so interior pixels read x as
//               is; a kernel row that falls in the padding gets zero weights (and leaves the fold).
//               Edge columns and other shapes take the general SIMD path (8 channels, (x - za) * w
//               widened); channels past a multiple of 8 are scalar.
// Threads: output rows (n, oh) split between them.
// NOTE: no relaxed variant: the relaxed int8 dot wants a 7-bit operand and depthwise weights keep
// 8 bits (x - za needs 9), so the i16 dot is the fast path on both builds.
import { convOutDim } from './conv_direct';
import { rqSetup, rq, storeQ8 } from './q8_requant';
import { MT_CONV_SCALE, mtFor, parallelRange, rangeLo, rangeHi, setArg, setArgF, arg, argF, argP } from '../mt';

// @ts-ignore: decorator
@inline function quant1(x: f32, scale: f32, zp: i32, qmin: i32, qmax: i32): i32 {
  let q = nearest(x / scale);
  if (q != q) q = 0;
  return <i32>min(max(q, <f32>(qmin - zp)), <f32>(qmax - zp)) + zp;
}

// y: (N, OH, OW, OC) i8; x: (N, H, W, C) i8; w: (KH, KW, OC) i8; bias: (OC) i32; sw: (OC) f32; OC = C * dm
export function qs8_dwconv2d_fwd__ref(y: usize, x: usize, w: usize, bias: usize, sw: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                      KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                      za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW), dm = OC / C;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let oc = 0; oc < OC; oc++) {
    const ws = load<f32>(sw + (<usize>oc << 2)), c = oc / dm;
    let s: f32 = 0;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * strideH - padT + kh * dilH;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * strideW - padL + kw * dilW;
        if (iw < 0 || iw >= W) continue;
        const xv = sa * <f32>(<i32>load<i8>(x + ((<usize>n * H + ih) * W + iw) * C + c) - za);
        s += xv * (ws * <f32>load<i8>(w + (<usize>kh * KW + kw) * OC + oc));
      }
    }
    s += sa * ws * <f32>load<i32>(bias + (<usize>oc << 2));
    store<i8>(y + ((<usize>n * OH + oh) * OW + ow) * OC + oc, <i8>quant1(s, sc, zc, qmin, qmax));
  }
}

// one channel, integer accumulation, requantized as the SIMD lanes are (f32 acc * (sw * scale))
// @ts-ignore: decorator
@inline function dwScalar(y: usize, x: usize, w: usize, bias: usize, sw: usize, n: i32, oh: i32, ow: i32, oc: i32, c: i32,
                          H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32,
                          dilH: i32, dilW: i32, za: i32, scale: f32, zc: i32, qmin: i32, qmax: i32, yo: usize): void {
  let acc = load<i32>(bias + (<usize>oc << 2));
  for (let kh = 0; kh < KH; kh++) {
    const ih = oh * strideH - padT + kh * dilH;
    if (<u32>ih >= <u32>H) continue;
    for (let kw = 0; kw < KW; kw++) {
      const iw = ow * strideW - padL + kw * dilW;
      if (<u32>iw >= <u32>W) continue;
      acc += (<i32>load<i8>(x + ((<usize>n * H + ih) * W + iw) * C + c) - za) * <i32>load<i8>(w + (<usize>kh * KW + kw) * OC + oc);
    }
  }
  const q = nearest(<f32>acc * (load<f32>(sw + (<usize>oc << 2)) * scale));
  store<i8>(yo + oc, <i8>(<i32>min(max(q, <f32>(qmin - zc)), <f32>(qmax - zc)) + zc));
}

// as __ref, bit for bit as __simd
export function qs8_dwconv2d_fwd_i32__ref(y: usize, x: usize, w: usize, bias: usize, sw: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                          KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                          za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW), dm = OC / C;
  const scale = sa / sc;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const yo = y + ((<usize>n * OH + oh) * OW + ow) * OC;
    for (let oc = 0; oc < OC; oc++) {
      dwScalar(y, x, w, bias, sw, n, oh, ow, oc, oc / dm, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, dilH, dilW, za, scale, zc, qmin, qmax, yo);
    }
  }
}

// 8 channels [c, c + 8) of one output pixel, any geometry (dm = 1): (x - za) * w widened to i32
// @ts-ignore: decorator
@inline function dwPixel8(yo: usize, x: usize, w: usize, bias: usize, sw: usize, n: i32, oh: i32, ow: i32, c: i32, H: i32, W: i32, C: i32,
                          KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32, zav: v128, sv: v128): void {
  let a0 = i32x4.splat(0), a1 = a0;
  for (let kh = 0; kh < KH; kh++) {
    const ih = oh * strideH - padT + kh * dilH;
    if (<u32>ih >= <u32>H) continue;
    for (let kw = 0; kw < KW; kw++) {
      const iw = ow * strideW - padL + kw * dilW;
      if (<u32>iw >= <u32>W) continue;
      const xv = i16x8.sub(v128.load8x8_s(x + ((<usize>n * H + ih) * W + iw) * C + c), zav);
      const wv = v128.load8x8_s(w + (<usize>kh * KW + kw) * C + c);
      a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(xv, wv));
      a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(xv, wv));
    }
  }
  const sp = sw + (<usize>c << 2);
  const bp = bias + (<usize>c << 2);
  storeQ8(yo + c, rq(a0, v128.load(bp), f32x4.mul(v128.load(sp), sv)), rq(a1, v128.load(bp, 16), f32x4.mul(v128.load(sp, 16), sv)));
}

// @ts-ignore: decorator
@inline function lo16(a: v128, b: v128): v128 { return i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
// @ts-ignore: decorator
@inline function hi16(a: v128, b: v128): v128 { return i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }
// @ts-ignore: decorator
@inline function wtap(w: usize, ok: bool): v128 { return ok ? v128.load8x8_s(w) : i32x4.splat(0); }

// One output row's interior pixels, 8 channels: x0..x2 point at the first pixel's three input rows
// (channel c), y at its output; C = pixel stride of x and y; b: bias - za * sum(w); m: multipliers.
// Stride 1 slides a window over the input columns: vertical pairs (row 0, row 1) of each column and
// horizontal pairs (row 2: col, col + 1) are each made once and serve three output pixels, so a
// pixel costs 3 loads and 4 interleaves for its 10 dots.
// @ts-ignore: decorator
@inline function dwRowS1(y: usize, x0: usize, x1: usize, x2: usize, C: usize, n: i32,
                         w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
                         b0: v128, b1: v128, m0: v128, m1: v128): void {
  if (n <= 0) return;
  const zero = i32x4.splat(0);
  const pa0 = lo16(w00, w10), pa1 = hi16(w00, w10), pb0 = lo16(w01, w11), pb1 = hi16(w01, w11), pc0 = lo16(w02, w12), pc1 = hi16(w02, w12);
  const ph0 = lo16(w20, w21), ph1 = hi16(w20, w21), pg0 = lo16(zero, w22), pg1 = hi16(zero, w22);
  // window: va = (rows 0, 1) of column 0, vb = of column 1, h = (row 2: columns 0, 1), s1 = row 2 column 1
  let t0 = v128.load8x8_s(x0), t1 = v128.load8x8_s(x1);
  let va0 = lo16(t0, t1), va1 = hi16(t0, t1);
  t0 = v128.load8x8_s(x0 + C); t1 = v128.load8x8_s(x1 + C);
  let vb0 = lo16(t0, t1), vb1 = hi16(t0, t1);
  let s1 = v128.load8x8_s(x2 + C);
  t0 = v128.load8x8_s(x2);
  let h0 = lo16(t0, s1), h1 = hi16(t0, s1);
  let o: usize = 2 * C;
  for (let i = 0; i < n; i++) {
    t0 = v128.load8x8_s(x0 + o); t1 = v128.load8x8_s(x1 + o);
    const vc0 = lo16(t0, t1), vc1 = hi16(t0, t1);
    const s2 = v128.load8x8_s(x2 + o);
    const g0 = lo16(s1, s2), g1 = hi16(s1, s2);
    let a0 = i32x4.add(i32x4.dot_i16x8_s(va0, pa0), i32x4.dot_i16x8_s(vb0, pb0));
    let a1 = i32x4.add(i32x4.dot_i16x8_s(va1, pa1), i32x4.dot_i16x8_s(vb1, pb1));
    a0 = i32x4.add(a0, i32x4.add(i32x4.dot_i16x8_s(vc0, pc0), i32x4.dot_i16x8_s(h0, ph0)));
    a1 = i32x4.add(a1, i32x4.add(i32x4.dot_i16x8_s(vc1, pc1), i32x4.dot_i16x8_s(h1, ph1)));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(g0, pg0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(g1, pg1));
    storeQ8(y, rq(a0, b0, m0), rq(a1, b1, m1));
    va0 = vb0; va1 = vb1; vb0 = vc0; vb1 = vc1; h0 = g0; h1 = g1; s1 = s2;
    o += C; y += C;
  }
}

// Any stride: each pixel pairs its own taps (row r: cols 0, 1), (col 2: rows 0, 1), (row 2 col 2, 0).
// @ts-ignore: decorator
@inline function dwRowS2(y: usize, x0: usize, x1: usize, x2: usize, C: usize, n: i32, stride: i32,
                         w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
                         b0: v128, b1: v128, m0: v128, m1: v128): void {
  const zero = i32x4.splat(0);
  const pA0 = lo16(w00, w01), pA1 = hi16(w00, w01), pB0 = lo16(w10, w11), pB1 = hi16(w10, w11);
  const pC0 = lo16(w20, w21), pC1 = hi16(w20, w21), pD0 = lo16(w02, w12), pD1 = hi16(w02, w12);
  const pE0 = lo16(w22, zero), pE1 = hi16(w22, zero);
  const step = <usize>stride * C;
  let xo: usize = 0;
  for (let i = 0; i < n; i++) {
    let u = v128.load8x8_s(x0 + xo), v = v128.load8x8_s(x0 + xo + C);
    let a0 = i32x4.dot_i16x8_s(lo16(u, v), pA0), a1 = i32x4.dot_i16x8_s(hi16(u, v), pA1);
    u = v128.load8x8_s(x1 + xo); v = v128.load8x8_s(x1 + xo + C);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(u, v), pB0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(u, v), pB1));
    u = v128.load8x8_s(x2 + xo); v = v128.load8x8_s(x2 + xo + C);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(u, v), pC0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(u, v), pC1));
    u = v128.load8x8_s(x0 + xo + 2 * C); v = v128.load8x8_s(x1 + xo + 2 * C);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(u, v), pD0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(u, v), pD1));
    u = v128.load8x8_s(x2 + xo + 2 * C);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(u, u), pE0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(u, u), pE1));
    storeQ8(y, rq(a0, b0, m0), rq(a1, b1, m1));
    xo += step; y += C;
  }
}

// 3x3, dm = 1, dilation 1. Interior columns [owA, owB): all three taps of a row inside x.
function dw3x3(y: usize, x: usize, w: usize, bias: usize, sw: usize, H: i32, W: i32, C: i32,
               strideH: i32, strideW: i32, padT: i32, padL: i32, OH: i32, OW: i32, za: i32, scale: f32, r0: i32, r1: i32): void {
  const C8 = C & ~7, sv = f32x4.splat(scale), zav = i16x8.splat(<i16>za), zai = i32x4.splat(za);
  const owA = min(OW, (padL + strideW - 1) / strideW);
  const owB = max(owA, min(OW, W - 3 + padL >= 0 ? (W - 3 + padL) / strideW + 1 : 0));
  const rowBytes = <usize>W * C, cs = <usize>C;
  for (let r = r0; r < r1; r++) {
    const n = r / OH, oh = r % OH, ih = oh * strideH - padT;
    const ok0 = <u32>ih < <u32>H, ok1 = <u32>(ih + 1) < <u32>H, ok2 = <u32>(ih + 2) < <u32>H;
    // a kernel row in the padding reads a real row (any) with zero weights
    const any = ok1 ? ih + 1 : ok0 ? ih : ok2 ? ih + 2 : 0;
    const img = x + <usize>n * H * rowBytes;
    const r0 = img + <usize>(ok0 ? ih : any) * rowBytes, r1 = img + <usize>(ok1 ? ih + 1 : any) * rowBytes, r2 = img + <usize>(ok2 ? ih + 2 : any) * rowBytes;
    const yrow = y + (<usize>n * OH + oh) * OW * C;
    for (let c = 0; c < C8; c += 8) {
      const wc = w + <usize>c;
      const w00 = wtap(wc, ok0), w01 = wtap(wc + cs, ok0), w02 = wtap(wc + 2 * cs, ok0);
      const w10 = wtap(wc + 3 * cs, ok1), w11 = wtap(wc + 4 * cs, ok1), w12 = wtap(wc + 5 * cs, ok1);
      const w20 = wtap(wc + 6 * cs, ok2), w21 = wtap(wc + 7 * cs, ok2), w22 = wtap(wc + 8 * cs, ok2);
      // bias - za * sum(w) over the taps in x (|sum| <= 9 * 128 fits i16)
      const ws = i16x8.add(i16x8.add(i16x8.add(w00, w01), i16x8.add(w02, w10)), i16x8.add(i16x8.add(w11, w12), i16x8.add(i16x8.add(w20, w21), w22)));
      const b0 = i32x4.sub(v128.load(bias + (<usize>c << 2)), i32x4.mul(zai, i32x4.extend_low_i16x8_s(ws)));
      const b1 = i32x4.sub(v128.load(bias + (<usize>c << 2), 16), i32x4.mul(zai, i32x4.extend_high_i16x8_s(ws)));
      const m0 = f32x4.mul(v128.load(sw + (<usize>c << 2)), sv), m1 = f32x4.mul(v128.load(sw + (<usize>c << 2), 16), sv);
      const x0 = <usize>(owA * strideW - padL) * C + c, y0 = yrow + <usize>owA * C + c;
      if (strideW == 1) dwRowS1(y0, r0 + x0, r1 + x0, r2 + x0, cs, owB - owA, w00, w01, w02, w10, w11, w12, w20, w21, w22, b0, b1, m0, m1);
      else dwRowS2(y0, r0 + x0, r1 + x0, r2 + x0, cs, owB - owA, strideW, w00, w01, w02, w10, w11, w12, w20, w21, w22, b0, b1, m0, m1);
      for (let ow = 0; ow < OW; ow++) {
        if (ow == owA) { ow = owB; if (ow >= OW) break; }
        dwPixel8(yrow + <usize>ow * C, x, w, bias, sw, n, oh, ow, c, H, W, C, 3, 3, strideH, strideW, padT, padL, 1, 1, zav, sv);
      }
    }
  }
}

// as __ref (within 1 LSB), as __i32__ref bit for bit
export function qs8_dwconv2d_fwd__simd(y: usize, x: usize, w: usize, bias: usize, sw: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                       KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32,
                                       za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW), rows = N * OH;
  // (direct loops: their work counts 4x, and a convolution's MT_CONV_SCALE more, as in conv_direct.ts)
  const th = min(rows, mtFor(MT_CONV_SCALE * 4 * rows * OW * OC * KH * KW));
  if (th <= 1) { dwRows(y, x, w, bias, sw, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, dilH, dilW, za, sa, sc, zc, qmin, qmax, OH, OW, 0, rows); return; }
  setArg(0, <i32>y); setArg(1, <i32>x); setArg(2, <i32>w); setArg(3, <i32>bias); setArg(4, <i32>sw); setArg(5, H); setArg(6, W); setArg(7, C);
  setArg(8, OC); setArg(9, KH); setArg(10, KW); setArg(11, strideH); setArg(12, strideW); setArg(13, padT); setArg(14, padL); setArg(15, dilH);
  setArg(16, dilW); setArg(17, za); setArgF(18, sa); setArgF(19, sc); setArg(20, zc); setArg(21, qmin); setArg(22, qmax); setArg(23, OH); setArg(24, OW);
  parallelRange(dwTask, rows, 1, th, 8);
}
function dwTask(t: i32, tid: i32): void {
  dwRows(argP(0), argP(1), argP(2), argP(3), argP(4), arg(5), arg(6), arg(7), arg(8), arg(9), arg(10), arg(11), arg(12), arg(13), arg(14), arg(15),
    arg(16), arg(17), argF(18), argF(19), arg(20), arg(21), arg(22), arg(23), arg(24), rangeLo(t), rangeHi(t));
}

// output rows [r0, r1) of all N*OH
function dwRows(y: usize, x: usize, w: usize, bias: usize, sw: usize, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32,
                strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32, za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32,
                OH: i32, OW: i32, r0: i32, r1: i32): void {
  const dm = OC / C;
  const scale = sa / sc, sv = f32x4.splat(scale), zav = i16x8.splat(<i16>za);
  const C8 = dm == 1 ? C & ~7 : 0;
  rqSetup(zc, qmin, qmax);
  const fast = (dm == 1) & (KH == 3) & (KW == 3) & (dilH == 1) & (dilW == 1);
  if (fast) dw3x3(y, x, w, bias, sw, H, W, C, strideH, strideW, padT, padL, OH, OW, za, scale, r0, r1);
  for (let r = r0; r < r1; r++) for (let ow = 0; ow < OW; ow++) {
    const n = r / OH, oh = r % OH;
    const yo = y + ((<usize>n * OH + oh) * OW + ow) * OC;
    if (!fast) {
      for (let c = 0; c < C8; c += 8) dwPixel8(yo, x, w, bias, sw, n, oh, ow, c, H, W, C, KH, KW, strideH, strideW, padT, padL, dilH, dilW, zav, sv);
    }
    for (let oc = C8; oc < OC; oc++) {
      dwScalar(y, x, w, bias, sw, n, oh, ow, oc, oc / dm, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, dilH, dilW, za, scale, zc, qmin, qmax, yo);
    }
  }
}

// y: (N, OH, OW, OC) i8; x: (N, H, W, C) i8; w: (KH, KW, OC) i8; bias: (OC) i32; sw: (OC) f32; qp: 6 words (q8.ts)
export function qs8_dwconv2d_fwd_qp__simd(y: usize, x: usize, w: usize, bias: usize, sw: usize, qp: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                          KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  qs8_dwconv2d_fwd__simd(y, x, w, bias, sw, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW,
    load<i32>(qp), load<f32>(qp, 4), load<f32>(qp, 8), load<i32>(qp, 12), load<i32>(qp, 16), load<i32>(qp, 20));
}
