// Scaled dot-product attention over heads laid out side by side, without materialized transposes:
// a token's row of D = H·dh features holds head h at columns [h·dh, (h+1)·dh) (what the Q/K/V
// projections write), so every kernel reads heads with a stride of D.
//   q: (B, Tq, D); k, v: (B, Tk, D); p, s: (B, H, Tq, Tk); o: (B, Tq, D); mask: (B, Tk) i32 (0 = padding).
//   attn_probs:  p[b,h,i,:] = softmax_j(scale · q[b,i,h]·k[b,j,h]), positions j with mask[b,j] = 0
//                (hasMask) or j > i + Tk - Tq (causal, aligned at the end: with Tq = Tk it is j > i; a
//                query block that follows Tk - Tq cached keys sees them all) left out; a row with nothing left is all zeros.
//   attn_dot:    s[b,h,i,j] = a[b,i,h]·c[b,j,h] (dP = dO · V^T in backward)
//   attn_ctx:    o[b,i,h] (= or +=) alpha · Σ_j p[b,h,i,j] c[b,j,h] (the context; dQ = scale · dS · K)
//   attn_ctx_t:  o[b,j,h] += alpha · Σ_i p[b,h,i,j] c[b,i,h] (dV = P^T · dO; dK = scale · dS^T · Q)
//   attn_softmax_bwd: ds = p ⊙ (dp - Σ_j dp ⊙ p) per row (written, not accumulated)
// The SIMD forms vectorize over dh (dot products in four lanes) and over a softmax row (a polynomial
// exp within 1.5 ulp): equal to the reference within rounding. They are register-blocked (attn_dot:
// two query rows × four keys; attn_ctx: 16 outputs of a row over all keys; attn_ctx_t: 8 outputs of four
// key rows over all queries, one load of their four weights per query), every output summed in the order of the unblocked form. Outputs other than attn_ctx's accumulate mode are written.
// attn_probs' SIMD scores (4 x 8 tiles over packed keys) and softmax: attention_scores.ts.
// Threads (SIMD forms): rows (b, h, i) of p, s and o split between them (attn_ctx_t: rows (b, h, j) of o,
// each summing over i in order), so every output is computed as on one thread.
import { vadd, vld, vmul, vsplat, vst, vsum, vzero } from '../simd';
import { mtFor, parallelRange, rangeLo, rangeHi, splitSpan, setArg, setArgF, arg, argF, argP } from '../mt';
import { MAX_PACKED_DH, probsTiled } from './attention_scores';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// @ts-ignore: decorator
@inline function dot(simd: bool, a: usize, b: usize, n: i32): f32 {
  let s: f32 = 0, c = 0;
  if (simd) {
    let acc = vzero();
    for (; c + 4 <= n; c += 4) acc = vadd(acc, vmul(vld(at(a, c)), vld(at(b, c))));
    s = vsum(acc);
  }
  for (; c < n; c++) s += load<f32>(at(a, c)) * load<f32>(at(b, c));
  return s;
}
// y[0..n) += a · x[0..n)
// @ts-ignore: decorator
@inline function axpy(simd: bool, y: usize, x: usize, a: f32, n: i32): void {
  let c = 0;
  if (simd) { const va = vsplat(a); for (; c + 4 <= n; c += 4) vst(at(y, c), vadd(vld(at(y, c)), vmul(va, vld(at(x, c))))); }
  for (; c < n; c++) store<f32>(at(y, c), load<f32>(at(y, c)) + a * load<f32>(at(x, c)));
}

/**
 * out[j] = a · c_j for j < n, rows c_j = c + j·ld floats: four rows at a time (one load of a per
 * four products, four independent sums); each sum is dot(true, ...)'s, bit for bit.
 */
function dot4s(out: usize, a: usize, c: usize, n: i32, ld: i32, len: i32): void {
  const L4 = len & ~3, rb = <usize>ld << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const c0 = c + <usize>j * rb, c1 = c0 + rb, c2 = c1 + rb, c3 = c2 + rb;
    let s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
    for (let t = 0; t < L4; t += 4) {
      const va = vld(at(a, t));
      s0 = vadd(s0, vmul(va, vld(at(c0, t)))); s1 = vadd(s1, vmul(va, vld(at(c1, t))));
      s2 = vadd(s2, vmul(va, vld(at(c2, t)))); s3 = vadd(s3, vmul(va, vld(at(c3, t))));
    }
    let r0 = vsum(s0), r1 = vsum(s1), r2 = vsum(s2), r3 = vsum(s3);
    for (let t = L4; t < len; t++) {
      const x = load<f32>(at(a, t));
      r0 += x * load<f32>(at(c0, t)); r1 += x * load<f32>(at(c1, t)); r2 += x * load<f32>(at(c2, t)); r3 += x * load<f32>(at(c3, t));
    }
    store<f32>(at(out, j), r0); store<f32>(at(out, j + 1), r1); store<f32>(at(out, j + 2), r2); store<f32>(at(out, j + 3), r3);
  }
  for (; j < n; j++) store<f32>(at(out, j), dot(true, a, c + <usize>j * rb, len));
}

/**
 * dot4s for two rows a0, a1 at once (out0, out1): every c load serves both; each sum is dot4s's,
 * bit for bit (the same lanes, in the same order).
 */
function dot4s2(out0: usize, out1: usize, a0: usize, a1: usize, c: usize, n: i32, ld: i32, len: i32): void {
  const L4 = len & ~3, rb = <usize>ld << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const c0 = c + <usize>j * rb, c1 = c0 + rb, c2 = c1 + rb, c3 = c2 + rb;
    let s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero(), u0 = vzero(), u1 = vzero(), u2 = vzero(), u3 = vzero();
    for (let t = 0; t < L4; t += 4) {
      const va = vld(at(a0, t)), vb = vld(at(a1, t));
      let x = vld(at(c0, t)); s0 = vadd(s0, vmul(va, x)); u0 = vadd(u0, vmul(vb, x));
      x = vld(at(c1, t)); s1 = vadd(s1, vmul(va, x)); u1 = vadd(u1, vmul(vb, x));
      x = vld(at(c2, t)); s2 = vadd(s2, vmul(va, x)); u2 = vadd(u2, vmul(vb, x));
      x = vld(at(c3, t)); s3 = vadd(s3, vmul(va, x)); u3 = vadd(u3, vmul(vb, x));
    }
    let r0 = vsum(s0), r1 = vsum(s1), r2 = vsum(s2), r3 = vsum(s3), q0 = vsum(u0), q1 = vsum(u1), q2 = vsum(u2), q3 = vsum(u3);
    for (let t = L4; t < len; t++) {
      const x = load<f32>(at(a0, t)), y = load<f32>(at(a1, t));
      let z = load<f32>(at(c0, t)); r0 += x * z; q0 += y * z;
      z = load<f32>(at(c1, t)); r1 += x * z; q1 += y * z;
      z = load<f32>(at(c2, t)); r2 += x * z; q2 += y * z;
      z = load<f32>(at(c3, t)); r3 += x * z; q3 += y * z;
    }
    store<f32>(at(out0, j), r0); store<f32>(at(out0, j + 1), r1); store<f32>(at(out0, j + 2), r2); store<f32>(at(out0, j + 3), r3);
    store<f32>(at(out1, j), q0); store<f32>(at(out1, j + 1), q1); store<f32>(at(out1, j + 2), q2); store<f32>(at(out1, j + 3), q3);
  }
  for (; j < n; j++) { const cj = c + <usize>j * rb; store<f32>(at(out0, j), dot(true, a0, cj, len)); store<f32>(at(out1, j), dot(true, a1, cj, len)); }
}

// @ts-ignore: decorator
@inline function probs(simd: bool, p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32, r0: i32, r1: i32, tid: i32 = 0): void {
  const D = H * dh;
  if (simd && dh <= MAX_PACKED_DH) { probsTiled(p, q, k, mask, H, Tq, Tk, dh, scale, causal, hasMask, r0, r1, tid); return; }
  for (let r = r0; r < r1; r++) {
    const i = r % Tq, h = (r / Tq) % H, b = r / (Tq * H);
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), qi = q + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    const kb = k + ((<usize>(b * Tk) * D + h * dh) << 2);
    const past = Tk - Tq;
    let m: f32 = -Infinity;
    for (let j = 0; j < Tk; j++) {
      const keep = (!hasMask || load<i32>(at(mask, b * Tk + j)) != 0) && (!causal || j <= i + past);
      const v: f32 = keep ? scale * dot(false, qi, kb + ((<usize>j * D) << 2), dh) : -Infinity;
      store<f32>(at(row, j), v);
      if (v > m) m = v;
    }
    if (m == -Infinity) { memory.fill(row, 0, <usize>Tk << 2); continue; }
    let s: f32 = 0;
    for (let j = 0; j < Tk; j++) { const e = Mathf.exp(load<f32>(at(row, j)) - m); store<f32>(at(row, j), e); s += e; }
    const inv: f32 = 1 / s;
    for (let j = 0; j < Tk; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inv);
  }
}
export function f32_attn_probs__ref(p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32): void { probs(false, p, q, k, mask, B, H, Tq, Tk, dh, scale, causal, hasMask, 0, B * H * Tq); }
export function f32_attn_probs__simd(p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32): void {
  attnSplit(PROBS, p, q, k, mask, B, H, Tq, Tk, dh, scale, causal, hasMask, B * H * Tq);
}

// @ts-ignore: decorator
@inline function dots(simd: bool, s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32, r0: i32, r1: i32): void {
  const D = H * dh;
  for (let r = r0; r < r1; r++) {
    const i = r % Ta, h = (r / Ta) % H, b = r / (Ta * H);
    const row = s + ((<usize>((b * H + h) * Ta + i) * Tc) << 2), ai = a + ((<usize>(b * Ta + i) * D + h * dh) << 2);
    if (simd && r + 1 < r1 && i + 1 < Ta) { dot4s2(row, row + (<usize>Tc << 2), ai, ai + (<usize>D << 2), c + ((<usize>(b * Tc) * D + h * dh) << 2), Tc, D, dh); r++; }
    else if (simd) dot4s(row, ai, c + ((<usize>(b * Tc) * D + h * dh) << 2), Tc, D, dh);
    else for (let j = 0; j < Tc; j++) store<f32>(at(row, j), dot(false, ai, c + ((<usize>(b * Tc + j) * D + h * dh) << 2), dh));
  }
}
export function f32_attn_dot__ref(s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32): void { dots(false, s, a, c, B, H, Ta, Tc, dh, 0, B * H * Ta); }
export function f32_attn_dot__simd(s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32): void {
  attnSplit(DOTS, s, a, c, 0, B, H, Ta, Tc, dh, 0, 0, 0, B * H * Ta);
}

// @ts-ignore: decorator
@inline function ctx(simd: bool, o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32, r0: i32, r1: i32): void {
  const D = H * dh;
  for (let r = r0; r < r1; r++) {
    const i = r % Tq, h = (r / Tq) % H, b = r / (Tq * H);
    const oh = o + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2);
    const ch = c + ((<usize>(b * Tk) * D + h * dh) << 2);
    // (SIMD: four query rows of one head at once, in 4 x 8 output tiles)
    if (simd && r + 4 <= r1 && i + 4 <= Tq && dh >= 8) { ctxRows4(oh, row, ch, Tk, D, dh, alpha, accumulate); r += 3; continue; }
    if (!accumulate) memory.fill(oh, 0, <usize>dh << 2);
    const rb = <usize>D << 2;
    let t = 0;
    // (SIMD: 16 outputs held in registers over all j, each summed in the reference's order)
    if (simd) for (; t + 16 <= dh; t += 16) {
      let o0 = vld(at(oh, t)), o1 = vld(at(oh, t + 4)), o2 = vld(at(oh, t + 8)), o3 = vld(at(oh, t + 12));
      for (let j = 0; j < Tk; j++) {
        const w = load<f32>(at(row, j));
        if (w == 0) continue;
        const va = vsplat(alpha * w), cj = ch + <usize>j * rb;
        o0 = vadd(o0, vmul(va, vld(at(cj, t)))); o1 = vadd(o1, vmul(va, vld(at(cj, t + 4))));
        o2 = vadd(o2, vmul(va, vld(at(cj, t + 8)))); o3 = vadd(o3, vmul(va, vld(at(cj, t + 12))));
      }
      vst(at(oh, t), o0); vst(at(oh, t + 4), o1); vst(at(oh, t + 8), o2); vst(at(oh, t + 12), o3);
    }
    if (t < dh) for (let j = 0; j < Tk; j++) {
      const w = load<f32>(at(row, j));
      if (w != 0) axpy(simd, oh + (<usize>t << 2), ch + <usize>j * rb + (<usize>t << 2), alpha * w, dh - t);
    }
  }
}
/**
 * Four query rows i..i+3 of one head (outputs at oh, stride D; weights at row, stride Tk): 4 x 8
 * output tiles in registers over all keys j (per key: four weight splats, two loads of c[j], eight
 * products), each output summed over j in order as the row form. A zero weight adds alpha·0·c[j] = ±0
 * where the row form skips it: the same bits for finite c (a sum that starts at +0 never becomes -0).
 * The dh % 8 tail goes by rows.
 */
function ctxRows4(oh: usize, row: usize, ch: usize, Tk: i32, D: i32, dh: i32, alpha: f32, accumulate: i32): void {
  const rb = <usize>D << 2, pr = <usize>Tk << 2, va = vsplat(alpha), one = alpha == 1;
  const q0 = oh, q1 = q0 + rb, q2 = q1 + rb, q3 = q2 + rb;
  let t = 0;
  for (; t + 8 <= dh; t += 8) {
    const u = <usize>t << 2;
    let a0 = vzero(), a1 = vzero(), b0 = vzero(), b1 = vzero(), c0 = vzero(), c1 = vzero(), d0 = vzero(), d1 = vzero();
    if (accumulate) { a0 = vld(q0 + u); a1 = vld(q0 + u + 16); b0 = vld(q1 + u); b1 = vld(q1 + u + 16); c0 = vld(q2 + u); c1 = vld(q2 + u + 16); d0 = vld(q3 + u); d1 = vld(q3 + u + 16); }
    let pj = row, cj = ch + u;
    if (one) for (let j = 0; j < Tk; j++) {   // (alpha·w = w: the products without the scaling)
      const x0 = vld(cj), x1 = vld(cj + 16);
      let w = v128.load32_splat(pj); a0 = vadd(a0, vmul(w, x0)); a1 = vadd(a1, vmul(w, x1));
      w = v128.load32_splat(pj + pr); b0 = vadd(b0, vmul(w, x0)); b1 = vadd(b1, vmul(w, x1));
      w = v128.load32_splat(pj + 2 * pr); c0 = vadd(c0, vmul(w, x0)); c1 = vadd(c1, vmul(w, x1));
      w = v128.load32_splat(pj + 3 * pr); d0 = vadd(d0, vmul(w, x0)); d1 = vadd(d1, vmul(w, x1));
      pj += 4; cj += rb;
    } else for (let j = 0; j < Tk; j++) {
      const x0 = vld(cj), x1 = vld(cj + 16);
      let w = vmul(va, v128.load32_splat(pj)); a0 = vadd(a0, vmul(w, x0)); a1 = vadd(a1, vmul(w, x1));
      w = vmul(va, v128.load32_splat(pj + pr)); b0 = vadd(b0, vmul(w, x0)); b1 = vadd(b1, vmul(w, x1));
      w = vmul(va, v128.load32_splat(pj + 2 * pr)); c0 = vadd(c0, vmul(w, x0)); c1 = vadd(c1, vmul(w, x1));
      w = vmul(va, v128.load32_splat(pj + 3 * pr)); d0 = vadd(d0, vmul(w, x0)); d1 = vadd(d1, vmul(w, x1));
      pj += 4; cj += rb;
    }
    vst(q0 + u, a0); vst(q0 + u + 16, a1); vst(q1 + u, b0); vst(q1 + u + 16, b1);
    vst(q2 + u, c0); vst(q2 + u + 16, c1); vst(q3 + u, d0); vst(q3 + u + 16, d1);
  }
  if (t < dh) for (let k = 0; k < 4; k++) {
    const ok = oh + <usize>k * rb + (<usize>t << 2), rk = row + <usize>k * pr;
    if (!accumulate) memory.fill(ok, 0, <usize>(dh - t) << 2);
    for (let j = 0; j < Tk; j++) {
      const w = load<f32>(at(rk, j));
      if (w != 0) axpy(true, ok, ch + <usize>j * rb + (<usize>t << 2), alpha * w, dh - t);
    }
  }
}
export function f32_attn_ctx__ref(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void { ctx(false, o, p, c, B, H, Tq, Tk, dh, alpha, accumulate, 0, B * H * Tq); }
export function f32_attn_ctx__simd(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void {
  attnSplit(CTX, o, p, c, 0, B, H, Tq, Tk, dh, alpha, accumulate, 0, B * H * Tq);
}

// output rows (b, h, j) [u0, u1) of all B*H*Tk: per (b, h), the sums over i in order for the rows j in range
// @ts-ignore: decorator
@inline function ctxT(simd: bool, o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, u0: i32, u1: i32): void {
  const D = H * dh;
  for (let bh = u0 / Tk; bh * Tk < u1; bh++) {
    const b = bh / H, h = bh % H, j0 = max(0, u0 - bh * Tk), j1 = min(Tk, u1 - bh * Tk);
    const pb = p + ((<usize>(bh * Tq) * Tk) << 2), cb = c + ((<usize>(b * Tq) * D + h * dh) << 2), ob = o + ((<usize>(b * Tk) * D + h * dh) << 2);
    if (simd) { ctxTCols(ob, pb, cb, Tq, Tk, D, dh, alpha, j0, j1); continue; }
    for (let i = 0; i < Tq; i++) {
      const row = pb + ((<usize>i * Tk) << 2), ci = cb + ((<usize>i * D) << 2);
      for (let j = j0; j < j1; j++) {
        const w = load<f32>(at(row, j));
        if (w != 0) axpy(false, ob + ((<usize>j * D) << 2), ci, alpha * w, dh);
      }
    }
  }
}
/**
 * One head's output rows j in [j0, j1) (at ob, stride D), o[j] += alpha · Σ_i p[i, j] c[i]: two rows
 * j at a time with 16 of their outputs in registers over all i (c's loads shared), each output
 * summed over i in order as the reference's axpys do, so the bits are the same.
 */
function ctxTCols(ob: usize, pb: usize, cb: usize, Tq: i32, Tk: i32, D: i32, dh: i32, alpha: f32, j0: i32, j1: i32): void {
  const rb = <usize>D << 2, pr = <usize>Tk << 2;
  let j = j0;
  if (dh >= 8) for (; j + 4 <= j1; j += 4) ctxTTile4(ob + <usize>j * rb, at(pb, j), cb, Tq, Tk, D, dh, alpha);
  for (; j + 2 <= j1; j += 2) {
    const oa = ob + <usize>j * rb, oc = oa + rb;
    let t = 0;
    for (; t + 16 <= dh; t += 16) {
      let a0 = vld(at(oa, t)), a1 = vld(at(oa, t + 4)), a2 = vld(at(oa, t + 8)), a3 = vld(at(oa, t + 12));
      let b0 = vld(at(oc, t)), b1 = vld(at(oc, t + 4)), b2 = vld(at(oc, t + 8)), b3 = vld(at(oc, t + 12));
      let pi = at(pb, j), ci = cb + (<usize>t << 2);
      for (let i = 0; i < Tq; i++) {
        const wa = load<f32>(pi), wb = load<f32>(pi, 4);
        if ((wa != 0) | (wb != 0)) {
          const x0 = vld(ci), x1 = vld(ci + 16), x2 = vld(ci + 32), x3 = vld(ci + 48);
          if (wa != 0) { const va = vsplat(alpha * wa); a0 = vadd(a0, vmul(va, x0)); a1 = vadd(a1, vmul(va, x1)); a2 = vadd(a2, vmul(va, x2)); a3 = vadd(a3, vmul(va, x3)); }
          if (wb != 0) { const vb = vsplat(alpha * wb); b0 = vadd(b0, vmul(vb, x0)); b1 = vadd(b1, vmul(vb, x1)); b2 = vadd(b2, vmul(vb, x2)); b3 = vadd(b3, vmul(vb, x3)); }
        }
        pi += pr; ci += rb;
      }
      vst(at(oa, t), a0); vst(at(oa, t + 4), a1); vst(at(oa, t + 8), a2); vst(at(oa, t + 12), a3);
      vst(at(oc, t), b0); vst(at(oc, t + 4), b1); vst(at(oc, t + 8), b2); vst(at(oc, t + 12), b3);
    }
    if (t < dh) for (let i = 0; i < Tq; i++) {
      const row = pb + <usize>i * pr, ci = cb + <usize>i * rb + (<usize>t << 2);
      const wa = load<f32>(at(row, j)), wb = load<f32>(at(row, j + 1));
      if (wa != 0) axpy(true, oa + (<usize>t << 2), ci, alpha * wa, dh - t);
      if (wb != 0) axpy(true, oc + (<usize>t << 2), ci, alpha * wb, dh - t);
    }
  }
  for (; j < j1; j++) {
    const oa = ob + <usize>j * rb;
    let t = 0;
    for (; t + 16 <= dh; t += 16) {
      let a0 = vld(at(oa, t)), a1 = vld(at(oa, t + 4)), a2 = vld(at(oa, t + 8)), a3 = vld(at(oa, t + 12));
      let pi = at(pb, j), ci = cb + (<usize>t << 2);
      for (let i = 0; i < Tq; i++) {
        const wa = load<f32>(pi);
        if (wa != 0) { const va = vsplat(alpha * wa); a0 = vadd(a0, vmul(va, vld(ci))); a1 = vadd(a1, vmul(va, vld(ci + 16))); a2 = vadd(a2, vmul(va, vld(ci + 32))); a3 = vadd(a3, vmul(va, vld(ci + 48))); }
        pi += pr; ci += rb;
      }
      vst(at(oa, t), a0); vst(at(oa, t + 4), a1); vst(at(oa, t + 8), a2); vst(at(oa, t + 12), a3);
    }
    if (t < dh) for (let i = 0; i < Tq; i++) {
      const w = load<f32>(at(pb + <usize>i * pr, j));
      if (w != 0) axpy(true, oa + (<usize>t << 2), cb + <usize>i * rb + (<usize>t << 2), alpha * w, dh - t);
    }
  }
}
/**
 * Four key rows j (outputs at oj, stride D) over all queries i: 8 outputs of each in registers per
 * pass (per query: one load of the four weights p[i, j..j+3], lane splats, two loads of c[i], eight
 * products), each output summed over i in order; four zero weights skip the query (as the
 * reference skips a zero weight), a zero among nonzero ones adds a signed zero. The dh % 8 tail as ctxTCols.
 */
function ctxTTile4(oj: usize, pj: usize, cb: usize, Tq: i32, Tk: i32, D: i32, dh: i32, alpha: f32): void {
  const rb = <usize>D << 2, pr = <usize>Tk << 2, va = vsplat(alpha);
  let t = 0;
  for (; t + 8 <= dh; t += 8) {
    const q0 = at(oj, t), q1 = q0 + rb, q2 = q1 + rb, q3 = q2 + rb;
    let a0 = vld(q0), a1 = vld(q0 + 16), b0 = vld(q1), b1 = vld(q1 + 16), c0 = vld(q2), c1 = vld(q2 + 16), d0 = vld(q3), d1 = vld(q3 + 16);
    let pi = pj, ci = at(cb, t);
    for (let i = 0; i < Tq; i++) {
      const w = vld(pi);
      if (v128.any_true(w)) {
        const aw = vmul(va, w), x0 = vld(ci), x1 = vld(ci + 16);
        let v = i32x4.shuffle(aw, aw, 0, 0, 0, 0); a0 = vadd(a0, vmul(v, x0)); a1 = vadd(a1, vmul(v, x1));
        v = i32x4.shuffle(aw, aw, 1, 1, 1, 1); b0 = vadd(b0, vmul(v, x0)); b1 = vadd(b1, vmul(v, x1));
        v = i32x4.shuffle(aw, aw, 2, 2, 2, 2); c0 = vadd(c0, vmul(v, x0)); c1 = vadd(c1, vmul(v, x1));
        v = i32x4.shuffle(aw, aw, 3, 3, 3, 3); d0 = vadd(d0, vmul(v, x0)); d1 = vadd(d1, vmul(v, x1));
      }
      pi += pr; ci += rb;
    }
    vst(q0, a0); vst(q0 + 16, a1); vst(q1, b0); vst(q1 + 16, b1); vst(q2, c0); vst(q2 + 16, c1); vst(q3, d0); vst(q3 + 16, d1);
  }
  if (t < dh) for (let i = 0; i < Tq; i++) {
    const row = pj + <usize>i * pr, ci = cb + <usize>i * rb + (<usize>t << 2);
    for (let k = 0; k < 4; k++) {
      const w = load<f32>(at(row, k));
      if (w != 0) axpy(true, oj + <usize>k * rb + (<usize>t << 2), ci, alpha * w, dh - t);
    }
  }
}
export function f32_attn_ctx_t__ref(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32): void { ctxT(false, o, p, c, B, H, Tq, Tk, dh, alpha, 0, B * H * Tk); }
export function f32_attn_ctx_t__simd(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32): void {
  attnSplit(CTX_T, o, p, c, 0, B, H, Tq, Tk, dh, alpha, 0, 0, B * H * Tk);
}

// @ts-ignore: decorator
// (the Span form of mt.ts: rows of ds, dp, p; k = cols)
function softmaxBwdSpan(ds: usize, dp: usize, p: usize, rows: i32, cols: i32, _f: f32, _g: f32): void { softmaxBwd(true, ds, dp, p, rows, cols); }
// @ts-ignore: decorator
@inline function softmaxBwd(simd: bool, ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2, d = dot(simd, dp + o, p + o, cols);
    for (let j = 0; j < cols; j++) store<f32>(at(ds + o, j), load<f32>(at(p + o, j)) * (load<f32>(at(dp + o, j)) - d));
  }
}
export function f32_attn_softmax_bwd__ref(ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void { softmaxBwd(false, ds, dp, p, rows, cols); }
export function f32_attn_softmax_bwd__simd(ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void {
  splitSpan(softmaxBwdSpan, ds, cols << 2, dp, cols << 2, p, cols << 2, rows, cols, 0, 0, 2 * cols, 1);
}

// ---- threads: the rows of p / s / o (b, h, i), or of o (b, h, j) for ctx_t, in blocks; each row is one thread's work ----
const PROBS: i32 = 0, DOTS: i32 = 1, CTX: i32 = 2, CTX_T: i32 = 3;
// args: 0 kind, 1 out, 2 a, 3 c, 4 mask, 5 B, 6 H, 7 Tq, 8 Tk, 9 dh, 10 scale / alpha, 11 causal / accumulate, 12 hasMask
function attnSplit(kind: i32, out: usize, a: usize, c: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, f: f32, flag: i32, hasMask: i32, rows: i32): void {
  const th = min(rows, mtFor(<i64>B * H * Tq * Tk * dh));
  if (th <= 1) { attnRows(kind, out, a, c, mask, B, H, Tq, Tk, dh, f, flag, hasMask, 0, rows); return; }
  setArg(0, kind); setArg(1, <i32>out); setArg(2, <i32>a); setArg(3, <i32>c); setArg(4, <i32>mask); setArg(5, B); setArg(6, H);
  setArg(7, Tq); setArg(8, Tk); setArg(9, dh); setArgF(10, f); setArg(11, flag); setArg(12, hasMask);
  parallelRange(attnTask, rows, 1, th);
}
function attnTask(t: i32, tid: i32): void {
  attnRows(arg(0), argP(1), argP(2), argP(3), argP(4), arg(5), arg(6), arg(7), arg(8), arg(9), argF(10), arg(11), arg(12), rangeLo(t), rangeHi(t), tid);
}
function attnRows(kind: i32, out: usize, a: usize, c: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, f: f32, flag: i32, hasMask: i32, r0: i32, r1: i32, tid: i32 = 0): void {
  if (kind == PROBS) probs(true, out, a, c, mask, B, H, Tq, Tk, dh, f, flag, hasMask, r0, r1, tid);
  else if (kind == DOTS) dots(true, out, a, c, B, H, Tq, Tk, dh, r0, r1);
  else if (kind == CTX) ctx(true, out, a, c, B, H, Tq, Tk, dh, f, flag, r0, r1);
  else ctxT(true, out, a, c, B, H, Tq, Tk, dh, f, r0, r1);
}
