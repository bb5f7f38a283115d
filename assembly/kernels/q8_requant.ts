// Requantization of int8 kernels' i32 accumulators, four lanes at a time:
//   y = clamp(nearest(acc * mult), qmin - zc, qmax - zc) + zc, with acc converted to f32 first;
//   bit for bit the scalar form (f32 product, nearest half to even, clamp; NaN -> zc).
// NOTE: f32x4.nearest / min / max / trunc_sat are multi-instruction sequences in V8 on x64. Adding
// M = 1.5 * 2^23 rounds f to an integer, half to even, in its low mantissa bits when |f| < 2^22; the
// clamp then runs on the bits of f + M as i32, which order as f + M does when it is >= 0, and a
// negative f + M (f < -1.5 * 2^23) has negative bits, so with bounds inside +-255 every non-NaN f
// (infinities too) lands where the scalar clamp puts it; NaN lanes are masked to zc.
export const MAGIC: f32 = 12582912.0; // 1.5 * 2^23

/** Clamp bound for requant4: the bits of M + q (q = qmin - zc or qmax - zc). */
// @ts-ignore: decorator
@inline export function rqBound(q: i32): v128 { return i32x4.splat(reinterpret<i32>(MAGIC) + q); }

// acc: i32 lanes (bias included); mult: f32 per lane; lo, hi: rqBound(qmin - zc), rqBound(qmax - zc);
// m: f32x4.splat(MAGIC); mbits: i32x4.splat(bits of MAGIC); zcv: i32x4.splat(zc)
// @ts-ignore: decorator
@inline export function requant4(acc: v128, mult: v128, lo: v128, hi: v128, m: v128, mbits: v128, zcv: v128): v128 {
  const f = f32x4.mul(f32x4.convert_i32x4_s(acc), mult);
  const t = i32x4.min_s(i32x4.max_s(f32x4.add(f, m), lo), hi);
  return i32x4.add(v128.and(i32x4.sub(t, mbits), f32x4.eq(f, f)), zcv);
}

// One call's constants, as globals (V8 then keeps them out of the microkernels' registers until
// the requantization needs them): set by rqSetup, read by rq.
let rqLo = i32x4.splat(0), rqHi = rqLo, rqM = rqLo, rqBits = rqLo, rqZc = rqLo;
export function rqSetup(zc: i32, qmin: i32, qmax: i32): void {
  rqLo = rqBound(qmin - zc); rqHi = rqBound(qmax - zc); rqM = f32x4.splat(MAGIC); rqBits = i32x4.splat(reinterpret<i32>(MAGIC)); rqZc = i32x4.splat(zc);
}
/** requant4(acc + bias, mult) with the constants of the last rqSetup */
// @ts-ignore: decorator
@inline export function rq(acc: v128, bias: v128, mult: v128): v128 { return requant4(i32x4.add(acc, bias), mult, rqLo, rqHi, rqM, rqBits, rqZc); }

/** 8 requantized i32 lanes (already within [qmin, qmax]) -> 8 bytes at p. */
// @ts-ignore: decorator
@inline export function storeQ8(p: usize, x0: v128, x1: v128): void {
  const s = i16x8.narrow_i32x4_s(x0, x1);
  v128.store64_lane(p, i8x16.narrow_i16x8_s(s, s), 0);
}
