// MobileNet-family activations, PyTorch's definitions (elementwise, any layout):
//   ReLU6        y = min(max(x, 0), 6)                dx += dy        where 0 < x < 6
//   hard-sigmoid y = min(max(x + 3, 0), 6) / 6        dx += dy / 6    where -3 < x < 3
//   hard-swish   y = x * min(max(x + 3, 0), 6) / 6    dx += dy * (x < -3 ? 0 : x <= 3 ? x/3 + 1/2 : 1)
// Backward reads the saved input x (gradient 0 at the kinks, as PyTorch) and ACCUMULATES.
// y may alias x in fwd. x, y, dx, dy: (n) f32. NaN propagates (as wasm min/max).
// The SIMD clamp is pmax / pmin (one instruction each in V8, where min / max take eight) plus +0, which
// turns pmax's -0 into max's +0: min(max(x, 0), 6) in every lane, NaN included.
import { vld, vst, vsplat, vzero, vadd, vmul, vdiv, vfma, vsel, vgt, vlt } from '../simd';
import { splitSpan } from '../mt';

/** min(max(v, 0), 6) (z = 0, six = 6 splats), see the header. */
// @ts-ignore: decorator
@inline function vclamp6(v: v128, z: v128, six: v128): v128 { return vadd(f32x4.pmin(f32x4.pmax(v, z), six), z); }

// @ts-ignore: decorator
@inline function relu6(v: f32): f32 { return min(max(v, <f32>0), <f32>6); }

// ---- ReLU6 ----
export function f32_relu6_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, relu6(load<f32>(x + o))); }
}
export function f32_relu6_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(relu6Fwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, 1, 64); }
function relu6Fwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const z = vzero(), six = vsplat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vclamp6(vld(x + o), z, six)); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, relu6(load<f32>(x + o))); }
}
export function f32_relu6_bwd__ref(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    if (v > 0 && v < 6) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o));
  }
}
export function f32_relu6_bwd__simd(dx: usize, dy: usize, x: usize, n: i32): void { splitSpan(relu6Bwd, dx, 4, dy, 4, x, 4, n, 0, 0, 0, 1, 64); }
function relu6Bwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const z = vzero(), six = vsplat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    const pass = v128.and(vgt(v, z), vlt(v, six));
    vst(dx + o, vadd(vld(dx + o), v128.and(vld(dy + o), pass)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    if (v > 0 && v < 6) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o));
  }
}

// ---- hard-sigmoid ----
export function f32_hardsigmoid_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, relu6(load<f32>(x + o) + 3) / 6); }
}
export function f32_hardsigmoid_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(hardSigmoidFwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, 1, 64); }
function hardSigmoidFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const z = vzero(), three = vsplat(3), six = vsplat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vdiv(vclamp6(vadd(vld(x + o), three), z, six), six)); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, relu6(load<f32>(x + o) + 3) / 6); }
}
export function f32_hardsigmoid_bwd__ref(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    if (v > -3 && v < 3) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) / 6);
  }
}
export function f32_hardsigmoid_bwd__simd(dx: usize, dy: usize, x: usize, n: i32): void { splitSpan(hardSigmoidBwd, dx, 4, dy, 4, x, 4, n, 0, 0, 0, 1, 64); }
function hardSigmoidBwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const three = vsplat(3), six = vsplat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    const pass = v128.and(vgt(v, vsplat(-3)), vlt(v, three));
    vst(dx + o, vadd(vld(dx + o), v128.and(vdiv(vld(dy + o), six), pass)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    if (v > -3 && v < 3) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) / 6);
  }
}

// ---- hard-swish ----
// @ts-ignore: decorator
@inline function hswishGrad(v: f32): f32 { return v < -3 ? 0 : v <= 3 ? v / 3 + <f32>0.5 : 1; }

export function f32_hardswish_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2, v = load<f32>(x + o); store<f32>(y + o, v * relu6(v + 3) / 6); }
}
export function f32_hardswish_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(hardSwishFwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, 1, 64); }
function hardSwishFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const z = vzero(), three = vsplat(3), six = vsplat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    vst(y + o, vdiv(vmul(v, vclamp6(vadd(v, three), z, six)), six));
  }
  for (; i < n; i++) { const o = <usize>i << 2, v = load<f32>(x + o); store<f32>(y + o, v * relu6(v + 3) / 6); }
}
export function f32_hardswish_bwd__ref(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * hswishGrad(load<f32>(x + o)));
  }
}
export function f32_hardswish_bwd__simd(dx: usize, dy: usize, x: usize, n: i32): void { splitSpan(hardSwishBwd, dx, 4, dy, 4, x, 4, n, 0, 0, 0, 1, 64); }
function hardSwishBwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const three = vsplat(3), half = vsplat(0.5), one = vsplat(1), z = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    // x/3 + 1/2 inside [-3, 3], 1 above, 0 below
    let g = vsel(vgt(v, three), one, vadd(vdiv(v, three), half));
    g = vsel(vlt(v, vsplat(-3)), z, g);
    vst(dx + o, vfma(vld(dy + o), g, vld(dx + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * hswishGrad(load<f32>(x + o)));
  }
}
