// Attention kernels (heads side by side in rows of H·dh): __simd against __ref inside guarded
// buffers, at head widths below / at / above a vector and ragged, with and without masks.
// (Against PyTorch: tests/golden/attention.golden.test.ts.)
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { twins, out, inp, idx, close, FMA } from './kit.js';

const e = await engine();
const LANES = close(2e-5, 2e-6);   // dot products in four lanes
// B, H, Tq, Tk, dh
// (dh 64 and 20: the register-blocked 16-lane paths and their tails; odd Tq and Tk: the unpaired last row)
const SHAPES: [number, number, number, number, number][] = [[1, 1, 1, 1, 1], [2, 2, 3, 3, 4], [1, 3, 4, 6, 5], [2, 1, 5, 2, 8], [1, 2, 7, 7, 13], [2, 2, 9, 7, 64], [1, 2, 5, 11, 20], [1, 1, 6, 9, 36]];

describe('attention: __simd matches __ref', () => {
  it.each(SHAPES)('B=%i H=%i Tq=%i Tk=%i dh=%i', (B, H, Tq, Tk, dh) => {
    const D = H * dh, q = randn(B * Tq * D, 1), k = randn(B * Tk * D, 2), v = randn(B * Tk * D, 3), P = B * H * Tq * Tk;
    const mask = Array.from({ length: B * Tk }, (_, i) => (i % 3 === 2 ? 0 : 1));
    for (const [causal, hasMask] of [[0, 0], [1, 0], [0, 1], [1, 1]])
      twins(e, 'f32_attn_probs', [out(P), inp(q), inp(k), idx(hasMask ? mask : [0]), B, H, Tq, Tk, dh, 0.37, causal, hasMask], LANES, `causal ${causal} mask ${hasMask}`);
    const p = randn(P, 4).map(Math.abs);
    twins(e, 'f32_attn_dot', [out(P), inp(q), inp(k), B, H, Tq, Tk, dh], LANES);
    // (the context sums every output over the keys in the reference's order: the same bits on SIMD128;
    // alpha 1 takes the tiles' unscaled loop)
    for (const acc of [0, 1]) for (const alpha of [0.5, 1]) twins(e, 'f32_attn_ctx', [out(randn(B * Tq * D, 5)), inp(p), inp(v), B, H, Tq, Tk, dh, alpha, acc], FMA, `accumulate ${acc} alpha ${alpha}`);
    twins(e, 'f32_attn_ctx_t', [out(randn(B * Tk * D, 6)), inp(p), inp(q), B, H, Tq, Tk, dh, 0.5], LANES);
    twins(e, 'f32_attn_softmax_bwd', [out(P), inp(randn(P, 7)), inp(p), B * H * Tq, Tk], LANES);
  });
});
