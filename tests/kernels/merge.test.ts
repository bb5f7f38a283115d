// merge kernels: x (B, P, C) times a gate (B, G), G = C or 1; forward and both backward passes,
// __simd against __ref (inside guarded buffers) and against the definition in f64.
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { call, twins, out, inp, EXACT, close, expectMatch } from './kit.js';

const e = await engine();
// B, P, C, G: per-channel gates below / at / above a vector and ragged; per-sample gates; equal shapes (P = 1)
const SHAPES: [number, number, number, number][] = [[1, 1, 1, 1], [2, 3, 4, 4], [3, 5, 7, 7], [2, 9, 13, 13], [1, 4, 33, 33], [2, 6, 5, 1], [3, 2, 9, 1], [2, 1, 12, 12], [4, 1, 3, 3]];
const SUM = close(1e-5, 1e-6);   // the per-sample gradient sums in four lanes

function defs(x: Float32Array, g: Float32Array, dy: Float32Array, B: number, P: number, C: number, G: number) {
  const y = new Float64Array(B * P * C), dx = new Float64Array(B * P * C), dg = new Float64Array(B * G);
  for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
    const i = (b * P + p) * C + c, k = b * G + (G === 1 ? 0 : c);
    y[i] = x[i] * g[k]; dx[i] = dy[i] * g[k]; dg[k] += dy[i] * x[i];
  }
  return { y, dx, dg };
}

describe('merge: gated product, __simd matches __ref and the definition', () => {
  it.each(SHAPES)('f32_mul_bcast B=%i P=%i C=%i G=%i', (B, P, C, G) => {
    const n = B * P * C, x = randn(n, 1), g = randn(B * G, 2), dy = randn(n, 3), dx0 = randn(n, 4), dg0 = randn(B * G, 5);
    twins(e, 'f32_mul_bcast_fwd', [out(n), inp(x), inp(g), B, P, C, G], EXACT);
    twins(e, 'f32_mul_bcast_bwd_x', [out(dx0), inp(dy), inp(g), B, P, C, G], EXACT);
    twins(e, 'f32_mul_bcast_bwd_g', [out(dg0), inp(dy), inp(x), B, P, C, G], G === 1 ? SUM : EXACT);
    const d = defs(x, g, dy, B, P, C, G);
    expectMatch(call(e, 'f32_mul_bcast_fwd__simd', [out(n), inp(x), inp(g), B, P, C, G])[0], d.y, close(1e-6, 1e-7), 'y');
    expectMatch(call(e, 'f32_mul_bcast_bwd_x__simd', [out(dx0), inp(dy), inp(g), B, P, C, G])[0], dx0.map((v, i) => v + d.dx[i]), close(1e-6, 1e-6), 'dx (accumulated)');
    expectMatch(call(e, 'f32_mul_bcast_bwd_g__simd', [out(dg0), inp(dy), inp(x), B, P, C, G])[0], dg0.map((v, i) => v + d.dg[i]), close(1e-5, 1e-5), 'dg (accumulated)');
  });
});
