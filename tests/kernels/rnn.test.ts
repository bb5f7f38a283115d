// rnn kernels (time-major x (T, N, I), PyTorch gate layouts): SimpleRNN, LSTM and GRU forward and
// BPTT backward, __simd (packed GEMM + SIMD gate math) against __ref (reference GEMM + scalar math)
// inside guarded buffers at ragged sizes; time reversal; the op registry's extents and scratch.
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { run, twins, out, inp, close, EXACT, Arg, Tol, expectMatch } from './kit.js';
import { opByName, rnnScratchFloats, Dims } from '../../src/ops.js';

const e = await engine();
const TOL = close(1e-4, 1e-5);
type Shape = [number, number, number, number]; // T, N, I, H
// hidden sizes below, at and above a vector, ragged; I = 1 and 17; T = 1 (no recurrence)
// N <= 8 takes the fused small-batch step (rnn_step.ts: pairs of samples, a lone last one); N = 9 the GEMM per step
const SHAPES: Shape[] = [[1, 1, 1, 1], [1, 2, 3, 4], [3, 2, 3, 4], [4, 3, 5, 5], [2, 1, 8, 17], [5, 2, 17, 8], [3, 4, 4, 3], [6, 1, 2, 7],
  [4, 1, 5, 36], [3, 8, 6, 9], [3, 9, 5, 6], [2, 9, 3, 17]];
const scratchOf = (cell: number, [T, N, I, H]: Shape) => (e.kernels.rnn_scratch_floats as (...a: number[]) => number)(cell, T, N, I, H);
const G = [1, 4, 3];

/** __simd against __ref, comparing every output but the scratch (the last out buffer). */
function twinsScratch(name: string, args: Arg[], tol: Tol, what: string): Float32Array[] {
  const r = run(e, `${name}__ref`, args).outs as Float32Array[], s = run(e, `${name}__simd`, args).outs as Float32Array[];
  for (let i = 0; i < r.length - 1; i++) expectMatch(s[i], r[i], tol, `${name} ${what} output ${i}`);
  return r;
}

/** Weights, state and data for one cell at one shape (PyTorch-like init scale 1/sqrt(H)). */
function setup(cell: number, [T, N, I, H]: Shape) {
  const GH = G[cell] * H, sc = 1 / Math.sqrt(H);
  return {
    x: randn(T * N * I, 1), h0: randn(N * H, 2, 0.5), c0: randn(N * H, 3, 0.5),
    wih: randn(GH * I, 4, sc), whh: randn(GH * H, 5, sc), bih: randn(GH, 6, sc), bhh: randn(GH, 7, sc),
    dhs: randn(T * N * H, 8), dcT: randn(N * H, 9), scratch: Math.max(4, scratchOf(cell, [T, N, I, H])),
  };
}
/** Gradient buffers, pre-filled (backward accumulates). */
const grads = (cell: number, [T, N, I, H]: Shape) => {
  const GH = G[cell] * H;
  return [out(randn(T * N * I, 11)), out(randn(GH * I, 12)), out(randn(GH * H, 13)), out(randn(GH, 14)), out(randn(GH, 15)), out(randn(N * H, 16))];
};

describe('rnn: __simd matches __ref, forward and BPTT', () => {
  it.each(SHAPES)('SimpleRNN T=%i N=%i I=%i H=%i', (...sh) => {
    const [T, N, I, H] = sh, s = setup(0, sh), dims = [T, N, I, H];
    const [hs] = twinsScratch('f32_rnn_fwd', [out(T * N * H), inp(s.x), inp(s.h0), inp(s.wih), inp(s.whh), inp(s.bih), inp(s.bhh), out(s.scratch), ...dims], TOL, 'fwd');
    twinsScratch('f32_rnn_bwd', [...grads(0, sh), inp(s.dhs), inp(s.x), inp(s.h0), inp(hs), inp(s.wih), inp(s.whh), out(s.scratch), ...dims], TOL, 'bwd');
  });
  it.each(SHAPES)('LSTM T=%i N=%i I=%i H=%i', (...sh) => {
    const [T, N, I, H] = sh, s = setup(1, sh), dims = [T, N, I, H];
    const [hs, cs, gates] = twinsScratch('f32_lstm_fwd', [out(T * N * H), out(T * N * H), out(T * N * 4 * H), inp(s.x), inp(s.h0), inp(s.c0),
      inp(s.wih), inp(s.whh), inp(s.bih), inp(s.bhh), out(s.scratch), ...dims], TOL, 'fwd');
    twinsScratch('f32_lstm_bwd', [...grads(1, sh), out(randn(N * H, 17)), inp(s.dhs), inp(s.dcT), inp(s.x), inp(s.h0), inp(s.c0), inp(hs), inp(cs), inp(gates),
      inp(s.wih), inp(s.whh), out(s.scratch), ...dims], TOL, 'bwd');
  });
  it.each(SHAPES)('GRU T=%i N=%i I=%i H=%i', (...sh) => {
    const [T, N, I, H] = sh, s = setup(2, sh), dims = [T, N, I, H];
    const [hs, gates, hn] = twinsScratch('f32_gru_fwd', [out(T * N * H), out(T * N * 3 * H), out(T * N * H), inp(s.x), inp(s.h0),
      inp(s.wih), inp(s.whh), inp(s.bih), inp(s.bhh), out(s.scratch), ...dims], TOL, 'fwd');
    twinsScratch('f32_gru_bwd', [...grads(2, sh), inp(s.dhs), inp(s.x), inp(s.h0), inp(hs), inp(gates), inp(hn), inp(s.wih), inp(s.whh), out(s.scratch), ...dims], TOL, 'bwd');
  });
});

describe('rational tanh and sigmoid of the fused step', () => {
  // grid over [-12, 12] plus values near the clamp, 0, tiny and huge
  const xs = Float32Array.from([...Array.from({ length: 4800 }, (_, k) => -12 + k * 0.005), 7.9, 7.91, -7.91, 0, -0, 1e-30, 3e4, -3e4, 1e-3, 0.5, -0.5, 2]); // (a multiple of 4)
  const n = xs.length;
  it.each([['f32_tanh_r', Math.tanh], ['f32_sigm_r', (v: number) => 1 / (1 + Math.exp(-v))]] as const)('%s within 4e-7 of f64', (name, f) => {
    const [y] = run(e, name, [out(n), inp(xs), n]).outs as Float32Array[];
    let worst = 0;
    for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(y[k] - f(xs[k])));
    expect(worst).toBeLessThan(4e-7); // measured: tanh 2.8e-7, sigmoid 1.6e-7 (simd build)
  });
  it('passes NaN through', () => {
    for (const name of ['f32_tanh_r', 'f32_sigm_r']) {
      const [y] = run(e, name, [out(4), inp([NaN, 1, NaN, -1]), 4]).outs as Float32Array[];
      expect([Number.isNaN(y[0]), Number.isNaN(y[1]), Number.isNaN(y[2])]).toEqual([true, false, true]);
    }
  });
});

describe('reverse_time (bidirectional layers)', () => {
  it.each([[1, 1], [1, 7], [3, 5], [6, 12], [5, 33]])('T=%i F=%i', (T, F) => {
    const x = randn(T * F, 3);
    twins(e, 'x32_reverse_time', [out(T * F), inp(x), T, F], EXACT);
    const [y] = run(e, 'x32_reverse_time__simd', [out(T * F), inp(x), T, F]).outs;
    for (let t = 0; t < T; t++) expectMatch(y.subarray(t * F, t * F + F), x.subarray((T - 1 - t) * F, (T - t) * F), EXACT, `step ${t}`);
  });
});

describe('rnn ops: extents, scratch and validation', () => {
  const gemmScratch = e.kernels.gemm_scratch_floats as (...a: number[]) => number;
  it('lists extents by role for each cell', () => {
    const d: Dims = { T: 3, N: 2, I: 5, H: 4 };
    const lens = (name: string) => Object.fromEntries(opByName(name).args.filter((a) => a.kind === 'ptr').map((a) => [a.name, (a as { len: (d: Dims) => number }).len(d)]));
    expect(lens('lstm_bwd')).toMatchObject({ dx: 30, dw_ih: 80, dw_hh: 64, db_ih: 16, db_hh: 16, dh0: 8, dc0: 8, dhs: 24, dcT: 8, x: 30, h0: 8, c0: 8, hs: 24, cs: 24, gates: 96, w_ih: 80, w_hh: 64 });
    expect(lens('gru_fwd')).toMatchObject({ hs: 24, gates: 72, hn: 24, x: 30, h0: 8, w_ih: 60, w_hh: 48, b_ih: 12, b_hh: 12 });
    expect(lens('rnn_bwd')).toMatchObject({ dx: 30, dw_ih: 20, dw_hh: 16, db_ih: 4, dh0: 8, dhs: 24, hs: 24 });
    expect(opByName('lstm_fwd').args.slice(-4).map((a) => a.name)).toEqual(['T', 'N', 'I', 'H']);
  });
  it('host scratch size mirrors the kernel', () => {
    for (const cell of [0, 1, 2]) for (const sh of [...SHAPES, [40, 32, 300, 256] as Shape]) {
      const [T, N, I, H] = sh;
      expect(rnnScratchFloats(cell, { T, N, I, H }, gemmScratch), `cell ${cell} ${sh}`).toBe(scratchOf(cell, sh));
    }
  });
  it('rejects zero sizes', () => {
    for (const k of ['T', 'N', 'I', 'H']) expect(opByName('gru_bwd').validate!({ T: 2, N: 2, I: 2, H: 2, [k]: 0 })).toMatch(new RegExp(`${k} must be at least 1`));
    expect(opByName('reverse_time').validate!({ T: 0, F: 3 })).toMatch(/T must be at least 1/);
  });
});
