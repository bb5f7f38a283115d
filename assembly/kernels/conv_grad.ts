// Conv2D backward without im2col, groups = 1 (used by the dispatchers in conv.ts; layouts as there).
//   weight gradient, implicit: dW (K = KH*KW*C, OC) += sum over pixels p of x[p + tap k] dy[p, :].
//     Tiles of 4 taps x 8 output channels (8 v128 accumulators, per pixel: 2 dy loads, 4 x splats,
//     8 vfma), summed over all pixels of one image, then added to dW. Taps are read through the
//     forward's tap-offset table (conv_igemm.ts) from the input or its zero-padded copy; a K tail
//     reads tap 0 and is not stored, a partial OC panel uses lane loads (nothing read past a row).
//     Needs the padded image to fit (igemmPadCase() < 2).
//   input gradient, stride 1: dx += the transposed convolution of dy = a forward convolution of dy
//     (OH, OW, OC) with the kernel flipped and transposed, w'[kh, kw, oc, c] = w[KH-1-kh, KW-1-kw, c, oc],
//     pads (KH-1)*dilH - padT (top) and (KH-1)*dilH - padB (bottom), alike for columns: the implicit
//     GEMM of conv_igemm.ts in its add mode. Needs pads within the kernel's reach, K' = KH*KW*OC
//     <= BWDX_K_MAX, the padded dy image to fit, and little waste: H*W*ceil8(C) <= 1.25*OH*OW*C
//     (a 'valid' conv on a small image would compute mostly zeros; im2col + GEMM is faster there).
// Sums run in another order than im2col + GEMM: results differ from those paths by float rounding.
import { vst, vzero, vfma, vldPart } from '../simd';
import { convGeometry, saveGeometry, loadGeometry, gN, gH, gW, gC, gOC, gKH, gKW, gSH, gSW, gPT, gPL, gDH, gDW, gOH, gOW } from './conv_direct';
import { mtFor, parallel, setArg, arg, argP, workerScratch } from '../mt';
import { igemmPadCase, fillTab, storeRow, igemmPacked, igemmScratchFloats } from './conv_igemm';
import { padImage, padExtent } from './conv_pad';

// Deepest transposed kernel (KH*KW*OC) for the implicit input gradient: its (K', 8) weight panel stays in L1.
const BWDX_K_MAX: i32 = 512;

/** Floats of scratch wgradImplicit needs (geometry from convGeometry()): tap offsets + the padded image. */
export function wgradScratchFloats(): i32 {
  const K = gKH * gKW * gC, pc = igemmPadCase();
  if (pc == 2) return 0;
  return ((K + 3) & ~3) + (pc == 0 ? padExtent(gOH, gSH, gKH, gDH) * padExtent(gOW, gSW, gKW, gDW) * gC : 0);
}

// One 4-tap x 8-channel tile of dW summed over an image's pixels, added to dW rows r0, r0 + ldy, ...
// (kt taps left: rows past it are not stored). Inlined with constant nr/n0/n1 for full panels.
// @ts-ignore: decorator
@inline function wgTile(r0: usize, src: usize, dyn: usize, o0: usize, o1: usize, o2: usize, o3: usize, rs: usize, ps: usize,
                        ldy: usize, rowFloats: i32, kt: i32, nr: i32, n0: i32, n1: i32): void {
  let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
  let c20 = vzero(), c21 = vzero(), c30 = vzero(), c31 = vzero();
  const OW = gOW;
  for (let oh = 0; oh < gOH; oh++) {
    let a = src + <usize>oh * rs, d = dyn + (<usize>(oh * rowFloats) << 2);
    for (let ow = 0; ow < OW; ow++) {
      const b0 = vldPart(d, n0), b1 = vldPart(d + 16, n1);
      let av = v128.load32_splat(a + o0);
      c00 = vfma(av, b0, c00); c01 = vfma(av, b1, c01);
      av = v128.load32_splat(a + o1);
      c10 = vfma(av, b0, c10); c11 = vfma(av, b1, c11);
      av = v128.load32_splat(a + o2);
      c20 = vfma(av, b0, c20); c21 = vfma(av, b1, c21);
      av = v128.load32_splat(a + o3);
      c30 = vfma(av, b0, c30); c31 = vfma(av, b1, c31);
      a += ps; d += ldy;
    }
  }
  storeRow(r0, c00, c01, nr, 1);
  if (kt > 1) storeRow(r0 + ldy, c10, c11, nr, 1);
  if (kt > 2) storeRow(r0 + 2 * ldy, c20, c21, nr, 1);
  if (kt > 3) storeRow(r0 + 3 * ldy, c30, c31, nr, 1);
}

// dw: (K, OC) f32 +=; dy: (N, OH, OW, OC) f32; x: (N, H, W, C) f32; geometry from convGeometry(), igemmPadCase() < 2.
// Threads: the (4-tap x 8-channel) tiles of dW split between them; each thread walks every image
// for its tiles (own padded copy), so each tile sums the images in the same order as one thread.
export function wgradImplicit(dw: usize, dy: usize, x: usize, scratch: usize): void {
  const C = gC, OC = gOC, K = gKH * gKW * C, K4 = (K + 3) & ~3;
  const pc = igemmPadCase();
  const tab = scratch, pad = tab + (<usize>K4 << 2);
  fillTab(tab, pc == 1 ? gW : padExtent(gOW, gSW, gKW, gDW));
  for (let k = K; k < K4; k++) store<i32>(tab + (<usize>k << 2), 0);
  const tiles = ((OC + 7) >> 3) * (K4 >> 2);
  const th = min(tiles, mtFor(<i64>gN * gOH * gOW * K * OC));
  if (th == 1) { wgTiles(dw, dy, x, tab, pad, 0, tiles); return; }
  saveGeometry(8);
  setArg(0, <i32>dw); setArg(1, <i32>dy); setArg(2, <i32>x); setArg(3, <i32>scratch);
  const per = (tiles + 2 * th - 1) / (2 * th);
  setArg(4, per); setArg(5, tiles);
  parallel(wgTask, (tiles + per - 1) / per, th);
}

// tiles [t*per, (t+1)*per) on thread tid (args: see wgradImplicit)
function wgTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  const per = arg(4), t0 = t * per, t1 = min(arg(5), t0 + per), tab = argP(3);
  const pad = tid ? workerScratch(tid) : tab + (<usize>((gKH * gKW * gC + 3) & ~3) << 2);
  wgTiles(argP(0), argP(1), argP(2), tab, pad, t0, t1);
}

// tiles [t0, t1) of dW (tile t: panel t / (K4/4), taps 4 * (t % (K4/4))); pad: this thread's padded copy
function wgTiles(dw: usize, dy: usize, x: usize, tab: usize, pad: usize, t0: i32, t1: i32): void {
  const C = gC, OC = gOC, K = gKH * gKW * C, K4 = (K + 3) & ~3, OH = gOH, OW = gOW, nk = K4 >> 2;
  const pc = igemmPadCase(), Wp = padExtent(OW, gSW, gKW, gDW);
  const Ws = pc == 1 ? gW : Wp;
  const cs = <usize>C << 2, rs = <usize>(gSH * Ws) * cs, ps = <usize>gSW * cs, ldy = <usize>OC << 2;
  const xImg = <usize>gH * gW * C << 2, yImg = <usize>OH * OW * OC << 2;
  for (let n = 0; n < gN; n++) {
    let src = x + <usize>n * xImg;
    if (pc == 0) { padImage(pad, src); src = pad; }
    const dyn = dy + <usize>n * yImg;
    for (let ti = t0; ti < t1; ti++) {
      const j0 = (ti / nk) << 3, k0 = (ti % nk) << 2;
      const nr = min(8, OC - j0), n0 = min(4, nr), n1 = max(0, nr - 4);
      const t = tab + (<usize>k0 << 2);
      const o0 = <usize>load<i32>(t), o1 = <usize>load<i32>(t, 4), o2 = <usize>load<i32>(t, 8), o3 = <usize>load<i32>(t, 12);
      if (nr == 8) wgTile(dw + ((<usize>k0 * OC + j0) << 2), src, dyn + (<usize>j0 << 2), o0, o1, o2, o3, rs, ps, ldy, OW * OC, K - k0, 8, 4, 4);
      else wgTile(dw + ((<usize>k0 * OC + j0) << 2), src, dyn + (<usize>j0 << 2), o0, o1, o2, o3, rs, ps, ldy, OW * OC, K - k0, nr, n0, n1);
    }
  }
}

// ---- input gradient as a transposed implicit GEMM ----

// Pads of the transposed convolution (stride 1): top, left, bottom, right; negative when a pad exceeds the kernel's reach.
// @ts-ignore: decorator
@inline function tPadT(): i32 { return (gKH - 1) * gDH - gPT; }
// @ts-ignore: decorator
@inline function tPadL(): i32 { return (gKW - 1) * gDW - gPL; }
// @ts-ignore: decorator
@inline function tPadB(): i32 { return gH - gOH + gPT; }
// @ts-ignore: decorator
@inline function tPadR(): i32 { return gW - gOW + gPL; }

/** Whether bwdxTransposed takes this (forward) geometry; groups = 1 and not pointwise are the caller's. */
export function bwdxFits(): bool {
  if ((gSH != 1) | (gSW != 1) | (gKH * gKW * gOC > BWDX_K_MAX)) return false;
  if ((tPadT() < 0) | (tPadL() < 0) | (tPadB() < 0) | (tPadR() < 0)) return false;
  const Hp = padExtent(gH, 1, gKH, gDH), Wp = padExtent(gW, 1, gKW, gDW);
  if (Hp * Wp * gOC > (1 << 16)) return false;
  // it computes H*W pixels x C rounded up to 8 lanes, im2col + GEMM OH*OW x C: only when that costs at most 1/4 more
  return <i64>gH * gW * ((gC + 7) & ~7) * 4 <= <i64>gOH * gOW * gC * 5;
}

/** Floats of scratch bwdxTransposed needs (forward geometry; 0 when it does not fit). */
export function bwdxScratchFloats(): i32 {
  if (!bwdxFits()) return 0;
  return igemmScratchFloats(gOH, gOW, gOC, gC, gKH, gKW, gH, gW, 1, 1, tPadT(), tPadL(), gDH, gDW);
}

// Flipped, transposed weight panels: ceil(C/8) panels of (K' = KH*KW*OC, 8) floats, C zero-padded.
function packFlipped(wp: usize, w: usize, KH: i32, KW: i32, C: i32, OC: i32): void {
  let d = wp;
  for (let j0 = 0; j0 < C; j0 += 8) {
    const nr = min(8, C - j0);
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const s = w + (<usize>(((KH - 1 - kh) * KW + (KW - 1 - kw)) * C + j0) * OC << 2);
      for (let oc = 0; oc < OC; oc++) {
        vst(d, vzero()); vst(d + 16, vzero());
        for (let j = 0; j < nr; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + ((<usize>j * OC + oc) << 2)));
        d += 32;
      }
    }
  }
}

// dx: (N, H, W, C) f32 +=; dy: (N, OH, OW, OC) f32; w: (KH, KW, C, OC) f32; forward geometry, bwdxFits().
export function bwdxTransposed(dx: usize, dy: usize, w: usize, scratch: usize): void {
  const N = gN, H = gH, W = gW, C = gC, OC = gOC, KH = gKH, KW = gKW, DH = gDH, DW = gDW;
  const pt = tPadT(), pl = tPadL(), pb = tPadB(), pr = tPadR();
  packFlipped(scratch, w, KH, KW, C, OC);
  convGeometry(N, gOH, gOW, OC, C, KH, KW, 1, 1, pt, pl, pb, pr, DH, DW, 1);
  igemmPacked(dx, dy, w, scratch, 1);
}
