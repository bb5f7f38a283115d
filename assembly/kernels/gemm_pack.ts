// Packing for the f32 GEMM (assembly/kernels/gemm.ts). The transposes live here, so one
// microkernel serves A.B, A^T.B, A.B^T and A^T.B^T. Edge panels are zero-padded: the microkernel
// always computes full MR x NR tiles and reads nothing outside the packed buffers.
//
// Packed A block (mc x kc of op(A)): ceil(mc/MR) row panels, panel p at dst + p*MR*kc floats,
//   element (row r, k) at panel + (k*MR + r) floats.
// Packed B block (kc x nc of op(B)): ceil(nc/NR) column panels, panel q at dst + q*NR*kc floats,
//   element (k, col c) at panel + (k*NR + c) floats.
import { vld, vst, vzero } from '../simd';

export const MR: i32 = 4;
export const NR: i32 = 8;

// 4x4 transpose of rows r0..r3 → columns, written as 4 vectors at d, d+step, d+2*step, d+3*step.
// @ts-ignore: decorator
@inline function transpose4_store(d: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
  vst(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  vst(d + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  vst(d + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  vst(d + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs rows [i0, i0+mc) and k in [k0, k0+kc) of op(A) into MR-row panels at dst.
 * a: (M, K) f32, or (K, M) when transA.
 */
export function pack_a(dst: usize, a: usize, transA: i32, M: i32, K: i32, i0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const d = dst + (<usize>ir * kc << 2);
    const i = i0 + ir;
    const mr = min(MR, mc - ir);
    if (transA) {
      // op(A)[i][k] = a[k*M + i]: MR consecutive floats per k
      const src = a + ((<usize>k0 * M + i) << 2);
      const ld = <usize>M << 2;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) vst(d + (<usize>k << 4), vld(src + <usize>k * ld));
      } else {
        for (let k = 0; k < kc; k++) {
          const s = src + <usize>k * ld, o = d + (<usize>k << 4);
          vst(o, vzero());
          for (let r = 0; r < mr; r++) store<f32>(o + (<usize>r << 2), load<f32>(s + (<usize>r << 2)));
        }
      }
    } else {
      // op(A)[i][k] = a[i*K + k]: rows contiguous in k; 4x4 transposes
      const ld = <usize>K << 2;
      const s0 = a + ((<usize>i * K + k0) << 2);
      if (mr == MR) {
        const s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          transpose4_store(d + (<usize>k << 4), 16, vld(s0 + o), vld(s1 + o), vld(s2 + o), vld(s3 + o));
        }
        for (; k < kc; k++) {
          const o = <usize>k << 2, q = d + (<usize>k << 4);
          store<f32>(q, load<f32>(s0 + o)); store<f32>(q, load<f32>(s1 + o), 4);
          store<f32>(q, load<f32>(s2 + o), 8); store<f32>(q, load<f32>(s3 + o), 12);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const q = d + (<usize>k << 4);
          vst(q, vzero());
          for (let r = 0; r < mr; r++) store<f32>(q + (<usize>r << 2), load<f32>(s0 + <usize>r * ld + (<usize>k << 2)));
        }
      }
    }
  }
}

/**
 * Packs k in [k0, k0+kc) and columns [j0, j0+nc) of op(B) into NR-column panels at dst.
 * b: (K, N) f32, or (N, K) when transB; ldb: its row stride in floats when not N (K when transB),
 * e.g. one head's keys inside rows of all heads (attention.ts).
 */
export function pack_b(dst: usize, b: usize, transB: i32, N: i32, K: i32, k0: i32, kc: i32, j0: i32, nc: i32, ldb: i32 = 0): void {
  const ldf = ldb ? ldb : transB ? K : N;
  for (let jr = 0; jr < nc; jr += NR) {
    const d = dst + (<usize>jr * kc << 2);
    const j = j0 + jr;
    const nr = min(NR, nc - jr);
    if (!transB) {
      // op(B)[k][j] = b[k*N + j]: NR consecutive floats per k
      const src = b + ((<usize>k0 * ldf + j) << 2);
      const ld = <usize>ldf << 2;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          const s = src + <usize>k * ld, o = d + (<usize>k << 5);
          vst(o, vld(s)); vst(o + 16, vld(s + 16));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const s = src + <usize>k * ld, o = d + (<usize>k << 5);
          vst(o, vzero()); vst(o + 16, vzero());
          for (let c = 0; c < nr; c++) store<f32>(o + (<usize>c << 2), load<f32>(s + (<usize>c << 2)));
        }
      }
    } else {
      // op(B)[k][j] = b[j*K + k]: rows of b contiguous in k; two 4x4 transposes per 4 k
      const ld = <usize>ldf << 2;
      const s0 = b + ((<usize>j * ldf + k0) << 2);
      if (nr == NR) {
        const s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld, s4 = s3 + ld, s5 = s4 + ld, s6 = s5 + ld, s7 = s6 + ld;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2, q = d + (<usize>k << 5);
          transpose4_store(q, 32, vld(s0 + o), vld(s1 + o), vld(s2 + o), vld(s3 + o));
          transpose4_store(q + 16, 32, vld(s4 + o), vld(s5 + o), vld(s6 + o), vld(s7 + o));
        }
        for (; k < kc; k++) {
          const q = d + (<usize>k << 5);
          for (let c = 0; c < NR; c++) store<f32>(q + (<usize>c << 2), load<f32>(s0 + <usize>c * ld + (<usize>k << 2)));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const q = d + (<usize>k << 5);
          vst(q, vzero()); vst(q + 16, vzero());
          for (let c = 0; c < nr; c++) store<f32>(q + (<usize>c << 2), load<f32>(s0 + <usize>c * ld + (<usize>k << 2)));
        }
      }
    }
  }
}
