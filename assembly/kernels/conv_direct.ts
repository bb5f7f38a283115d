// Conv2D direct SIMD paths (no im2col), used by the dispatchers in conv.ts: the forwards and the
// geometry (the backward passes: conv_direct_bwd.ts). Layouts as in conv.ts:
// x (N, H, W, C), y (N, OH, OW, OC), w (KH, KW, C/groups, OC), all f32, NHWC.
//   depthwise (groups = C = OC): SIMD over channels; a 3x3 dilation-1 fast path keeps the nine
//     weight vectors in registers across a row of interior pixels.
//   grouped (any other groups > 1, incl. depthwise with a channel multiplier): SIMD over the
//     output channels of a group (contiguous in w rows and y rows); scalar tails.
// NOTE: the call's geometry lives in module globals set by convGeometry() (one kernel call at a
// time: wasm instances are single-threaded); it keeps these helpers' signatures short. A worker
// thread's instance gets the caller's through the job arguments (saveGeometry / loadGeometry).
import { vld, vst, vsplat, vzero, vadd, vmul, vfma } from '../simd';
import { MT_CONV_SCALE, mtFor, parallelRange, rangeLo, rangeHi, setArg, arg, argP } from '../mt';
import { eOn, clearEpilogue, saveEpilogue, loadEpilogue, epiRows } from './epilogue';

export let gN: i32 = 0;
export let gH: i32 = 0;
export let gW: i32 = 0;
export let gC: i32 = 0;
export let gOC: i32 = 0;
export let gKH: i32 = 0;
export let gKW: i32 = 0;
export let gSH: i32 = 1;
export let gSW: i32 = 1;
export let gPT: i32 = 0;
export let gPL: i32 = 0;
export let gDH: i32 = 1;
export let gDW: i32 = 1;
export let gG: i32 = 1;
export let gOH: i32 = 0;
export let gOW: i32 = 0;
// the geometry as job arguments k0 .. k0 + 15, and the store epilogue (epilogue.ts) as its own (assembly/mt.ts)
export function saveGeometry(k0: i32): void {
  setArg(k0, gN); setArg(k0 + 1, gH); setArg(k0 + 2, gW); setArg(k0 + 3, gC); setArg(k0 + 4, gOC); setArg(k0 + 5, gKH);
  setArg(k0 + 6, gKW); setArg(k0 + 7, gSH); setArg(k0 + 8, gSW); setArg(k0 + 9, gPT); setArg(k0 + 10, gPL); setArg(k0 + 11, gDH);
  setArg(k0 + 12, gDW); setArg(k0 + 13, gG); setArg(k0 + 14, gOH); setArg(k0 + 15, gOW);
  saveEpilogue();
}
export function loadGeometry(k0: i32): void {
  gN = arg(k0); gH = arg(k0 + 1); gW = arg(k0 + 2); gC = arg(k0 + 3); gOC = arg(k0 + 4); gKH = arg(k0 + 5);
  gKW = arg(k0 + 6); gSH = arg(k0 + 7); gSW = arg(k0 + 8); gPT = arg(k0 + 9); gPL = arg(k0 + 10); gDH = arg(k0 + 11);
  gDW = arg(k0 + 12); gG = arg(k0 + 13); gOH = arg(k0 + 14); gOW = arg(k0 + 15);
  loadEpilogue();
}

/** Output size of one spatial axis: floor((in + pads - dil*(k-1) - 1) / stride) + 1. */
// @ts-ignore: decorator
@inline export function convOutDim(n: i32, p0: i32, p1: i32, k: i32, d: i32, s: i32): i32 {
  return (n + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

export function convGeometry(N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                             padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32, groups: i32): void {
  gN = N; gH = H; gW = W; gC = C; gOC = OC; gKH = KH; gKW = KW; gSH = strideH; gSW = strideW;
  gPT = padT; gPL = padL; gDH = dilH; gDW = dilW; gG = groups;
  clearEpilogue();
  gOH = convOutDim(H, padT, padB, KH, dilH, strideH);
  gOW = convOutDim(W, padL, padR, KW, dilW, strideW);
}

// byte address of x[n, ih, iw, c] for an input of width W and C channels
// @ts-ignore: decorator
@inline export function px(x: usize, n: i32, ih: i32, iw: i32, H: i32, W: i32, C: i32): usize {
  return x + ((((<usize>n * H + ih) * W + iw) * C) << 2);
}

// ---- depthwise, channel multiplier 1: w (KH, KW, 1, C) ----

// y[n, oh, ow, c0..C) for any kernel, bounds-checked
// channels [c0, c1) (c0 a multiple of 4; c1 too, or C: each channel takes the path it takes over all C)
function dwPixel(y: usize, x: usize, w: usize, n: i32, oh: i32, ow: i32, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW;
  const yr = px(y, n, oh, ow, gOH, gOW, C);
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    let acc = vzero();
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < gKW; kw++) {
        const iw = ow * gSW - gPL + kw * gDW;
        if (<u32>iw >= <u32>W) continue;
        acc = vfma(vld(px(x, n, ih, iw, H, W, C) + (<usize>c << 2)), vld(w + ((<usize>(kh * gKW + kw) * C + c) << 2)), acc);
      }
    }
    vst(yr + (<usize>c << 2), acc);
  }
  for (; c < c1; c++) {
    let s: f32 = 0;
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < gKW; kw++) {
        const iw = ow * gSW - gPL + kw * gDW;
        if (<u32>iw >= <u32>W) continue;
        s += load<f32>(px(x, n, ih, iw, H, W, C) + (<usize>c << 2)) * load<f32>(w + ((<usize>(kh * gKW + kw) * C + c) << 2));
      }
    }
    store<f32>(yr + (<usize>c << 2), s);
  }
}

// output rows [r0, r1) of all N*OH
function dwFwd(y: usize, x: usize, w: usize, r0: i32, r1: i32, c0: i32, c1: i32): void {
  for (let r = r0; r < r1; r++) {
    const n = r / gOH, oh = r % gOH;
    for (let ow = 0; ow < gOW; ow++) dwPixel(y, x, w, n, oh, ow, c0, c1);
  }
}

// 3x3, dilation 1, any stride/padding. Interior pixels of interior rows: nine weight vectors in
// registers per channel block, 9 loads + 9 fma per output vector (stride 1: two pixels a step, 12
// loads for the two; four a step spill in V8 and ran slower at 112² and 56²). The pixels whose window crosses
// the padding (dw3x3Edge) sum only their taps inside the input, in the same order (kernel rows, then
// columns, from the first tap's product), with no per-tap bounds test: at 14x14 they are 27 % of
// the pixels, at 7x7 half.
function dw3x3Fwd(y: usize, x: usize, w: usize, r0: i32, r1: i32, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW, SW = gSW, OW = gOW;
  const lo = (gPL + SW - 1) / SW;
  const hi = W - 3 + gPL >= 0 ? min(OW - 1, (W - 3 + gPL) / SW) : -1;
  const cs = <usize>C << 2, rs = <usize>W * C << 2, step = <usize>SW * C << 2;
  const C4 = C & ~3;
  for (let r = r0; r < r1; r++) {
    const n = r / gOH, oh = r % gOH;
    {
      const ih = oh * gSH - gPT;
      if (ih < 0 || ih + 2 >= H || lo > hi) {
        dw3x3Edge(y, x, w, n, oh, 0, OW, c0, c1);
        continue;
      }
      dw3x3Edge(y, x, w, n, oh, 0, lo, c0, c1);
      const cv = min(c1, C4);
      for (let c = c0; c < cv; c += 4) {
        const wc = w + (<usize>c << 2);
        const w0 = vld(wc), w1 = vld(wc + cs), w2 = vld(wc + 2 * cs);
        const w3 = vld(wc + 3 * cs), w4 = vld(wc + 4 * cs), w5 = vld(wc + 5 * cs);
        const w6 = vld(wc + 6 * cs), w7 = vld(wc + 7 * cs), w8 = vld(wc + 8 * cs);
        let xp = px(x, n, ih, lo * SW - gPL, H, W, C) + (<usize>c << 2);
        let yp = px(y, n, oh, lo, gOH, OW, C) + (<usize>c << 2);
        let ow = lo;
        // stride 1: two pixels per step, sharing the six input vectors between their windows (each
        // pixel's sum in the same order as below)
        if (SW == 1) for (; ow + 1 <= hi; ow += 2) {
          let a = vmul(vld(xp), w0);
          let v = vld(xp + cs); a = vfma(v, w1, a); let b = vmul(v, w0);
          v = vld(xp + 2 * cs); a = vfma(v, w2, a); b = vfma(v, w1, b);
          b = vfma(vld(xp + 3 * cs), w2, b);
          const x1 = xp + rs;
          v = vld(x1); a = vfma(v, w3, a);
          v = vld(x1 + cs); a = vfma(v, w4, a); b = vfma(v, w3, b);
          v = vld(x1 + 2 * cs); a = vfma(v, w5, a); b = vfma(v, w4, b);
          b = vfma(vld(x1 + 3 * cs), w5, b);
          const x2 = x1 + rs;
          v = vld(x2); a = vfma(v, w6, a);
          v = vld(x2 + cs); a = vfma(v, w7, a); b = vfma(v, w6, b);
          v = vld(x2 + 2 * cs); a = vfma(v, w8, a); b = vfma(v, w7, b);
          b = vfma(vld(x2 + 3 * cs), w8, b);
          vst(yp, a); vst(yp + cs, b);
          xp += 2 * cs; yp += 2 * cs;
        }
        for (; ow <= hi; ow++) {
          let acc = vmul(vld(xp), w0);
          acc = vfma(vld(xp + cs), w1, acc); acc = vfma(vld(xp + 2 * cs), w2, acc);
          const x1 = xp + rs;
          acc = vfma(vld(x1), w3, acc); acc = vfma(vld(x1 + cs), w4, acc); acc = vfma(vld(x1 + 2 * cs), w5, acc);
          const x2 = x1 + rs;
          acc = vfma(vld(x2), w6, acc); acc = vfma(vld(x2 + cs), w7, acc); acc = vfma(vld(x2 + 2 * cs), w8, acc);
          vst(yp, acc);
          xp += step; yp += cs;
        }
      }
      if (C4 < c1) dw3x3Edge(y, x, w, n, oh, lo, hi + 1, max(c0, C4), c1);
      dw3x3Edge(y, x, w, n, oh, hi + 1, OW, c0, c1);
    }
  }
}

// pixels [ow0, ow1) of output row oh of image n, channels [c0, c1), 3x3 dilation 1: each sums its
// taps inside the input (kernel rows [khLo, khHi), columns [kwLo, kwHi)) from the first one's
// product, as the interior path does with all nine; a window wholly in the padding gives 0
function dw3x3Edge(y: usize, x: usize, w: usize, n: i32, oh: i32, ow0: i32, ow1: i32, c0: i32, c1: i32): void {
  const C = gC, H = gH, W = gW, C4 = C & ~3, cv = min(c1, C4);
  const cs = <usize>C << 2, rs = <usize>W * C << 2;
  const ih = oh * gSH - gPT, khLo = max(0, -ih), khHi = min(3, H - ih);
  for (let ow = ow0; ow < ow1; ow++) {
    const iw = ow * gSW - gPL, kwLo = max(0, -iw), kwHi = min(3, W - iw);
    const yr = px(y, n, oh, ow, gOH, gOW, C);
    if (khLo >= khHi || kwLo >= kwHi) { memory.fill(yr + (<usize>c0 << 2), 0, <usize>(c1 - c0) << 2); continue; }
    // the first tap's input and weight (x at (ih + khLo, iw + kwLo), w at (khLo, kwLo)), then the others
    const xf = px(x, n, ih + khLo, iw + kwLo, H, W, C), wf = w + (<usize>(khLo * 3 + kwLo) * C << 2);
    for (let c = c0; c < cv; c += 4) {
      const o = <usize>c << 2;
      let acc = vmul(vld(xf + o), vld(wf + o));
      for (let kh = khLo; kh < khHi; kh++) {
        const xr = xf + <usize>(kh - khLo) * rs + o, wr = wf + (<usize>(kh - khLo) * 3 * cs) + o;
        for (let kw = kh == khLo ? kwLo + 1 : kwLo; kw < kwHi; kw++) acc = vfma(vld(xr + <usize>(kw - kwLo) * cs), vld(wr + <usize>(kw - kwLo) * cs), acc);
      }
      vst(yr + o, acc);
    }
    for (let c = max(c0, cv); c < c1; c++) {
      const o = <usize>c << 2;
      let s = load<f32>(xf + o) * load<f32>(wf + o);
      for (let kh = khLo; kh < khHi; kh++) {
        const xr = xf + <usize>(kh - khLo) * rs + o, wr = wf + (<usize>(kh - khLo) * 3 * cs) + o;
        for (let kw = kh == khLo ? kwLo + 1 : kwLo; kw < kwHi; kw++) s += load<f32>(xr + <usize>(kw - kwLo) * cs) * load<f32>(wr + <usize>(kw - kwLo) * cs);
      }
      store<f32>(yr + o, s);
    }
  }
}

// ---- grouped: w (KH, KW, Cg, OC); output channel oc of group g = oc / OCg reads input channels g*Cg.. ----

// output rows [r0, r1) of all N*OH
function grpFwd(y: usize, x: usize, w: usize, r0: i32, r1: i32): void {
  const C = gC, OC = gOC, H = gH, W = gW, Cg = C / gG, OCg = OC / gG;
  for (let r = r0; r < r1; r++) for (let ow = 0; ow < gOW; ow++) {
    const n = r / gOH, oh = r % gOH;
    const yr = px(y, n, oh, ow, gOH, gOW, OC);
    for (let g = 0; g < gG; g++) {
      let oc = g * OCg;
      const end = oc + OCg;
      for (; oc < end; oc += 4) {
        const lanes = min(4, end - oc);
        let acc = vzero();
        let s: f32 = 0;
        for (let kh = 0; kh < gKH; kh++) {
          const ih = oh * gSH - gPT + kh * gDH;
          if (<u32>ih >= <u32>H) continue;
          for (let kw = 0; kw < gKW; kw++) {
            const iw = ow * gSW - gPL + kw * gDW;
            if (<u32>iw >= <u32>W) continue;
            const xr = px(x, n, ih, iw, H, W, C) + (<usize>(g * Cg) << 2);
            let wr = w + ((<usize>(kh * gKW + kw) * Cg * OC + oc) << 2);
            if (lanes == 4) {
              for (let ci = 0; ci < Cg; ci++) { acc = vfma(vsplat(load<f32>(xr + (<usize>ci << 2))), vld(wr), acc); wr += <usize>OC << 2; }
            } else {
              for (let ci = 0; ci < Cg; ci++) { s += load<f32>(xr + (<usize>ci << 2)) * load<f32>(wr); wr += <usize>OC << 2; }
            }
          }
        }
        if (lanes == 4) vst(yr + (<usize>oc << 2), acc);
        else { store<f32>(yr + (<usize>oc << 2), s); oc -= 3; }
      }
    }
  }
}

// ---- entry points (conv.ts), split between threads: the forwards by output rows (the backward
// passes: conv_direct_bwd.ts) ----
// NOTE: the direct loops do about a quarter of the GEMM's multiply-adds per second, so their work
// counts four times toward the thread threshold (mt.ts).

/**
 * y = depthwise or grouped convolution of x (geometry from convGeometry()). Split by output rows; a
 * depthwise one over fewer than 64 output pixels by channel blocks instead (a GEMM that small splits
 * by columns, gemm.ts, so the layers before and after cut their channels the same way: mt.ts).
 */
export function directFwd(y: usize, x: usize, w: usize): void {
  const rows = gN * gOH, kind = directKind(), work = MT_CONV_SCALE * 4 * rows * gOW * gKH * gKW * (gOC / gG) * (gC / gG) * gG;
  const byChannels = (kind != 2) & (rows * gOW < 64) & (gC >= 8);
  const th = min(byChannels ? gC >> 2 : rows, mtFor(work));
  if (th <= 1) { directRows(y, x, w, kind, 0, rows, 0, gOC); return; }
  saveGeometry(8);
  setArg(0, <i32>y); setArg(1, <i32>x); setArg(2, <i32>w); setArg(3, kind); setArg(4, <i32>byChannels);
  if (byChannels) parallelRange(directFwdTask, gC, 4, th, 8);
  else parallelRange(directFwdTask, rows, 1, th, 8);
}
function directFwdTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  if (arg(4)) directRows(argP(0), argP(1), argP(2), arg(3), 0, gN * gOH, rangeLo(t), rangeHi(t));
  else directRows(argP(0), argP(1), argP(2), arg(3), rangeLo(t), rangeHi(t), 0, gOC);
}
// 0: depthwise 3x3 (dilation 1), 1: depthwise, 2: grouped
// @ts-ignore: decorator
@inline function directKind(): i32 {
  if ((gG != gC) | (gOC != gC)) return 2;
  return (gKH == 3) & (gKW == 3) & (gDH == 1) & (gDW == 1) ? 0 : 1;
}

// output rows [r0, r1) of all N*OH, output channels [c0, c1) (depthwise only; grouped: all), then the store
// epilogue over them, row by row (in L1) when one is set
function directRows(y: usize, x: usize, w: usize, kind: i32, r0: i32, r1: i32, c0: i32, c1: i32): void {
  const step = eOn ? 1 : r1 - r0, ld = <usize>gOW * gOC << 2;
  for (let r = r0; r < r1; r += step) {
    const e = r + step;
    if (kind == 0) dw3x3Fwd(y, x, w, r, e, c0, c1); else if (kind == 1) dwFwd(y, x, w, r, e, c0, c1); else grpFwd(y, x, w, r, e);
    if (eOn) epiRows(y + <usize>r * ld, gOW, gOC, c0, c1);
  }
}

/** dst[k] += src[k] for k < n, SIMD (col2im rows). */
// @ts-ignore: decorator
@inline export function addRow(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) { const o = <usize>k << 2; vst(dst + o, vadd(vld(dst + o), vld(src + o))); }
  for (; k < n; k++) { const o = <usize>k << 2; store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o)); }
}
