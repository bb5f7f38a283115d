// Scaled dot-product attention over heads laid out side by side, without materialized transposes:
// a token's row of D = H·dh features holds head h at columns [h·dh, (h+1)·dh) (what the Q/K/V
// projections write), so every kernel reads heads with a stride of D.
//   q: (B, Tq, D); k, v: (B, Tk, D); p, s: (B, H, Tq, Tk); o: (B, Tq, D); mask: (B, Tk) i32 (0 = padding).
//   attn_probs:  p[b,h,i,:] = softmax_j(scale · q[b,i,h]·k[b,j,h]), positions j with mask[b,j] = 0
//                (hasMask) or j > i (causal) left out; a row with nothing left is all zeros.
//   attn_dot:    s[b,h,i,j] = a[b,i,h]·c[b,j,h] (dP = dO · V^T in backward)
//   attn_ctx:    o[b,i,h] (= or +=) alpha · Σ_j p[b,h,i,j] c[b,j,h] (the context; dQ = scale · dS · K)
//   attn_ctx_t:  o[b,j,h] += alpha · Σ_i p[b,h,i,j] c[b,i,h] (dV = P^T · dO; dK = scale · dS^T · Q)
//   attn_softmax_bwd: ds = p ⊙ (dp - Σ_j dp ⊙ p) per row (written, not accumulated)
// The SIMD forms vectorize over dh (dot products in four lanes: equal to the reference within
// rounding); softmax rows are scalar in both. Outputs other than attn_ctx's accumulate mode are written.
import { vadd, vld, vmul, vsplat, vst, vsum, vzero } from '../simd';

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

// @ts-ignore: decorator
@inline function probs(simd: bool, p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32): void {
  const D = H * dh;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) {
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), qi = q + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    let m: f32 = -Infinity;
    for (let j = 0; j < Tk; j++) {
      const keep = (!hasMask || load<i32>(at(mask, b * Tk + j)) != 0) && (!causal || j <= i);
      const v: f32 = keep ? scale * dot(simd, qi, k + ((<usize>(b * Tk + j) * D + h * dh) << 2), dh) : -Infinity;
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
export function f32_attn_probs__ref(p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32): void { probs(false, p, q, k, mask, B, H, Tq, Tk, dh, scale, causal, hasMask); }
export function f32_attn_probs__simd(p: usize, q: usize, k: usize, mask: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, scale: f32, causal: i32, hasMask: i32): void { probs(true, p, q, k, mask, B, H, Tq, Tk, dh, scale, causal, hasMask); }

// @ts-ignore: decorator
@inline function dots(simd: bool, s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32): void {
  const D = H * dh;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Ta; i++) {
    const row = s + ((<usize>((b * H + h) * Ta + i) * Tc) << 2), ai = a + ((<usize>(b * Ta + i) * D + h * dh) << 2);
    for (let j = 0; j < Tc; j++) store<f32>(at(row, j), dot(simd, ai, c + ((<usize>(b * Tc + j) * D + h * dh) << 2), dh));
  }
}
export function f32_attn_dot__ref(s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32): void { dots(false, s, a, c, B, H, Ta, Tc, dh); }
export function f32_attn_dot__simd(s: usize, a: usize, c: usize, B: i32, H: i32, Ta: i32, Tc: i32, dh: i32): void { dots(true, s, a, c, B, H, Ta, Tc, dh); }

// @ts-ignore: decorator
@inline function ctx(simd: bool, o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void {
  const D = H * dh;
  for (let b = 0; b < B; b++) for (let i = 0; i < Tq; i++) {
    const oi = o + ((<usize>(b * Tq + i) * D) << 2);
    if (!accumulate) memory.fill(oi, 0, <usize>D << 2);
    for (let h = 0; h < H; h++) {
      const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), oh = oi + (<usize>(h * dh) << 2);
      for (let j = 0; j < Tk; j++) {
        const w = load<f32>(at(row, j));
        if (w != 0) axpy(simd, oh, c + ((<usize>(b * Tk + j) * D + h * dh) << 2), alpha * w, dh);
      }
    }
  }
}
export function f32_attn_ctx__ref(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void { ctx(false, o, p, c, B, H, Tq, Tk, dh, alpha, accumulate); }
export function f32_attn_ctx__simd(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32, accumulate: i32): void { ctx(true, o, p, c, B, H, Tq, Tk, dh, alpha, accumulate); }

// @ts-ignore: decorator
@inline function ctxT(simd: bool, o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32): void {
  const D = H * dh;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) {
    const row = p + ((<usize>((b * H + h) * Tq + i) * Tk) << 2), ci = c + ((<usize>(b * Tq + i) * D + h * dh) << 2);
    for (let j = 0; j < Tk; j++) {
      const w = load<f32>(at(row, j));
      if (w != 0) axpy(simd, o + ((<usize>(b * Tk + j) * D + h * dh) << 2), ci, alpha * w, dh);
    }
  }
}
export function f32_attn_ctx_t__ref(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32): void { ctxT(false, o, p, c, B, H, Tq, Tk, dh, alpha); }
export function f32_attn_ctx_t__simd(o: usize, p: usize, c: usize, B: i32, H: i32, Tq: i32, Tk: i32, dh: i32, alpha: f32): void { ctxT(true, o, p, c, B, H, Tq, Tk, dh, alpha); }

// @ts-ignore: decorator
@inline function softmaxBwd(simd: bool, ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2, d = dot(simd, dp + o, p + o, cols);
    for (let j = 0; j < cols; j++) store<f32>(at(ds + o, j), load<f32>(at(p + o, j)) * (load<f32>(at(dp + o, j)) - d));
  }
}
export function f32_attn_softmax_bwd__ref(ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void { softmaxBwd(false, ds, dp, p, rows, cols); }
export function f32_attn_softmax_bwd__simd(ds: usize, dp: usize, p: usize, rows: i32, cols: i32): void { softmaxBwd(true, ds, dp, p, rows, cols); }
