// The SIMD path of attn_probs (entry point and row split in attention.ts): one head's scores as a
// small GEMM, then each row's masked softmax.
// Scores: S = Q_h K_h^T with K_h^T packed into 8-key panels (gemm_pack's pack_b, reading the head's
// columns at stride D) in this thread's scratch, and 4 x 8 register tiles (per t: four query splats,
// two panel loads, eight products), each score summed over t in order as the reference's dot. A key
// block whose keys no row in range sees (causal) is skipped. Heads with dh > MAX_PACKED_DH (no panel
// of 8 keys fits the scratch) take attention.ts's row form.
// Softmax: vectorized over a row (max by lanes, exact; a polynomial exp within 1.5 ulp), so the
// probabilities equal the reference's within rounding.
import { vadd, vexp, vexpNear, vld, vmul, vsel, vsplat, vst, vstPart, vsub, vsum, vzero } from '../simd';
import { workerScratch } from '../mt';
import { NR, pack_b } from './gemm_pack';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

const KEY_SCRATCH_BYTES: usize = 16384;
const keyScratch: usize = memory.data(<i32>KEY_SCRATCH_BYTES, 16);
export const MAX_PACKED_DH: i32 = <i32>(KEY_SCRATCH_BYTES >> 2) / NR;   // one panel of 8 keys at least

/** Probabilities of rows (b, h, i) [r0, r1) of p (B, H, Tq, Tk); tid: the thread whose scratch holds the packed keys. */
export function probsTiled(p: usize, q: usize, k: usize, mask: usize, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32, r0: i32, r1: i32, tid: i32): void {
  const D = H * dh, ws = tid ? workerScratch(tid) : keyScratch, cap = <i32>(KEY_SCRATCH_BYTES >> 2) / dh / NR * NR;
  for (let r = r0; r < r1; ) {
    const bh = r / Tq, b = bh / H, h = bh % H, i0 = r - bh * Tq, i1 = min(r1, (bh + 1) * Tq) - bh * Tq;
    const pb = p + ((<usize>bh * Tq * Tk) << 2), qb = q + ((<usize>(b * Tq) * D + h * dh) << 2), kb = k + ((<usize>(b * Tk) * D + h * dh) << 2);
    const seen = causal ? i1 - 1 + Tk - Tq : Tk - 1;   // the last key a row in range sees
    for (let j0 = 0; j0 < Tk && j0 <= seen; j0 += cap) {
      const nc = min(cap, Tk - j0);
      pack_b(ws, kb, 1, Tk, dh, 0, dh, j0, nc, D);
      scoreTiles(pb, qb, ws, i0, i1, j0, nc, Tk, D, dh, causal ? Tk - Tq : Tk);
    }
    for (let i = i0; i < i1; i++) softmaxRow(pb + ((<usize>i * Tk) << 2), mask + (<usize>(b * Tk) << 2), Tk, Tq, i, scale, causal, hasMask);
    r += i1 - i0;
  }
}
/** Scores of rows [i0, i1) (q rows at qb, stride D) against the packed keys [j0, j0 + nc) at kp; past: Tk - Tq when causal (the panels beyond a tile's last key are skipped), else Tk. */
function scoreTiles(pb: usize, qb: usize, kp: usize, i0: i32, i1: i32, j0: i32, nc: i32, Tk: i32, D: i32, dh: i32, past: i32): void {
  const rq = <usize>D << 2, rp = <usize>Tk << 2, panel = <usize>dh * NR << 2;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const q0 = qb + <usize>i * rq, q1 = q0 + rq, q2 = q1 + rq, q3 = q2 + rq, last = i + 3 + past;
    for (let jr = 0; jr < nc && j0 + jr <= last; jr += NR) {
      let a0 = vzero(), a1 = vzero(), b0 = vzero(), b1 = vzero(), c0 = vzero(), c1 = vzero(), d0 = vzero(), d1 = vzero();
      let kq = kp + <usize>(jr / NR) * panel;
      for (let t = 0; t < dh; t++) {
        const x0 = vld(kq), x1 = vld(kq + 16), o = <usize>t << 2;
        let w = v128.load32_splat(q0 + o); a0 = vadd(a0, vmul(w, x0)); a1 = vadd(a1, vmul(w, x1));
        w = v128.load32_splat(q1 + o); b0 = vadd(b0, vmul(w, x0)); b1 = vadd(b1, vmul(w, x1));
        w = v128.load32_splat(q2 + o); c0 = vadd(c0, vmul(w, x0)); c1 = vadd(c1, vmul(w, x1));
        w = v128.load32_splat(q3 + o); d0 = vadd(d0, vmul(w, x0)); d1 = vadd(d1, vmul(w, x1));
        kq += 32;
      }
      const m = min(NR, nc - jr), s0 = pb + ((<usize>i * Tk + j0 + jr) << 2);
      storeScores(s0, a0, a1, m); storeScores(s0 + rp, b0, b1, m); storeScores(s0 + 2 * rp, c0, c1, m); storeScores(s0 + 3 * rp, d0, d1, m);
    }
  }
  for (; i < i1; i++) {
    const qi = qb + <usize>i * rq, last = i + past;
    for (let jr = 0; jr < nc && j0 + jr <= last; jr += NR) {
      let a0 = vzero(), a1 = vzero(), kq = kp + <usize>(jr / NR) * panel;
      for (let t = 0; t < dh; t++) {
        const w = v128.load32_splat(qi + (<usize>t << 2));
        a0 = vadd(a0, vmul(w, vld(kq))); a1 = vadd(a1, vmul(w, vld(kq + 16)));
        kq += 32;
      }
      storeScores(pb + ((<usize>i * Tk + j0 + jr) << 2), a0, a1, min(NR, nc - jr));
    }
  }
}
// @ts-ignore: decorator
@inline function storeScores(s: usize, lo: v128, hi: v128, m: i32): void {
  if (m == NR) { vst(s, lo); vst(s + 16, hi); return; }
  vstPart(s, lo, min(m, 4)); if (m > 4) vstPart(s + 16, hi, m - 4);
}

/**
 * One row of scores (query i; the dots already in row) to probabilities: scaled, the left-out keys
 * (maskRow, causal) set to -inf, then the softmax; max by lanes (exact), exp in lanes.
 */
function softmaxRow(row: usize, maskRow: usize, Tk: i32, Tq: i32, i: i32, scale: f32, causal: i32, hasMask: i32): void {
  const last = causal ? i + Tk - Tq : Tk - 1, ninf = vsplat(-Infinity), vs = vsplat(scale), vlast = i32x4.splat(last);
  let vm = ninf, jv = i32x4(0, 1, 2, 3), j = 0;
  for (; j + 4 <= Tk; j += 4) {
    let keep = i32x4.le_s(jv, vlast);
    if (hasMask) keep = v128.and(keep, i32x4.ne(v128.load(at(maskRow, j)), i32x4.splat(0)));
    const v = vsel(keep, vmul(vs, vld(at(row, j))), ninf);
    vst(at(row, j), v);
    vm = f32x4.pmax(vm, v);
    jv = i32x4.add(jv, i32x4.splat(4));
  }
  let m = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  for (; j < Tk; j++) {
    const keep = (!hasMask || load<i32>(at(maskRow, j)) != 0) && j <= last;
    const v: f32 = keep ? scale * load<f32>(at(row, j)) : -Infinity;
    store<f32>(at(row, j), v);
    if (v > m) m = v;
  }
  if (m == -Infinity) { memory.fill(row, 0, <usize>Tk << 2); return; }
  let s: f32 = 0;
  j = 0;
  {   // (vexp in lanes; a left-out position, -inf, is exactly 0; vexpNear, vexp's bits, where every lane is in its range)
    const vmx = vsplat(m), lo = vsplat(-80);
    let acc = vzero();
    for (; j + 4 <= Tk; j += 4) {
      const v = vld(at(row, j)), x = vsub(v, vmx);
      let e = vzero();
      if (i32x4.all_true(f32x4.ge(x, lo))) e = vexpNear(x);
      else if (v128.any_true(f32x4.ne(v, ninf))) e = vsel(f32x4.eq(v, ninf), vzero(), vexp(x));
      vst(at(row, j), e); acc = vadd(acc, e);
    }
    s = vsum(acc);
  }
  for (; j < Tk; j++) { const e = Mathf.exp(load<f32>(at(row, j)) - m); store<f32>(at(row, j), e); s += e; }
  const inv: f32 = 1 / s, vi = vsplat(inv);
  for (j = 0; j + 4 <= Tk; j += 4) vst(at(row, j), vmul(vld(at(row, j)), vi));
  for (; j < Tk; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inv);
}
