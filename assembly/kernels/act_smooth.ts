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
//   Phi:   0.5 + x P(x^2) / Q(x^2) on |x| <= 4 sqrt 2 (x clamped there; 0 below, 1 above in f32),
//          P of degree 6 and Q of degree 4 fitted here (f64 least squares on Chebyshev nodes,
//          reweighted towards minimax: 2.7e-8 in f64, <= 1.7e-7 evaluated in f32, then held in [0, 1]).
//          The error is ABSOLUTE (as PyTorch's 0.5 x (1 + erf(x / sqrt 2)) in f32): GELU is within
//          1.7e-7 |x| + 1 ulp, so its relative error grows where y is tiny (x << 0). No exp, no branch:
//          2.6x the throughput of the former tail-accurate form (one exp and a division per vector).
//   phi:   e^(-x^2/2) / sqrt(2 pi) by vexpNear with x^2 held <= 81 (phi(9) ~ 1e-18: x phi(x) is then
//          0 to f32 accuracy for every x), for the derivative Phi(x) + x phi(x).
// The loops take two vectors per step (the polynomials' chains interleave: 1.3x over one).
import { vld, vst, vsplat, vzero, vsub, vmul, vdiv, vmin, vfma, vabs, vsel, vgt, vlt, vexp, vexpNear, vsigmoid } from '../simd';
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

const PHI_X: f32 = 5.656854249;   // 4 sqrt 2: |x| beyond it gives Phi 0 or 1 in f32

/** Phi(x) (see the header): 0.5 + x P(u) / Q(u), u = x^2, x clamped to [-PHI_X, PHI_X]; in [0, 1], 0 below -PHI_X. */
// @ts-ignore: decorator
@inline function vphiRational(v: v128): v128 {
  // (pmin / pmax: one instruction each, where min / max's NaN and signed-zero rules take eight in V8;
  // a NaN x stays NaN through them: the comparisons are false)
  const x = f32x4.pmin(f32x4.pmax(v, vsplat(-PHI_X)), vsplat(PHI_X)), u = vmul(x, x);
  let p = vsplat(1.061604623653345e-10);
  p = vfma(p, u, vsplat(-2.1990096854551666e-8));
  p = vfma(p, u, vsplat(3.4369152217550436e-6));
  p = vfma(p, u, vsplat(1.89728889381513e-4));
  p = vfma(p, u, vsplat(4.634514916688204e-3));
  p = vfma(p, u, vsplat(3.7820544093847275e-2));
  p = vfma(p, u, vsplat(3.9894211292266846e-1));
  let q = vsplat(6.862763984827325e-5);
  q = vfma(q, u, vsplat(1.943892682902515e-3));
  q = vfma(q, u, vsplat(3.0199969187378883e-2));
  q = vfma(q, u, vsplat(2.614658772945404e-1));
  q = vfma(q, u, vsplat(1));
  const phi = f32x4.pmax(vfma(x, vdiv(p, q), vsplat(0.5)), vzero());
  return v128.andnot(phi, f32x4.lt(v, vsplat(-PHI_X)));
}

/** Phi(x) + x phi(x), the erf form's derivative, given P = Phi(x). */
// @ts-ignore: decorator
@inline function vgeluGrad(v: v128, P: v128): v128 {
  const g = vexpNear(vmul(vmin(vmul(v, v), vsplat(81)), vsplat(-0.5)));
  return vfma(vmul(v, vsplat(<f32>SQRT_2PI_INV)), g, P);
}

/** s = sigmoid(2u) = (1 + tanh(u)) / 2 for the tanh form. */
// @ts-ignore: decorator
@inline function vgeluTanh(x: v128): v128 {
  return vsigmoid(vmul(vsplat(<f32>(2 * GELU_K)), vfma(vmul(vsplat(<f32>GELU_C), x), vmul(x, x), x)));
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
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2, v = vld(x + o), w = vld(x + o + 16);
      vst(y + o, vmul(v, vphiRational(v))); vst(y + o + 16, vmul(w, vphiRational(w)));
    }
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2, v = vld(x + o); vst(y + o, vmul(v, vphiRational(v))); }
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
      const o = <usize>i << 2, v = vld(x + o), d = vgeluGrad(v, vphiRational(v));
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
// derivative and the output agree): one pass over x instead of two. y may alias x.
export function f32_gelu_train_fwd__ref(y: usize, d: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v = <f64>load<f32>(x + o);
    store<f32>(d + o, <f32>geluGrad64(v, 0)); store<f32>(y + o, <f32>gelu64(v, 0));
  }
}
export function f32_gelu_train_fwd__simd(y: usize, d: usize, x: usize, n: i32): void { splitSpan(geluTrainFwd, y, 4, d, 4, x, 4, n, 0, 0, 0, COST_SMOOTH, 64); }
function geluTrainFwd(y: usize, d: usize, x: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2, v = vld(x + o), w = vld(x + o + 16), P = vphiRational(v), R = vphiRational(w);
    vst(d + o, vgeluGrad(v, P)); vst(d + o + 16, vgeluGrad(w, R)); vst(y + o, vmul(v, P)); vst(y + o + 16, vmul(w, R));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = vld(x + o), P = vphiRational(v);
    vst(d + o, vgeluGrad(v, P)); vst(y + o, vmul(v, P));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = <f64>load<f32>(x + o);
    store<f32>(d + o, <f32>geluGrad64(v, 0)); store<f32>(y + o, <f32>gelu64(v, 0));
  }
}
