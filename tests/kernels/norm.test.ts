// norm kernels (batch norm per channel over the rows of (M, C)) and the mobile activations
// (ReLU6, hard-sigmoid, hard-swish): __simd against __ref inside guarded buffers at ragged shapes,
// PyTorch's running-statistics convention, and the op registry's extents and validation.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES, expectClose } from '../helpers.js';
import { twins, run, out, inp, close, EXACT, FMA, ROWS_COLS } from './kit.js';
import { opByName, Dims } from '../../src/ops.js';

const e = await engine();
const TOL = close(2e-5, 2e-5);
const SHAPES = ROWS_COLS.filter(([r]) => r >= 2).concat([[64, 17], [3, 1], [50, 5]]);

describe('batchnorm: __simd matches __ref', () => {
  it.each(SHAPES)('M=%i C=%i', (M, C) => {
    const x = randn(M * C, M + C, 2).map((v, i) => v + (i % C) - 3), g = randn(C, 2), b = randn(C, 3), rm = randn(C, 4), rv = randn(C, 5).map(Math.abs);
    twins(e, 'f32_batchnorm_fwd_train', [out(M * C), out(C), out(C), out(rm), out(rv), inp(x), inp(g), inp(b), M, C, 1e-5, 0.1], TOL, 'fwd train');
    twins(e, 'f32_batchnorm_fwd_eval', [out(M * C), inp(x), inp(g), inp(b), inp(rm), inp(rv), M, C, 1e-3], TOL, 'fwd eval');
    const [, mean, inv] = run(e, 'f32_batchnorm_fwd_train__ref', [out(M * C), out(C), out(C), out(C), out(C), inp(x), inp(g), inp(b), M, C, 1e-5, 0.1]).outs as Float32Array[];
    const dy = randn(M * C, 6);
    // scratch (last) is the SIMD kernel's business: compare dx, dgamma, dbeta only
    const bwd = (isa: string) => run(e, `f32_batchnorm_bwd__${isa}`, [out(randn(M * C, 7)), out(randn(C, 8)), out(randn(C, 9)), inp(dy), inp(x), inp(mean), inp(inv), inp(g), out(2 * C), M, C]).outs.slice(0, 3);
    const [r, s] = [bwd('ref'), bwd('simd')];
    r.forEach((o, i) => expectClose(s[i], o, 1e-4, 1e-5, `bwd output ${i}`));
    twins(e, 'f32_batchnorm_bwd_eval', [out(randn(M * C, 7)), out(randn(C, 8)), out(randn(C, 9)), inp(dy), inp(x), inp(g), inp(rm), inp(rv), M, C, 1e-3], close(1e-5, 1e-5), 'bwd eval');
  });

  it('follows PyTorch: biased variance normalizes, unbiased variance and momentum update the running stats', () => {
    const x = [1, 10, 2, 20, 3, 30, 4, 40]; // (4, 2)
    for (const isa of ['ref', 'simd']) {
      const [y, mean, inv, rm, rv] = run(e, `f32_batchnorm_fwd_train__${isa}`, [out(8), out(2), out(2), out([0, 1]), out([1, 2]), inp(x), inp([1, 2]), inp([0, 1]), 4, 2, 1e-5, 0.1]).outs;
      expectClose(mean, [2.5, 25], 1e-7, 0, `mean ${isa}`);
      expectClose(inv, [1 / Math.sqrt(1.25 + 1e-5), 1 / Math.sqrt(125 + 1e-5)], 1e-6, 0, `invstd ${isa}`);
      expectClose(rm, [0.25, 0.9 + 2.5], 1e-6, 0, `running mean ${isa}`);
      expectClose(rv, [0.9 + 0.1 * 5 / 3, 1.8 + 0.1 * 500 / 3], 1e-6, 0, `running var ${isa}`);
      const i0 = 1 / Math.sqrt(1.25 + 1e-5), i1 = 1 / Math.sqrt(125 + 1e-5);
      expectClose(y, [-1.5 * i0, -30 * i1 + 1, -0.5 * i0, -10 * i1 + 1, 0.5 * i0, 10 * i1 + 1, 1.5 * i0, 30 * i1 + 1], 1e-6, 1e-7, `y ${isa}`);
    }
  });
});

// ReLU6 / hard-sigmoid / hard-swish over [-8, 8] including the kinks -3, 0, 3, 6 exactly
const xs = (n: number) => randn(n, n, 4).map((v, i) => [-3, 0, 3, 6, -6][i % 11] ?? v);
describe('act_mobile: __simd matches __ref', () => {
  const ACTS = ['f32_relu6', 'f32_hardsigmoid', 'f32_hardswish'];
  it.each(ACTS)('%s', (k) => {
    for (const n of SIZES) {
      twins(e, `${k}_fwd`, [out(n), inp(xs(n)), n], EXACT, `fwd n=${n}`);
      twins(e, `${k}_bwd`, [out(randn(n, 1)), inp(randn(n, 2)), inp(xs(n)), n], k === 'f32_hardswish' ? FMA : EXACT, `bwd n=${n}`);
    }
  });
  it('matches PyTorch at and around the kinks', () => {
    const x = [-4, -3, -1.5, 0, 1.5, 3, 4.5, 6, 7];
    for (const isa of ['ref', 'simd']) {
      const f = (k: string) => Array.from(run(e, `f32_${k}__${isa}`, [out(9), inp(x), 9]).outs[0]);
      const b = (k: string) => Array.from(run(e, `f32_${k}__${isa}`, [out(9), inp(new Float32Array(9).fill(1)), inp(x), 9]).outs[0]);
      expect(f('relu6_fwd')).toEqual([0, 0, 0, 0, 1.5, 3, 4.5, 6, 6]);
      expect(b('relu6_bwd')).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 0]);
      expectClose(f('hardsigmoid_fwd'), [0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 1], 1e-7, 1e-12, 'hardsigmoid');
      expectClose(b('hardsigmoid_bwd'), [0, 0, 1, 1, 1, 0, 0, 0, 0].map((v) => v / 6), 1e-7, 1e-12, 'hardsigmoid bwd');
      expectClose(f('hardswish_fwd'), x.map((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6), 1e-7, 1e-12, 'hardswish');
      expectClose(b('hardswish_bwd'), [0, -0.5, 0, 0.5, 1, 1.5, 1, 1, 1], 1e-7, 1e-12, 'hardswish bwd');
    }
  });
  it('relu6 keeps min/max\'s signed zero and NaN in every lane (the SIMD clamp is pmin/pmax + 0)', () => {
    const x = [-0, NaN, -1, 7, 2.5, -0, NaN, 6];
    for (const isa of ['ref', 'simd']) {
      const y = Array.from(run(e, `f32_relu6_fwd__${isa}`, [out(8), inp(x), 8]).outs[0]);
      expect(Object.is(y[0], 0) && Object.is(y[5], 0), `${isa}: relu6(-0) = +0`).toBe(true);
      expect([y[1], y[6]].every(Number.isNaN), `${isa}: NaN passes`).toBe(true);
      expect([y[2], y[3], y[4], y[7]]).toEqual([0, 6, 2.5, 6]);
    }
  });
});

describe('norm ops: extents and validation', () => {
  it('lists extents and rejects bad batch-norm arguments', () => {
    const d: Dims = { M: 12, C: 5, eps: 1e-5, momentum: 0.1 };
    const lens = Object.fromEntries(opByName('batchnorm_bwd').args.filter((a) => a.kind === 'ptr').map((a) => [a.name, (a as { len: (d: Dims) => number }).len(d)]));
    expect(lens).toEqual({ dx: 60, dgamma: 5, dbeta: 5, dy: 60, x: 60, saveMean: 5, saveInvstd: 5, gamma: 5, scratch: 10 });
    const v = opByName('batchnorm_fwd_train').validate!;
    expect(v(d)).toBeNull();
    expect(v({ ...d, M: 1 })).toMatch(/at least 2 values per channel/);
    expect(opByName('batchnorm_fwd_eval').validate!({ M: 1, C: 5, eps: 1e-5 })).toBeNull();
    expect(v({ ...d, C: 0 })).toMatch(/C must be at least 1/);
    expect(v({ ...d, eps: 0 })).toMatch(/eps must be positive/);
    expect(v({ ...d, momentum: 0.99 })).toBeNull();
    expect(v({ ...d, momentum: 1.5 })).toMatch(/momentum must be in \[0, 1\]/);
  });
});
