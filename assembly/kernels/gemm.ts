// f32 GEMM and the bias helpers Dense needs.
//   C (M, N) = [C +] op(A) (M, K) . op(B) (K, N)
//   op(A) = A stored (M, K), or A^T with A stored (K, M) when transA = 1
//   op(B) = B stored (K, N), or B^T with B stored (N, K) when transB = 1
// accumulate = 1 adds into C (backward passes), 0 overwrites. scratch: gemm_scratch_floats(M, N, K)
// f32, planned by the host (the packed kernel keeps its packed panels there).
import { vld, vst, vsplat, vzero, vadd, vfma, vsum } from '../simd';

/** Scratch the SIMD kernel needs, in floats (mirrored by the host in src/ops.ts). */
export function gemm_scratch_floats(M: i32, N: i32, K: i32): i32 { return 0; }

export function f32_gemm__ref(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                              transA: i32, transB: i32, accumulate: i32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        const av = load<f32>(a + ((transA ? <usize>k * M + i : <usize>i * K + k) << 2));
        const bv = load<f32>(b + ((transB ? <usize>j * K + k : <usize>k * N + j) << 2));
        s += av * bv;
      }
      const p = c + ((<usize>i * N + j) << 2);
      store<f32>(p, accumulate ? load<f32>(p) + s : s);
    }
  }
}

// NOTE: interim SIMD kernel (row-streaming, no packing); the packed 4x8 microkernel replaces it.
export function f32_gemm__simd(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                               transA: i32, transB: i32, accumulate: i32): void {
  if (transB) {
    if (transA) { f32_gemm__ref(c, a, b, scratch, M, N, K, transA, transB, accumulate); return; }
    // C[i,j] = dot(A[i,:], B[j,:]) both contiguous in k
    for (let i = 0; i < M; i++) {
      const ar = a + (<usize>i * K << 2);
      for (let j = 0; j < N; j++) {
        const br = b + (<usize>j * K << 2);
        let acc = vzero();
        let k = 0;
        for (; k + 4 <= K; k += 4) acc = vfma(vld(ar + (<usize>k << 2)), vld(br + (<usize>k << 2)), acc);
        let s = vsum(acc);
        for (; k < K; k++) s += load<f32>(ar + (<usize>k << 2)) * load<f32>(br + (<usize>k << 2));
        const p = c + ((<usize>i * N + j) << 2);
        store<f32>(p, accumulate ? load<f32>(p) + s : s);
      }
    }
    return;
  }
  // C[i,:] += op(A)[i,k] * B[k,:]
  for (let i = 0; i < M; i++) {
    const cr = c + (<usize>i * N << 2);
    if (!accumulate) memory.fill(cr, 0, <usize>N << 2);
    for (let k = 0; k < K; k++) {
      const av = load<f32>(a + ((transA ? <usize>k * M + i : <usize>i * K + k) << 2));
      const va = vsplat(av);
      const br = b + (<usize>k * N << 2);
      let j = 0;
      for (; j + 4 <= N; j += 4) { const o = <usize>j << 2; vst(cr + o, vfma(va, vld(br + o), vld(cr + o))); }
      for (; j < N; j++) { const o = <usize>j << 2; store<f32>(cr + o, load<f32>(cr + o) + av * load<f32>(br + o)); }
    }
  }
}

// y: (M, N) f32 += bias b: (N) f32 broadcast over rows
export function f32_bias_add__ref(y: usize, b: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    const p = y + ((<usize>i * N + j) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(b + (<usize>j << 2)));
  }
}
export function f32_bias_add__simd(y: usize, b: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) {
    const yr = y + (<usize>i * N << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) { const o = <usize>j << 2; vst(yr + o, vadd(vld(yr + o), vld(b + o))); }
    for (; j < N; j++) { const o = <usize>j << 2; store<f32>(yr + o, load<f32>(yr + o) + load<f32>(b + o)); }
  }
}

// db: (N) f32 += column sums of dy: (M, N) f32
export function f32_bias_grad__ref(db: usize, dy: usize, M: i32, N: i32): void {
  for (let j = 0; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(dy + ((<usize>i * N + j) << 2));
    store<f32>(db + (<usize>j << 2), load<f32>(db + (<usize>j << 2)) + s);
  }
}
export function f32_bias_grad__simd(db: usize, dy: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) {
    const r = dy + (<usize>i * N << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) { const o = <usize>j << 2; vst(db + o, vadd(vld(db + o), vld(r + o))); }
    for (; j < N; j++) { const o = <usize>j << 2; store<f32>(db + o, load<f32>(db + o) + load<f32>(r + o)); }
  }
}
