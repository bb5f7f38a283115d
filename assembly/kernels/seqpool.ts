// Masked mean over the positions of a sequence (sentence embeddings from token vectors):
//   x, dx: (B, T, D) f32; mask: (B, T) i32 (0 = padding); y, dy: (B, D) f32.
//   fwd: y[b] = Σ_t m[b,t] x[b,t] / max(1, Σ_t m[b,t])   (all padding: zeros)
//   bwd: dx[b,t] += m[b,t] dy[b] / max(1, Σ_t m[b,t])
// Positions are added in order in both forms (the SIMD form vectorizes over D): bit-equal.
import { vadd, vld, vmul, vsplat, vst } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// @ts-ignore: decorator
@inline function count(mask: usize, b: i32, T: i32): i32 { let n = 0; for (let t = 0; t < T; t++) if (load<i32>(at(mask, b * T + t)) != 0) n++; return n; }

// @ts-ignore: decorator
@inline function fwd(simd: bool, y: usize, x: usize, mask: usize, B: i32, T: i32, D: i32): void {
  for (let b = 0; b < B; b++) {
    const yb = y + (<usize>(b * D) << 2), n = count(mask, b, T), inv: f32 = 1 / <f32>max(n, 1);
    memory.fill(yb, 0, <usize>D << 2);
    for (let t = 0; t < T; t++) {
      if (load<i32>(at(mask, b * T + t)) == 0) continue;
      const xt = x + (<usize>((b * T + t) * D) << 2);
      let d = 0;
      if (simd) for (; d + 4 <= D; d += 4) vst(at(yb, d), vadd(vld(at(yb, d)), vld(at(xt, d))));
      for (; d < D; d++) store<f32>(at(yb, d), load<f32>(at(yb, d)) + load<f32>(at(xt, d)));
    }
    let d = 0;
    if (simd) { const vi = vsplat(inv); for (; d + 4 <= D; d += 4) vst(at(yb, d), vmul(vld(at(yb, d)), vi)); }
    for (; d < D; d++) store<f32>(at(yb, d), load<f32>(at(yb, d)) * inv);
  }
}
export function f32_masked_mean_fwd__ref(y: usize, x: usize, mask: usize, B: i32, T: i32, D: i32): void { fwd(false, y, x, mask, B, T, D); }
export function f32_masked_mean_fwd__simd(y: usize, x: usize, mask: usize, B: i32, T: i32, D: i32): void { fwd(true, y, x, mask, B, T, D); }

// @ts-ignore: decorator
@inline function bwd(simd: bool, dx: usize, dy: usize, mask: usize, B: i32, T: i32, D: i32): void {
  for (let b = 0; b < B; b++) {
    const db = dy + (<usize>(b * D) << 2), inv: f32 = 1 / <f32>max(count(mask, b, T), 1);
    for (let t = 0; t < T; t++) {
      if (load<i32>(at(mask, b * T + t)) == 0) continue;
      const xt = dx + (<usize>((b * T + t) * D) << 2);
      let d = 0;
      if (simd) { const vi = vsplat(inv); for (; d + 4 <= D; d += 4) vst(at(xt, d), vadd(vld(at(xt, d)), vmul(vld(at(db, d)), vi))); }
      for (; d < D; d++) store<f32>(at(xt, d), load<f32>(at(xt, d)) + load<f32>(at(db, d)) * inv);
    }
  }
}
export function f32_masked_mean_bwd__ref(dx: usize, dy: usize, mask: usize, B: i32, T: i32, D: i32): void { bwd(false, dx, dy, mask, B, T, D); }
export function f32_masked_mean_bwd__simd(dx: usize, dy: usize, mask: usize, B: i32, T: i32, D: i32): void { bwd(true, dx, dy, mask, B, T, D); }
