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
// exp within 1.5 ulp): equal to the reference within rounding. Outputs other than attn_ctx's accumulate mode are written.
// Threads (SIMD forms): rows (b, h, i) of p, s and o split between them (attn_ctx_t: rows (b, h, j) of o,
// each summing over i in order), so every output is computed as on one thread.
import { vadd, vexp, vld, vmul, vsel, vsplat, vst, vsub, vsum, vzero } from '../simd';
import { mtFor, parallelRange, rangeLo, rangeHi, splitSpan, setArg, setArgF, arg, argF, argP } from '../mt';

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

// @ts-ignore: decorator
@inline function probs(simd: bool, p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32, r0: i32, r1: i32): void {
  const D = H * dh, past = Tk - Tq;
  for (let r = r0; r < r1; r++) {
    const i = r % Tq, h = (r / Tq) % H, b = r / (Tq * H);
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), qi = q + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    let m: f32 = -Infinity;
    if (simd) dot4s(row, qi, k + ((<usize>(b * Tk) * D + h * dh) << 2), Tk, D, dh);
    for (let j = 0; j < Tk; j++) {
      const keep = (!hasMask || load<i32>(at(mask, b * Tk + j)) != 0) && (!causal || j <= i + past);
      const v: f32 = keep ? scale * (simd ? load<f32>(at(row, j)) : dot(false, qi, k + ((<usize>(b * Tk + j) * D + h * dh) << 2), dh)) : -Infinity;
      store<f32>(at(row, j), v);
      if (v > m) m = v;
    }
    if (m == -Infinity) { memory.fill(row, 0, <usize>Tk << 2); continue; }
    let s: f32 = 0, j = 0;
    if (simd) {   // (vexp in lanes; a left-out position, -inf, is exactly 0)
      const vm = vsplat(m), ninf = vsplat(-Infinity);
      let acc = vzero();
      for (; j + 4 <= Tk; j += 4) {
        const v = vld(at(row, j)), e = vsel(f32x4.eq(v, ninf), vzero(), vexp(vsub(v, vm)));
        vst(at(row, j), e); acc = vadd(acc, e);
      }
      s = vsum(acc);
    }
    for (; j < Tk; j++) { const e = Mathf.exp(load<f32>(at(row, j)) - m); store<f32>(at(row, j), e); s += e; }
    const inv: f32 = 1 / s;
    j = 0;
    if (simd) { const vi = vsplat(inv); for (; j + 4 <= Tk; j += 4) vst(at(row, j), vmul(vld(at(row, j)), vi)); }
    for (; j < Tk; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inv);
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
    if (simd) dot4s(row, ai, c + ((<usize>(b * Tc) * D + h * dh) << 2), Tc, D, dh);
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
    const oi = o + ((<usize>(b * Tq + i) * D) << 2);
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), oh = oi + (<usize>(h * dh) << 2);
    if (!accumulate) memory.fill(oh, 0, <usize>dh << 2);
    const ch = c + ((<usize>(b * Tk) * D + h * dh) << 2), rb = <usize>D << 2;
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
export function f32_attn_ctx__ref(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void { ctx(false, o, p, c, B, H, Tq, Tk, dh, alpha, accumulate, 0, B * H * Tq); }
export function f32_attn_ctx__simd(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void {
  attnSplit(CTX, o, p, c, 0, B, H, Tq, Tk, dh, alpha, accumulate, 0, B * H * Tq);
}

// output rows (b, h, j) [u0, u1) of all B*H*Tk: per (b, h), the sums over i in order for the rows j in range
// @ts-ignore: decorator
@inline function ctxT(simd: bool, o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, u0: i32, u1: i32): void {
  const D = H * dh;
  for (let bh = u0 / Tk; bh * Tk < u1; bh++) for (let i = 0; i < Tq; i++) {
    const b = bh / H, h = bh % H, j0 = max(0, u0 - bh * Tk), j1 = min(Tk, u1 - bh * Tk);
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), ci = c + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    for (let j = j0; j < j1; j++) {
      const w = load<f32>(at(row, j));
      if (w != 0) axpy(simd, o + ((<usize>(b * Tk + j) * D + h * dh) << 2), ci, alpha * w, dh);
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
  attnRows(arg(0), argP(1), argP(2), argP(3), argP(4), arg(5), arg(6), arg(7), arg(8), arg(9), argF(10), arg(11), arg(12), rangeLo(t), rangeHi(t));
}
function attnRows(kind: i32, out: usize, a: usize, c: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, f: f32, flag: i32, hasMask: i32, r0: i32, r1: i32): void {
  if (kind == PROBS) probs(true, out, a, c, mask, B, H, Tq, Tk, dh, f, flag, hasMask, r0, r1);
  else if (kind == DOTS) dots(true, out, a, c, B, H, Tq, Tk, dh, r0, r1);
  else if (kind == CTX) ctx(true, out, a, c, B, H, Tq, Tk, dh, f, flag, r0, r1);
  else ctxT(true, out, a, c, B, H, Tq, Tk, dh, f, r0, r1);
}
