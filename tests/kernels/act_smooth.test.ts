// act_smooth kernels: ELU / SELU, GELU (erf and tanh forms), SiLU. __simd against __ref at every
// size; the __ref twins and the SIMD forms against f64 written here (erf by its Maclaurin series and
// continued fraction), in ulps over sweeps; in place; extreme inputs.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES } from '../helpers.js';
import { call, twins, out, inp, close, ulps, Arg, Tol } from './kit.js';
import { SELU, SMOOTH, Phi, erfc } from './smooth_ref.js';

const e = await engine();
const x = (n: number, seed = 1, scale = 3) => randn(n, seed, scale);
// Transcendental polynomials differ by a few ulp from the f64 references; accumulation adds one.
const TRANS = close(1e-6, 1e-30), ACC = close(2e-6, 1e-6);
// NOTE: the tanh form computed in f32 (as PyTorch does) loses up to 2|2u| ulps for x << 0, where
// y = x * sigmoid(2u) is ill-conditioned (u = sqrt(2/pi) (x + 0.044715 x^3)); the __ref twin works in f64.
const TANH_FWD = close(3e-5, 1e-30), TANH_BWD = close(1e-5, 1e-5);
// The erf form's Phi is a rational fit with an ABSOLUTE error <= 1.7e-7 (act_smooth.ts header), so y = x Phi(x)
// is within 1.7e-7 |x| (2e-6 for these |x| <= 12), relative only where Phi is near 1.
const GELU_FWD = close(1e-6, 2e-6);
const ELEMENTWISE: [string, string, (n: number) => Arg[], Tol][] = [
  ['elu fwd α=1', 'f32_elu_fwd', (n) => [out(n), inp(x(n)), n, 1, 1], TRANS],
  ['elu fwd α=0.3', 'f32_elu_fwd', (n) => [out(n), inp(x(n)), n, 0.3, 1], TRANS],
  ['selu fwd', 'f32_elu_fwd', (n) => [out(n), inp(x(n)), n, SELU.alpha, SELU.scale], TRANS],
  ['elu bwd', 'f32_elu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, 0.7, 1], ACC],
  ['selu bwd', 'f32_elu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, SELU.alpha, SELU.scale], ACC],
  ['gelu fwd', 'f32_gelu_fwd', (n) => [out(n), inp(x(n)), n, 0], GELU_FWD],
  ['gelu tanh fwd', 'f32_gelu_fwd', (n) => [out(n), inp(x(n)), n, 1], TANH_FWD],
  ['gelu bwd', 'f32_gelu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, 0], ACC],
  ['gelu tanh bwd', 'f32_gelu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, 1], TANH_BWD],
  ['gelu training fwd (y and its derivative)', 'f32_gelu_train_fwd', (n) => [out(n), out(n), inp(x(n)), n], ACC],
  ['silu fwd', 'f32_silu_fwd', (n) => [out(n), inp(x(n, 1, 6)), n], TRANS],
  ['silu bwd', 'f32_silu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n], ACC],
];

describe('act_smooth: __simd matches __ref and stays inside its buffers', () => {
  it.each(ELEMENTWISE)('%s', (_, k, args, tol) => { for (const n of [0, ...SIZES]) twins(e, k, args(n), tol, `n=${n}`); });
  it.each([['f32_elu_fwd', [36, 0.5, 1]], ['f32_gelu_fwd', [36, 0]], ['f32_gelu_fwd', [36, 1]], ['f32_silu_fwd', [36]]] as [string, number[]][])(
    '%s may run in place (y aliases x)', (k, dims) => {
      for (const isa of ['ref', 'simd']) {
        const xs = x(36), want = call(e, `${k}__${isa}`, [out(36), inp(xs), ...dims])[0], p = e.put(xs);
        e.kernels[`${k}__${isa}`](p, p, ...dims);
        expect(Array.from(e.f32(p, 36))).toEqual(Array.from(want));
        e.reset(p);
      }
    });
});

/** The spacing of f32 values at v. */
const ulpOf = (v: number) => Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
const sweep = (lo: number, hi: number, n = 20000) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const maxUlps = (got: ArrayLike<number>, xs: ArrayLike<number>, f: (v: number) => number) => {
  let worst = 0, at = NaN;
  for (let i = 0; i < xs.length; i++) { const u = ulps(got[i], f(xs[i])); if (u > worst) { worst = u; at = xs[i]; } }
  return { worst, at };
};
const fwd = (k: string, isa: string, xs: Float32Array, tail: number[]) => call(e, `${k}__${isa}`, [out(xs.length), inp(xs), xs.length, ...tail])[0];

describe('gelu training forward', () => {
  it('writes the forward\'s own output bit for bit, and the derivative the backward kernel computes', () => {
    for (const n of [0, ...SIZES, 4099]) {
      const xs = Float32Array.from(x(n, 9, 4));
      for (let i = 0; i < n; i += 97) xs[i] = [-13, -2.5, 2.01, 0.74, -0.76, 25][(i / 97) % 6];   // every branch
      const [y, d] = call(e, 'f32_gelu_train_fwd__simd', [out(n), out(n), inp(xs), n]);
      expect(Array.from(y)).toEqual(Array.from(fwd('f32_gelu_fwd', 'simd', xs, [0])));
      // the backward kernel's derivative: dx = 0 + 1 * d
      const [dref] = call(e, 'f32_gelu_bwd__simd', [out(new Float32Array(n)), inp(new Float32Array(n).fill(1)), inp(xs), n, 0]);
      // (not in ulps: d crosses 0 near x = -0.752, where both forms cancel Phi against x phi)
      for (let i = 0; i < n; i++) expect(Math.abs(d[i] - dref[i]), `n=${n}, x=${xs[i]}`).toBeLessThanOrEqual(1e-6 * Math.abs(dref[i]) + 1e-7);
    }
  });
});

describe('act_smooth: accuracy against f64 (ulps of the result)', () => {
  it('the f64 erfc reference gives the tabulated values', () => {
    for (const [z, v] of [[0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [3, 2.209049699858544e-5], [5, 1.5374597944280349e-12], [9, 4.1370317465138102e-37]])
      expect(Math.abs(erfc(z) / v - 1), `erfc(${z})`).toBeLessThan(1e-13);
    expect(Math.abs(Phi(-1) - 0.15865525393145707)).toBeLessThan(1e-15);
  });
  // label, kernel, tail args, f64 function, range, max ulps of __simd (the __ref twins: 1)
  const cases: [string, string, number[], (v: number) => number, Float32Array, number][] = [
    ['elu on [-20, 5]', 'f32_elu_fwd', [1, 1], SMOOTH.elu(1), sweep(-20, 5), 3],
    ['elu near 0 (expm1 branch)', 'f32_elu_fwd', [1, 1], SMOOTH.elu(1), sweep(-0.6, 0.1), 3],
    ['selu on [-10, 5]', 'f32_elu_fwd', [SELU.alpha, SELU.scale], SMOOTH.elu(SELU.alpha, SELU.scale), sweep(-10, 5), 4],
    ['gelu [3, 20] (Phi near 1: relative)', 'f32_gelu_fwd', [0], SMOOTH.gelu, sweep(3, 20), 4],
    ['gelu tanh on [-2, 8]', 'f32_gelu_fwd', [1], SMOOTH.geluTanh, sweep(-2, 8), 8],
    ['gelu tanh on [-8, -2] (ill-conditioned: up to 2|2u| ulps, |2u| = 48 at -8)', 'f32_gelu_fwd', [1], SMOOTH.geluTanh, sweep(-8, -2), 100],
    ['silu on [-20, 20]', 'f32_silu_fwd', [], SMOOTH.silu, sweep(-20, 20), 6],
  ];
  it.each(cases)('%s', (_, k, tail, f, xs, bound) => {
    const s = maxUlps(fwd(k, 'simd', xs, tail), xs, f), r = maxUlps(fwd(k, 'ref', xs, tail), xs, f);
    expect(s.worst, `simd worst at x = ${s.at}`).toBeLessThanOrEqual(bound);
    expect(r.worst, `ref worst at x = ${r.at}`).toBeLessThanOrEqual(1);
  });
  it.each([[-13, -3], [-3, 3], [-0.8, -0.7], [3, 20]])('gelu (erf form) on [%d, %d]: within 1.7e-7 |x| + 1/2 ulp of x Phi(x) (an absolute error in Phi)', (lo, hi) => {
    const xs = sweep(lo, hi), y = fwd('f32_gelu_fwd', 'simd', xs, [0]);
    let worst = 0, at = NaN;
    for (let i = 0; i < xs.length; i++) {
      const want = SMOOTH.gelu(xs[i]), e = (Math.abs(y[i] - want) - 0.5 * ulpOf(want)) / Math.abs(xs[i]);
      if (e > worst) { worst = e; at = xs[i]; }
    }
    expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(1.7e-7);
  });
  it('extremes: 0 stays 0, the far negative tail goes to -0/0, large x passes through, NaN stays NaN', () => {
    const xs = new Float32Array([0, -200, 200, -1e30, 1e30, NaN, 1e-30, -1e-30]);
    for (const isa of ['ref', 'simd']) {
      const g = fwd('f32_gelu_fwd', isa, xs, [0]), t = fwd('f32_gelu_fwd', isa, xs, [1]), s = fwd('f32_silu_fwd', isa, xs, []), u = fwd('f32_elu_fwd', isa, xs, [1, 1]);
      for (const y of [g, t, s]) {
        expect(Math.abs(y[0]) + Math.abs(y[1]) + Math.abs(y[3]), `${isa} zeros`).toBe(0);
        expect([y[2], y[4]], isa).toEqual([200, 1e30].map(Math.fround));
        expect(y[5]).toBeNaN();
        expect(y[6], `${isa} tiny x: y = x / 2`).toBeCloseTo(0.5e-30, 36);
      }
      expect(Array.from(u.subarray(0, 5)), `${isa} elu`).toEqual([0, -1, 200, -1, Math.fround(1e30)]);
      expect(u[7], `${isa} elu tiny`).toBe(Math.fround(-1e-30));
    }
  });
});
