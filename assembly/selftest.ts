// Known-answer self-test run by the host before it trusts the relaxed build.
// NOTE: Node 20's baseline compiler returns wrong sums for the relaxed int8 dot on its first
// call; the host runs this on a fresh instance and falls back to the SIMD build when it fails.

/** Returns 1 when the relaxed-SIMD instructions (if built in) give the known answers. */
export function selftest_relaxed(): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return 1;
  // relaxed_madd: 1.5 * 2 + 0.25 = 3.25 on every lane
  const m = f32x4.relaxed_madd(f32x4.splat(1.5), f32x4.splat(2), f32x4.splat(0.25));
  if (f32x4.extract_lane(m, 0) != 3.25 || f32x4.extract_lane(m, 3) != 3.25) return 0;
  // relaxed dot: sum over 4 lanes of (-3 * 5) = -60, + 7 = -53 (values within i7 so the result is defined)
  const d = i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(-3), i8x16.splat(5), i32x4.splat(7));
  if (i32x4.extract_lane(d, 0) != -53 || i32x4.extract_lane(d, 3) != -53) return 0;
  return 1;
}
