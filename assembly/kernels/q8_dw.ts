// int8 (qs8) depthwise convolution, NHWC, for quantized CNNs (src/quant; scheme as q8_conv.ts).
//   groups = C, OC = C * dm: x (N, H, W, C) i8 (sa, za); w (KH, KW, OC) i8, symmetric per channel
//   (sw[oc]); bias (OC) i32 at scale sa*sw[oc]; y (N, OH, OW, OC) i8 (sc, zc) clamped to [qmin, qmax].
//   Output channel oc reads input channel oc / dm.
//   __ref       dequantize -> f32 -> quantize (the oracle; the others are within 1 LSB of it).
//   __i32__ref  integer accumulation, then the f32 requantization of q8_requant.ts, one channel at a
//               time: the SIMD kernel equals it bit for bit.
//   __simd      dm = 1, 3x3, dilation 1 (MobileNet's case), any stride and padding: 8 channels per
//               step, taps paired as i16 (x, x') · (w, w') with i32x4.dot_i16x8_s (5 dots per 4
//               channels instead of 9 widening multiplies). The zero point is folded into the
//               bias as -za * sum(w) per output row, so interior pixels read x as is; a kernel row
//               that falls in the padding gets zero weights (and leaves the fold). Edge columns
//               and other shapes take the general SIMD path (8 channels, (x - za) * w widened);
//               channels past a multiple of 8 are scalar.
// NOTE: no relaxed variant: the relaxed int8 dot wants a 7-bit operand and depthwise weights keep
// 8 bits (x - za needs 9), so the i16 dot is the fast path on both builds.
import { convOutDim } from './conv_direct';
import { rqSetup, rq, storeQ8 } from './q8_requant';

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

// 3x3, dm = 1, dilation 1. Interior columns [owA, owB): all three taps of a row inside x.
function dw3x3(y: usize, x: usize, w: usize, bias: usize, sw: usize, N: i32, H: i32, W: i32, C: i32,
               strideH: i32, strideW: i32, padT: i32, padL: i32, OH: i32, OW: i32, za: i32, scale: f32): void {
  const C8 = C & ~7, sv = f32x4.splat(scale), zav = i16x8.splat(<i16>za), zai = i32x4.splat(za), zero = i32x4.splat(0);
  const owA = min(OW, (padL + strideW - 1) / strideW);
  const owB = max(owA, min(OW, W - 3 + padL >= 0 ? (W - 3 + padL) / strideW + 1 : 0));
  const rowBytes = <usize>W * C, cs = <usize>C;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) {
    const ih = oh * strideH - padT;
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
      // tap pairs (row 0 cols 0,1) (row 1 cols 0,1) (row 2 cols 0,1) (col 2 rows 0,1) (row 2 col 2, 0), channels 0-3 | 4-7
      const pA0 = lo16(w00, w01), pA1 = hi16(w00, w01), pB0 = lo16(w10, w11), pB1 = hi16(w10, w11);
      const pC0 = lo16(w20, w21), pC1 = hi16(w20, w21), pD0 = lo16(w02, w12), pD1 = hi16(w02, w12);
      const pE0 = lo16(w22, zero), pE1 = hi16(w22, zero);
      const m0 = f32x4.mul(v128.load(sw + (<usize>c << 2)), sv), m1 = f32x4.mul(v128.load(sw + (<usize>c << 2), 16), sv);
      let xo = <usize>(owA * strideW - padL) * C + c;
      const step = <usize>strideW * C;
      for (let ow = owA; ow < owB; ow++) {
        let x0 = v128.load8x8_s(r0 + xo), x1 = v128.load8x8_s(r0 + xo + cs);
        let a0 = i32x4.dot_i16x8_s(lo16(x0, x1), pA0), a1 = i32x4.dot_i16x8_s(hi16(x0, x1), pA1);
        x0 = v128.load8x8_s(r1 + xo); x1 = v128.load8x8_s(r1 + xo + cs);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(x0, x1), pB0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(x0, x1), pB1));
        x0 = v128.load8x8_s(r2 + xo); x1 = v128.load8x8_s(r2 + xo + cs);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(x0, x1), pC0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(x0, x1), pC1));
        x0 = v128.load8x8_s(r0 + xo + 2 * cs); x1 = v128.load8x8_s(r1 + xo + 2 * cs);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(x0, x1), pD0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(x0, x1), pD1));
        x0 = v128.load8x8_s(r2 + xo + 2 * cs);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo16(x0, x0), pE0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(hi16(x0, x0), pE1));
        storeQ8(yrow + <usize>ow * C + c, rq(a0, b0, m0), rq(a1, b1, m1));
        xo += step;
      }
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
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW), dm = OC / C;
  const scale = sa / sc, sv = f32x4.splat(scale), zav = i16x8.splat(<i16>za);
  const C8 = dm == 1 ? C & ~7 : 0;
  rqSetup(zc, qmin, qmax);
  const fast = (dm == 1) & (KH == 3) & (KW == 3) & (dilH == 1) & (dilW == 1);
  if (fast) dw3x3(y, x, w, bias, sw, N, H, W, C, strideH, strideW, padT, padL, OH, OW, za, scale);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
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
