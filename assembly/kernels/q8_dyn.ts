// int8 GEMM with f32 output and dynamic (per batch) activation quantization, for quantized Dense
// layers whose output feeds f32 code (the logits before softmax, dynamic quantization).
//   C (M, N) f32 = sa * sw[n] * ( sum_k (A[m,k] - za) * W[n,k] + bias[n] )
//   A (M, K) i8 (sa, za per tensor); W packed by qs8_pack_w (q8_pack.ts: bias i32 at sa*sw, colsums, sw).
// The microkernels are q8.ts's (same packed layouts, same register blocking), storing f32 tiles
// instead of requantizing. __ref = dequantize -> f32 GEMM; the fast kernels are exact in the integer
// part and round twice (convert, multiply), so they agree with __ref to f32 rounding (rtol ~1e-5).
// Dynamic quantization: qs8_quantize_dynamic__* finds the batch's [min, max] (widened to hold 0),
// picks scale = (max - min) / 255 and zp = nearest(-128 - min / scale), writes them to a qp block
// [scale f32, zp i32] that the GEMM then reads, and quantizes. Non-finite ranges give scale 1, zp 0.
import { MR, MC, HDR, PHDR, KIND_I7, kpad2, kpad4, pack_a_s16, pack_a_i7, qs8_gemm_scratch_bytes } from './q8_pack';
import { qs8_quantize__simd, qs8_quantize__ref, q8Split } from './q8';

/** Scratch bytes of qs8_gemm_f32_fwd__* (q8.ts's plus a 128-byte f32 tile; mirrored by q8F32ScratchBytes in src/ops.ts). */
export function qs8_gemm_f32_scratch_bytes(M: i32, N: i32, K: i32): i32 { return qs8_gemm_scratch_bytes(M, N, K) + 64; }

// c: (M, N) f32; a: (M, K) i8; w: (N, K) i8; bias: (N) i32; sw: (N) f32
export function qs8_gemm_f32_fwd__ref(c: usize, a: usize, w: usize, bias: usize, sw: usize, M: i32, N: i32, K: i32, za: i32, sa: f32): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const ws = load<f32>(sw + (<usize>n << 2));
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += (sa * <f32>(<i32>load<i8>(a + <usize>m * K + k) - za)) * (ws * <f32>load<i8>(w + <usize>n * K + k));
      store<f32>(c + ((<usize>m * N + n) << 2), s + sa * ws * <f32>load<i32>(bias + (<usize>n << 2)));
    }
  }
}

// @ts-ignore: decorator
@inline function row(p: usize, x0: v128, x1: v128, b0: v128, b1: v128, m0: v128, m1: v128, r: v128): void {
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(i32x4.add(x0, b0), r)), m0));
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(i32x4.add(x1, b1), r)), m1), 16);
}

// one 4x8 tile of accumulators to c (row stride N floats); rc: per-row i32 corrections or 0; tmp: 128 bytes
// @ts-ignore: decorator
@inline function store_tile(c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
                            c: usize, N: i32, mr: i32, nr: i32, b0: v128, b1: v128, m0: v128, m1: v128, rc: usize, tmp: usize): void {
  const full = (mr == MR) & (nr == 8);
  const t = full ? c : tmp;
  const ld: usize = full ? <usize>N << 2 : 32;
  const z = i32x4.splat(0);
  row(t, c00, c01, b0, b1, m0, m1, rc ? v128.load32_splat(rc) : z);
  row(t + ld, c10, c11, b0, b1, m0, m1, rc ? v128.load32_splat(rc, 4) : z);
  row(t + 2 * ld, c20, c21, b0, b1, m0, m1, rc ? v128.load32_splat(rc, 8) : z);
  row(t + 3 * ld, c30, c31, b0, b1, m0, m1, rc ? v128.load32_splat(rc, 12) : z);
  if (!full) {
    for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++) store<f32>(c + ((<usize>r * N + j) << 2), load<f32>(tmp + (<usize>r << 5) + (<usize>j << 2)));
  }
}

// @ts-ignore: decorator
@inline function dot7(a: v128, b: v128, acc: v128, ones: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(a, b), ones));
  return acc; // unreachable: the 7-bit layout exists only in the relaxed build
}

function gemm(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32, za: i32, sa: f32, relaxed: bool): void {
  if (M <= 0 || N <= 0) return;
  // (the thread split of q8.ts; the layout check happens per block, relaxed builds only)
  q8Split(2, c, a, wp, scratch, M, N, K, za, sa, 1, <i32>relaxed, 0, 0);
}

/** Rows [0, M), panels [j1s, j1e) of the f32-output GEMM (q8.ts's split calls it; zc carries `relaxed`). */
export function q8F32Block(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32, za: i32, sa: f32, j1s: i32, j1e: i32, relaxed: bool): void {
  const i7 = relaxed && ASC_FEATURE_RELAXED_SIMD && load<i32>(wp) == KIND_I7;
  const groups = i7 ? kpad4(K) >> 2 : kpad2(K) >> 1;
  const stride = PHDR + (<usize>groups << 5);
  const rows = min((M + MR - 1) & ~(MR - 1), MC);
  const rowsum = scratch + <usize>rows * kpad4(K);
  const tmp = scratch + <usize>rows * (2 * kpad2(K) + 8);
  const zav = i32x4.splat(za), sv = f32x4.splat(sa), ones = i16x8.splat(1);
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    if (i7) pack_a_i7(scratch, rowsum, a + <usize>ic * K, mc, K);
    else pack_a_s16(scratch, a + <usize>ic * K, mc, K);
    for (let j0 = j1s; j0 < j1e; j0 += 8) {
      const p = wp + HDR + <usize>(j0 / 8) * stride;
      const b0 = i32x4.sub(v128.load(p), i32x4.mul(zav, v128.load(p, 32)));
      const b1 = i32x4.sub(v128.load(p, 16), i32x4.mul(zav, v128.load(p, 48)));
      const m0 = f32x4.mul(v128.load(p, 64), sv), m1 = f32x4.mul(v128.load(p, 80), sv);
      const nr = min(8, N - j0);
      for (let ir = 0; ir < mc; ir += MR) {
        let ap = scratch + (<usize>ir * groups << 2), bp = p + PHDR;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        if (i7) {
          for (let g = 0; g < groups; g++) {
            const w0 = v128.load(bp), w1 = v128.load(bp, 16);
            let x = v128.load32_splat(ap);
            c00 = dot7(x, w0, c00, ones); c01 = dot7(x, w1, c01, ones);
            x = v128.load32_splat(ap, 4);
            c10 = dot7(x, w0, c10, ones); c11 = dot7(x, w1, c11, ones);
            x = v128.load32_splat(ap, 8);
            c20 = dot7(x, w0, c20, ones); c21 = dot7(x, w1, c21, ones);
            x = v128.load32_splat(ap, 12);
            c30 = dot7(x, w0, c30, ones); c31 = dot7(x, w1, c31, ones);
            ap += 16; bp += 32;
          }
        } else {
          for (let g = 0; g < groups; g++) {
            const w0 = v128.load(bp), w1 = v128.load(bp, 16);
            let x = v128.load32_splat(ap);
            c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
            x = v128.load32_splat(ap, 4);
            c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
            x = v128.load32_splat(ap, 8);
            c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
            x = v128.load32_splat(ap, 12);
            c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
            ap += 16; bp += 32;
          }
        }
        store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c + ((<usize>(ic + ir) * N + j0) << 2), N, min(MR, mc - ir), nr,
          b0, b1, m0, m1, i7 ? rowsum + (<usize>ir << 2) : 0, tmp);
      }
    }
  }
}

// c: (M, N) f32; a: (M, K) i8; wp: packed by qs8_pack_w__simd; scratch: qs8_gemm_f32_scratch_bytes(M, N, K)
export function qs8_gemm_f32_fwd__simd(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32, za: i32, sa: f32): void {
  gemm(c, a, wp, scratch, M, N, K, za, sa, false);
}
// as __simd; wp packed by qs8_pack_w__relaxed (either layout)
export function qs8_gemm_f32_fwd__relaxed(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32, za: i32, sa: f32): void {
  gemm(c, a, wp, scratch, M, N, K, za, sa, true);
}

// ---- dynamic quantization ----

// @ts-ignore: decorator
@inline function writeParams(qp: usize, lo: f32, hi: f32): void {
  let scale: f32 = (hi - lo) / 255, zp: f32 = 0;
  if (scale > 0 && scale < Infinity) zp = min(max(nearest(<f32>-128 - lo / scale), -128), 127);
  else scale = 1;
  store<f32>(qp, scale); store<i32>(qp, <i32>zp, 4);
}

// y: (n) i8; qp: 2 words written [scale f32, zp i32]; x: (n) f32
export function qs8_quantize_dynamic__ref(y: usize, qp: usize, x: usize, n: i32): void {
  let lo: f32 = 0, hi: f32 = 0;
  for (let i = 0; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); lo = min(lo, v); hi = max(hi, v); }
  writeParams(qp, lo, hi);
  qs8_quantize__ref(y, x, n, load<f32>(qp), load<i32>(qp, 4));
}
export function qs8_quantize_dynamic__simd(y: usize, qp: usize, x: usize, n: i32): void {
  let vlo = f32x4.splat(0), vhi = vlo, i = 0;
  for (; i + 4 <= n; i += 4) { const v = v128.load(x + (<usize>i << 2)); vlo = f32x4.min(vlo, v); vhi = f32x4.max(vhi, v); }
  let lo = min(min(f32x4.extract_lane(vlo, 0), f32x4.extract_lane(vlo, 1)), min(f32x4.extract_lane(vlo, 2), f32x4.extract_lane(vlo, 3)));
  let hi = max(max(f32x4.extract_lane(vhi, 0), f32x4.extract_lane(vhi, 1)), max(f32x4.extract_lane(vhi, 2), f32x4.extract_lane(vhi, 3)));
  for (; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); lo = min(lo, v); hi = max(hi, v); }
  writeParams(qp, lo, hi);
  qs8_quantize__simd(y, x, n, load<f32>(qp), load<i32>(qp, 4));
}

// ---- plan entry point: [sa f32, za i32] from a quantize qp block (static, or written by qs8_quantize_dynamic) ----

// c: (M, N) f32; a: (M, K) i8; wp: packed by qs8_pack_w__relaxed; scratch: qs8_gemm_f32_scratch_bytes; qp: 2 words
export function qs8_gemm_f32_fwd_qp__relaxed(c: usize, a: usize, wp: usize, scratch: usize, qp: usize, M: i32, N: i32, K: i32): void {
  gemm(c, a, wp, scratch, M, N, K, load<i32>(qp, 4), load<f32>(qp), true);
}
