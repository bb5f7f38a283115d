// SIMD vocabulary: the only SIMD words kernels use. One source, two builds:
// with relaxed SIMD, vfma fuses (one rounding); without, it is mul then add.
// NOTE: so the `simd` and `relaxed` builds are not bit-identical to each other.

@inline export function vld(p: usize): v128 { return v128.load(p); }
@inline export function vst(p: usize, v: v128): void { v128.store(p, v); }
@inline export function vsplat(x: f32): v128 { return f32x4.splat(x); }
@inline export function vzero(): v128 { return f32x4.splat(0); }
@inline export function vadd(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline export function vsub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
@inline export function vmul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline export function vdiv(a: v128, b: v128): v128 { return f32x4.div(a, b); }
@inline export function vmax(a: v128, b: v128): v128 { return f32x4.max(a, b); }
@inline export function vmin(a: v128, b: v128): v128 { return f32x4.min(a, b); }
@inline export function vsqrt(a: v128): v128 { return f32x4.sqrt(a); }
@inline export function vabs(a: v128): v128 { return f32x4.abs(a); }
@inline export function vneg(a: v128): v128 { return f32x4.neg(a); }

/** a*b + c */
@inline export function vfma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c - a*b */
@inline export function vfnma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** The first m (0..4) floats at p in the low lanes, zeros above (nothing past p + m floats is read). */
@inline export function vldPart(p: usize, m: i32): v128 {
  if (m >= 4) return v128.load(p);
  if (m == 3) return v128.load32_lane(p, v128.load64_zero(p), 2, 8);
  if (m == 2) return v128.load64_zero(p);
  return m == 1 ? v128.load32_zero(p) : f32x4.splat(0);
}

/** Stores the low m (0..4) lanes of v at p (nothing past p + m floats is written). */
@inline export function vstPart(p: usize, v: v128, m: i32): void {
  if (m >= 4) v128.store(p, v);
  else if (m >= 2) { v128.store64_lane(p, v, 0); if (m == 3) v128.store32_lane(p, v, 2, 8); }
  else if (m == 1) v128.store32_lane(p, v, 0);
}

/** Lane select: mask lanes all-ones pick a, else b. */
@inline export function vsel(mask: v128, a: v128, b: v128): v128 { return v128.bitselect(a, b, mask); }
@inline export function vgt(a: v128, b: v128): v128 { return f32x4.gt(a, b); }
@inline export function vlt(a: v128, b: v128): v128 { return f32x4.lt(a, b); }

/** Horizontal sum of the four lanes (fixed order: (0+2)+(1+3)). */
@inline export function vsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Horizontal max of the four lanes. */
@inline export function vhmax(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

/**
 * exp(x), within 1.5 ulp of the exact value (1 ulp of the rounded one) where the result is
 * normal; +inf above ln(FLT_MAX), gradual underflow to subnormals, 0 below -104 (like Mathf.exp).
 * NaN in, NaN out.
 */
@inline export function vexp(x: v128): v128 {
  // NOTE: the clamp keeps |n| <= 150 so each half of the 2^n split stays a normal float;
  // 88.7229 > ln(FLT_MAX), so the final multiply overflows to +inf by itself.
  // (pmin / pmax: one instruction each in V8, where min / max take eight; the same values here, NaN passes)
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(88.7229));
  // n = round(x / ln2); r = x - n*ln2 (two-part ln2 for precision)
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = vfnma(n, f32x4.splat(0.693359375), x);
  r = vfnma(n, f32x4.splat(-2.12194440e-4), r);
  const p = vexpPoly(r);
  // scale by 2^n, split in two steps so n = 128 does not overflow the exponent field
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^r on |r| <= ln2/2: degree-6 Taylor-like minimax polynomial (vexp's and vexpNear's). */
@inline function vexpPoly(r: v128): v128 {
  let p = f32x4.splat(1.9875691500e-4);
  p = vfma(p, r, f32x4.splat(1.3981999507e-3));
  p = vfma(p, r, f32x4.splat(8.3334519073e-3));
  p = vfma(p, r, f32x4.splat(4.1665795894e-2));
  p = vfma(p, r, f32x4.splat(1.6666665459e-1));
  p = vfma(p, r, f32x4.splat(5.0000001201e-1));
  return vfma(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
}

/**
 * vexp(x) bit for bit, for x in [-80, 80] only (results normal): without the clamp, n rounded by
 * adding 1.5 * 2^23 (round to nearest even, as f32x4.nearest; its bits minus the constant's are n)
 * and one scaling by 2^n (exact, as vexp's two steps are for a normal result). Callers guarantee the range.
 */
@inline export function vexpNear(x: v128): v128 {
  const magic = f32x4.splat(12582912.0);
  const z = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(z, magic);
  let r = vfnma(n, f32x4.splat(0.693359375), x);
  r = vfnma(n, f32x4.splat(-2.12194440e-4), r);
  const ni = i32x4.sub(z, magic);
  return f32x4.mul(vexpPoly(r), i32x4.shl(i32x4.add(ni, i32x4.splat(127)), 23));
}

/**
 * tanh(x), within 2 ulp everywhere: |x| + |x|^3 P(x^2) below |x| = 0.625 (minimax for relative
 * error, 8.5e-9 with f32 coefficients), 1 - 2/(e^{2|x|} + 1) above; then the sign of x.
 * Exact ±1 for |x| > 9.1, ±0 and subnormals pass through, NaN in, NaN out.
 */
@inline export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const a = f32x4.abs(x);
  const e = vexp(f32x4.add(a, a));
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  const x2 = f32x4.mul(a, a);
  let p = f32x4.splat(-5.7049822062e-3);
  p = vfma(p, x2, f32x4.splat(2.0639082417e-2));
  p = vfma(p, x2, f32x4.splat(-5.3739715368e-2));
  p = vfma(p, x2, f32x4.splat(1.3331441581e-1));
  p = vfma(p, x2, f32x4.splat(-3.3333280683e-1));
  const small = vfma(f32x4.mul(a, x2), p, a);
  const t = v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.625)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

/** sigmoid(x) = 1 / (1 + exp(-x)) */
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}
