// Smooth activations, PyTorch's / Keras' definitions (elementwise, any layout):
//   ELU / SELU   y = scale * (x > 0 ? x : alpha * (e^x - 1))      ELU: scale 1; SELU: alpha 1.67326…, scale 1.05070…
//                dx += dy * scale * (x > 0 ? 1 : alpha * e^x)
//   GELU         approx 0: y = x * Phi(x), Phi the standard normal CDF (erf form)
//                  dx += dy * (Phi(x) + x * phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
//                approx 1: y = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3)  (tanh form),
//                  computed as x * s, s = sigmoid(2u) = (1 + tanh(u)) / 2 (no cancellation for x < 0)
//                  dx += dy * (s + 2 x s (1 - s) * sqrt(2/pi) (1 + 3 * 0.044715 x^2))
//   SiLU / swish y = x * s, s = sigmoid(x);  dx += dy * s * (1 + x (1 - s))
// Backward reads the saved input x and ACCUMULATES. y may alias x in fwd. x, y, dx, dy: (n) f32.
// The __ref twins evaluate in f64 (erfc by its series and continued fraction); the SIMD forms:
//   expm1: degree-8 Taylor polynomial on |x| < 1/2, e^x - 1 beyond (no cancellation there);
//   Phi:   0.5 + x S(x^2) on |x| <= 3/4; beyond, the tail Q(a) = Phi(-a) = t e^(-a^2/2 + P(t)),
//          t = 1 / (1 + a/2), with P and S fitted here (least squares, reweighted towards minimax, in
//          f64 against erfc) to ~3 ulp; e^(-a^2/2) is split as e^(-h^2/2) e^(-(a-h)(a+h)/2), h = a
//          with 12 mantissa bits (h^2 exact), so the relative error stays a few ulp far out in the tail;
//          a vector with every |x| <= 2 (most of them, for activations ~N(0, 1)) skips the split and
//          folds P into the one exp: one exp per vector forward instead of three, two backward; those
//          exps' arguments lie in [-4, 0], so they take vexpNear (vexp's bits without its range handling);
//          a vector with every |x| <= 3/4 computes the central form alone.
import { vld, vst, vsplat, vzero, vadd, vsub, vmul, vdiv, vmin, vfma, vabs, vsel, vgt, vlt, vexp, vexpNear, vsigmoid } from '../simd';
import { splitSpan } from '../mt';

// element-operations per element of these activations (exp / erf polynomials; the thread threshold: mt.ts)
const COST_SMOOTH: i32 = 64;

const SQRT_2PI_INV: f64 = 0.3989422804014327;   // 1 / sqrt(2 pi)
const GELU_K: f64 = 0.7978845608028654;         // sqrt(2 / pi)
const GELU_C: f64 = 0.044715;

// ---- scalar f64 references ----

/** erfc(z), z >= 0: 1 - the Maclaurin series of erf below 2, the continued fraction (60 terms) above. */
function erfc64(z: f64): f64 {
  if (z < 2) {
    let term = z, sum = z;
    for (let k = 1; k < 60; k++) { term *= -z * z / <f64>k; sum += term / <f64>(2 * k + 1); }
    return 1 - sum * 1.1283791670955126;   // 2 / sqrt(pi)
  }
  let f = z;
  for (let k = 60; k >= 1; k--) f = z + (<f64>k / 2) / f;
  return Math.exp(-z * z) / (f * 1.7724538509055159);   // sqrt(pi)
}
function phi64(x: f64): f64 { return x < 0 ? 0.5 * erfc64(-x * Math.SQRT1_2) : 1 - 0.5 * erfc64(x * Math.SQRT1_2); }
function elu64(x: f64, alpha: f64, scale: f64): f64 { return scale * (x > 0 ? x : alpha * Math.expm1(x)); }
function eluGrad64(x: f64, alpha: f64, scale: f64): f64 { return scale * (x > 0 ? 1 : alpha * Math.exp(x)); }
function sigmoid64(x: f64): f64 { return 1 / (1 + Math.exp(-x)); }
function gelu64(x: f64, approx: i32): f64 {
  return approx ? x * sigmoid64(2 * GELU_K * (x + GELU_C * x * x * x)) : x * phi64(x);
}
function geluGrad64(x: f64, approx: i32): f64 {
  if (!approx) return phi64(x) + x * SQRT_2PI_INV * Math.exp(-0.5 * x * x);
  const s = sigmoid64(2 * GELU_K * (x + GELU_C * x * x * x));
  return s + 2 * x * s * (1 - s) * GELU_K * (1 + 3 * GELU_C * x * x);
}

// ---- SIMD helpers ----

/** e^x - 1 (see the header). */
// @ts-ignore: decorator
@inline function vexpm1(x: v128): v128 {
  let p = vsplat(2.48015873e-5);                       // 1/8!
  p = vfma(p, x, vsplat(1.98412698e-4));              // 1/7!
  p = vfma(p, x, vsplat(1.38888889e-3));
  p = vfma(p, x, vsplat(8.33333333e-3));
  p = vfma(p, x, vsplat(4.16666667e-2));
  p = vfma(p, x, vsplat(1.66666667e-1));
  p = vfma(p, x, vsplat(0.5));
  const small = vfma(vmul(x, x), p, x);
  return vsel(vlt(vabs(x), vsplat(0.5)), small, vsub(vexp(x), vsplat(1)));
}

/** e^(-a^2/2) for a >= 0 with a^2 split exactly (see the header). */
// @ts-ignore: decorator
@inline function vgauss(a: v128): v128 {
  const h = v128.and(a, i32x4.splat(0xfffff000));
  const e1 = vexp(vmul(vmul(h, h), vsplat(-0.5)));
  return vmul(e1, vexp(vmul(vmul(vsub(a, h), vadd(a, h)), vsplat(-0.5))));
}

/** 0.5 + x S(x^2): Phi on |x| <= 3/4. */
// @ts-ignore: decorator
@inline function vphiCentral(x: v128): v128 {
  const x2 = vmul(x, x);
  let s = vsplat(1.0299499990651384e-4);
  s = vfma(s, x2, vsplat(-1.1813463643193245e-3));
  s = vfma(s, x2, vsplat(9.972370229661465e-3));
  s = vfma(s, x2, vsplat(-6.64902999997139e-2));
  s = vfma(s, x2, vsplat(3.989422917366028e-1));
  return vfma(x, s, vsplat(0.5));
}

/** t = 1 / (1 + a/2) and P(t) of the tail Q(a) = t e^(-a^2/2 + P(t)). */
// @ts-ignore: decorator
@inline function vtailT(a: v128): v128 { return vdiv(vsplat(1), vfma(a, vsplat(0.5), vsplat(1))); }
// @ts-ignore: decorator
@inline function vtailP(t: v128): v128 {
  let p = vsplat(0.5105939507484436);
  p = vfma(p, t, vsplat(-1.769439697265625));
  p = vfma(p, t, vsplat(2.2162582874298096));
  p = vfma(p, t, vsplat(-0.902370810508728));
  p = vfma(p, t, vsplat(-0.21115319430828094));
  p = vfma(p, t, vsplat(-0.17170104384422302));
  p = vfma(p, t, vsplat(0.24778059124946594));
  p = vfma(p, t, vsplat(1.0003583431243896));
  return vfma(p, t, vsplat(-1.6121025085449219));
}
/** Phi from the central form and the tail value q = Q(|x|). */
// @ts-ignore: decorator
@inline function vphiJoin(x: v128, a: v128, q: v128): v128 {
  return vsel(vgt(a, vsplat(0.75)), vsel(vlt(x, vzero()), q, vsub(vsplat(1), q)), vphiCentral(x));
}
/** Lanes all within |x| <= 2, where e^(-a^2/2 + P) needs no split: the rounding of its argument costs at most ~2 ulp there. */
// @ts-ignore: decorator
@inline function vnear(a: v128): bool { return !v128.any_true(vgt(a, vsplat(2))); }

/** Lanes all within |x| <= 3/4, where vphiJoin takes the central form in every lane (the tail is not computed). */
// @ts-ignore: decorator
@inline function vcentral(a: v128): bool { return !v128.any_true(vgt(a, vsplat(0.75))); }

/** Phi(x), given a = |x| and g = e^(-a^2/2) (from vgauss: accurate far out in the tail). */
// @ts-ignore: decorator
@inline function vphi(x: v128, a: v128, g: v128): v128 {
  const t = vtailT(a);
  return vphiJoin(x, a, vmul(vmul(t, g), vexp(vtailP(t))));
}

/** s = sigmoid(2u) = (1 + tanh(u)) / 2 for the tanh form. */
// @ts-ignore: decorator
@inline function vgeluTanh(x: v128): v128 {
  return vsigmoid(vmul(vsplat(<f32>(2 * GELU_K)), vfma(vmul(vsplat(<f32>GELU_C), x), vmul(x, x), x)));
}

/** Phi(x) as the forward computes it, a = |x|: the central form, the one-exp tail (|x| <= 2), or the split one. */
// @ts-ignore: decorator
@inline function vphiFwd(v: v128, a: v128): v128 {
  if (vcentral(a)) return vphiCentral(v);   // (what vphiJoin picks for every lane)
  if (vnear(a)) {   // one exp: Q = t e^(-a^2/2 + P(t))
    const t = vtailT(a);
    return vphiJoin(v, a, vmul(t, vexpNear(vfma(vmul(a, a), vsplat(-0.5), vtailP(t)))));
  }
  return vphi(v, a, vgauss(a));
}

// ---- ELU / SELU ----
export function f32_elu_fwd__ref(y: usize, x: usize, n: i32, alpha: f32, scale: f32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>elu64(load<f32>(x + o), alpha, scale)); }
}
export function f32_elu_fwd__simd(y: usize, x: usize, n: i32, alpha: f32, scale: f32): void { splitSpan(eluFwd, y, 4, x, 4, 0, 0, n, 0, alpha, scale, COST_SMOOTH, 64); }
function eluFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, alpha: f32, scale: f32): void {
  const va = vsplat(alpha), vs = vsplat(scale), z = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    vst(y + o, vmul(vs, vsel(vgt(v, z), v, vmul(va, vexpm1(vmin(v, z))))));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>elu64(load<f32>(x + o), alpha, scale)); }
}
export function f32_elu_bwd__ref(dx: usize, dy: usize, x: usize, n: i32, alpha: f32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * eluGrad64(load<f32>(x + o), alpha, scale)));
  }
}
export function f32_elu_bwd__simd(dx: usize, dy: usize, x: usize, n: i32, alpha: f32, scale: f32): void { splitSpan(eluBwd, dx, 4, dy, 4, x, 4, n, 0, alpha, scale, COST_SMOOTH, 64); }
function eluBwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, alpha: f32, scale: f32): void {
  const va = vsplat(alpha), vs = vsplat(scale), z = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o);
    const d = vmul(vs, vsel(vgt(v, z), vsplat(1), vmul(va, vexp(vmin(v, z)))));
    vst(dx + o, vfma(vld(dy + o), d, vld(dx + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * eluGrad64(load<f32>(x + o), alpha, scale)));
  }
}

// ---- GELU (approx 0: erf form, 1: tanh form) ----
export function f32_gelu_fwd__ref(y: usize, x: usize, n: i32, approx: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>gelu64(load<f32>(x + o), approx)); }
}
export function f32_gelu_fwd__simd(y: usize, x: usize, n: i32, approx: i32): void { splitSpan(geluFwd, y, 4, x, 4, 0, 0, n, approx, 0, 0, COST_SMOOTH, 64); }
function geluFwd(y: usize, x: usize, _c: usize, n: i32, approx: i32, _f: f32, _g: f32): void {
  let i = 0;
  if (approx) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2, v = vld(x + o);
      vst(y + o, vmul(v, vgeluTanh(v)));
    }
  } else {
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2, v = vld(x + o); vst(y + o, vmul(v, vphiFwd(v, vabs(v)))); }
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>gelu64(load<f32>(x + o), approx)); }
}
export function f32_gelu_bwd__ref(dx: usize, dy: usize, x: usize, n: i32, approx: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * geluGrad64(load<f32>(x + o), approx)));
  }
}
export function f32_gelu_bwd__simd(dx: usize, dy: usize, x: usize, n: i32, approx: i32): void { splitSpan(geluBwd, dx, 4, dy, 4, x, 4, n, approx, 0, 0, COST_SMOOTH, 64); }
function geluBwd(dx: usize, dy: usize, x: usize, n: i32, approx: i32, _f: f32, _g: f32): void {
  const one = vsplat(1);
  let i = 0;
  if (approx) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2, v = vld(x + o), s = vgeluTanh(v);
      const du = vmul(vsplat(<f32>(2 * GELU_K)), vfma(vsplat(<f32>(3 * GELU_C)), vmul(v, v), one));
      const d = vfma(vmul(vmul(v, s), vsub(one, s)), du, s);
      vst(dx + o, vfma(vld(dy + o), d, vld(dx + o)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2, v = vld(x + o), a = vabs(v);
      let d: v128;
      if (vcentral(a)) d = vfma(vmul(v, vsplat(<f32>SQRT_2PI_INV)), vexpNear(vmul(vmul(a, a), vsplat(-0.5))), vphiCentral(v));
      else if (vnear(a)) {   // two exps: g = e^(-a^2/2) and Q = t g e^P(t)
        const t = vtailT(a), g = vexpNear(vmul(vmul(a, a), vsplat(-0.5)));
        d = vfma(vmul(v, vsplat(<f32>SQRT_2PI_INV)), g, vphiJoin(v, a, vmul(vmul(t, g), vexpNear(vtailP(t)))));
      } else {
        const g = vgauss(a);
        d = vfma(vmul(v, vsplat(<f32>SQRT_2PI_INV)), g, vphi(v, a, g));
      }
      vst(dx + o, vfma(vld(dy + o), d, vld(dx + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * geluGrad64(load<f32>(x + o), approx)));
  }
}

// ---- SiLU / swish ----
export function f32_silu_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2, v: f64 = load<f32>(x + o); store<f32>(y + o, <f32>(v * sigmoid64(v))); }
}
export function f32_silu_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(siluFwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, COST_SMOOTH, 64); }
function siluFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2, v = vld(x + o); vst(y + o, vmul(v, vsigmoid(v))); }
  for (; i < n; i++) { const o = <usize>i << 2, v: f64 = load<f32>(x + o); store<f32>(y + o, <f32>(v * sigmoid64(v))); }
}
export function f32_silu_bwd__ref(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v: f64 = load<f32>(x + o), s = sigmoid64(v);
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * s * (1 + v * (1 - s))));
  }
}
export function f32_silu_bwd__simd(dx: usize, dy: usize, x: usize, n: i32): void { splitSpan(siluBwd, dx, 4, dy, 4, x, 4, n, 0, 0, 0, COST_SMOOTH, 64); }
function siluBwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const one = vsplat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o), s = vsigmoid(v);
    vst(dx + o, vfma(vld(dy + o), vmul(s, vfma(v, vsub(one, s), one)), vld(dx + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v: f64 = load<f32>(x + o), s = sigmoid64(v);
    store<f32>(dx + o, load<f32>(dx + o) + <f32>(<f64>load<f32>(dy + o) * s * (1 + v * (1 - s))));
  }
}

// ---- GELU (erf form) in training: the forward also writes the derivative d = Phi(x) + x phi(x) ----
// (the backward is then dx += dy * d, the dropout backward's product), Phi as the forward's (so the
// derivative and the output agree), phi(x) = e^(-x^2/2) / sqrt(2 pi) by vexpNear for |x| <= 2, the
// exactly split vgauss beyond: one pass over x instead of two, and the tail's division, polynomial and
// exp computed once. y may alias x.
export function f32_gelu_train_fwd__ref(y: usize, d: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v = <f64>load<f32>(x + o);
    store<f32>(d + o, <f32>geluGrad64(v, 0)); store<f32>(y + o, <f32>gelu64(v, 0));
  }
}
export function f32_gelu_train_fwd__simd(y: usize, d: usize, x: usize, n: i32): void { splitSpan(geluTrainFwd, y, 4, d, 4, x, 4, n, 0, 0, 0, COST_SMOOTH, 64); }
function geluTrainFwd(y: usize, d: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const c = vsplat(<f32>SQRT_2PI_INV);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o), a = vabs(v), P = vphiFwd(v, a);
    const g = vnear(a) ? vexpNear(vmul(vmul(a, a), vsplat(-0.5))) : vgauss(a);
    vst(d + o, vfma(vmul(v, c), g, P)); vst(y + o, vmul(v, P));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = <f64>load<f32>(x + o);
    store<f32>(d + o, <f32>geluGrad64(v, 0)); store<f32>(y + o, <f32>gelu64(v, 0));
  }
}
