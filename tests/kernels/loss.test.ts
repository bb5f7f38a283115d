// loss kernels: MSE, cross-entropy from logits (__simd against __ref), and bounds for every loss.
// Values against f64 references, reductions and label handling: tests/grad/act_loss.grad.test.ts.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES } from '../helpers.js';
import { Rng } from '../../src/runtime/rng.js';
import { call, twins, out, inp, idx, close, Arg, Tol, ROWS_COLS, uniform } from './kit.js';

const e = await engine();
const x = (n: number, seed = 1, scale = 2) => randn(n, seed, scale);
/** Class ids in [0, cols), every fifth one out of range (-1 or cols). */
const labels = (rows: number, cols: number, seed = 4) => {
  const r = new Rng(seed);
  return Int32Array.from({ length: rows }, (_, i) => (i % 5 === 4 ? (i % 2 ? -1 : cols) : r.int(cols)));
};

// label, kernel stem, args at size n, tolerance (sums run in a different order)
const ELEMENTWISE: [string, string, (n: number) => Arg[], Tol][] = [
  ['mse fwd mean', 'f32_mse_fwd', (n) => [out(1), inp(x(n)), inp(x(n, 2)), n, 1 / n], close(1e-5, 1e-7)],
  ['mse fwd sum', 'f32_mse_fwd', (n) => [out(1), inp(x(n)), inp(x(n, 2)), n, 1], close(1e-5, 1e-7)],
  ['mse bwd', 'f32_mse_bwd', (n) => [out(x(n, 3)), inp(x(n)), inp(x(n, 2)), n, 1 / n], close(1e-6, 1e-6)],
];
const ROWWISE: [string, string, (r: number, c: number) => Arg[], Tol][] = [
  ['xent fwd', 'f32_xent_logits_fwd', (r, c) => [out(1), inp(x(r * c)), idx(labels(r, c)), r, c, 1 / r], close(1e-5, 1e-6)],
  ['xent bwd', 'f32_xent_logits_bwd', (r, c) => [out(x(r * c, 3)), inp(x(r * c)), idx(labels(r, c)), r, c, 1 / r], close(2e-6, 1e-6)],
];

describe('loss: __simd matches __ref and stays inside its buffers', () => {
  it.each(ELEMENTWISE)('%s', (_, k, args, tol) => { for (const n of SIZES) twins(e, k, args(n), tol, `n=${n}`); });
  it.each(ROWWISE)('%s', (_, k, args, tol) => {
    for (const [r, c] of [...ROWS_COLS, [10, 3], [12, 6]] as [number, number][]) twins(e, k, args(r, c), tol, `${r}x${c}`);
  });
  it('xent with huge logits stays finite', () => {
    const [r, c] = [4, 7], xs = uniform(r * c, -1e4, 1e4);
    xs[3] = 3e38; xs[9] = -3e38;
    for (const isa of ['ref', 'simd']) {
      const [loss] = call(e, `f32_xent_logits_fwd__${isa}`, [out(1), inp(xs), idx([0, 1, 2, 3]), r, c, 1]);
      const [dx] = call(e, `f32_xent_logits_bwd__${isa}`, [out(r * c), inp(xs), idx([0, 1, 2, 3]), r, c, 1]);
      expect(Number.isFinite(loss[0]), isa).toBe(true);
      expect(dx.every(Number.isFinite), isa).toBe(true);
    }
  });
});

describe('loss: the reference-only kernels stay inside their buffers', () => {
  const probs = (n: number) => uniform(n, 0.01, 0.99);
  const targets = (n: number) => uniform(n, 0, 1, 3);
  const REF: [string, (n: number) => Arg[]][] = [
    ['f32_bce_logits_fwd__ref', (n) => [out(1), inp(x(n)), inp(targets(n)), n, 1 / n]],
    ['f32_bce_logits_bwd__ref', (n) => [out(x(n, 3)), inp(x(n)), inp(targets(n)), n, 1 / n]],
    ['f32_bce_fwd__ref', (n) => [out(1), inp(probs(n)), inp(targets(n)), n, 1 / n]],
    ['f32_bce_bwd__ref', (n) => [out(x(n, 3)), inp(probs(n)), inp(targets(n)), n, 1 / n]],
  ];
  it.each(REF)('%s', (k, args) => { for (const n of [0, ...SIZES]) call(e, k, args(n)); });
});
