// Layer normalization over the last axis: __simd against __ref (inside guarded buffers) and both
// against the definition in f64 (PyTorch nn.LayerNorm: biased variance, eps inside the root).
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { call, twins, out, inp, close, expectMatch } from './kit.js';

const e = await engine();
// M rows of C features: one value, below / at / above a vector, ragged, wide
const SHAPES: [number, number][] = [[1, 1], [3, 3], [2, 4], [5, 7], [4, 16], [3, 33], [2, 130]];
const LANES = close(2e-5, 2e-6);   // the SIMD form sums a row in four lanes

function definition(x: Float32Array, g: Float32Array, b: Float32Array, dy: Float32Array, M: number, C: number, eps: number) {
  const y = new Float64Array(M * C), dx = new Float64Array(M * C), dg = new Float64Array(C), db = new Float64Array(C);
  for (let r = 0; r < M; r++) {
    let mu = 0; for (let c = 0; c < C; c++) mu += x[r * C + c] / C;
    let v = 0; for (let c = 0; c < C; c++) v += (x[r * C + c] - mu) ** 2 / C;
    const inv = 1 / Math.sqrt(v + eps), xh = Array.from({ length: C }, (_, c) => (x[r * C + c] - mu) * inv);
    const gg = xh.map((_, c) => dy[r * C + c] * g[c]), mg = gg.reduce((p, q) => p + q, 0) / C, mgx = gg.reduce((p, q, c) => p + q * xh[c], 0) / C;
    for (let c = 0; c < C; c++) {
      y[r * C + c] = xh[c] * g[c] + b[c]; dx[r * C + c] = inv * (gg[c] - mg - xh[c] * mgx);
      dg[c] += dy[r * C + c] * xh[c]; db[c] += dy[r * C + c];
    }
  }
  return { y, dx, dg, db };
}

describe('layernorm: __simd matches __ref and the definition', () => {
  it.each(SHAPES)('f32_layernorm M=%i C=%i', (M, C) => {
    const x = randn(M * C, 1, 2), g = randn(C, 2), b = randn(C, 3), dy = randn(M * C, 4), eps = 1e-5;
    twins(e, 'f32_layernorm_fwd', [out(M * C), out(M), out(M), inp(x), inp(g), inp(b), M, C, eps], LANES);
    const [y, mean, invstd] = call(e, 'f32_layernorm_fwd__simd', [out(M * C), out(M), out(M), inp(x), inp(g), inp(b), M, C, eps]);
    const d = definition(x, g, b, dy, M, C, eps);
    expectMatch(y, d.y, close(1e-5, 1e-5), 'y');
    const dx0 = randn(M * C, 5), dg0 = randn(C, 6), db0 = randn(C, 7);
    const args = [out(dx0), out(dg0), out(db0), inp(dy), inp(x), inp(mean), inp(invstd), inp(g), M, C];
    twins(e, 'f32_layernorm_bwd', args, LANES);
    const [dx, dg, db] = call(e, 'f32_layernorm_bwd__simd', args);
    expectMatch(dx, dx0.map((v, i) => v + d.dx[i]), close(1e-4, 1e-4), 'dx (accumulated)');
    expectMatch(dg, dg0.map((v, i) => v + d.dg[i]), close(1e-4, 1e-4), 'dgamma (accumulated)');
    expectMatch(db, db0.map((v, i) => v + d.db[i]), close(1e-5, 1e-5), 'dbeta (accumulated)');
  });
});
