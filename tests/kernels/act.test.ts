// act kernels: leaky ReLU, sigmoid, tanh (elementwise), softmax and log-softmax (rows).
// __simd against __ref at every size, accuracy of the SIMD exp/tanh against f64, extreme inputs.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES } from '../helpers.js';
import { call, twins, out, inp, EXACT, close, expectMatch, ulps, uniform, Arg, Tol, ROWS_COLS } from './kit.js';

const e = await engine();
const x = (n: number, seed = 1, scale = 3) => randn(n, seed, scale);
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const f32 = (a: ArrayLike<number>, f: (v: number) => number) => Float32Array.from(a, f);

// Transcendentals differ by a few ulp between the SIMD polynomials and Mathf; accumulations
// (backward) and row sums add a rounding or two of their own.
const TRANS = close(1e-6, 1e-37), ACC = close(1e-6, 1e-6), ROW = close(2e-6, 1e-6);

// label, kernel stem, args at size n, tolerance
const ELEMENTWISE: [string, string, (n: number) => Arg[], Tol][] = [
  ['relu fwd', 'f32_leaky_relu_fwd', (n) => [out(n), inp(x(n)), n, 0], EXACT],
  ['leaky fwd α=0.1', 'f32_leaky_relu_fwd', (n) => [out(n), inp(x(n)), n, 0.1], EXACT],
  ['relu bwd', 'f32_leaky_relu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, 0], EXACT],
  ['leaky bwd α=0.1', 'f32_leaky_relu_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(x(n)), n, 0.1], EXACT],
  ['sigmoid fwd', 'f32_sigmoid_fwd', (n) => [out(n), inp(x(n, 1, 6)), n], TRANS],
  ['sigmoid bwd', 'f32_sigmoid_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(f32(x(n), sig)), n], ACC],
  ['tanh fwd', 'f32_tanh_fwd', (n) => [out(n), inp(x(n)), n], TRANS],
  ['tanh bwd', 'f32_tanh_bwd', (n) => [out(x(n, 3)), inp(x(n, 2)), inp(f32(x(n), Math.tanh)), n], ACC],
];

/** A softmax row set as the backward kernels receive it: y = softmax(x) or log_softmax(x). */
function softmaxRows(x: Float32Array, cols: number, log: boolean): Float32Array {
  const y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += cols) {
    const r = x.subarray(o, o + cols), m = Math.max(...r);
    const l = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    r.forEach((v, c) => { y[o + c] = log ? v - l : Math.exp(v - l); });
  }
  return y;
}

const ROWWISE: [string, string, (r: number, c: number) => Arg[], Tol][] = [
  ['softmax fwd', 'f32_softmax_fwd', (r, c) => [out(r * c), inp(x(r * c)), r, c], close(2e-6, 1e-37)],
  ['softmax bwd', 'f32_softmax_bwd', (r, c) => [out(x(r * c, 3)), inp(x(r * c, 2)), inp(softmaxRows(x(r * c), c, false)), r, c], ROW],
  ['log_softmax fwd', 'f32_log_softmax_fwd', (r, c) => [out(r * c), inp(x(r * c)), r, c], ROW],
  ['log_softmax bwd', 'f32_log_softmax_bwd', (r, c) => [out(x(r * c, 3)), inp(x(r * c, 2)), inp(softmaxRows(x(r * c), c, true)), r, c], ROW],
];

describe('act: __simd matches __ref and stays inside its buffers', () => {
  it.each(ELEMENTWISE)('%s', (_, k, args, tol) => { for (const n of SIZES) twins(e, k, args(n), tol, `n=${n}`); });
  it.each(ROWWISE)('%s', (_, k, args, tol) => { for (const [r, c] of ROWS_COLS) twins(e, k, args(r, c), tol, `${r}x${c}`); });
  it('zero sizes write nothing', () => {
    for (const [, k, args, tol] of ELEMENTWISE) twins(e, k, args(0), tol, 'n=0');
    for (const [, k, args, tol] of ROWWISE) { twins(e, k, args(0, 5), tol, '0x5'); twins(e, k, args(3, 0), tol, '3x0'); }
  });
});

describe('act: forward may run in place (y aliases x)', () => {
  const xs = x(36);
  // kernel stem, dimension arguments (36 elements each)
  const cases: [string, number[]][] = [
    ['f32_leaky_relu_fwd', [36, 0.2]], ['f32_sigmoid_fwd', [36]], ['f32_tanh_fwd', [36]],
    ['f32_softmax_fwd', [3, 12]], ['f32_log_softmax_fwd', [3, 12]],
  ];
  it.each(cases)('%s', (k, dims) => {
    for (const isa of ['ref', 'simd']) {
      const want = call(e, `${k}__${isa}`, [out(36), inp(xs), ...dims])[0];
      const p = e.put(xs);
      e.kernels[`${k}__${isa}`](p, p, ...dims);
      expectMatch(e.f32(p, 36), want, EXACT, `${k}__${isa}`);
      e.reset(p);
    }
  });
});

// ---- accuracy of the SIMD transcendentals (assembly/simd.ts) against f64 ----

const maxUlps = (got: ArrayLike<number>, xs: ArrayLike<number>, f: (v: number) => number) => {
  let worst = 0, at = NaN;
  for (let i = 0; i < xs.length; i++) { const u = ulps(got[i], f(xs[i])); if (u > worst) { worst = u; at = xs[i]; } }
  return { worst, at };
};
const sweep = (lo: number, hi: number, n = 20000) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const logSweep = (lo: number, hi: number, n = 4000) => {
  const a = sweep(Math.log(lo), Math.log(hi), n).map(Math.exp);
  return Float32Array.from([...a, ...a.map((v) => -v)]);
};

/**
 * vexp probe: log_softmax_bwd with rows of 5, dy = [0, 0, 0, 0, -1] and dx = 0 stores exactly
 * exp(y) (through vexp) in the first four columns of each row.
 */
function vexp(xs: Float32Array): Float32Array {
  const rows = Math.ceil(xs.length / 4), y = new Float32Array(rows * 5), dy = new Float32Array(rows * 5);
  xs.forEach((v, i) => { y[(i >> 2) * 5 + (i & 3)] = v; });
  for (let r = 0; r < rows; r++) dy[r * 5 + 4] = -1;
  const dx = call(e, 'f32_log_softmax_bwd__simd', [out(rows * 5), inp(dy), inp(y), rows, 5])[0];
  return xs.map((_, i) => dx[(i >> 2) * 5 + (i & 3)]);
}

describe('act: SIMD exp / tanh / sigmoid accuracy', () => {
  const tanh = (xs: Float32Array) => call(e, 'f32_tanh_fwd__simd', [out(xs.length), inp(xs), xs.length])[0];
  const sigmoid = (xs: Float32Array) => call(e, 'f32_sigmoid_fwd__simd', [out(xs.length), inp(xs), xs.length])[0];
  // range, max ulps
  const ranges: [string, Float32Array, number][] = [
    ['[-10, 10]', sweep(-10, 10), 2],
    ['[-1, 1]', sweep(-1, 1), 2],
    ['around the branch at 0.625', sweep(0.6, 0.65), 2],
    ['[-1e-3, 1e-3]', sweep(-1e-3, 1e-3), 1],
    ['1e-38 .. 1 (log-spaced, both signs)', logSweep(1e-38, 1), 1],
    ['1 .. 1e4 (log-spaced, both signs)', logSweep(1, 1e4), 1],
  ];
  it.each(ranges)('vtanh within the bound on %s', (_, xs, bound) => {
    const { worst, at } = maxUlps(tanh(xs), xs, Math.tanh);
    expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(bound);
  });
  it('vtanh is exact at ±0, subnormals and ±Inf', () => {
    const xs = new Float32Array([0, -0, 1e-45, -1e-40, 1e-38, Infinity, -Infinity, 9.2, -50]);
    expect(Array.from(tanh(xs))).toEqual([0, -0, xs[2], xs[3], xs[4], 1, -1, 1, -1]);
    expect(tanh(new Float32Array([NaN, 1, 2, 3]))[0]).toBeNaN();
  });

  it('vexp within 1.5 ulp on [-87, 88.7], including gradual underflow', () => {
    for (const xs of [sweep(-87, 88.7), sweep(-1e-3, 1e-3), sweep(-103.9, -87)]) {
      const { worst, at } = maxUlps(vexp(xs), xs, Math.exp);
      expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(1.5);
    }
  });
  it('vexp saturates: +Inf above ln(FLT_MAX), 0 far below, NaN stays NaN', () => {
    const got = vexp(new Float32Array([88.72, 88.723, 89, 1e30, Infinity, -104, -200, -Infinity, NaN, 0, 1e-8, -1e-8]));
    expect(got[0]).toBeCloseTo(3.3931806e38, -32);
    expect(Array.from(got.subarray(1, 8))).toEqual([Infinity, Infinity, Infinity, Infinity, 0, 0, 0]);
    expect(got[8]).toBeNaN();
    expect(Array.from(got.subarray(9))).toEqual([1, 1, 1]);
  });

  it('vsigmoid within 4 ulp on [-87, 87], and within 1e-38 absolute beyond', () => {
    for (const xs of [sweep(-87, 87), sweep(-1e-3, 1e-3)]) {
      const { worst, at } = maxUlps(sigmoid(xs), xs, sig);
      expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(4);
    }
    const far = sweep(-200, -87, 1000), got = sigmoid(far);
    far.forEach((v, i) => expect(Math.abs(got[i] - sig(v))).toBeLessThan(1e-38));
  });
});

describe('act: extreme inputs stay finite and correct', () => {
  const EXTREMES = [100, -100, 1e-8, -1e-8, 0, -0, 88.8, -88.8, 9.05, -9.05, 20, -20, 1e-38, 1e-45, 3e38, -3e38, 17, -17, 0.625, -0.625, 5];
  const xs = Float32Array.from(EXTREMES), n = xs.length;
  it.each([
    ['f32_sigmoid_fwd', sig, 0, 1],
    ['f32_tanh_fwd', Math.tanh, -1, 1],
  ] as [string, (v: number) => number, number, number][])('%s at ±100, ±1e-8, 0, ...', (k, f, lo, hi) => {
    for (const isa of ['ref', 'simd']) {
      const y = call(e, `${k}__${isa}`, [out(n), inp(xs), n])[0];
      y.forEach((v) => { expect(v).toBeGreaterThanOrEqual(lo); expect(v).toBeLessThanOrEqual(hi); });
      expectMatch(y, f32(xs, f), close(1e-6, 1e-37), `${k}__${isa}`);
    }
  });

  // Rows with a huge logit, huge spreads, ties and tiny values; 7 columns: one vector and a tail.
  const ROWS = [
    [1000, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1000], [1e30, -1e30, 0, 1, 2, 3, 4], [88, 89, 90, 0, -88, -89, -90],
    [-1000, -1000, -1000, -1000, -1000, -1000, -1000], [3, 3, 3, 3, 3, 3, 3], [1e-8, -1e-8, 0, 0, 1e-8, 0, 0], [-1e38, 1e38, 0, 0, 0, 0, 1],
  ];
  const rows = ROWS.length, cols = 7, xr = Float32Array.from(ROWS.flat());
  const softmax64 = (log: boolean) => ROWS.flatMap((r) => {
    const m = Math.max(...r), l = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    return r.map((v) => (log ? v - l : Math.exp(v - l)));
  });
  it.each(['ref', 'simd'])('softmax rows with huge logits (__%s)', (isa) => {
    const y = call(e, `f32_softmax_fwd__${isa}`, [out(rows * cols), inp(xr), rows, cols])[0];
    expect(y.every(Number.isFinite)).toBe(true);
    expectMatch(y, softmax64(false), close(2e-6, 1e-37), 'softmax');
    for (let r = 0; r < rows; r++) expect(y.subarray(r * cols, r * cols + cols).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    const dx = call(e, `f32_softmax_bwd__${isa}`, [out(rows * cols), inp(x(rows * cols)), inp(y), rows, cols])[0];
    expect(dx.every(Number.isFinite)).toBe(true);
  });
  it.each(['ref', 'simd'])('log-softmax rows with huge logits (__%s)', (isa) => {
    const y = call(e, `f32_log_softmax_fwd__${isa}`, [out(rows * cols), inp(xr), rows, cols])[0];
    expect(y.every(Number.isFinite)).toBe(true);
    // y = x - l loses up to half an ulp of the row's log-sum-exp l (|l| = 1000 on one row)
    expectMatch(y, softmax64(true), close(1e-6, 1e-4), 'log_softmax');
    const dx = call(e, `f32_log_softmax_bwd__${isa}`, [out(rows * cols), inp(x(rows * cols)), inp(y), rows, cols])[0];
    expect(dx.every(Number.isFinite)).toBe(true);
  });
  it('uniform random logits up to ±80 match f64 softmax', () => {
    const u = uniform(5 * 13, -80, 80);
    for (const isa of ['ref', 'simd']) {
      const y = call(e, `f32_softmax_fwd__${isa}`, [out(u.length), inp(u), 5, 13])[0];
      const want = softmaxRows(u, 13, false);
      expectMatch(y, want, close(2e-6, 1e-37), isa);
    }
  });
});

describe('act: leaky ReLU backward + bias gradient in one pass (a conv\'s, fused in training plans)', () => {
  // rows x channels: whole vectors per row (4, 16, 32, 48 = 16 + 16 + 16, 24 = 16 + 8) and ragged rows (1, 6, 17, 35)
  const SHAPES: [number, number][] = [[1, 1], [3, 4], [7, 6], [5, 16], [9, 17], [4, 24], [6, 32], [2, 35], [3, 48], [1, 16]];
  it.each([0, 0.1])('alpha %s: __simd = __ref, and = leaky_relu_bwd then bias_grad (__simd) bit for bit', (alpha) => {
    for (const [M, N] of SHAPES) {
      const n = M * N, y = x(n, 5).map((v, i) => (i % 7 === 0 ? 0 : v > 0 ? v : v * alpha));   // an activation output, exact zeros included
      const args = (): Arg[] => [out(x(n, 3)), out(x(N, 4)), inp(x(n, 2)), inp(y), M, N, alpha];
      twins(e, 'f32_leaky_relu_bwd_bias_grad', args(), ACC, `${M}x${N}`);
      const [dx, db] = call(e, 'f32_leaky_relu_bwd_bias_grad__simd', args());
      const [dx2] = call(e, 'f32_leaky_relu_bwd__simd', [out(x(n, 3)), inp(x(n, 2)), inp(y), n, alpha]);
      const [db2] = call(e, 'f32_bias_grad__simd', [out(x(N, 4)), inp(dx2), M, N]);
      expectMatch(dx, dx2, EXACT, `dx ${M}x${N}`);
      expectMatch(db, db2, EXACT, `db ${M}x${N}`);
    }
  });
});
