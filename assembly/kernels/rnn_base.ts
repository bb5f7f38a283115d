// Shared plumbing of the recurrent kernels (rnn.ts, rnn_gru.ts): GEMM/bias calls that pick the
// reference or the SIMD kernels, and the input-side gradient GEMMs that close every BPTT.
import { vld, vst, vadd } from '../simd';
import { f32_gemm__simd, f32_gemm__ref, f32_bias_add__simd, f32_bias_add__ref, f32_bias_grad__simd, f32_bias_grad__ref } from './gemm';

// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }
// @ts-ignore: decorator
@inline export function up4(n: i32): i32 { return (n + 3) & ~3; }
// @ts-ignore: decorator
@inline export function sigm(v: f32): f32 { return <f32>1 / (<f32>1 + Mathf.exp(-v)); }

// ---- shared GEMM plumbing: ref kernels use the reference GEMM, SIMD kernels the packed one ----

export function mm(simd: bool, c: usize, a: usize, b: usize, s: usize, M: i32, N: i32, K: i32, tA: i32, tB: i32, acc: i32): void {
  if (simd) f32_gemm__simd(c, a, b, s, M, N, K, tA, tB, acc); else f32_gemm__ref(c, a, b, s, M, N, K, tA, tB, acc);
}
export function biasAdd(simd: bool, y: usize, b: usize, M: i32, N: i32): void {
  if (simd) f32_bias_add__simd(y, b, M, N); else f32_bias_add__ref(y, b, M, N);
}
/** dst (n) += src (n) */
export function addTo(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) vst(at(dst, k), vadd(vld(at(dst, k)), vld(at(src, k))));
  for (; k < n; k++) store<f32>(at(dst, k), load<f32>(at(dst, k)) + load<f32>(at(src, k)));
}

/**
 * After the time loop: input-side gradients from dAi (T*N, GH) and hidden-side ones from dAh (T*N, GH)
 * (the same buffer except for the GRU): dx += dAi W_ih; dW_ih += dAi^T x; db_ih += colsum dAi;
 * dW_hh += dAh_t^T h_{t-1} over t (h_{-1} = h0); db_hh += colsum dAh.
 */
export function finishGrads(simd: bool, dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, x: usize, h0: usize, hs: usize,
                            dAi: usize, dAh: usize, w_ih: usize, s: usize, T: i32, N: i32, I: i32, H: i32, GH: i32): void {
  const TN = T * N;
  mm(simd, dx, dAi, w_ih, s, TN, I, GH, 0, 0, 1);
  mm(simd, dw_ih, dAi, x, s, GH, I, TN, 1, 0, 1);
  mm(simd, dw_hh, dAh, h0, s, GH, H, N, 1, 0, 1);
  if (T > 1) mm(simd, dw_hh, at(dAh, N * GH), hs, s, GH, H, (T - 1) * N, 1, 0, 1);
  if (simd) { f32_bias_grad__simd(db_ih, dAi, TN, GH); f32_bias_grad__simd(db_hh, dAh, TN, GH); }
  else { f32_bias_grad__ref(db_ih, dAi, TN, GH); f32_bias_grad__ref(db_hh, dAh, TN, GH); }
}

