// Elementwise helpers the plan needs: fill, copy, scale, axpy, add, sum of squares, finiteness, i32 → f32.
// SIMD over n & ~3, scalar tail; nothing is read or written past n elements.
import { vld, vst, vsplat, vadd, vmul, vfma, vzero, vsum } from '../simd';
import { splitSpan } from '../mt';

// y: (n) f32
export function f32_fill__ref(y: usize, v: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), v);
}
export function f32_fill__simd(y: usize, v: f32, n: i32): void { splitSpan(fillSpan, y, 4, 0, 0, 0, 0, n, 0, v, 0, 1, 64); }
function fillSpan(y: usize, _b: usize, _c: usize, n: i32, _k: i32, v: f32, _g: f32): void {
  const vv = vsplat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) vst(y + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), v);
}

// y, x: (n) 32-bit elements (f32 or i32); regions may not overlap
export function x32_copy__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(y + (<usize>i << 2), load<u32>(x + (<usize>i << 2)));
}
export function x32_copy__simd(y: usize, x: usize, n: i32): void {
  memory.copy(y, x, <usize>n << 2);
}

// y *= a; y: (n) f32
export function f32_scale__ref(y: usize, a: f32, n: i32): void {
  for (let i = 0; i < n; i++) { const p = y + (<usize>i << 2); store<f32>(p, load<f32>(p) * a); }
}
export function f32_scale__simd(y: usize, a: f32, n: i32): void { splitSpan(scaleSpan, y, 4, 0, 0, 0, 0, n, 0, a, 0, 1, 64); }
function scaleSpan(y: usize, _b: usize, _c: usize, n: i32, _k: i32, a: f32, _g: f32): void {
  const va = vsplat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const p = y + (<usize>i << 2); vst(p, vmul(vld(p), va)); }
  for (; i < n; i++) { const p = y + (<usize>i << 2); store<f32>(p, load<f32>(p) * a); }
}

// y += a * x; y, x: (n) f32
export function f32_axpy__ref(y: usize, x: usize, a: f32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}
export function f32_axpy__simd(y: usize, x: usize, a: f32, n: i32): void { splitSpan(axpySpan, y, 4, x, 4, 0, 0, n, 0, a, 0, 1, 64); }
function axpySpan(y: usize, x: usize, _c: usize, n: i32, _k: i32, a: f32, _g: f32): void {
  const va = vsplat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vfma(va, vld(x + o), vld(y + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o)); }
}

// y = a + b; y, a, b: (n) f32 (residual add; y may alias a or b)
export function f32_add__ref(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}
// (split from the row-order threshold, mt.ts: both inputs are activations the threads wrote in order;
// an element counts 4: two loads and a store for one add)
export function f32_add__simd(y: usize, a: usize, b: usize, n: i32): void { splitSpan(addSpan, y, 4, a, 4, b, 4, n, 0, 0, 0, 4, 64); }
function addSpan(y: usize, a: usize, b: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vadd(vld(a + o), vld(b + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o)); }
}

// out[0] += sum(x^2); out: (1) f32, x: (n) f32 (gradient-norm clipping)
export function f32_sumsq__ref(out: usize, x: usize, n: i32): void {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); s += v * v; }
  store<f32>(out, load<f32>(out) + s);
}
export function f32_sumsq__simd(out: usize, x: usize, n: i32): void {
  let acc = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) { const v = vld(x + (<usize>i << 2)); acc = vfma(v, v, acc); }
  let s = vsum(acc);
  for (; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); s += v * v; }
  store<f32>(out, load<f32>(out) + s);
}

// Returns 1 if any element of x: (n) f32 is NaN or ±Inf, else 0.
export function f32_check_finite__ref(x: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); if (!isFinite(v)) return 1; }
  return 0;
}
// (threads: each chunk sets the flag when it finds a bad element; the flag is in shared memory)
const FINITE_FLAG = memory.data(16, 16);
export function f32_check_finite__simd(x: usize, n: i32): i32 {
  store<i32>(FINITE_FLAG, 0);
  splitSpan(finiteSpan, x, 4, FINITE_FLAG, 0, 0, 0, n, 0, 0, 0, 1, 64);
  return load<i32>(FINITE_FLAG);
}
function finiteSpan(x: usize, flag: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  // x - x is 0 for finite x and NaN for NaN/Inf; NaN != NaN flags the lane.
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = vld(x + (<usize>i << 2));
    const d = f32x4.sub(v, v);
    bad = v128.or(bad, f32x4.ne(d, d));
  }
  if (v128.any_true(bad)) { store<i32>(flag, 1); return; }
  for (; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); if (!isFinite(v)) { store<i32>(flag, 1); return; } }
}

// y = f32(x); y: (n) f32, x: (n) i32 (rounds to nearest even beyond 2^24, as a JS Math.fround(x))
export function i32_to_f32__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>load<i32>(x + (<usize>i << 2)));
}
export function i32_to_f32__simd(y: usize, x: usize, n: i32): void { splitSpan(toF32Span, y, 4, x, 4, 0, 0, n, 0, 0, 0, 1, 64); }
function toF32Span(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, f32x4.convert_i32x4_s(v128.load(x + o))); }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>load<i32>(x + (<usize>i << 2)));
}
