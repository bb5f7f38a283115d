// layout kernels: transpose of the first two axes and strided row-block copies, __simd against
// __ref (bit-exact, inside guarded buffers) and against the definition; the op registry's extents.
import { describe, it, expect } from 'vitest';
import { engine, randn, expectClose } from '../helpers.js';
import { call, twins, out, inp, idx, EXACT, expectMatch } from './kit.js';
import { Layout, Plan } from '../../src/compile/plan.js';

const e = await engine();
// A, B, F: F = 1 (4x4 lane-shuffle tiles, ragged edges), below / at / above a vector, ragged, long rows
const SHAPES: [number, number, number][] = [[1, 1, 1], [4, 4, 1], [5, 7, 1], [9, 3, 1], [3, 2, 3], [2, 5, 4], [4, 3, 7], [3, 3, 32], [2, 2, 37], [50, 8, 1], [8, 50, 5]];
// rows, cols, ldy, ldx, offy, offx
const BLOCKS: [number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 0, 0], [1, 12, 12, 12, 3, 24], [4, 3, 6, 3, 3, 0], [5, 8, 16, 8, 0, 0], [3, 5, 5, 10, 0, 5], [2, 33, 40, 66, 7, 33], [6, 4, 4, 4, 0, 2], [7, 1, 2, 3, 1, 2],
];

function transposeDef(x: Float32Array, A: number, B: number, F: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) y[(b * A + a) * F + f] = x[(a * B + b) * F + f];
  return y;
}

describe('layout: __simd matches __ref and the definition', () => {
  it.each(SHAPES)('x32_transpose_01 (%i, %i, %i)', (A, B, F) => {
    const x = randn(A * B * F, 1);
    twins(e, 'x32_transpose_01', [out(randn(A * B * F, 2)), inp(x), A, B, F], EXACT, `${A}x${B}x${F}`);
    expectMatch(call(e, 'x32_transpose_01__simd', [out(A * B * F), inp(x), A, B, F])[0], transposeDef(x, A, B, F), EXACT, 'definition');
  });
  it('x32_transpose_01 twice is the identity and moves raw bits (NaN payloads, i32)', () => {
    const bits = Uint32Array.from({ length: 6 * 5 }, (_, k) => (k * 0x9e3779b1) >>> 0), x = new Float32Array(bits.buffer);
    for (const isa of ['ref', 'simd']) for (const [A, B, F] of [[6, 5, 1], [3, 2, 5]]) {
      const t = call(e, `x32_transpose_01__${isa}`, [out(30), inp(x), A, B, F])[0];
      const back = call(e, `x32_transpose_01__${isa}`, [out(30), inp(t), B, A, F])[0];
      expect(Array.from(new Uint32Array(back.buffer))).toEqual(Array.from(bits));
    }
  });
  it.each(BLOCKS)('x32_copy_strided rows=%i cols=%i ldy=%i ldx=%i offy=%i offx=%i', (rows, cols, ldy, ldx, offy, offx) => {
    const ny = offy + (rows - 1) * ldy + cols, nx = offx + (rows - 1) * ldx + cols, x = randn(nx, 3), y0 = randn(ny, 4);
    twins(e, 'x32_copy_strided', [out(y0), inp(x), rows, cols, ldy, ldx, offy, offx], EXACT);
    const want = y0.slice();
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[offy + r * ldy + c] = x[offx + r * ldx + c];
    expectMatch(call(e, 'x32_copy_strided__simd', [out(y0), inp(x), rows, cols, ldy, ldx, offy, offx])[0], want, EXACT, 'definition (untouched elements kept)');
  });
});

describe('layout: op registry', () => {
  it('checks extents and pitches', () => {
    const L = new Layout(), y = L.add('y', 'f32', 12), x = L.add('x', 'f32', 12), p = new Plan(L);
    p.emit('transpose_01', { y, x, A: 3, B: 2, F: 2 });
    expect(() => p.emit('transpose_01', { y, x, A: 3, B: 2, F: 3 })).toThrowError(/needs 72 bytes/);
    p.emit('copy_strided', { y, x, rows: 2, cols: 3, ldy: 6, ldx: 3, offy: 3, offx: 0 });
    expect(() => p.emit('copy_strided', { y, x, rows: 2, cols: 3, ldy: 6, ldx: 3, offy: 4, offx: 0 })).toThrowError(/argument y needs 52 bytes/);
    expect(() => p.emit('copy_strided', { y, x, rows: 2, cols: 3, ldy: 2, ldx: 3, offy: 0, offx: 0 })).toThrowError(/pitches/);
  });
});

describe('layout: add_strided (a concatenation gradient back into one input)', () => {
  it.each(BLOCKS)('f32_add_strided rows=%i cols=%i ldy=%i ldx=%i offy=%i offx=%i', (rows, cols, ldy, ldx, offy, offx) => {
    const ny = offy + (rows - 1) * ldy + cols, nx = offx + (rows - 1) * ldx + cols, x = randn(nx, 5), y0 = randn(ny, 6);
    twins(e, 'f32_add_strided', [out(y0), inp(x), rows, cols, ldy, ldx, offy, offx], EXACT);
    const want = y0.slice();
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[offy + r * ldy + c] += x[offx + r * ldx + c];
    expectMatch(call(e, 'f32_add_strided__simd', [out(y0), inp(x), rows, cols, ldy, ldx, offy, offx])[0], want, EXACT, 'definition (untouched elements kept)');
  });
});

// gather_runs: runs (src, len), src -1 = fill; sources below, at and above a vector, repeated and overlapping sources
const RUNS: [string, number, number[]][] = [
  ['one copy run', 7, [0, 7]],
  ['fill and copies', 9, [-1, 3, 2, 5, -1, 1, 0, 2]],
  ['repeated sources (gather [2, 2, 0])', 4, [2, 1, 2, 1, 0, 1]],
  ['overlapping long runs', 40, [3, 33, 0, 37, -1, 9, 39, 1]],
  ['single elements (channel gather)', 12, [1, 1, 4, 1, 7, 1, 10, 1]],
];

describe('layout: gather_runs', () => {
  it.each(RUNS)('%s: fwd and bwd __simd match __ref and the definition', (_, S, runs) => {
    const J = runs.filter((_, k) => k % 2).reduce((a, b) => a + b, 0), R = runs.length / 2;
    for (const N of [1, 3]) {
      const x = randn(N * S, 5), dy = randn(N * J, 6), dx0 = randn(N * S, 7);
      twins(e, 'f32_gather_runs_fwd', [out(randn(N * J, 8)), inp(x), idx(runs), N, S, J, R, -2.5], EXACT, `N=${N}`);
      twins(e, 'f32_gather_runs_bwd', [out(dx0), inp(dy), idx(runs), N, S, J, R], EXACT, `N=${N}`);
      const y = new Float32Array(N * J), dx = dx0.slice();
      for (let n = 0, j = 0; n < N; n++) for (let r = 0; r < R; r++) for (let k = 0; k < runs[2 * r + 1]; k++, j++) {
        const s = runs[2 * r];
        y[j] = s < 0 ? -2.5 : x[n * S + s + k];
        if (s >= 0) dx[n * S + s + k] += dy[j];
      }
      expectMatch(call(e, 'f32_gather_runs_fwd__simd', [out(N * J), inp(x), idx(runs), N, S, J, R, -2.5])[0], y, EXACT, 'fwd definition');
      expectClose(call(e, 'f32_gather_runs_bwd__simd', [out(dx0), inp(dy), idx(runs), N, S, J, R])[0], dx, 1e-6, 1e-6, 'bwd definition (accumulates)');
    }
  });
});
