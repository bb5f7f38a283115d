// Embedding backward: the scatter-add of output-gradient rows into the table's gradient, __simd
// against __ref (inside guarded buffers) and against the definition, padding id and repeats included.
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { call, twins, out, inp, idx, EXACT, expectMatch } from './kit.js';

const e = await engine();
// R rows of D values into a V-row table: one row, below/at/above a vector, ragged, many repeats
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 3, 4], [5, 4, 3], [7, 9, 5], [16, 33, 6], [40, 8, 3]];
const ids = (R: number, V: number, seed: number) => Array.from({ length: R }, (_, r) => (r * 7 + seed) % V);

describe('embed: scatter_add_rows', () => {
  it.each(SHAPES)('f32_scatter_add_rows R=%i D=%i V=%i: __simd = __ref', (R, D, V) => {
    for (const skip of [V, 0]) twins(e, 'f32_scatter_add_rows', [out(randn(V * D, 1)), inp(randn(R * D, 2)), idx(ids(R, V, 3)), R, D, V, skip], EXACT, `skip ${skip}`);
  });
  it.each(['ref', 'simd'])('f32_scatter_add_rows__%s: dw[id] += dy[r] in row order, the padding id and out-of-range ids skipped', (isa) => {
    const [R, D, V] = [6, 5, 4], dw0 = randn(V * D, 4), dy = randn(R * D, 5), ix = [2, 1, 2, -1, 4, 3];
    const want = Float32Array.from(dw0);
    ix.forEach((j, r) => { if (j >= 0 && j < V && j !== 1) for (let c = 0; c < D; c++) want[j * D + c] = Math.fround(want[j * D + c] + dy[r * D + c]); });
    expectMatch(call(e, `f32_scatter_add_rows__${isa}`, [out(dw0), inp(dy), idx(ix), R, D, V, 1])[0], want, EXACT, isa);
  });
});
