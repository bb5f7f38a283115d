// FP peak probes for bench/fp_peak.mjs (issue 17, relaxed SIMD): K independent f32x4 accumulators, n iterations,
// acc = acc + a*b as SIMD128 writes it (mul, then add) or as relaxed_madd (FMA where the CPU has it).
@inline function body_plain(acc: v128, a: v128, b: v128): v128 { return f32x4.add(acc, f32x4.mul(a, b)); }
@inline function body_fma(acc: v128, a: v128, b: v128): v128 { return f32x4.relaxed_madd(a, b, acc); }
export function plain8(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a;
  for (let i = 0; i < n; i++) { c0 = body_plain(c0, a, b); c1 = body_plain(c1, a, b); c2 = body_plain(c2, a, b); c3 = body_plain(c3, a, b); c4 = body_plain(c4, a, b); c5 = body_plain(c5, a, b); c6 = body_plain(c6, a, b); c7 = body_plain(c7, a, b); }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))), 0);
}
export function fma8(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a;
  for (let i = 0; i < n; i++) { c0 = body_fma(c0, a, b); c1 = body_fma(c1, a, b); c2 = body_fma(c2, a, b); c3 = body_fma(c3, a, b); c4 = body_fma(c4, a, b); c5 = body_fma(c5, a, b); c6 = body_fma(c6, a, b); c7 = body_fma(c7, a, b); }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))), 0);
}
export function plain12(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
  for (let i = 0; i < n; i++) { c0 = body_plain(c0, a, b); c1 = body_plain(c1, a, b); c2 = body_plain(c2, a, b); c3 = body_plain(c3, a, b); c4 = body_plain(c4, a, b); c5 = body_plain(c5, a, b); c6 = body_plain(c6, a, b); c7 = body_plain(c7, a, b); c8 = body_plain(c8, a, b); c9 = body_plain(c9, a, b); c10 = body_plain(c10, a, b); c11 = body_plain(c11, a, b); }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(f32x4.add(c6, c7), f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))))), 0);
}
export function fma12(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
  for (let i = 0; i < n; i++) { c0 = body_fma(c0, a, b); c1 = body_fma(c1, a, b); c2 = body_fma(c2, a, b); c3 = body_fma(c3, a, b); c4 = body_fma(c4, a, b); c5 = body_fma(c5, a, b); c6 = body_fma(c6, a, b); c7 = body_fma(c7, a, b); c8 = body_fma(c8, a, b); c9 = body_fma(c9, a, b); c10 = body_fma(c10, a, b); c11 = body_fma(c11, a, b); }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(f32x4.add(c6, c7), f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))))), 0);
}
