// Packing for the int8 GEMM (assembly/kernels/q8.ts): W once at load time, A per call.
// Packed W (qs8_pack_w_bytes(N, K) bytes):
//   header 16 B: kind (1 = SIMD128 i16 pairs, 2 = relaxed 7-bit quads), N, K, 0
//   per NR=8 column panel: bias i32 x 8 | colsum(W) i32 x 8 | sw f32 x 8 (96 B), then
//     kind 1: K2/2 groups x 32 B: [n0(k,k+1) n1 n2 n3][n4 .. n7] as i16 pairs, K2 = K rounded to 2
//     kind 2: K4/4 groups x 32 B: [n0(k..k+3) n1 n2 n3][n4 .. n7] as W+64 bytes, K4 = K rounded to 4
//   columns past N and k past K are 0 (kind 2: byte 0, so they add nothing to the dot).
// Packed A (scratch, per MC-row block), per MR=4 row panel:
//   kind 1: K2/2 groups x 16 B: [r0(k,k+1) r1 r2 r3] as i16 pairs (one i32 splat per row)
//   kind 2: K4/4 groups x 16 B: [r0(k..k+3) r1 r2 r3] as i8, plus -64*rowsum(A) per row.
// Rows past M and k past K are 0. The SIMD parts read only whole 8/16-byte runs inside each row.

export const NR: i32 = 8;
export const MR: i32 = 4;
/** Rows of A packed per block (A block = MC x K, stays in L2 while the W panels stream). */
export const MC: i32 = 64;
export const HDR: usize = 16;
export const PHDR: usize = 96;
export const KIND_S16: i32 = 1;
export const KIND_I7: i32 = 2;

// @ts-ignore: decorator
@inline export function kpad2(K: i32): i32 { return (K + 1) & ~1; }
// @ts-ignore: decorator
@inline export function kpad4(K: i32): i32 { return (K + 3) & ~3; }

/** Bytes of packed W for (N, K) (either layout; mirrored by q8PackedBytes in src/ops.ts). */
export function qs8_pack_w_bytes(N: i32, K: i32): i32 {
  return <i32>HDR + ((N + NR - 1) / NR) * (<i32>PHDR + 16 * kpad2(K));
}

/** Scratch bytes qs8_gemm_fwd__simd/__relaxed need (mirrored by q8ScratchBytes in src/ops.ts). */
export function qs8_gemm_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  const rows = min((M + MR - 1) & ~(MR - 1), MC);
  return rows * (2 * kpad2(K) + 8) + 64;
}

function pack_header(wp: usize, w: usize, bias: usize, sw: usize, N: i32, K: i32, kind: i32): void {
  store<i32>(wp, kind); store<i32>(wp, N, 4); store<i32>(wp, K, 8); store<i32>(wp, 0, 12);
  const stride = kind == KIND_S16 ? PHDR + (<usize>kpad2(K) << 3) * 2 : PHDR + (<usize>kpad4(K) << 3);
  for (let j0 = 0; j0 < N; j0 += NR) {
    const p = wp + HDR + <usize>(j0 / NR) * stride;
    for (let j = 0; j < NR; j++) {
      const n = j0 + j, o = <usize>j << 2;
      let cs = 0, b = 0, s: f32 = 0;
      if (n < N) {
        for (let k = 0; k < K; k++) cs += <i32>load<i8>(w + <usize>n * K + k);
        b = load<i32>(bias + (<usize>n << 2)); s = load<f32>(sw + (<usize>n << 2));
      }
      store<i32>(p + o, b); store<i32>(p + 32 + o, cs); store<f32>(p + 64 + o, s);
    }
  }
}

// wp: qs8_pack_w_bytes(N, K) bytes; w: (N, K) i8; bias: (N) i32; sw: (N) f32
export function qs8_pack_w__simd(wp: usize, w: usize, bias: usize, sw: usize, N: i32, K: i32): void {
  pack_header(wp, w, bias, sw, N, K, KIND_S16);
  const K2 = kpad2(K);
  const stride = PHDR + (<usize>K2 << 4);
  for (let j0 = 0; j0 < N; j0 += NR) {
    const d = wp + HDR + <usize>(j0 / NR) * stride + PHDR;
    // group g (k = 2g, 2g+1): 16 bytes for columns 0-3, then 16 for columns 4-7
    for (let g = 0; g < (K2 >> 1); g++) {
      for (let j = 0; j < NR; j++) {
        const n = j0 + j;
        const o = d + (<usize>g << 5) + (<usize>(j >> 2) << 4) + (<usize>(j & 3) << 2);
        for (let t = 0; t < 2; t++) {
          const k = 2 * g + t;
          store<i16>(o + (<usize>t << 1), n < N && k < K ? <i16>load<i8>(w + <usize>n * K + k) : 0);
        }
      }
    }
  }
}

// wp: qs8_pack_w_bytes(N, K) bytes; w: (N, K) i8; bias: (N) i32; sw: (N) f32
export function qs8_pack_w__relaxed(wp: usize, w: usize, bias: usize, sw: usize, N: i32, K: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) { qs8_pack_w__simd(wp, w, bias, sw, N, K); return; }
  for (let i: usize = 0, n = <usize>N * K; i < n; i++) {
    const v = <i32>load<i8>(w + i);
    if (v < -64 || v > 63) { qs8_pack_w__simd(wp, w, bias, sw, N, K); return; }
  }
  pack_header(wp, w, bias, sw, N, K, KIND_I7);
  const K4 = kpad4(K);
  const stride = PHDR + (<usize>K4 << 3);
  for (let j0 = 0; j0 < N; j0 += NR) {
    const d = wp + HDR + <usize>(j0 / NR) * stride + PHDR;
    // group g (k = 4g .. 4g+3): 16 bytes for columns 0-3, then 16 for columns 4-7; W+64, pad 0
    for (let g = 0; g < (K4 >> 2); g++) {
      for (let j = 0; j < NR; j++) {
        const n = j0 + j;
        const o = d + (<usize>g << 5) + (<usize>(j >> 2) << 4) + (<usize>(j & 3) << 2);
        for (let t = 0; t < 4; t++) {
          const k = 4 * g + t;
          store<u8>(o + t, n < N && k < K ? <u8>(<i32>load<i8>(w + <usize>n * K + k) + 64) : 0);
        }
      }
    }
  }
}

/** 1 when wp holds the relaxed (7-bit weight) layout, 0 for the SIMD128 layout. */
export function qs8_packed_is_relaxed(wp: usize): i32 { return <i32>(load<i32>(wp) == KIND_I7); }

// ---- A, per call ----

// 4x4 transpose of i32 lanes: out j = [x0.j, x1.j, x2.j, x3.j], stored at p + 16 j.
// @ts-ignore: decorator
@inline function store_transposed(p: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5), t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(p, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(p, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
  v128.store(p, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
  v128.store(p, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
}

// ap: (ceil(mc/4) panels, K2/2 groups, 16 B) i16 pairs; a: (mc, K) i8
export function pack_a_s16(ap: usize, a: usize, mc: i32, K: i32): void {
  const groups = kpad2(K) >> 1;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const r0 = a + <usize>ir * K;
    let p = ap + (<usize>ir * groups << 2);
    let k = 0;
    if (rows == MR) {
      const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      for (; k + 8 <= K; k += 8) {
        store_transposed(p, v128.load8x8_s(r0 + k), v128.load8x8_s(r1 + k), v128.load8x8_s(r2 + k), v128.load8x8_s(r3 + k));
        p += 64;
      }
    }
    for (; k < K; k += 2) {
      for (let r = 0; r < MR; r++) {
        const row = r0 + <usize>r * K;
        store<i16>(p + (<usize>r << 2), r < rows ? <i16>load<i8>(row + k) : 0);
        store<i16>(p + (<usize>r << 2) + 2, r < rows && k + 1 < K ? <i16>load<i8>(row + k + 1) : 0);
      }
      p += 16;
    }
  }
}

// ap: (ceil(mc/4) panels, K4/4 groups, 16 B) i8; rc: (mc rounded to 4) i32 = -64*rowsum; a: (mc, K) i8
export function pack_a_i7(ap: usize, rc: usize, a: usize, mc: i32, K: i32): void {
  const groups = kpad4(K) >> 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const r0 = a + <usize>ir * K;
    const rs = rc + (<usize>ir << 2);
    let p = ap + (<usize>ir * groups << 2);
    let k = 0;
    v128.store(rs, i32x4.splat(0));
    if (rows == MR) {
      const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (; k + 16 <= K; k += 16) {
        const x0 = v128.load(r0 + k), x1 = v128.load(r1 + k), x2 = v128.load(r2 + k), x3 = v128.load(r3 + k);
        s0 = i32x4.add(s0, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(x0)));
        s1 = i32x4.add(s1, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(x1)));
        s2 = i32x4.add(s2, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(x2)));
        s3 = i32x4.add(s3, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(x3)));
        store_transposed(p, x0, x1, x2, x3);
        p += 64;
      }
      // lane j of the transposed sums is row j's total
      const t0 = i32x4.add(i32x4.shuffle(s0, s1, 0, 4, 1, 5), i32x4.shuffle(s0, s1, 2, 6, 3, 7));
      const t1 = i32x4.add(i32x4.shuffle(s2, s3, 0, 4, 1, 5), i32x4.shuffle(s2, s3, 2, 6, 3, 7));
      v128.store(rs, i32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7)));
    }
    for (; k < K; k += 4) {
      for (let r = 0; r < MR; r++) {
        const row = r0 + <usize>r * K;
        let s = 0;
        for (let t = 0; t < 4; t++) {
          const v = r < rows && k + t < K ? <i32>load<i8>(row + k + t) : 0;
          store<i8>(p + (<usize>r << 2) + t, <i8>v);
          s += v;
        }
        store<i32>(rs + (<usize>r << 2), load<i32>(rs + (<usize>r << 2)) + s);
      }
      p += 16;
    }
    v128.store(rs, i32x4.mul(v128.load(rs), i32x4.splat(-64)));
  }
}
