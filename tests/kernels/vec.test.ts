// vec kernels: fill, copy, scale, axpy, add, sum of squares, finiteness.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES } from '../helpers.js';
import { call, run, twins, out, inp, idx, EXACT, FMA, close, expectMatch, Arg, Tol } from './kit.js';

const e = await engine();
const x = (n: number, seed = 1) => randn(n, seed);

// name, args at size n, tolerance of __simd against __ref
const VEC: [string, (n: number) => Arg[], Tol][] = [
  ['f32_fill', (n) => [out(n), -1.5, n], EXACT],
  ['x32_copy', (n) => [out(n), inp(x(n)), n], EXACT],
  ['f32_scale', (n) => [out(x(n)), 0.37, n], EXACT],
  ['f32_axpy', (n) => [out(x(n)), inp(x(n, 2)), -0.8, n], FMA],
  ['f32_add', (n) => [out(n), inp(x(n)), inp(x(n, 2)), n], EXACT],
  ['f32_sumsq', (n) => [out([0.5]), inp(x(n)), n], close(1e-6, 1e-6)],
  ['f32_check_finite', (n) => [inp(x(n)), n], EXACT],
  ['i32_to_f32', (n) => [out(n), idx(Int32Array.from(x(n), (v, i) => Math.round(v * 1000) * (i % 3 ? 1 : 40000))), n], EXACT],
];

describe('vec: __simd matches __ref and stays inside its buffers', () => {
  it.each(VEC)('%s', (name, args, tol) => { for (const n of SIZES) twins(e, name, args(n), tol, `n=${n}`); });
  it('n = 0 writes nothing', () => { for (const [name, args, tol] of VEC) twins(e, name, args(0), tol, 'n=0'); });
});

describe('vec: values', () => {
  const f = (a: number) => Math.fround(a);
  const cases: [string, Arg[], number[]][] = [
    ['f32_fill__simd', [out(5), 2.5, 5], [2.5, 2.5, 2.5, 2.5, 2.5]],
    ['f32_scale__simd', [out([1, -2, 3, 4, 5]), -2, 5], [-2, 4, -6, -8, -10]],
    ['f32_axpy__simd', [out([1, 1, 1, 1, 1]), inp([1, 2, 3, 4, 5]), 0.5, 5], [1.5, 2, 2.5, 3, 3.5]],
    ['f32_add__simd', [out(5), inp([1, 2, 3, 4, 5]), inp([10, 20, 30, 40, 50]), 5], [11, 22, 33, 44, 55]],
    ['f32_sumsq__simd', [out([1]), inp([1, 2, 3, 4, 5]), 5], [56]], // accumulates into out[0]
    ['i32_to_f32__simd', [out(6), idx([0, -7, 2 ** 31 - 1, -(2 ** 31), 16777217, 3]), 6], [0, -7, Math.fround(2 ** 31 - 1), -(2 ** 31), Math.fround(16777217), 3]],
    ['f32_sumsq__simd', [out([0]), inp([f(0.1), f(0.2)]), 2], [f(f(f(0.1) * f(0.1)) + f(f(0.2) * f(0.2)))]],
  ];
  it.each(cases)('%s', (name, args, want) => expectMatch(call(e, name, args)[0], want, EXACT, name));

  it('x32_copy moves raw bits (NaN payloads, -0, denormals)', () => {
    const bits = new Uint32Array([0x7fc01234, 0x80000000, 0x00000001, 0xffffffff, 0x3f800000]);
    const src = new Float32Array(bits.buffer);
    for (const k of ['x32_copy__ref', 'x32_copy__simd']) {
      const got = call(e, k, [out(5), inp(src), 5])[0];
      expect(Array.from(new Uint32Array(got.buffer)), k).toEqual(Array.from(bits));
    }
  });

  it('f32_add may alias its output with an input', () => {
    for (const isa of ['ref', 'simd']) {
      const a = x(7), b = x(7, 2);
      const p = e.put(a), q = e.put(b);
      e.kernels[`f32_add__${isa}`](p, p, q, 7);
      expectMatch(e.f32(p, 7), a.map((v, i) => v + b[i]), EXACT, isa);
      e.reset(p);
    }
  });
});

describe('vec: f32_check_finite flags NaN and ±Inf in any position', () => {
  const bad = [NaN, Infinity, -Infinity];
  it.each(SIZES)('n = %i', (n) => {
    for (const isa of ['ref', 'simd']) {
      const k = `f32_check_finite__${isa}`;
      expect(run(e, k, [inp(x(n)), n]).ret, `${k} finite`).toBe(0);
      expect(run(e, k, [inp([3.4e38, -3.4e38, 1e-45, -0]), 4]).ret, `${k} extremes are finite`).toBe(0);
      for (const at of new Set([0, n >> 1, n - 1])) for (const v of bad) {
        const a = x(n); a[at] = v;
        expect(run(e, k, [inp(a), n]).ret, `${k} ${v} at ${at}`).toBe(1);
      }
    }
  });
});
