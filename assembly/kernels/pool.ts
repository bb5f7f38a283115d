// Pooling and zero padding, NHWC (channels last, as conv.ts): SIMD over channels, scalar tails.
//   x: (N, H, W, C) f32; y: (N, OH, OW, C) f32, OH = floor((H + padT + padB - dilH*(KH-1) - 1) / strideH) + 1
// Padding is explicit (top, left, bottom, right); the host turns 'same'/'valid' into pads.
// MaxPool1D / AvgPool1D = the 2D kernels with H = 1, KH = 1. Backward ACCUMULATES into dx.
//   MaxPool2D: padded positions never win; fwd saves idx (N, OH, OW, C) i32 = ih*W + iw of the
//     FIRST maximal element in (kh, kw) scan order (ties go to the first, as PyTorch), and bwd
//     routes dy there. A window with no element inside the input (possible with dilation) gives
//     y = 0, idx = -1 and no gradient. NOTE: NaN is not propagated (a NaN never compares greater).
//   AvgPool2D (no dilation): divisor KH*KW when countIncludePad = 1 (pads count as zeros, ONNX /
//     PyTorch count_include_pad), else the number of window elements inside the input.
//   Global average pooling: x (N, HW, C) → y (N, C), mean over the HW rows.
//   ZeroPadding2D: y (N, H+padT+padB, W+padL+padR, C); bwd crops dy into dx.
// Threads: the f32 forwards split by output rows (poolSplit, below).
import { convOutDim } from './conv_direct';
import { vld, vst, vsplat, vzero, vadd, vdiv, vsel, vgt } from '../simd';
import { mtForElems, parallelRange, setArg, arg, argP, rangeLo, rangeHi } from '../mt';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// ---- MaxPool2D ----

// y: (N, OH, OW, C) f32; idx: (N, OH, OW, C) i32; x: (N, H, W, C) f32
export function f32_maxpool2d_fwd__ref(y: usize, idx: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                       strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best: f32 = 0, bi = -1;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * strideH - padT + kh * dilH;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * strideW - padL + kw * dilW;
        if (iw < 0 || iw >= W) continue;
        const v = load<f32>(at(x, ((n * H + ih) * W + iw) * C + c));
        if (bi < 0 || v > best) { best = v; bi = ih * W + iw; }
      }
    }
    const o = ((n * OH + oh) * OW + ow) * C + c;
    store<f32>(at(y, o), best); store<i32>(at(idx, o), bi);
  }
}

export function f32_maxpool2d_fwd__simd(y: usize, idx: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                        strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW);
  const fast = (KH == 2) & (KW == 2) & (strideH == 2) & (strideW == 2) & (dilH == 1) & (dilW == 1) & ((padT | padL | padB | padR) == 0) & (C >= 4);
  poolSplit(fast ? K_MAX2 : K_MAX, y, idx, x, N, H, W, C, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, N * OH, OW * C * KH * KW);
}

// output rows r0 .. r1 - 1 of the flattened (N, OH) (general windows)
function maxpoolRows(y: usize, idx: usize, x: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                     padT: i32, padL: i32, OH: i32, OW: i32, dilH: i32, dilW: i32, r0: i32, r1: i32): void {
  const C4 = C & ~3;
  // NOTE: when C >= 4 and not a multiple of 4, the last vector [C-4, C) overlaps the previous one:
  // it recomputes (and rewrites) the same values, so no scalar channel tail is needed.
  const cEnd = C >= 4 && (C & 3) != 0 ? C4 + 4 : C4;
  for (let r = r0; r < r1; r++) for (let ow = 0; ow < OW; ow++) {
    const n = r / OH, oh = r - n * OH, o = (r * OW + ow) * C;
    for (let ci = 0; ci < cEnd; ci += 4) {
      const c = min(ci, C - 4);
      let best = vzero(), bi = i32x4.splat(-1), first = true;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * strideH - padT + kh * dilH;
        if (<u32>ih >= <u32>H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * strideW - padL + kw * dilW;
          if (<u32>iw >= <u32>W) continue;
          const v = vld(at(x, ((n * H + ih) * W + iw) * C + c)), pos = i32x4.splat(ih * W + iw);
          if (first) { best = v; bi = pos; first = false; continue; }
          const m = vgt(v, best);
          best = vsel(m, v, best); bi = vsel(m, pos, bi);
        }
      }
      vst(at(y, o + c), best); vst(at(idx, o + c), bi);
    }
    for (let c = C >= 4 ? C : C4; c < C; c++) {
      let best: f32 = 0, bi = -1;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * strideH - padT + kh * dilH;
        if (<u32>ih >= <u32>H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * strideW - padL + kw * dilW;
          if (<u32>iw >= <u32>W) continue;
          const v = load<f32>(at(x, ((n * H + ih) * W + iw) * C + c));
          if (bi < 0 || v > best) { best = v; bi = ih * W + iw; }
        }
      }
      store<f32>(at(y, o + c), best); store<i32>(at(idx, o + c), bi);
    }
  }
}

// The common 2x2 stride-2 unpadded window: no bounds checks, taps in PyTorch's scan order
// (first maximum wins: later taps replace only when strictly greater). C >= 4. Rows r0 .. r1 - 1.
function maxpool2x2s2Rows(y: usize, idx: usize, x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, r0: i32, r1: i32): void {
  const cEnd = (C + 3) & ~3, rowB = <usize>W * C << 2, pixB = <usize>C << 2;
  for (let r = r0; r < r1; r++) {
    const n = r / OH, ih = (r - n * OH) * 2;
    for (let ow = 0; ow < OW; ow++) {
      const iw = ow * 2, o = (r * OW + ow) * C;
      const p00 = at(x, ((n * H + ih) * W + iw) * C), p01 = p00 + pixB, p10 = p00 + rowB, p11 = p10 + pixB;
      const i00 = ih * W + iw;
      const v00 = i32x4.splat(i00), v01 = i32x4.splat(i00 + 1), v10 = i32x4.splat(i00 + W), v11 = i32x4.splat(i00 + W + 1);
      for (let ci = 0; ci < cEnd; ci += 4) {
        const c = min(ci, C - 4), off = <usize>c << 2;
        let best = vld(p00 + off), bi = v00;
        let v = vld(p01 + off), m = vgt(v, best); best = vsel(m, v, best); bi = vsel(m, v01, bi);
        v = vld(p10 + off); m = vgt(v, best); best = vsel(m, v, best); bi = vsel(m, v10, bi);
        v = vld(p11 + off); m = vgt(v, best); best = vsel(m, v, best); bi = vsel(m, v11, bi);
        vst(at(y, o + c), best); vst(at(idx, o + c), bi);
      }
    }
  }
}

// dx: (N, H, W, C) f32 +=; dy: (N, OH, OW, C) f32; idx: (N, OH, OW, C) i32 from fwd
export function f32_maxpool2d_bwd__ref(dx: usize, dy: usize, idx: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                       strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW);
  for (let n = 0; n < N; n++) for (let p = 0; p < OH * OW; p++) for (let c = 0; c < C; c++) {
    const o = (n * OH * OW + p) * C + c, i = load<i32>(at(idx, o));
    if (i < 0) continue;
    const d = at(dx, (n * H * W + i) * C + c);
    store<f32>(d, load<f32>(d) + load<f32>(at(dy, o)));
  }
}

// NOTE: a scatter; wasm SIMD has none, so this is the scalar loop with the index arithmetic hoisted.
export function f32_maxpool2d_bwd__simd(dx: usize, dy: usize, idx: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                        strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32): void {
  const OH = convOutDim(H, padT, padB, KH, dilH, strideH), OW = convOutDim(W, padL, padR, KW, dilW, strideW);
  if ((KH == 2) & (KW == 2) & (strideH == 2) & (strideW == 2) & (dilH == 1) & (dilW == 1) & ((padT | padL | padB | padR) == 0) & (C >= 4)) {
    maxpool2x2s2Bwd(dx, dy, idx, N, H, W, C, OH, OW);
    return;
  }
  const total = <usize>N * OH * OW * C, plane = <usize>OH * OW * C, cs = <usize>C << 2;
  for (let o: usize = 0; o < total; o++) {
    const i = load<i32>(idx + (o << 2));
    if (i < 0) continue;
    const n = o / plane, c = o % <usize>C;
    const d = dx + (n * H * W << 2) * C + <usize>i * cs + (c << 2);
    store<f32>(d, load<f32>(d) + load<f32>(dy + (o << 2)));
  }
}

// The 2x2 stride-2 unpadded window: windows do not overlap, so each output vector's gradient goes to
// the one tap its index names, lane by lane (masked adds: other lanes keep their bits). Channels past
// the last multiple of 4 are scalar.
function maxpool2x2s2Bwd(dx: usize, dy: usize, idx: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  const C4 = C & ~3, rowB = <usize>W * C << 2, pixB = <usize>C << 2;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) {
    const ih = oh * 2, img = at(dx, n * H * W * C);
    for (let ow = 0; ow < OW; ow++) {
      const iw = ow * 2, o = ((n * OH + oh) * OW + ow) * C;
      const p00 = at(img, (ih * W + iw) * C), p01 = p00 + pixB, p10 = p00 + rowB, p11 = p10 + pixB;
      const i00 = ih * W + iw;
      const v00 = i32x4.splat(i00), v01 = i32x4.splat(i00 + 1), v10 = i32x4.splat(i00 + W), v11 = i32x4.splat(i00 + W + 1);
      for (let c = 0; c < C4; c += 4) {
        const off = <usize>c << 2, g = vld(at(dy, o + c)), b = vld(at(idx, o + c));
        let p = p00 + off, v = vld(p); vst(p, vsel(i32x4.eq(b, v00), vadd(v, g), v));
        p = p01 + off; v = vld(p); vst(p, vsel(i32x4.eq(b, v01), vadd(v, g), v));
        p = p10 + off; v = vld(p); vst(p, vsel(i32x4.eq(b, v10), vadd(v, g), v));
        p = p11 + off; v = vld(p); vst(p, vsel(i32x4.eq(b, v11), vadd(v, g), v));
      }
      for (let c = C4; c < C; c++) {
        const d = at(img, load<i32>(at(idx, o + c)) * C + c);
        store<f32>(d, load<f32>(d) + load<f32>(at(dy, o + c)));
      }
    }
  }
}

// ---- AvgPool2D ----

// @ts-ignore: decorator
@inline function avgCount(oh: i32, ow: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, inc: i32): i32 {
  if (inc) return KH * KW;
  const h0 = oh * sh - pt, w0 = ow * sw - pl;
  return (min(h0 + KH, H) - max(h0, 0)) * (min(w0 + KW, W) - max(w0, 0));
}

// y: (N, OH, OW, C) f32; x: (N, H, W, C) f32
export function f32_avgpool2d_fwd__ref(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                       padT: i32, padL: i32, padB: i32, padR: i32, countIncludePad: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cnt = avgCount(oh, ow, H, W, KH, KW, strideH, strideW, padT, padL, countIncludePad);
    for (let c = 0; c < C; c++) {
      let s: f32 = 0;
      for (let ih = max(oh * strideH - padT, 0); ih < min(oh * strideH - padT + KH, H); ih++)
        for (let iw = max(ow * strideW - padL, 0); iw < min(ow * strideW - padL + KW, W); iw++) s += load<f32>(at(x, ((n * H + ih) * W + iw) * C + c));
      store<f32>(at(y, ((n * OH + oh) * OW + ow) * C + c), cnt > 0 ? s / <f32>cnt : 0);
    }
  }
}

export function f32_avgpool2d_fwd__simd(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                        padT: i32, padL: i32, padB: i32, padR: i32, countIncludePad: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  poolSplit(K_AVG, y, 0, x, N, H, W, C, KH, KW, strideH, strideW, padT, padL, padB, padR, countIncludePad, 1, N * OH, OW * C * KH * KW);
}

// output rows r0 .. r1 - 1 of the flattened (N, OH)
function avgpoolRows(y: usize, x: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                     padT: i32, padL: i32, OH: i32, OW: i32, countIncludePad: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) for (let ow = 0; ow < OW; ow++) {
    const n = r / OH, oh = r - n * OH;
    const cnt = avgCount(oh, ow, H, W, KH, KW, strideH, strideW, padT, padL, countIncludePad);
    const h0 = max(oh * strideH - padT, 0), h1 = min(oh * strideH - padT + KH, H);
    const w0 = max(ow * strideW - padL, 0), w1 = min(ow * strideW - padL + KW, W);
    const yr = at(y, (r * OW + ow) * C), fc = <f32>max(cnt, 1), vc = vsplat(fc);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let acc = vzero();
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) acc = vadd(acc, vld(at(x, ((n * H + ih) * W + iw) * C + c)));
      vst(at(yr, c), vdiv(acc, vc));
    }
    for (; c < C; c++) {
      let s: f32 = 0;
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) s += load<f32>(at(x, ((n * H + ih) * W + iw) * C + c));
      store<f32>(at(yr, c), s / fc);
    }
  }
}

// dx: (N, H, W, C) f32 +=; dy: (N, OH, OW, C) f32
export function f32_avgpool2d_bwd__ref(dx: usize, dy: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                       padT: i32, padL: i32, padB: i32, padR: i32, countIncludePad: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cnt = avgCount(oh, ow, H, W, KH, KW, strideH, strideW, padT, padL, countIncludePad);
    if (cnt <= 0) continue;
    for (let c = 0; c < C; c++) {
      const g = load<f32>(at(dy, ((n * OH + oh) * OW + ow) * C + c)) / <f32>cnt;
      for (let ih = max(oh * strideH - padT, 0); ih < min(oh * strideH - padT + KH, H); ih++)
        for (let iw = max(ow * strideW - padL, 0); iw < min(ow * strideW - padL + KW, W); iw++) {
          const d = at(dx, ((n * H + ih) * W + iw) * C + c);
          store<f32>(d, load<f32>(d) + g);
        }
    }
  }
}

export function f32_avgpool2d_bwd__simd(dx: usize, dy: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                        padT: i32, padL: i32, padB: i32, padR: i32, countIncludePad: i32): void {
  const OH = convOutDim(H, padT, padB, KH, 1, strideH), OW = convOutDim(W, padL, padR, KW, 1, strideW);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cnt = avgCount(oh, ow, H, W, KH, KW, strideH, strideW, padT, padL, countIncludePad);
    if (cnt <= 0) continue;
    const h0 = max(oh * strideH - padT, 0), h1 = min(oh * strideH - padT + KH, H);
    const w0 = max(ow * strideW - padL, 0), w1 = min(ow * strideW - padL + KW, W);
    const g = at(dy, ((n * OH + oh) * OW + ow) * C), fc = <f32>cnt, vc = vsplat(fc);
    for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) {
      const d = at(dx, ((n * H + ih) * W + iw) * C);
      let c = 0;
      for (; c + 4 <= C; c += 4) vst(at(d, c), vadd(vld(at(d, c)), vdiv(vld(at(g, c)), vc)));
      for (; c < C; c++) store<f32>(at(d, c), load<f32>(at(d, c)) + load<f32>(at(g, c)) / fc);
    }
  }
}

// ---- global average pooling: y (N, C) f32 = mean over HW of x (N, HW, C) f32 ----
export function f32_global_avgpool_fwd__ref(y: usize, x: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    let s: f32 = 0;
    for (let p = 0; p < HW; p++) s += load<f32>(at(x, (n * HW + p) * C + c));
    store<f32>(at(y, n * C + c), s / <f32>HW);
  }
}
export function f32_global_avgpool_fwd__simd(y: usize, x: usize, N: i32, HW: i32, C: i32): void {
  const fh = <f32>HW, vh = vsplat(fh);
  for (let n = 0; n < N; n++) {
    const yr = at(y, n * C), xr = at(x, n * HW * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let acc = vzero();
      for (let p = 0; p < HW; p++) acc = vadd(acc, vld(at(xr, p * C + c)));
      vst(at(yr, c), vdiv(acc, vh));
    }
    for (; c < C; c++) {
      let s: f32 = 0;
      for (let p = 0; p < HW; p++) s += load<f32>(at(xr, p * C + c));
      store<f32>(at(yr, c), s / fh);
    }
  }
}
// dx: (N, HW, C) f32 += dy (N, C) / HW
export function f32_global_avgpool_bwd__ref(dx: usize, dy: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) {
    const d = at(dx, (n * HW + p) * C + c);
    store<f32>(d, load<f32>(d) + load<f32>(at(dy, n * C + c)) / <f32>HW);
  }
}
export function f32_global_avgpool_bwd__simd(dx: usize, dy: usize, N: i32, HW: i32, C: i32): void {
  const fh = <f32>HW, vh = vsplat(fh);
  for (let n = 0; n < N; n++) {
    const g = at(dy, n * C);
    for (let p = 0; p < HW; p++) {
      const d = at(dx, (n * HW + p) * C);
      let c = 0;
      for (; c + 4 <= C; c += 4) vst(at(d, c), vadd(vld(at(d, c)), vdiv(vld(at(g, c)), vh)));
      for (; c < C; c++) store<f32>(at(d, c), load<f32>(at(d, c)) + load<f32>(at(g, c)) / fh);
    }
  }
}

// ---- ZeroPadding2D: y (N, H+padT+padB, W+padL+padR, C) f32, x (N, H, W, C) f32 ----
export function f32_zeropad2d_fwd__ref(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR;
  for (let n = 0; n < N; n++) for (let h = 0; h < PH; h++) for (let w = 0; w < PW; w++) for (let c = 0; c < C; c++) {
    const ih = h - padT, iw = w - padL;
    const v: f32 = ih >= 0 && ih < H && iw >= 0 && iw < W ? load<f32>(at(x, ((n * H + ih) * W + iw) * C + c)) : 0;
    store<f32>(at(y, ((n * PH + h) * PW + w) * C + c), v);
  }
}
export function f32_zeropad2d_fwd__simd(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR;
  poolSplit(K_PAD, y, 0, x, N, H, W, C, 1, 1, 1, 1, padT, padL, padB, padR, 1, 1, N * PH, PW * C);
}
function zeropadRows(y: usize, x: usize, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32, r0: i32, r1: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR, rowIn = <usize>W * C << 2, rowOut = <usize>PW * C << 2;
  for (let r = r0; r < r1; r++) {
    const n = r / PH, ih = r - n * PH - padT, yr = at(y, r * PW * C);
    if (ih < 0 || ih >= H) { memory.fill(yr, 0, rowOut); continue; }
    memory.fill(yr, 0, <usize>padL * C << 2);
    memory.copy(at(yr, padL * C), at(x, (n * H + ih) * W * C), rowIn);
    memory.fill(at(yr, (padL + W) * C), 0, <usize>padR * C << 2);
  }
}

// ---- threads: the forwards above split by output rows of the flattened (N, OH), in row order (so
// each thread reads the rows of the layer before that it wrote itself: mt.ts); every row is
// computed as on one thread. Job args: 0 kind, 1 y, 2 idx, 3 x, 4 .. 18 N H W C KH KW sH sW pT pL
// pB pR dH dW (avg pooling: dH = countIncludePad) ----
const K_MAX: i32 = 0, K_MAX2: i32 = 1, K_AVG: i32 = 2, K_PAD: i32 = 3;

function poolSplit(kind: i32, y: usize, idx: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, sH: i32, sW: i32,
                   pT: i32, pL: i32, pB: i32, pR: i32, dH: i32, dW: i32, rows: i32, rowCost: i32): void {
  const th = min(rows, mtForElems(rows, rowCost));
  if (th <= 1) { poolRows(kind, y, idx, x, N, H, W, C, KH, KW, sH, sW, pT, pL, pB, pR, dH, dW, 0, rows); return; }
  setArg(0, kind); setArg(1, <i32>y); setArg(2, <i32>idx); setArg(3, <i32>x);
  setArg(4, N); setArg(5, H); setArg(6, W); setArg(7, C); setArg(8, KH); setArg(9, KW); setArg(10, sH); setArg(11, sW);
  setArg(12, pT); setArg(13, pL); setArg(14, pB); setArg(15, pR); setArg(16, dH); setArg(17, dW);
  parallelRange(poolTask, rows, 1, th, 8);
}
function poolTask(t: i32, tid: i32): void {
  poolRows(arg(0), argP(1), argP(2), argP(3), arg(4), arg(5), arg(6), arg(7), arg(8), arg(9), arg(10), arg(11),
    arg(12), arg(13), arg(14), arg(15), arg(16), arg(17), rangeLo(t), rangeHi(t));
}
function poolRows(kind: i32, y: usize, idx: usize, x: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, sH: i32, sW: i32,
                  pT: i32, pL: i32, pB: i32, pR: i32, dH: i32, dW: i32, r0: i32, r1: i32): void {
  if (kind == K_PAD) { zeropadRows(y, x, H, W, C, pT, pL, pB, pR, r0, r1); return; }
  if (kind == K_AVG) {
    avgpoolRows(y, x, H, W, C, KH, KW, sH, sW, pT, pL, convOutDim(H, pT, pB, KH, 1, sH), convOutDim(W, pL, pR, KW, 1, sW), dH, r0, r1);
    return;
  }
  const OH = convOutDim(H, pT, pB, KH, dH, sH), OW = convOutDim(W, pL, pR, KW, dW, sW);
  if (kind == K_MAX2) maxpool2x2s2Rows(y, idx, x, H, W, C, OH, OW, r0, r1);
  else maxpoolRows(y, idx, x, H, W, C, KH, KW, sH, sW, pT, pL, OH, OW, dH, dW, r0, r1);
}
// dx: (N, H, W, C) f32 += the interior of dy (N, H+padT+padB, W+padL+padR, C) f32
export function f32_zeropad2d_bwd__ref(dx: usize, dy: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR;
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    const d = at(dx, ((n * H + h) * W + w) * C + c);
    store<f32>(d, load<f32>(d) + load<f32>(at(dy, ((n * PH + h + padT) * PW + w + padL) * C + c)));
  }
}
export function f32_zeropad2d_bwd__simd(dx: usize, dy: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR, len = W * C;
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) {
    const d = at(dx, (n * H + h) * len), g = at(dy, ((n * PH + h + padT) * PW + padL) * C);
    let k = 0;
    for (; k + 4 <= len; k += 4) vst(at(d, k), vadd(vld(at(d, k)), vld(at(g, k))));
    for (; k < len; k++) store<f32>(at(d, k), load<f32>(at(d, k)) + load<f32>(at(g, k)));
  }
}

// ---- int8 ZeroPadding2D: y (N, H+padT+padB, W+padL+padR, C) i8, x (N, H, W, C) i8 ----
// The pad value is the tensor's zero point (the real 0, exact), passed as its byte `fill` = zp & 255
// (plan integers are non-negative); y shares x's scale and zero point.
export function qs8_zeropad2d_fwd__ref(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32, fill: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR;
  for (let n = 0; n < N; n++) for (let h = 0; h < PH; h++) for (let w = 0; w < PW; w++) for (let c = 0; c < C; c++) {
    const ih = h - padT, iw = w - padL;
    const v: i32 = ih >= 0 && ih < H && iw >= 0 && iw < W ? <i32>load<i8>(x + <usize>(((n * H + ih) * W + iw) * C + c)) : fill;
    store<i8>(y + <usize>(((n * PH + h) * PW + w) * C + c), <i8>v);
  }
}
export function qs8_zeropad2d_fwd__simd(y: usize, x: usize, N: i32, H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32, fill: i32): void {
  const PH = H + padT + padB, PW = W + padL + padR, rowIn = <usize>W * C, rowOut = <usize>PW * C;
  const b = <u8>fill, l = <usize>padL * C, r = <usize>padR * C;
  for (let n = 0; n < N; n++) {
    const yn = y + <usize>n * PH * rowOut, xn = x + <usize>n * H * rowIn;
    // top rows + left pad of the first row are one run, as are the right pad of the last row + bottom rows
    if (H == 0 || PW == 0 || rowIn == 0) { memory.fill(yn, b, <usize>PH * rowOut); continue; }
    memory.fill(yn, b, <usize>padT * rowOut + l);
    for (let h = 0; h < H; h++) {
      const yr = yn + <usize>(h + padT) * rowOut;
      memory.copy(yr + l, xn + <usize>h * rowIn, rowIn);
      if (h + 1 < H) memory.fill(yr + l + rowIn, b, r + l);
    }
    memory.fill(yn + <usize>(H - 1 + padT) * rowOut + l + rowIn, b, r + <usize>padB * rowOut);
  }
}
