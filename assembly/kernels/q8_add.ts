// int8 (qs8) elementwise add of two per-tensor asymmetric int8 tensors (residual connections):
//   y = clamp(nearest((sa*(a - za) + sb*(b - zb)) / sy) + zy, qmin, qmax)
//   a, b, y: (n) i8, each with its own scale and zero point.
// (qmin, qmax) fuses ReLU (qmin = zy) and ReLU6 into the clamp, as in the int8 GEMM.
// Rounding is round half to even (f32 nearest), as everywhere in the int8 scheme.
//   __ref   the scheme's reference: dequantize both, add in f32, quantize (divide by sy).
//   __simd  f32 multipliers ma = sa/sy, mb = sb/sy on the exact integer differences:
//           nearest((a - za)*ma + (b - zb)*mb); within 1 LSB of the reference (no FMA, so the
//           SIMD128 and relaxed builds agree bit for bit; its scalar tail does the same f32 ops).
//           16 bytes per step: a - za and b - zb in i16 (|d| <= 255), widened to i32 and converted.
import { splitSpan } from '../mt';

// @ts-ignore: decorator
@inline function clampq(q: f32, zy: i32, qmin: i32, qmax: i32): i32 {
  return <i32>min(max(q, <f32>(qmin - zy)), <f32>(qmax - zy)) + zy;
}

// y: (n) i8; a: (n) i8; b: (n) i8
export function qs8_add__ref(y: usize, a: usize, b: usize, n: i32, za: i32, sa: f32, zb: i32, sb: f32,
                             sy: f32, zy: i32, qmin: i32, qmax: i32): void {
  for (let i = 0; i < n; i++) {
    const x = sa * <f32>(<i32>load<i8>(a + i) - za) + sb * <f32>(<i32>load<i8>(b + i) - zb);
    store<i8>(y + i, <i8>clampq(nearest(x / sy), zy, qmin, qmax));
  }
}

// Rounding without f32x4.nearest / min / max / trunc_sat (multi-instruction sequences in V8 on
// x64): adding M = 1.5 * 2^23 rounds x to an integer, half to even, exactly when |x| < 2^22 (the
// f32 spacing there is 1), so the bits of x + M minus (those of M, less zy) are nearest(x) + zy.
// The clamp is then done on integers (saturating narrows, i8 min / max). __simd takes this path when
// 255 * (sa + sb) / sy < 2^22, i.e. always for calibrated parameters; otherwise the f32 clamp first.
const MAGIC: f32 = 12582912.0;

// @ts-ignore: decorator
@inline function add4(da: v128, db: v128, ma: v128, mb: v128, m: v128, mbits: v128): v128 {
  const f = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(da), ma), f32x4.mul(f32x4.convert_i32x4_s(db), mb));
  return i32x4.sub(f32x4.add(f, m), mbits);
}

// @ts-ignore: decorator
@inline function add8(da: v128, db: v128, ma: v128, mb: v128, m: v128, mbits: v128): v128 {
  const q0 = add4(i32x4.extend_low_i16x8_s(da), i32x4.extend_low_i16x8_s(db), ma, mb, m, mbits);
  const q1 = add4(i32x4.extend_high_i16x8_s(da), i32x4.extend_high_i16x8_s(db), ma, mb, m, mbits);
  return i16x8.narrow_i32x4_s(q0, q1);
}

// y: (n) i8; a: (n) i8; b: (n) i8
export function qs8_add__simd(y: usize, a: usize, b: usize, n: i32, za: i32, sa: f32, zb: i32, sb: f32,
                              sy: f32, zy: i32, qmin: i32, qmax: i32): void {
  const fa: f32 = sa / sy, fb: f32 = sb / sy;
  let i = 0;
  if (<f64>255 * (<f64>fa + <f64>fb) < 4194304.0) {
    const ma = f32x4.splat(fa), mb = f32x4.splat(fb), zav = i16x8.splat(<i16>za), zbv = i16x8.splat(<i16>zb);
    const m = f32x4.splat(MAGIC), mbits = i32x4.splat(reinterpret<i32>(MAGIC) - zy);
    const lo = i8x16.splat(<i8>qmin), hi = i8x16.splat(<i8>qmax);
    for (; i + 16 <= n; i += 16) {
      const va = v128.load(a + i), vb = v128.load(b + i);
      const l = add8(i16x8.sub(i16x8.extend_low_i8x16_s(va), zav), i16x8.sub(i16x8.extend_low_i8x16_s(vb), zbv), ma, mb, m, mbits);
      const h = add8(i16x8.sub(i16x8.extend_high_i8x16_s(va), zav), i16x8.sub(i16x8.extend_high_i8x16_s(vb), zbv), ma, mb, m, mbits);
      v128.store(y + i, i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(l, h), lo), hi));
    }
  }
  for (; i < n; i++) {
    const f = <f32>(<i32>load<i8>(a + i) - za) * fa + <f32>(<i32>load<i8>(b + i) - zb) * fb;
    store<i8>(y + i, <i8>clampq(nearest(f), zy, qmin, qmax));
  }
}

// Plan entry point. qp: [za i32, sa f32, zb i32, sb f32, sy f32, zy i32, qmin i32, qmax i32] (q8AddParams).
// y: (n) i8; a: (n) i8; b: (n) i8; qp: 8 words
export function qs8_add_qp__simd(y: usize, a: usize, b: usize, qp: usize, n: i32): void {
  splitSpan(addSpan, y, 1, a, 1, b, 1, n, <i32>qp, 0, 0, 2, 64);
}
function addSpan(y: usize, a: usize, b: usize, n: i32, qpk: i32, _f: f32, _g: f32): void {
  const qp = <usize>qpk;
  qs8_add__simd(y, a, b, n, load<i32>(qp), load<f32>(qp, 4), load<i32>(qp, 8), load<f32>(qp, 12),
    load<f32>(qp, 16), load<i32>(qp, 20), load<i32>(qp, 24), load<i32>(qp, 28));
}
