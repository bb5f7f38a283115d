// int8 (qs8) GEMM for quantized Dense layers, plus quantize / dequantize.
//   C (M, N) i8 = requant( sum_k (A[m,k] - za) * W[n,k] + bias[n] )
//   A: (M, K) i8, asymmetric per tensor (scale sa, zero point za)
//   W: (N, K) i8, symmetric per output channel (scale sw[n], zero point 0)
//   bias: (N) i32 at scale sa*sw[n] (the usual convention: bias_q = round(bias / (sa*sw[n])))
//   requant(acc) = clamp(nearest(acc * sa*sw[n]/sc) + zc, qmin, qmax)
// Requantization is an f32 multiplier per channel with round-half-to-even (q8_requant.ts):
// simple, and within 1 LSB of the reference dequantize -> f32 GEMM -> quantize for any K.
// (qmin, qmax) fuses ReLU (qmin = zc) and ReLU6 (qmax = zc + round(6/sc)) into the clamp.
//
// W is packed once at load time (qs8_pack_w__*) into NR=8 column panels holding bias, column
// sums and scales beside the weights, so a call only packs A (O(MK), into planned scratch) and
// runs a 4x8 register-blocked microkernel over the full K, requantizing in registers:
//   __simd    i16 pairs: A as i32 splats of (a[k], a[k+1]), W panel as [n0(k,k+1) .. n3(k,k+1)];
//             i32x4.dot_i16x8_s gives four columns at once, no horizontal reduction.
//   __relaxed i8 quads with i16x8.relaxed_dot_i8x16_i7x16_s (+ widening). Its second operand must be 7-bit
//             non-negative to be deterministic (x86 reads it unsigned, Arm signed), so W is stored
//             as W+64 in [0, 127] and the kernel subtracts 64*rowsum(A); A keeps its full 8 bits.
//             That needs W in [-64, 63] (quantize weights with a 7-bit range to get this path);
//             qs8_pack_w__relaxed checks and otherwise packs the __simd layout, which
//             qs8_gemm_fwd__relaxed then runs, so results never depend on the weights' range.
// Both fold the zero point as -za*colsum(W) into the bias. In the SIMD build the __relaxed
// names are the __simd kernels. NOTE: packed W is only valid for the build (instance) that packed it.
import { NR, MR, MC, HDR, PHDR, KIND_I7, kpad2, kpad4, pack_a_s16, pack_a_i7, qs8_gemm_scratch_bytes } from './q8_pack';
import { MAGIC, rqSetup, rq, storeQ8 } from './q8_requant';
import { splitSpan, mtFor, parallelRange, rangeLo, rangeHi, setArg, setArgF, arg, argF, argP, workerScratch, WORKER_SCRATCH } from '../mt';
import { q8F32Block } from './q8_dyn';

export { qs8_pack_w_bytes, qs8_gemm_scratch_bytes, qs8_pack_w__simd, qs8_pack_w__relaxed, qs8_packed_is_relaxed } from './q8_pack';

// ---- reference: dequantize -> f32 GEMM -> quantize ----

// c: (M, N) i8; a: (M, K) i8; w: (N, K) i8; bias: (N) i32; sw: (N) f32
export function qs8_gemm_fwd__ref(c: usize, a: usize, w: usize, bias: usize, sw: usize, M: i32, N: i32, K: i32,
                                  za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const ws = load<f32>(sw + (<usize>n << 2));
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        const x = sa * <f32>(<i32>load<i8>(a + <usize>m * K + k) - za);
        s += x * (ws * <f32>load<i8>(w + <usize>n * K + k));
      }
      s += sa * ws * <f32>load<i32>(bias + (<usize>n << 2));
      store<i8>(c + <usize>m * N + n, <i8>quant1(s, sc, zc, qmin, qmax));
    }
  }
}

// @ts-ignore: decorator
@inline function quant1(x: f32, scale: f32, zp: i32, qmin: i32, qmax: i32): i32 {
  let q = nearest(x / scale);
  if (q != q) q = 0; // NaN -> the zero point
  return <i32>min(max(q, <f32>(qmin - zp)), <f32>(qmax - zp)) + zp;
}

// ---- the GEMM ----

// Requantizes one 4x8 tile in registers (q8_requant.ts, constants from rqSetup) and stores its mr x nr
// part to c (row stride N). rc: per-row i32 corrections (relaxed: -64*rowsum(A)), or 0. tmp: 32 bytes for partial tiles.
// @ts-ignore: decorator
@inline function store_tile(c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
                            c: usize, N: i32, mr: i32, nr: i32, b0: v128, b1: v128, m0: v128, m1: v128, rc: usize, tmp: usize): void {
  const full = (mr == MR) & (nr == NR);
  const t = full ? c : tmp;
  const ld: usize = full ? <usize>N : 8;
  if (rc) {
    let v = v128.load32_splat(rc); c00 = i32x4.add(c00, v); c01 = i32x4.add(c01, v);
    v = v128.load32_splat(rc, 4); c10 = i32x4.add(c10, v); c11 = i32x4.add(c11, v);
    v = v128.load32_splat(rc, 8); c20 = i32x4.add(c20, v); c21 = i32x4.add(c21, v);
    v = v128.load32_splat(rc, 12); c30 = i32x4.add(c30, v); c31 = i32x4.add(c31, v);
  }
  storeQ8(t, rq(c00, b0, m0), rq(c01, b1, m1));
  storeQ8(t + ld, rq(c10, b0, m0), rq(c11, b1, m1));
  storeQ8(t + 2 * ld, rq(c20, b0, m0), rq(c21, b1, m1));
  storeQ8(t + 3 * ld, rq(c30, b0, m0), rq(c31, b1, m1));
  if (!full) {
    for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++) store<i8>(c + <usize>r * N + j, load<i8>(tmp + (<usize>r << 3) + j));
  }
}

// c: (M, N) i8; a: (M, K) i8; wp: packed by qs8_pack_w__simd; scratch: qs8_gemm_scratch_bytes(M, N, K)
export function qs8_gemm_fwd__simd(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                                   za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  if (M <= 0 || N <= 0) return;
  q8Split(0, c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax);
}

// ---- threads: rows of C (whole MR tiles), or column panels when C has few rows; every output is
// an exact integer sum requantized alone, so any split gives one thread's bits ----
// args: 0 kind (0 s16, 1 i7, 2 f32 output of q8_dyn.ts), 1 c, 2 a, 3 wp, 4 scratch, 5 M, 6 N, 7 K, 8 za, 9 sa, 10 sc, 11 zc, 12 qmin, 13 qmax, 14 by rows

/** Runs the int8 GEMM of `kind` on rows [0, M) and panels [0, N), split between threads when it is large enough. */
export function q8Split(kind: i32, c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                        za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  const th = qs8_gemm_scratch_bytes(M, N, K) + 64 <= <i32>WORKER_SCRATCH ? mtFor(<i64>M * N * K) : 1;
  if (th <= 1) { q8Block(kind, c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax, 0, N); return; }
  const rows = (M + MR - 1) / MR >= 2 * th || M >= N;
  setArg(0, kind); setArg(1, <i32>c); setArg(2, <i32>a); setArg(3, <i32>wp); setArg(4, <i32>scratch); setArg(5, M); setArg(6, N); setArg(7, K);
  setArg(8, za); setArgF(9, sa); setArgF(10, sc); setArg(11, zc); setArg(12, qmin); setArg(13, qmax); setArg(14, <i32>rows);
  if (rows) parallelRange(q8Task, M, MR, th); else parallelRange(q8Task, N, NR, th);
}
function q8Task(t: i32, tid: i32): void {
  const kind = arg(0), s = tid ? workerScratch(tid) : argP(4), N = arg(6), K = arg(7), lo = rangeLo(t), hi = rangeHi(t);
  const i0 = arg(14) ? lo : 0, i1 = arg(14) ? hi : arg(5), j0 = arg(14) ? 0 : lo, j1 = arg(14) ? N : hi;
  const c = argP(1) + <usize>i0 * N * (kind == 2 ? 4 : 1);
  q8Block(kind, c, argP(2) + <usize>i0 * K, argP(3), s, i1 - i0, N, K, arg(8), argF(9), argF(10), arg(11), arg(12), arg(13), j0, j1);
}
// @ts-ignore: decorator
@inline function q8Block(kind: i32, c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                         za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32, j0: i32, j1: i32): void {
  if (kind == 0) gemmS16(c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax, j0, j1);
  else if (kind == 1) { if (ASC_FEATURE_RELAXED_SIMD) gemmI7(c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax, j0, j1); }
  else q8F32Block(c, a, wp, scratch, M, N, K, za, sa, j0, j1, zc != 0);
}

// panels [j0, j1) of C (j0 a multiple of NR)
function gemmS16(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                 za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32, j1s: i32, j1e: i32): void {
  const groups = kpad2(K) >> 1;
  const stride = PHDR + (<usize>groups << 5);
  const rows = min((M + MR - 1) & ~(MR - 1), MC);
  const tmp = scratch + <usize>rows * (2 * kpad2(K) + 8);
  rqSetup(zc, qmin, qmax);
  const zav = i32x4.splat(za), scale = f32x4.splat(sa / sc);
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    pack_a_s16(scratch, a + <usize>ic * K, mc, K);
    for (let j0 = j1s; j0 < j1e; j0 += NR) {
      const p = wp + HDR + <usize>(j0 / NR) * stride;
      const b0 = i32x4.sub(v128.load(p), i32x4.mul(zav, v128.load(p, 32)));
      const b1 = i32x4.sub(v128.load(p, 16), i32x4.mul(zav, v128.load(p, 48)));
      const m0 = f32x4.mul(v128.load(p, 64), scale), m1 = f32x4.mul(v128.load(p, 80), scale);
      const nr = min(NR, N - j0);
      for (let ir = 0; ir < mc; ir += MR) {
        let ap = scratch + (<usize>ir * groups << 2), bp = p + PHDR;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
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
        store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c + <usize>(ic + ir) * N + j0, N, min(MR, mc - ir), nr,
          b0, b1, m0, m1, 0, tmp);
      }
    }
  }
}

// acc + dot(a, b) over groups of 4 bytes: a i8, b in [0, 127]. NOTE: not the fused
// i32x4.relaxed_dot_i8x16_i7x16_add_s: V8 (x64, no AVX-VNNI) rebuilds its ones constant on every
// use (5 instructions); the pair sums of the i16 dot cannot overflow (|a*b + a'*b'| <= 32512), and
// widening them with a hoisted ones vector takes 3 (pmaddubsw, pmaddwd, paddd).
// @ts-ignore: decorator
@inline function dot7(a: v128, b: v128, acc: v128, ones: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(a, b), ones));
}

// c: (M, N) i8; a: (M, K) i8; wp: packed by qs8_pack_w__relaxed; scratch: qs8_gemm_scratch_bytes(M, N, K)
export function qs8_gemm_fwd__relaxed(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                                      za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD || load<i32>(wp) != KIND_I7) {
    qs8_gemm_fwd__simd(c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax);
    return;
  }
  if (M <= 0 || N <= 0) return;
  q8Split(1, c, a, wp, scratch, M, N, K, za, sa, sc, zc, qmin, qmax);
}

// panels [j1s, j1e) of C (j1s a multiple of NR)
function gemmI7(c: usize, a: usize, wp: usize, scratch: usize, M: i32, N: i32, K: i32,
                za: i32, sa: f32, sc: f32, zc: i32, qmin: i32, qmax: i32, j1s: i32, j1e: i32): void {
  const groups = kpad4(K) >> 2;
  const stride = PHDR + (<usize>groups << 5);
  const rows = min((M + MR - 1) & ~(MR - 1), MC);
  const rowsum = scratch + <usize>rows * kpad4(K);
  const tmp = scratch + <usize>rows * (2 * kpad2(K) + 8);
  rqSetup(zc, qmin, qmax);
  const zav = i32x4.splat(za), scale = f32x4.splat(sa / sc), ones = i16x8.splat(1);
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    pack_a_i7(scratch, rowsum, a + <usize>ic * K, mc, K);
    for (let j0 = j1s; j0 < j1e; j0 += NR) {
      const p = wp + HDR + <usize>(j0 / NR) * stride;
      const b0 = i32x4.sub(v128.load(p), i32x4.mul(zav, v128.load(p, 32)));
      const b1 = i32x4.sub(v128.load(p, 16), i32x4.mul(zav, v128.load(p, 48)));
      const m0 = f32x4.mul(v128.load(p, 64), scale), m1 = f32x4.mul(v128.load(p, 80), scale);
      const nr = min(NR, N - j0);
      for (let ir = 0; ir < mc; ir += MR) {
        let ap = scratch + (<usize>ir * groups << 2), bp = p + PHDR;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
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
        store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c + <usize>(ic + ir) * N + j0, N, min(MR, mc - ir), nr,
          b0, b1, m0, m1, rowsum + (<usize>ir << 2), tmp);
      }
    }
  }
}

// ---- quantize / dequantize (per tensor) ----
// quantize: y = clamp(nearest(x / scale) + zp, -128, 127); NaN -> zp. dequantize: y = (x - zp) * scale.
// The SIMD and scalar forms agree bit for bit (same f32 division / product; quantize's rounding below).

// y: (n) i8; x: (n) f32
export function qs8_quantize__ref(y: usize, x: usize, n: i32, scale: f32, zp: i32): void {
  for (let i = 0; i < n; i++) store<i8>(y + i, <i8>quant1(load<f32>(x + (<usize>i << 2)), scale, zp, -128, 127));
}
// __simd rounds with the magic-number trick of q8_add.ts instead of f32x4 nearest / min / max /
// trunc_sat (multi-instruction sequences in V8 on x64): t = x/scale + 1.5*2^23 is nearest(x/scale),
// half to even, in its low mantissa bits when |x/scale| < 2^22. The clamp is then on t's bits as
// i32, which order as t does for t >= 0; a negative t (x/scale < -1.5*2^23) has negative bits, and
// large, infinite or out-of-range values of either sign land on the right bound, so the clamp covers
// every case but NaN, which is masked to the zero point (f32x4.eq). Bit for bit the scalar result.
export function qs8_quantize__simd(y: usize, x: usize, n: i32, scale: f32, zp: i32): void {
  const mb = reinterpret<i32>(MAGIC);
  const s = f32x4.splat(scale), m = f32x4.splat(MAGIC), mbv = i32x4.splat(mb), z = i32x4.splat(zp);
  const lo = i32x4.splat(mb + (-128 - zp)), hi = i32x4.splat(mb + (127 - zp));
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q0 = quant4(v128.load(p), s, m, lo, hi, mbv, z), q1 = quant4(v128.load(p, 16), s, m, lo, hi, mbv, z);
    const q2 = quant4(v128.load(p, 32), s, m, lo, hi, mbv, z), q3 = quant4(v128.load(p, 48), s, m, lo, hi, mbv, z);
    v128.store(y + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
  }
  for (; i < n; i++) store<i8>(y + i, <i8>quant1(load<f32>(x + (<usize>i << 2)), scale, zp, -128, 127));
}

// nearest(x / s) + zp clamped to [-128, 127] as i32 lanes; NaN -> zp
// @ts-ignore: decorator
@inline function quant4(x: v128, s: v128, m: v128, lo: v128, hi: v128, mbv: v128, z: v128): v128 {
  const f = f32x4.div(x, s);
  // bits of M + nearest(f), clamped to those of M + [-128 - zp, 127 - zp]
  const t = i32x4.min_s(i32x4.max_s(f32x4.add(f, m), lo), hi);
  // minus M's bits: nearest(f) clamped; zeroed where f is NaN; plus zp
  return i32x4.add(v128.and(i32x4.sub(t, mbv), f32x4.eq(f, f)), z);
}

// y: (n) f32; x: (n) i8
export function qs8_dequantize__ref(y: usize, x: usize, n: i32, scale: f32, zp: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>(<i32>load<i8>(x + i) - zp) * scale);
}
export function qs8_dequantize__simd(y: usize, x: usize, n: i32, scale: f32, zp: i32): void {
  const s = f32x4.splat(scale), z = i32x4.splat(zp);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(x + i), p = y + (<usize>i << 2);
    const lo = i16x8.extend_low_i8x16_s(v), hi = i16x8.extend_high_i8x16_s(v);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(lo), z)), s));
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(lo), z)), s), 16);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(hi), z)), s), 32);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(hi), z)), s), 48);
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>(<i32>load<i8>(x + i) - zp) * scale);
}

// ---- plan entry points ----
// Plan integer arguments are non-negative and zero points are not, so the plan ops read the
// quantization parameters from a small block (which dynamic quantization can also rewrite at
// run time). gemm qp: [za i32, sa f32, sc f32, zc i32, qmin i32, qmax i32]; quantize qp: [scale f32, zp i32].

// c: (M, N) i8; a: (M, K) i8; wp: packed by qs8_pack_w__relaxed; scratch: qs8_gemm_scratch_bytes; qp: 6 words
export function qs8_gemm_fwd_qp__relaxed(c: usize, a: usize, wp: usize, scratch: usize, qp: usize, M: i32, N: i32, K: i32): void {
  qs8_gemm_fwd__relaxed(c, a, wp, scratch, M, N, K, load<i32>(qp), load<f32>(qp, 4), load<f32>(qp, 8),
    load<i32>(qp, 12), load<i32>(qp, 16), load<i32>(qp, 20));
}
// y: (n) i8; x: (n) f32; qp: 2 words
export function qs8_quantize_qp__simd(y: usize, x: usize, qp: usize, n: i32): void {
  splitSpan(quantizeSpan, y, 1, x, 4, 0, 0, n, 0, load<f32>(qp), reinterpret<f32>(load<i32>(qp, 4)), 2, 64);
}
function quantizeSpan(y: usize, x: usize, _c: usize, n: i32, _k: i32, scale: f32, zp: f32): void { qs8_quantize__simd(y, x, n, scale, reinterpret<i32>(zp)); }
// y: (n) f32; x: (n) i8; qp: 2 words
export function qs8_dequantize_qp__simd(y: usize, x: usize, qp: usize, n: i32): void {
  splitSpan(dequantizeSpan, y, 4, x, 1, 0, 0, n, 0, load<f32>(qp), reinterpret<f32>(load<i32>(qp, 4)), 1, 64);
}
function dequantizeSpan(y: usize, x: usize, _c: usize, n: i32, _k: i32, scale: f32, zp: f32): void { qs8_dequantize__simd(y, x, n, scale, reinterpret<i32>(zp)); }
