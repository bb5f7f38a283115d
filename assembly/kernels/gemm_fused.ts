// Dense forward in one instruction: C (M, N) = act(op(A) op(B) + bias), bias (N) per column, act 0 none,
// 1 leaky ReLU (slope alpha; 0: ReLU), 2 ReLU6 (src/layers/dense.ts emits it for a layer with a bias;
// inference and training plans fuse the layer's activation into it: src/compile/fuse.ts). __simd is the
// GEMM with the bias and activation in its store epilogue (epilogue.ts), applied to each block of C as
// soon as it is summed: the float ops of gemm, bias_add and the activation in a row, so the same bits,
// without the passes over C. __ref is the reference kernels in a row. scratch: gemm_scratch_floats(M, N, K).
import { f32_gemm__ref, f32_bias_add__ref, gemm } from './gemm';
import { setEpilogue, clearEpilogue } from './epilogue';
import { f32_leaky_relu_fwd__ref } from './act';
import { f32_relu6_fwd__ref } from './act_mobile';

export function f32_gemm_bias_act__ref(c: usize, a: usize, b: usize, bias: usize, scratch: usize, M: i32, N: i32, K: i32,
                                       transA: i32, transB: i32, act: i32, alpha: f32): void {
  f32_gemm__ref(c, a, b, scratch, M, N, K, transA, transB, 0);
  f32_bias_add__ref(c, bias, M, N);
  if (act == 1) f32_leaky_relu_fwd__ref(c, c, M * N, alpha);
  else if (act == 2) f32_relu6_fwd__ref(c, c, M * N);
}

export function f32_gemm_bias_act__simd(c: usize, a: usize, b: usize, bias: usize, scratch: usize, M: i32, N: i32, K: i32,
                                        transA: i32, transB: i32, act: i32, alpha: f32): void {
  setEpilogue(bias, act, alpha);
  gemm(c, a, b, scratch, M, N, K, transA, transB, 0, 1);
  clearEpilogue();
}
