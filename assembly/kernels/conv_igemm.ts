// Conv2D forward, groups = 1, as an "implicit GEMM": the 4x8 register-blocked microkernel shape of
// gemm.ts (4 output pixels x 8 output channels, 8 v128 accumulators, per k: 2 B loads, 4 A splats,
// 8 vfma) with the A operand read straight from the NHWC input: no im2col, no A packing.
// Used by f32_conv2d_fwd__simd (conv.ts) when igemmFits(K, OC).
//   w (K = KH*KW*C, OC) is packed once per call into ceil(OC/8) panels of (K, 8) floats in scratch
//   (OC zero-padded), so each B row is two aligned v128 loads.
//   A row r of a tile is output pixel q + r of one image (flattened OH*OW, so tiles span output
//   rows); its taps are read at pixel base + tab[k], a table of byte offsets shared by every pixel
//   (one loop over all K taps, like micro_4x8 plus one i32 load per k).
//   Every tap must be inside the source: without padding that holds already; with padding each
//   image is first copied into a zero-padded buffer in scratch (when it holds <= PAD_MAX floats).
//   Bigger padded images take the border path: tiles within one output row; kernel rows outside
//   the input are skipped, tiles touching the left/right padding walk the taps one kernel column at
//   a time with out-of-range pixels pointed at C zeros in scratch.
//   A ragged end is covered by one more tile at P - 4 that stores only its new rows (so the add
//   mode stays exact); fewer than 4 pixels: the missing rows repeat the last and are not stored.
//   Output channels: full panels store two vectors per row; a partial panel stores lanes.
//   Stores: y = sum, or y += sum (add mode: the transposed input gradient of conv_grad.ts); then the
//   store epilogue (epilogue.ts: bias, batch norm, activation of the fused conv ops) over the rows just stored.
//   C = 1, OC = 6, column stride 1 (LeNet's first layer): c1oc6Image vectorizes over 4 pixels of a
//   row instead (no padded OC lanes), same sources (input or padded copy) and tap table.
// Loop order: per image, per panel (the K x 8 panel stays in L1), per tile.
// Threads: images split between them; with fewer images than threads (batch 1), each image's
// pixels (blocks of whole tiles; the padded copy made by the same threads, row-aligned) or, on the
// border and C1/OC6 paths, its panels (the padded copy made once and shared; conv_pad.ts).
// Scratch (igemmScratchFloats, mirrored in src/ops.ts conv2dScratchFloats): K*ceil(OC/8)*8 panels +
// ceil(C/4)*4 zeros + 32 tile + ceil(K/4)*4 offsets + the padded image.
import { vld, vst, vzero, vfma, vadd, vldPart, vstPart } from '../simd';
import { gN, gH, gW, gC, gOC, gKH, gKW, gSH, gSW, gPT, gPL, gDH, gDW, gOH, gOW, saveGeometry, loadGeometry } from './conv_direct';
import { eOn, epiRows } from './epilogue';
import { padExtent, padImage, padRows } from './conv_pad';
import { MT_CONV_SCALE, mtFor, parallel, setArg, arg, argP, workerScratch } from '../mt';

// @ts-ignore: decorator
@inline export function igemmFits(K: i32, OC: i32): bool { return (K <= 256) & (OC <= 512); }

// Largest zero-padded image copy (floats, 256 KiB); bigger padded images take the border path.
export const PAD_MAX: i32 = 1 << 16;

/** Floats of scratch igemmFwd uses (conv2d_scratch_floats takes the max with the im2col plan). */
export function igemmScratchFloats(H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                   strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32): i32 {
  const K = KH * KW * C;
  const Hp = padExtent(OH, strideH, KH, dilH), Wp = padExtent(OW, strideW, KW, dilW);
  const needPad = (padT > 0) | (padL > 0) | (Hp > H) | (Wp > W);
  const pad = needPad && Hp * Wp * C <= PAD_MAX ? Hp * Wp * C : 0;
  return K * ((OC + 7) & ~7) + ((C + 3) & ~3) + 32 + ((K + 3) & ~3) + pad;
}

// Scratch of the geometry's implicit GEMM: the 4x8 tile's place (after the panels and the C zeros);
// the tap table follows it at + 128, then the padded image (igemmScratchFloats).
// @ts-ignore: decorator
@inline function tileIn(scratch: usize): usize {
  return scratch + (<usize>(gKH * gKW * gC * ((gOC + 7) & ~7) + ((gC + 3) & ~3)) << 2);
}

export function packPanels(wp: usize, w: usize, K: i32, OC: i32): void {
  for (let j0 = 0; j0 < OC; j0 += 8) {
    const nr = min(8, OC - j0);
    let d = wp + (<usize>j0 * K << 2);
    let s = w + (<usize>j0 << 2);
    const ld = <usize>OC << 2;
    if (nr == 8) {
      for (let k = 0; k < K; k++) { vst(d, vld(s)); vst(d + 16, vld(s + 16)); d += 32; s += ld; }
    } else {
      for (let k = 0; k < K; k++) {
        vst(d, vzero()); vst(d + 16, vzero());
        for (let j = 0; j < nr; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
        d += 32; s += ld;
      }
    }
  }
}

// One 4x8 tile whose taps are all inside the (padded) input: pixel r's taps at ar + tab[k]. Stores
// rows lo..mr-1 (r0 + r*ldy) of nr columns; add != 0 adds them to what is there (input gradients).
function tileTab(a0: usize, a1: usize, a2: usize, a3: usize, tab: usize, bp: usize, K: i32, r0: usize, ldy: usize,
                 nr: i32, mr: i32, lo: i32, add: i32, j0: i32): void {
  let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
  let c20 = vzero(), c21 = vzero(), c30 = vzero(), c31 = vzero();
  for (let k = 0; k < K; k++) {
    const o = <usize>load<i32>(tab + (<usize>k << 2));
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av = v128.load32_splat(a0 + o);
    c00 = vfma(av, b0, c00); c01 = vfma(av, b1, c01);
    av = v128.load32_splat(a1 + o);
    c10 = vfma(av, b0, c10); c11 = vfma(av, b1, c11);
    av = v128.load32_splat(a2 + o);
    c20 = vfma(av, b0, c20); c21 = vfma(av, b1, c21);
    av = v128.load32_splat(a3 + o);
    c30 = vfma(av, b0, c30); c31 = vfma(av, b1, c31);
    bp += 32;
  }
  const r1 = r0 + ldy, r2 = r1 + ldy, r3 = r2 + ldy;
  if ((nr == 8) & (mr == 4) & (lo == 0) & (add == 0)) {
    vst(r0, c00); vst(r0 + 16, c01); vst(r1, c10); vst(r1 + 16, c11);
    vst(r2, c20); vst(r2 + 16, c21); vst(r3, c30); vst(r3 + 16, c31);
  } else {
    if (lo < 1) storeRow(r0, c00, c01, nr, add);
    if ((mr > 1) & (lo < 2)) storeRow(r1, c10, c11, nr, add);
    if ((mr > 2) & (lo < 3)) storeRow(r2, c20, c21, nr, add);
    if (mr > 3) storeRow(r3, c30, c31, nr, add);
  }
  // the store epilogue over the rows just stored, in L1 (the unfused ops' float ops, as after a whole-y store)
  if (eOn) epiRows(r0 + <usize>lo * ldy - (<usize>j0 << 2), mr - lo, <i32>(ldy >> 2), j0, j0 + nr);
}

// The first nr (1..8) lanes of v0:v1 to p (added to p's floats when add != 0), with lane
// loads and stores (nothing past p + nr floats is touched).
// @ts-ignore: decorator
@inline export function storeRow(p: usize, v0: v128, v1: v128, nr: i32, add: i32): void {
  let v = v0, m = nr;
  if (nr >= 4) { vst(p, add ? vadd(vld(p), v0) : v0); v = v1; m = nr - 4; p += 16; }
  if (add) v = vadd(v, vldPart(p, m));
  vstPart(p, v, m);
}


// All output pixels of one image, every tap inside src (an input image of width Ws, or its padded
// copy): tiles of 4 consecutive pixels of the flattened (OH*OW) image, spanning output rows; a
// ragged end is covered by one more tile at P - 4 (or, when P < 4, a tile of P rows).
// Pixels [plo, phi) only (plo a multiple of 4; phi too, or P): the tiles are those of the whole image.
function igemmImage(yn: usize, src: usize, Ws: i32, wp: usize, tab: usize, add: i32, jlo: i32, jhi: i32, plo: i32, phi: i32): void {
  const OW = gOW, P = gOH * OW, OC = gOC, K = gKH * gKW * gC;
  const cs = <usize>gC << 2, ldy = <usize>OC << 2, rs = <usize>(gSH * Ws) * cs, ps = <usize>gSW * cs;
  const mr = min(4, P);
  for (let j0 = jlo; j0 < jhi; j0 += 8) {
    const nr = min(8, OC - j0), pw = wp + (<usize>j0 * K << 2);
    // (oh, ow) of the next pixel, stepped along (no divisions per tile)
    let oh = plo / OW, ow = plo % OW;
    for (let p0 = plo; p0 < phi; p0 += 4) {
      let q = p0, lo = 0, a0: usize, a1: usize, a2: usize, a3: usize;
      if (p0 + 4 <= P) {
        a0 = src + <usize>oh * rs + <usize>ow * ps;
        if (++ow == OW) { ow = 0; oh++; }
        a1 = src + <usize>oh * rs + <usize>ow * ps;
        if (++ow == OW) { ow = 0; oh++; }
        a2 = src + <usize>oh * rs + <usize>ow * ps;
        if (++ow == OW) { ow = 0; oh++; }
        a3 = src + <usize>oh * rs + <usize>ow * ps;
        if (++ow == OW) { ow = 0; oh++; }
      } else {
        q = max(0, P - 4);
        lo = p0 - q;   // rows before lo belong to the previous tile
        const q1 = min(q + 1, P - 1), q2 = min(q + 2, P - 1), q3 = min(q + 3, P - 1);
        a0 = src + <usize>(q / OW) * rs + <usize>(q % OW) * ps;
        a1 = src + <usize>(q1 / OW) * rs + <usize>(q1 % OW) * ps;
        a2 = src + <usize>(q2 / OW) * rs + <usize>(q2 % OW) * ps;
        a3 = src + <usize>(q3 / OW) * rs + <usize>(q3 % OW) * ps;
      }
      tileTab(a0, a1, a2, a3, tab, pw, K, yn + (<usize>q * OC + j0 << 2), ldy, nr, mr, lo, add, j0);
    }
  }
}

// C = 1, column stride 1, OC = 6 (LeNet's first layer): vectors over 4 output pixels of a row
// instead of over output channels, so no lane is padding: per tap one x vector (4 neighbouring
// pixels' taps), 6 weight splats, 6 vfma; the 6 accumulators (oc-major) are transposed to the
// pixel-major y rows (4x4 transpose for oc 0..3, pairs of lanes for oc 4, 5). Needs OW >= 4; a
// ragged row end is covered by one more block at OW - 4. w is read in place: (K, 6).
function c1oc6Image(yn: usize, src: usize, Ws: i32, w: usize, tab: usize): void {
  const OW = gOW, K = gKH * gKW, rs = <usize>(gSH * Ws) << 2;
  for (let oh = 0; oh < gOH; oh++) {
    const xr = src + <usize>oh * rs, yr = yn + (<usize>(oh * OW * 6) << 2);
    for (let ow0 = 0; ow0 < OW; ow0 += 4) {
      const o0 = ow0 + 4 > OW ? OW - 4 : ow0;
      const a = xr + (<usize>o0 << 2);
      let c0 = vzero(), c1 = vzero(), c2 = vzero(), c3 = vzero(), c4 = vzero(), c5 = vzero();
      let wk = w;
      for (let k = 0; k < K; k++) {
        const xv = v128.load(a + <usize>load<i32>(tab + (<usize>k << 2)));
        c0 = vfma(xv, v128.load32_splat(wk), c0); c1 = vfma(xv, v128.load32_splat(wk, 4), c1);
        c2 = vfma(xv, v128.load32_splat(wk, 8), c2); c3 = vfma(xv, v128.load32_splat(wk, 12), c3);
        c4 = vfma(xv, v128.load32_splat(wk, 16), c4); c5 = vfma(xv, v128.load32_splat(wk, 20), c5);
        wk += 24;
      }
      const t0 = i32x4.shuffle(c0, c1, 0, 4, 1, 5), t1 = i32x4.shuffle(c0, c1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(c2, c3, 0, 4, 1, 5), t3 = i32x4.shuffle(c2, c3, 2, 6, 3, 7);
      const u01 = i32x4.shuffle(c4, c5, 0, 4, 1, 5), u23 = i32x4.shuffle(c4, c5, 2, 6, 3, 7);
      const p0 = yr + (<usize>(o0 * 6) << 2);
      vst(p0, i32x4.shuffle(t0, t2, 0, 1, 4, 5)); v128.store64_lane(p0, u01, 0, 16);
      vst(p0 + 24, i32x4.shuffle(t0, t2, 2, 3, 6, 7)); v128.store64_lane(p0, u01, 1, 40);
      vst(p0 + 48, i32x4.shuffle(t1, t3, 0, 1, 4, 5)); v128.store64_lane(p0, u23, 0, 64);
      vst(p0 + 72, i32x4.shuffle(t1, t3, 2, 3, 6, 7)); v128.store64_lane(p0, u23, 1, 88);
      if (eOn) epiRows(p0, 4, 6, 0, 6);
    }
  }
}

// byte offset of tap k = (kh, kw, c) from a pixel's first tap in an input of width Ws
export function fillTab(tab: usize, Ws: i32): void {
  const C = gC, rowBytes = <usize>Ws * C << 2;
  for (let kh = 0, k = 0; kh < gKH; kh++) for (let kw = 0; kw < gKW; kw++) for (let c = 0; c < C; c++, k++) {
    store<i32>(tab + (<usize>k << 2), <i32>(<usize>(kh * gDH) * rowBytes + <usize>(kw * gDW) * (<usize>C << 2) + (<usize>c << 2)));
  }
}

/** Whether the input needs a zero-padded copy (0), has none to make (1), or is too big for one (2). */
export function igemmPadCase(): i32 {
  const Hp = padExtent(gOH, gSH, gKH, gDH), Wp = padExtent(gOW, gSW, gKW, gDW);
  if (!((gPT > 0) | (gPL > 0) | (Hp > gH) | (Wp > gW))) return 1;
  return Hp * Wp * gC <= PAD_MAX ? 0 : 2;
}

// y: (N, OH, OW, OC) f32; x: (N, H, W, C) f32; w: (KH*KW*C, OC) f32; geometry from convGeometry().
export function igemmFwd(y: usize, x: usize, w: usize, scratch: usize): void {
  packPanels(scratch, w, gKH * gKW * gC, gOC);
  igemmPacked(y, x, w, scratch, 0);
}

// igemmFwd after the weights are packed into scratch (panels of (K, 8)); add != 0 adds into y
// (then the caller has checked igemmPadCase() < 2, and w, read only by the C1/OC6 path, is unused).
// Threads: the images split between them (each has its own 4x8 tile and padded copy; panels,
// tap table and zeros are shared, read-only).
export function igemmPacked(y: usize, x: usize, w: usize, scratch: usize, add: i32): void {
  const C = gC, OC = gOC, K = gKH * gKW * C;
  const zero = scratch + (<usize>(K * ((OC + 7) & ~7)) << 2);
  const tmp = tileIn(scratch), tab = tmp + 128;
  const pad = tab + (<usize>((K + 3) & ~3) << 2);
  const pc = igemmPadCase();
  fillTab(tab, pc == 0 ? padExtent(gOW, gSW, gKW, gDW) : gW);
  if (pc == 2) memory.fill(zero, 0, <usize>C << 2);
  const th = mtFor(MT_CONV_SCALE * gN * gOH * gOW * OC * K), panels = (OC + 7) >> 3;
  const c1oc6 = (C == 1) & (OC == 6) & (gSW == 1) & (gOW >= 4) & (add == 0);
  const byImages = gN >= th || c1oc6 || panels < 2;
  if (th == 1 || (byImages && gN == 1)) { igemmImages(y, x, w, scratch, tmp, pad, add, 0, gN, 0, OC, false); return; }
  saveGeometry(8);
  setArg(0, <i32>y); setArg(1, <i32>x); setArg(2, <i32>w); setArg(3, <i32>scratch); setArg(4, add);
  if (byImages) {
    const per = (gN + 2 * th - 1) / (2 * th);
    setArg(5, per);
    parallel(igemmTask, (gN + per - 1) / per, th);
    return;
  }
  // fewer images than threads (batch 1): each image's pixels split between them, in blocks of whole
  // tiles (in pixel order, as the layers before and after split theirs: mt.ts), or, on the border path
  // and the C1/OC6 one, its output-channel panels; the padded copy made once here and read by all
  // (every output is its tile's, whichever thread computes it)
  const P = gOH * gOW, byPixels = (pc != 2) & !c1oc6 & (P >= 32 * th);
  const blocks = byPixels ? 2 * th : min(2 * th, panels);
  const per = byPixels ? ((P + blocks - 1) / blocks + 3) & ~3 : (panels + blocks - 1) / blocks;
  setArg(5, per); setArg(7, <i32>pad);
  const tasks = byPixels ? (P + per - 1) / per : (panels + per - 1) / per;
  for (let n = 0; n < gN; n++) {
    setArg(6, n);
    // by pixels, the padded copy is made in parallel too, each task the rows its pixel block starts at
    // (so each thread mostly reads rows it wrote); by panels, here (every task reads all of it)
    if ((pc == 0) & byPixels) parallel(padTask, tasks, th);
    else if (pc == 0) padImage(pad, x + (<usize>n * gH * gW * C << 2));
    if (byPixels) parallel(igemmPixelTask, tasks, th);
    else parallel(igemmPanelTask, tasks, th);
  }
}

// rows of image arg(6)'s zero-padded copy: from the first input row of pixel block t's first output row
// to the next block's (the last task to the end; args: see igemmPacked)
function padTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  const per = arg(5), P = gOH * gOW, Hp = padExtent(gOH, gSH, gKH, gDH);
  const r0 = (t * per / gOW) * gSH, r1 = (t + 1) * per >= P ? Hp : min(Hp, ((t + 1) * per / gOW) * gSH);
  padRows(argP(7), argP(1) + (<usize>arg(6) * gH * gW * gC << 2), r0, r1);
}

// pixels [t*per, (t+1)*per) of image arg(6), every output channel, on thread tid (args: see igemmPacked)
function igemmPixelTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  const per = arg(5), n = arg(6), wp = argP(3);
  const padded = igemmPadCase() == 0, Ws = padded ? padExtent(gOW, gSW, gKW, gDW) : gW;
  const src = padded ? argP(7) : argP(1) + (<usize>n * gH * gW * gC << 2), tab = tileIn(wp) + 128;
  igemmImage(argP(0) + (<usize>n * gOH * gOW * gOC << 2), src, Ws, wp, tab, arg(4), 0, gOC, t * per, min(gOH * gOW, (t + 1) * per));
}

// panels [t*per, (t+1)*per) of image arg(6) on thread tid (args: see igemmPacked)
function igemmPanelTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  const per = arg(5), n = arg(6), scratch = argP(3);
  const tmp = tid ? workerScratch(tid) : tileIn(scratch);
  igemmImages(argP(0), argP(1), argP(2), scratch, tmp, argP(7), arg(4), n, n + 1, t * per * 8, min(gOC, (t + 1) * per * 8), true);
}

// images [t*per, (t+1)*per) on thread tid (args: see igemmPacked)
function igemmTask(t: i32, tid: i32): void {
  if (tid) loadGeometry(8);
  const per = arg(5), n0 = t * per, n1 = min(gN, n0 + per), scratch = argP(3);
  const K = gKH * gKW * gC;
  let tmp = tileIn(scratch);
  let pad = tmp + 128 + (<usize>((K + 3) & ~3) << 2);
  if (tid) { tmp = workerScratch(tid); pad = tmp + 128; }
  igemmImages(argP(0), argP(1), argP(2), scratch, tmp, pad, arg(4), n0, n1, 0, gOC, false);
}

// images [n0, n1), output channels [jlo, jhi) (panel bounds), of igemmPacked: tmp is this thread's 4x8
// tile, pad its padded copy (padded: it holds image n0 already, made by the caller)
function igemmImages(y: usize, x: usize, w: usize, scratch: usize, tmp: usize, pad: usize, add: i32, n0: i32, n1: i32, jlo: i32, jhi: i32, padded: bool): void {
  const C = gC, OC = gOC, KW = gKW, K = gKH * KW * C, W = gW, H = gH, OW = gOW;
  const SW = gSW, DW = gDW, PL = gPL;
  const wp = scratch;
  const zero = wp + (<usize>(K * ((OC + 7) & ~7)) << 2);
  const tab = tileIn(wp) + 128;
  const Wp = padExtent(OW, SW, KW, DW);
  const yImg = <usize>gOH * OW * OC << 2, xImg = <usize>H * W * C << 2;
  const c1oc6 = (C == 1) & (OC == 6) & (SW == 1) & (OW >= 4) & (add == 0) & (jlo == 0) & (jhi == OC);
  const pc = igemmPadCase();
  if (pc == 1) {
    for (let n = n0; n < n1; n++) {
      if (c1oc6) c1oc6Image(y + <usize>n * yImg, x + <usize>n * xImg, W, w, tab);
      else igemmImage(y + <usize>n * yImg, x + <usize>n * xImg, W, wp, tab, add, jlo, jhi, 0, gOH * OW);
    }
    return;
  }
  if (pc == 0) {
    // zero-padded copy of each image: every tap in range, no border cases
    for (let n = n0; n < n1; n++) {
      if (!padded) padImage(pad, x + <usize>n * xImg);
      if (c1oc6) c1oc6Image(y + <usize>n * yImg, pad, Wp, w, tab);
      else igemmImage(y + <usize>n * yImg, pad, Wp, wp, tab, add, jlo, jhi, 0, gOH * OW);
    }
    return;
  }
  const rowBytes = <usize>W * C << 2;
  const cs = <usize>C << 2, ldy = <usize>OC << 2, runKW = KW * C;
  // tiles of this output row: [0, 4, ..., lastFull], plus OW - 4 when OW % 4 != 0 (OW >= 4)
  const mrAll = min(4, OW);
  for (let n = n0; n < n1; n++) {
    const xn = x + (<usize>n * H * W * C << 2);
    for (let oh = 0; oh < gOH; oh++) {
      const ih0 = oh * gSH - gPT;
      // valid kernel rows [khLo, khHi)
      let khLo = 0, khHi = gKH;
      while (khLo < khHi && ih0 + khLo * gDH < 0) khLo++;
      while (khHi > khLo && ih0 + (khHi - 1) * gDH >= H) khHi--;
      const yrow = y + ((<usize>(n * gOH + oh) * OW) * OC << 2);
      const rowIn = (khLo == 0) & (khHi == gKH);
      for (let j0 = jlo; j0 < jhi; j0 += 8) {
        const nr = min(8, OC - j0);
        const pw = wp + (<usize>j0 * K << 2);
        for (let ow0 = 0; ow0 < OW; ow0 += 4) {
          const o0 = ow0 + 4 > OW ? max(0, OW - 4) : ow0;
          // first input column of each tile row (rows past the output row repeat the last one)
          const i0 = o0 * SW - PL;
          const i1 = min(o0 + 1, OW - 1) * SW - PL, i2 = min(o0 + 2, OW - 1) * SW - PL, i3 = min(o0 + 3, OW - 1) * SW - PL;
          const colIn = (i0 >= 0) & (i3 + (KW - 1) * DW < W);
          const r0 = yrow + (<usize>o0 * OC + j0 << 2);
          if (colIn & rowIn & (mrAll == 4)) {
            const a0 = xn + <usize>ih0 * rowBytes + <usize>i0 * cs, sp = <usize>SW * cs;
            tileTab(a0, a0 + sp, a0 + 2 * sp, a0 + 3 * sp, tab, pw, K, r0, ldy, nr, 4, 0, 0, j0);
            continue;
          }
          const interior = (DW == 1) & colIn;
          let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
          let c20 = vzero(), c21 = vzero(), c30 = vzero(), c31 = vzero();
          for (let kh = khLo; kh < khHi; kh++) {
            const xr = xn + <usize>(ih0 + kh * gDH) * rowBytes;
            const bk = pw + (<usize>(kh * runKW) << 5);
            const segs = interior ? 1 : KW;
            for (let sg = 0; sg < segs; sg++) {
              let a0: usize, a1: usize, a2: usize, a3: usize, cnt: i32, bp: usize;
              if (interior) {
                a0 = xr + <usize>i0 * cs; a1 = xr + <usize>i1 * cs; a2 = xr + <usize>i2 * cs; a3 = xr + <usize>i3 * cs;
                cnt = runKW; bp = bk;
              } else {
                const dk = sg * DW;
                a0 = <u32>(i0 + dk) < <u32>W ? xr + <usize>(i0 + dk) * cs : zero;
                a1 = <u32>(i1 + dk) < <u32>W ? xr + <usize>(i1 + dk) * cs : zero;
                a2 = <u32>(i2 + dk) < <u32>W ? xr + <usize>(i2 + dk) * cs : zero;
                a3 = <u32>(i3 + dk) < <u32>W ? xr + <usize>(i3 + dk) * cs : zero;
                cnt = C; bp = bk + (<usize>(sg * C) << 5);
              }
              for (let j = 0; j < cnt; j++) {
                const o = <usize>j << 2;
                const b0 = v128.load(bp), b1 = v128.load(bp, 16);
                let av = v128.load32_splat(a0 + o);
                c00 = vfma(av, b0, c00); c01 = vfma(av, b1, c01);
                av = v128.load32_splat(a1 + o);
                c10 = vfma(av, b0, c10); c11 = vfma(av, b1, c11);
                av = v128.load32_splat(a2 + o);
                c20 = vfma(av, b0, c20); c21 = vfma(av, b1, c21);
                av = v128.load32_splat(a3 + o);
                c30 = vfma(av, b0, c30); c31 = vfma(av, b1, c31);
                bp += 32;
              }
            }
          }
          if ((nr == 8) & (mrAll == 4)) {
            const r1 = r0 + ldy, r2 = r1 + ldy, r3 = r2 + ldy;
            vst(r0, c00); vst(r0 + 16, c01); vst(r1, c10); vst(r1 + 16, c11);
            vst(r2, c20); vst(r2 + 16, c21); vst(r3, c30); vst(r3 + 16, c31);
          } else {
            vst(tmp, c00); vst(tmp + 16, c01); vst(tmp + 32, c10); vst(tmp + 48, c11);
            vst(tmp + 64, c20); vst(tmp + 80, c21); vst(tmp + 96, c30); vst(tmp + 112, c31);
            for (let r = 0; r < mrAll; r++) {
              const cr = r0 + <usize>r * ldy, tr = tmp + (<usize>r << 5);
              let j = 0;
              if (nr >= 4) { vst(cr, vld(tr)); j = 4; }
              for (; j < nr; j++) store<f32>(cr + (<usize>j << 2), load<f32>(tr + (<usize>j << 2)));
            }
          }
          if (eOn) epiRows(r0 - (<usize>j0 << 2), mrAll, OC, j0, j0 + nr);
        }
      }
    }
  }
}
