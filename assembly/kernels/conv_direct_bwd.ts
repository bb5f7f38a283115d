// Conv2D direct SIMD paths, backward (conv_direct.ts has the forwards and the call's geometry):
//   depthwise (groups = C = OC), SIMD over channels. Any kernel: each output pixel's valid taps add
//     into dx / dw (dwBwd). 3x3, stride 1, dilation 1 (MobileNet's; rows of 16+ pixels, or for dw
//     tensors of up to 2^20 floats): the same sums in the same order with no read-modify-write per tap —
//       dw: each row's interior pixels add into nine accumulators in registers, loaded from dw and
//         stored after the row; the edge pixels, before and after, add in place as above;
//       dx: each dx element gathers its (up to nine) terms, oldest output pixel first (kernel rows
//         and columns from 2 down to 0), onto the dx it holds.
//     Either way every dx and dw element adds its terms in output-pixel order, as dwBwd does: the bits
//     are dwBwd's.
//   grouped (any other groups > 1): per output pixel, SIMD over the output channels of a group.
// Threads: the depthwise passes by channel blocks, the grouped ones by groups, each element's sum in one
// thread's order.
import { vld, vst, vsplat, vzero, vfma, vsum } from '../simd';
import { mtFor, parallelRange, rangeLo, rangeHi, setArg, arg, argP } from '../mt';
import { gN, gH, gW, gC, gOC, gKH, gKW, gSH, gSW, gPT, gPL, gDH, gDW, gG, gOH, gOW, saveGeometry, loadGeometry, px } from './conv_direct';

// ---- depthwise, channel multiplier 1: w (KH, KW, 1, C) ----

// dx[n, ih, iw, c] += dy[n, oh, ow, c] * w[kh, kw, c]   (mode 0)
// dw[kh, kw, c]    += dy[n, oh, ow, c] * x[n, ih, iw, c] (mode 1)
// Both sweep the output pixels and their valid taps; SIMD over c.
// channels [c0, c1) (c0 a multiple of 4; the vector/scalar split of channels as over all C)
function dwBwd(dst: usize, dy: usize, src: usize, mode: i32, c0: i32, c1: i32): void {
  // (the register paths sweep a row once per channel block, reading each pixel's channels 16 bytes at a
  // time: on short rows of many channels whose tensors are out of L2, or with half the pixels on the edge
  // (7 x 7), the in-place sweep's contiguous runs were faster: bench/dwconv_bwd.mjs)
  if ((gKH == 3) & (gKW == 3) & (gSH == 1) & (gSW == 1) & (gDH == 1) & (gDW == 1)) {
    if (mode && (gW >= 16 || <i64>gN * gH * gW * gC <= 1 << 20)) { dw3x3BwdW(dst, dy, src, c0, c1); return; }
    if (!mode && gW >= 16) { dw3x3BwdX(dst, dy, src, c0, c1); return; }
  }
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) dwBwdPixels(dst, dy, src, mode, n, oh, 0, gOW, c0, c1);
}

// dwBwd's sweep over the output pixels [ow0, ow1) of row oh of image n
function dwBwdPixels(dst: usize, dy: usize, src: usize, mode: i32, n: i32, oh: i32, ow0: i32, ow1: i32, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW, C4 = C & ~3;
  for (let ow = ow0; ow < ow1; ow++) {
    const g = px(dy, n, oh, ow, gOH, gOW, C);
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < gKW; kw++) {
        const iw = ow * gSW - gPL + kw * gDW;
        if (<u32>iw >= <u32>W) continue;
        const xo = px(0, n, ih, iw, H, W, C), wo = <usize>(kh * gKW + kw) * C << 2;
        const d = dst + (mode ? wo : xo), s = src + (mode ? xo : wo);
        let c = c0;
        for (; c < min(c1, C4); c += 4) { const o = <usize>c << 2; vst(d + o, vfma(vld(g + o), vld(s + o), vld(d + o))); }
        for (; c < c1; c++) { const o = <usize>c << 2; store<f32>(d + o, load<f32>(d + o) + load<f32>(g + o) * load<f32>(s + o)); }
      }
    }
  }
}

// dw (3, 3, C) += the weight gradient, 3x3 stride 1 dilation 1, channels [c0, c1)
function dw3x3BwdW(dw: usize, dy: usize, x: usize, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW, OW = gOW, C4 = C & ~3, cv = min(c1, C4);
  const cs = <usize>C << 2, rs = <usize>W * C << 2;
  // output columns whose three taps all lie inside the input
  const lo = gPL, hi = min(OW - 1, W - 3 + gPL);
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) {
    const ih = oh - gPT;
    if (ih < 0 || ih + 2 >= H || lo > hi) { dwBwdPixels(dw, dy, x, 1, n, oh, 0, OW, c0, c1); continue; }
    dwBwdPixels(dw, dy, x, 1, n, oh, 0, lo, c0, c1);
    for (let c = c0; c < cv; c += 4) {
      const o = <usize>c << 2, wc = dw + o;
      let a0 = vld(wc), a1 = vld(wc + cs), a2 = vld(wc + 2 * cs);
      let a3 = vld(wc + 3 * cs), a4 = vld(wc + 4 * cs), a5 = vld(wc + 5 * cs);
      let a6 = vld(wc + 6 * cs), a7 = vld(wc + 7 * cs), a8 = vld(wc + 8 * cs);
      let g = px(dy, n, oh, lo, gOH, OW, C) + o, xp = px(x, n, ih, lo - gPL, H, W, C) + o;
      for (let ow = lo; ow <= hi; ow++) {
        const gv = vld(g);
        a0 = vfma(gv, vld(xp), a0); a1 = vfma(gv, vld(xp + cs), a1); a2 = vfma(gv, vld(xp + 2 * cs), a2);
        const x1 = xp + rs;
        a3 = vfma(gv, vld(x1), a3); a4 = vfma(gv, vld(x1 + cs), a4); a5 = vfma(gv, vld(x1 + 2 * cs), a5);
        const x2 = x1 + rs;
        a6 = vfma(gv, vld(x2), a6); a7 = vfma(gv, vld(x2 + cs), a7); a8 = vfma(gv, vld(x2 + 2 * cs), a8);
        g += cs; xp += cs;
      }
      vst(wc, a0); vst(wc + cs, a1); vst(wc + 2 * cs, a2);
      vst(wc + 3 * cs, a3); vst(wc + 4 * cs, a4); vst(wc + 5 * cs, a5);
      vst(wc + 6 * cs, a6); vst(wc + 7 * cs, a7); vst(wc + 8 * cs, a8);
    }
    if (cv < c1) dwBwdPixels(dw, dy, x, 1, n, oh, lo, hi + 1, max(c0, cv), c1);
    dwBwdPixels(dw, dy, x, 1, n, oh, hi + 1, OW, c0, c1);
  }
}

// dx (N, H, W, C) += the input gradient, 3x3 stride 1 dilation 1, channels [c0, c1): dx[ih, iw] takes
// dy[ih + PT - kh, iw + PL - kw] * w[kh, kw] for kh, kw from 2 down to 0 (output-pixel order)
function dw3x3BwdX(dx: usize, dy: usize, w: usize, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW, OH = gOH, OW = gOW, C4 = C & ~3, cv = min(c1, C4);
  const cs = <usize>C << 2, ry = <usize>OW * C << 2;
  // input columns (rows) that all three kernel columns (rows) reach: 0 <= iw + PL - 2, iw + PL <= OW - 1
  const lo = max(0, 2 - gPL), hi = min(W - 1, OW - 1 - gPL);
  for (let n = 0; n < gN; n++) for (let ih = 0; ih < H; ih++) {
    if (ih + gPT - 2 < 0 || ih + gPT > OH - 1 || lo > hi) { dxGather(dx, dy, w, n, ih, 0, W, c0, c1); continue; }
    dxGather(dx, dy, w, n, ih, 0, lo, c0, c1);
    for (let c = c0; c < cv; c += 4) {
      const wc = w + (<usize>c << 2);
      const w0 = vld(wc), w1 = vld(wc + cs), w2 = vld(wc + 2 * cs);
      const w3 = vld(wc + 3 * cs), w4 = vld(wc + 4 * cs), w5 = vld(wc + 5 * cs);
      const w6 = vld(wc + 6 * cs), w7 = vld(wc + 7 * cs), w8 = vld(wc + 8 * cs);
      // dy at (ih + PT - 2, iw + PL - 2): the oldest output pixel of dx[ih, iw]'s window
      let g = px(dy, n, ih + gPT - 2, lo + gPL - 2, OH, OW, C) + (<usize>c << 2);
      let d = px(dx, n, ih, lo, H, W, C) + (<usize>c << 2);
      for (let iw = lo; iw <= hi; iw++) {
        let acc = vfma(vld(g), w8, vld(d));
        acc = vfma(vld(g + cs), w7, acc); acc = vfma(vld(g + 2 * cs), w6, acc);
        const g1 = g + ry;
        acc = vfma(vld(g1), w5, acc); acc = vfma(vld(g1 + cs), w4, acc); acc = vfma(vld(g1 + 2 * cs), w3, acc);
        const g2 = g1 + ry;
        acc = vfma(vld(g2), w2, acc); acc = vfma(vld(g2 + cs), w1, acc); acc = vfma(vld(g2 + 2 * cs), w0, acc);
        vst(d, acc);
        g += cs; d += cs;
      }
    }
    if (cv < c1) dxGather(dx, dy, w, n, ih, lo, hi + 1, max(c0, cv), c1);
    dxGather(dx, dy, w, n, ih, hi + 1, W, c0, c1);
  }
}

// dx[n, ih, iw0..iw1) of dw3x3BwdX with its window's bounds checked: terms from output pixels
// (ih + PT - kh, iw + PL - kw) inside the output, kh then kw from 2 down to 0
function dxGather(dx: usize, dy: usize, w: usize, n: i32, ih: i32, iw0: i32, iw1: i32, c0: i32, c1: i32): void {
  const C = gC, OH = gOH, OW = gOW, C4 = C & ~3, cv = min(c1, C4);
  const khHi = min(2, ih + gPT), khLo = max(0, ih + gPT - OH + 1);
  for (let iw = iw0; iw < iw1; iw++) {
    const kwHi = min(2, iw + gPL), kwLo = max(0, iw + gPL - OW + 1);
    const d = px(dx, n, ih, iw, gH, gW, C);
    for (let c = c0; c < cv; c += 4) {
      const o = <usize>c << 2;
      let acc = vld(d + o);
      for (let kh = khHi; kh >= khLo; kh--) for (let kw = kwHi; kw >= kwLo; kw--) {
        acc = vfma(vld(px(dy, n, ih + gPT - kh, iw + gPL - kw, OH, OW, C) + o), vld(w + ((<usize>(kh * 3 + kw) * C + c) << 2)), acc);
      }
      vst(d + o, acc);
    }
    for (let c = max(c0, cv); c < c1; c++) {
      const o = <usize>c << 2;
      let s = load<f32>(d + o);
      for (let kh = khHi; kh >= khLo; kh--) for (let kw = kwHi; kw >= kwLo; kw--) {
        s = s + load<f32>(px(dy, n, ih + gPT - kh, iw + gPL - kw, OH, OW, C) + o) * load<f32>(w + ((<usize>(kh * 3 + kw) * C + c) << 2));
      }
      store<f32>(d + o, s);
    }
  }
}

// ---- grouped: w (KH, KW, Cg, OC); output channel oc of group g = oc / OCg reads input channels g*Cg.. ----

// mode 0: dx[n, ih, iw, g*Cg + ci] += sum_oc dy[n, oh, ow, oc] * w[kh, kw, ci, oc]   (oc in group g)
// mode 1: dw[kh, kw, ci, oc]       += x[n, ih, iw, g*Cg + ci] * dy[n, oh, ow, oc]
// groups [g0, g1)
function grpBwd(dst: usize, dy: usize, src: usize, mode: i32, g0: i32, g1: i32): void {
  const C = gC, OC = gOC, H = gH, W = gW, Cg = C / gG, OCg = OC / gG;
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) {
    const gr = px(dy, n, oh, ow, gOH, gOW, OC);
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < gKW; kw++) {
        const iw = ow * gSW - gPL + kw * gDW;
        if (<u32>iw >= <u32>W) continue;
        const xo = px(0, n, ih, iw, H, W, C), wo = <usize>(kh * gKW + kw) * Cg * OC << 2;
        for (let g = g0; g < g1; g++) {
          const o0 = <usize>(g * OCg) << 2;
          for (let ci = 0; ci < Cg; ci++) {
            const xc = xo + (<usize>(g * Cg + ci) << 2), wr = wo + (<usize>ci * OC << 2) + o0;
            const q = gr + o0;
            if (mode == 0) {
              const wp = src + wr;
              let acc = vzero();
              let j = 0;
              for (; j + 4 <= OCg; j += 4) acc = vfma(vld(q + (<usize>j << 2)), vld(wp + (<usize>j << 2)), acc);
              let s = vsum(acc);
              for (; j < OCg; j++) s += load<f32>(q + (<usize>j << 2)) * load<f32>(wp + (<usize>j << 2));
              store<f32>(dst + xc, load<f32>(dst + xc) + s);
            } else {
              const d = dst + wr;
              const xv = load<f32>(src + xc), vx = vsplat(xv);
              let j = 0;
              for (; j + 4 <= OCg; j += 4) { const o = <usize>j << 2; vst(d + o, vfma(vld(q + o), vx, vld(d + o))); }
              for (; j < OCg; j++) { const o = <usize>j << 2; store<f32>(d + o, load<f32>(d + o) + load<f32>(q + o) * xv); }
            }
          }
        }
      }
    }
  }
}
// ---- entry points (conv.ts) ----

/** mode 0: dst = dx += input gradient from dy, src = w; mode 1: dst = dw += weight gradient, src = x. */
export function directBwd(dst: usize, dy: usize, src: usize, mode: i32): void {
  const dw = (gG == gC) & (gOC == gC), units = dw ? (gC + 3) >> 2 : gG;
  const th = min(units, mtFor(<i64>4 * gN * gOH * gOW * gKH * gKW * (gOC / gG) * (gC / gG) * gG));
  if (th <= 1) { if (dw) dwBwd(dst, dy, src, mode, 0, gC); else grpBwd(dst, dy, src, mode, 0, gG); return; }
  saveGeometry(8);
  setArg(0, <i32>dst); setArg(1, <i32>dy); setArg(2, <i32>src); setArg(3, mode); setArg(4, <i32>dw);
  parallelRange(directBwdTask, dw ? gC : gG, dw ? 4 : 1, th);
}
function directBwdTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  if (arg(4)) dwBwd(argP(0), argP(1), argP(2), arg(3), rangeLo(t), rangeHi(t));
  else grpBwd(argP(0), argP(1), argP(2), arg(3), rangeLo(t), rangeHi(t));
}
