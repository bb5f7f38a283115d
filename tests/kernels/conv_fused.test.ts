// The fused conv forwards (assembly/kernels/conv_fused.ts): conv2d_bias_relu6_fwd and conv2d_bn_act_fwd
// (act none / leaky / ReLU6) on every convolution path (pointwise GEMM and its GEMV rows, several GEMM
// blocks and depth blocks, implicit GEMM and its C1→OC6 path, im2col blocks, depthwise 3x3 and generic,
// grouped): __simd against __ref, and __simd bit for bit equal to the unfused __simd instructions in a row
// (what the plan fusion relies on); then the same bits with the work split between 1, 2 and 3 threads.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { engine, randn, Arena, BUILD } from '../helpers.js';
import { run, expectMatch, out, inp, close } from './kit.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { uniform } from './kit.js';

const e = await engine();
const TOL = close(2e-5, 2e-5);

interface Geo { N: number; H: number; W: number; C: number; OC: number; KH: number; KW: number; s?: number; p?: number; g?: number }
const dims = (q: Geo) => [q.N, q.H, q.W, q.C, q.OC, q.KH, q.KW, q.s ?? 1, q.s ?? 1, q.p ?? 0, q.p ?? 0, q.p ?? 0, q.p ?? 0, 1, 1, q.g ?? 1];
const out1 = (n: number, k: number, p: number, s: number) => Math.floor((n + 2 * p - k) / s) + 1;
const sizes = (q: Geo) => {
  const OH = out1(q.H, q.KH, q.p ?? 0, q.s ?? 1), OW = out1(q.W, q.KW, q.p ?? 0, q.s ?? 1);
  return { xs: q.N * q.H * q.W * q.C, ys: q.N * OH * OW * q.OC, ws: q.KH * q.KW * (q.C / (q.g ?? 1)) * q.OC };
};
const convScratch = (q: Geo) => (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...dims(q));

const CASES: [string, Geo][] = [
  ['pointwise C17→8', { N: 2, H: 5, W: 3, C: 17, OC: 8, KH: 1, KW: 1 }],
  ['pointwise GEMV rows (M = 3)', { N: 1, H: 1, W: 3, C: 9, OC: 7, KH: 1, KW: 1 }],
  ['pointwise, GEMM row, column and depth blocks (M 144, OC 530, C 300)', { N: 1, H: 12, W: 12, C: 300, OC: 530, KH: 1, KW: 1 }],
  ['implicit GEMM 3x3 C5→13 same', { N: 2, H: 7, W: 9, C: 5, OC: 13, KH: 3, KW: 3, p: 1 }],
  ['implicit GEMM 3x3 C3→32 stride 2 (border path)', { N: 1, H: 96, W: 96, C: 3, OC: 32, KH: 3, KW: 3, s: 2, p: 1 }],
  ['implicit GEMM C1→6 5x5 same (pixel-vector path)', { N: 2, H: 12, W: 11, C: 1, OC: 6, KH: 5, KW: 5, p: 2 }],
  ['im2col 3x3 C32→20 (K 288)', { N: 1, H: 9, W: 8, C: 32, OC: 20, KH: 3, KW: 3, p: 1 }],
  ['depthwise 3x3 C19 same (fast path)', { N: 2, H: 9, W: 11, C: 19, OC: 19, KH: 3, KW: 3, g: 19, p: 1 }],
  ['depthwise 3x3 C8 stride 2', { N: 1, H: 9, W: 10, C: 8, OC: 8, KH: 3, KW: 3, g: 8, s: 2 }],
  ['depthwise 5x5 C6', { N: 1, H: 8, W: 7, C: 6, OC: 6, KH: 5, KW: 5, g: 6, p: 2 }],
  ['grouped C8→6', { N: 2, H: 6, W: 5, C: 8, OC: 6, KH: 3, KW: 3, g: 2, p: 1 }],
];

// batch-norm statistics as a trained model has them: var in [0.3, 2.5], eps 1e-3
const bn = (OC: number, seed: number) => ({ gamma: randn(OC, seed, 0.8), beta: randn(OC, seed + 1, 0.5), mean: randn(OC, seed + 2, 0.3), variance: uniform(OC, 0.3, 2.5, seed + 3) });
const EPS = 1e-3;
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/** The unfused instructions on the SIMD build, in a row (each on its own guarded copies). */
function unfused(q: Geo, x: Float32Array, w: Float32Array, tail: { bias?: Float32Array; norm?: ReturnType<typeof bn>; act: number; alpha: number }): Float32Array {
  const { ys } = sizes(q), M = ys / q.OC, sc = out(Math.max(4, convScratch(q)));
  let y = tail.bias
    ? run(e, 'f32_conv2d_bias_fwd__simd', [out(ys), inp(x), inp(w), inp(tail.bias), sc, ...dims(q)]).outs[0] as Float32Array
    : run(e, 'f32_conv2d_fwd__simd', [out(ys), inp(x), inp(w), sc, ...dims(q)]).outs[0] as Float32Array;
  if (tail.norm) {
    const { gamma, beta, mean, variance } = tail.norm;
    y = run(e, 'f32_batchnorm_fwd_eval__simd', [out(ys), inp(y), inp(gamma), inp(beta), inp(mean), inp(variance), M, q.OC, EPS]).outs[0] as Float32Array;
  }
  if (tail.act === 1) y = run(e, 'f32_leaky_relu_fwd__simd', [out(ys), inp(y), ys, tail.alpha]).outs[0] as Float32Array;
  if (tail.act === 2) y = run(e, 'f32_relu6_fwd__simd', [out(ys), inp(y), ys]).outs[0] as Float32Array;
  return y;
}

describe('fused conv forwards: __simd against __ref, and the unfused instructions\' bits', () => {
  it.each(CASES)('%s', (_, q) => {
    const { xs, ys, ws } = sizes(q);
    // inputs scaled so that ReLU6's both clamps and the leaky slope all occur
    const x = randn(xs, 1, 2), w = randn(ws, 2, 1.5 / Math.sqrt(ws / q.OC)), b = randn(q.OC, 3, 2), norm = bn(q.OC, 4);
    const sc = () => out(new Float32Array(Math.max(4, convScratch(q) + q.OC)).fill(NaN));
    const reluArgs = [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), inp(b), sc(), ...dims(q)];
    const r = run(e, 'f32_conv2d_bias_relu6_fwd__ref', reluArgs).outs[0], s = run(e, 'f32_conv2d_bias_relu6_fwd__simd', reluArgs).outs[0];
    expectMatch(s, r, TOL, 'bias + relu6 vs ref');
    expect(bits(s), 'bias + relu6 = conv2d_bias_fwd, relu6_fwd').toEqual(bits(unfused(q, x, w, { bias: b, act: 2, alpha: 0 })));
    const clamped = Array.from(s).filter((v) => v === 0 || v === 6).length;
    expect(clamped, 'both clamps occur').toBeGreaterThan(0);
    for (const [act, alpha] of [[0, 0], [1, 0.1], [1, 0], [2, 0]]) {
      const args = [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), inp(norm.gamma), inp(norm.beta), inp(norm.mean), inp(norm.variance), sc(), ...dims(q), EPS, act, alpha];
      const rb = run(e, 'f32_conv2d_bn_act_fwd__ref', args).outs[0], sb = run(e, 'f32_conv2d_bn_act_fwd__simd', args).outs[0];
      expectMatch(sb, rb, close(5e-5, 5e-5), `bn act ${act} vs ref`);
      expect(bits(sb), `bn act ${act} = conv2d_fwd, batchnorm_fwd_eval, act`).toEqual(bits(unfused(q, x, w, { norm, act, alpha })));
    }
  });
});

describe(`fused conv forwards on 1, 2 and 3 threads (${BUILD} build)`, () => {
  const COUNTS = [1, 2, 3], mt = new Map<number, Engine>();
  beforeAll(async () => {
    for (const n of COUNTS) {
      const t = await loadEngine({ build: BUILD, threads: n });
      (t.exports.mt_set_thresholds as (w: number, el: number) => void)(1, 0);   // split every call
      await t.startThreads();
      mt.set(n, t);
    }
  });
  afterAll(() => { for (const t of mt.values()) t.stopThreads(); });

  it.each(CASES.filter(([, q]) => q.N * q.H * q.W >= 60))('%s: same bits, split', (_, q) => {
    const { xs, ys, ws } = sizes(q), norm = bn(q.OC, 4);
    const inputs = [new Float32Array(ys), randn(xs, 1, 2), randn(ws, 2, 1.5 / Math.sqrt(ws / q.OC)), norm.gamma, norm.beta, norm.mean, norm.variance, new Float32Array(Math.max(4, convScratch(q) + q.OC))];
    const call = (t: Engine) => {
      const ar = new Arena(t);
      try {
        const p = inputs.map((a) => ar.f32(a)), before = t.exports.mt_jobs() as number;
        t.kernels.f32_conv2d_bn_act_fwd__simd(...p, ...dims(q), EPS, 2, 0);
        return { y: ar.read(p[0], ys), jobs: (t.exports.mt_jobs() as number) - before };
      } finally { ar.free(); }
    };
    const want = call(mt.get(1)!).y;
    for (const n of [2, 3]) {
      const { y, jobs } = call(mt.get(n)!);
      expect(bits(y), `${n} threads`).toEqual(bits(want));
      expect(jobs, `${n} threads: split`).toBeGreaterThan(0);
    }
  });
});
