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

/** exp(x), about 2 ulp on [-87, 88]; saturates outside (0 below, +inf above 88.7). */
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.72));
  // n = round(x / ln2); r = x - n*ln2 (two-part ln2 for precision)
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = vfnma(n, f32x4.splat(0.693359375), x);
  r = vfnma(n, f32x4.splat(-2.12194440e-4), r);
  // e^r on |r| <= ln2/2: degree-6 Taylor-like minimax polynomial
  let p = f32x4.splat(1.9875691500e-4);
  p = vfma(p, r, f32x4.splat(1.3981999507e-3));
  p = vfma(p, r, f32x4.splat(8.3334519073e-3));
  p = vfma(p, r, f32x4.splat(4.1665795894e-2));
  p = vfma(p, r, f32x4.splat(1.6666665459e-1));
  p = vfma(p, r, f32x4.splat(5.0000001201e-1));
  p = vfma(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // scale by 2^n, split in two steps so n = 128 does not overflow the exponent field
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** tanh(x) as a rational minimax approximation, a few ulp; exact ±1 beyond |x| > 9. */
@inline export function vtanh(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, f32x4.splat(-9.0)), f32x4.splat(9.0));
  const x2 = f32x4.mul(c, c);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = vfma(p, x2, f32x4.splat(2.00018790482477e-13));
  p = vfma(p, x2, f32x4.splat(-8.60467152213735e-11));
  p = vfma(p, x2, f32x4.splat(5.12229709037114e-08));
  p = vfma(p, x2, f32x4.splat(1.48572235717979e-05));
  p = vfma(p, x2, f32x4.splat(6.37261928875436e-04));
  p = vfma(p, x2, f32x4.splat(4.89352455891786e-03));
  p = f32x4.mul(p, c);
  let q = f32x4.splat(1.19825839466702e-06);
  q = vfma(q, x2, f32x4.splat(1.18534705686654e-04));
  q = vfma(q, x2, f32x4.splat(2.26843463243900e-03));
  q = vfma(q, x2, f32x4.splat(4.89352518554385e-03));
  const t = f32x4.div(p, q);
  return f32x4.min(f32x4.max(t, f32x4.splat(-1)), f32x4.splat(1));
}

/** sigmoid(x) = 1 / (1 + exp(-x)) */
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}
