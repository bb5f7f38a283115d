// int8 GRU forward (q8_rnn.ts): __simd and __relaxed against __ref (same quantization steps, scalar
// quantizer, reference GEMM, exact exp / tanh), inside guarded buffers at ragged sizes (H below, at
// and above a vector, N = 1 and 5, T = 1); __ref against the f32 GRU (f32_gru_fwd__ref) run on the
// dequantized weights, so only the activation quantization separates them; the host's scratch mirror.
// Runs on both builds (vitest projects).
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, BUILD, randn } from '../helpers.js';
import { Engine } from '../../src/runtime/engine.js';
import { guards } from './guard.js';
import { q8GruScratchBytes, rnnScratchFloats, opByName } from '../../src/ops.js';
import { quantizeWeights } from '../../src/quant/scheme.js';

let e: Engine;
let K8: Record<string, (...a: number[]) => number>;
const { guarded, expectGuards, put } = guards(() => e);
/** max |a - b| and mean |a - b| */
function diff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); max = Math.max(max, d); sum += d; }
  return { max, mean: sum / a.length };
}

type Shape = [number, number, number, number]; // T, N, I, H
const SHAPES: Shape[] = [[1, 1, 1, 1], [3, 1, 6, 4], [5, 2, 3, 7], [32, 1, 32, 32], [8, 5, 17, 9], [4, 3, 2, 33]];

function setup([T, N, I, H]: Shape, seed: number) {
  const G3 = 3 * H, sc = 1 / Math.sqrt(H);
  const wih = randn(G3 * I, seed + 1, sc), whh = randn(G3 * H, seed + 2, sc);
  const qih = quantizeWeights(wih, G3, false, 8), qhh = quantizeWeights(whh, G3, false, 8);
  const deq = (q: Int8Array, s: Float32Array, K: number) => Float32Array.from(q, (v, k) => v * s[Math.floor(k / K)]);
  return { x: randn(T * N * I, seed + 3), h0: randn(N * H, seed + 4, 0.5), bih: randn(G3, seed + 5, sc), bhh: randn(G3, seed + 6, sc),
    qih, qhh, dih: deq(qih.q, qih.scale, I), dhh: deq(qhh.q, qhh.scale, H) };
}

describe(`int8 GRU forward, dynamic quantization (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });

  it.each(SHAPES)('T=%i N=%i I=%i H=%i: __simd and __relaxed match __ref; __ref is the f32 GRU within activation quantization', (...sh) => {
    const [T, N, I, H] = sh, G3 = 3 * H, s = setup(sh, T * 100 + H), mark = e.mark();
    const sb = q8GruScratchBytes(T, N, I, H), dims = [T, N, I, H];
    const px = put(s.x), ph0 = put(s.h0), pbih = put(s.bih), pbhh = put(s.bhh);
    const pwih = put(s.qih.q), pswih = put(s.qih.scale), pwhh = put(s.qhh.q), pswhh = put(s.qhh.scale);
    const zero = put(new Float32Array(G3));
    const ref = guarded(4 * T * N * H), rs = guarded(sb);
    K8.qs8_gru_fwd__ref(ref, px, ph0, pwih, pswih, pwhh, pswhh, pbih, pbhh, rs, ...dims);
    expectGuards(ref, 4 * T * N * H, 'ref hs'); expectGuards(rs, sb, 'ref scratch');
    const hr = e.f32(ref, T * N * H).slice();
    for (const isa of ['simd', 'relaxed']) {
      const wp1 = guarded(K8.qs8_pack_w_bytes(G3, I)), wp2 = guarded(K8.qs8_pack_w_bytes(G3, H)), hs = guarded(4 * T * N * H), ss = guarded(sb);
      K8[`qs8_pack_w__${isa}`](wp1, pwih, zero, pswih, G3, I);
      K8[`qs8_pack_w__${isa}`](wp2, pwhh, zero, pswhh, G3, H);
      K8[`qs8_gru_fwd__${isa}`](hs, px, ph0, wp1, wp2, pbih, pbhh, ss, ...dims);
      expectGuards(hs, 4 * T * N * H, `${isa} hs`); expectGuards(ss, sb, `${isa} scratch`);
      const d = diff(e.f32(hs, T * N * H).slice(), hr);
      // f32 rounding only (measured <= 3e-7); a requantization moved by it would cost ~1e-3 in h
      expect(d.max, `${isa} vs ref, max |diff|`).toBeLessThan(1e-5);
      expect(d.mean, `${isa} vs ref, mean |diff|`).toBeLessThan(1e-6);
    }
    // the f32 GRU on the same (dequantized) weights (measured: max 0.02, mean 0.003 at most)
    const f = guarded(4 * T * N * H), gates = guarded(4 * T * N * G3), hn = guarded(4 * T * N * H), fs = guarded(4 * Math.max(4, rnnScratchFloats(2, { T, N, I, H })));
    K8.f32_gru_fwd__ref(f, gates, hn, px, ph0, put(s.dih), put(s.dhh), pbih, pbhh, fs, ...dims);
    const d = diff(hr, e.f32(f, T * N * H).slice());
    expect(d.max, 'ref vs f32 GRU, max |diff|').toBeLessThan(0.05);
    expect(d.mean, 'ref vs f32 GRU, mean |diff|').toBeLessThan(0.01);
    e.reset(mark);
  });

  it('the ref quantizes for real: coarser weights move it away from the f32 GRU', () => {
    // a negative control for the tolerance above: 3-bit weights must fail the 0.01 mean bound
    const sh: Shape = [16, 1, 8, 16], [T, N, I, H] = sh, G3 = 3 * H, s = setup(sh, 7), mark = e.mark();
    const crude = (w: Float32Array, K: number) => {
      const q = quantizeWeights(w, G3, false, 8);
      return { q: Int8Array.from(q.q, (v) => Math.round(v / 32) * 32), scale: q.scale, K };
    };
    const a = crude(s.dih, I), b = crude(s.dhh, H), hs = guarded(4 * T * N * H);
    K8.qs8_gru_fwd__ref(hs, put(s.x), put(s.h0), put(a.q), put(a.scale), put(b.q), put(b.scale), put(s.bih), put(s.bhh), guarded(q8GruScratchBytes(T, N, I, H)), T, N, I, H);
    const f = guarded(4 * T * N * H);
    K8.f32_gru_fwd__ref(f, guarded(4 * T * N * G3), guarded(4 * T * N * H), put(s.x), put(s.h0), put(s.dih), put(s.dhh), put(s.bih), put(s.bhh),
      guarded(4 * Math.max(4, rnnScratchFloats(2, { T, N, I, H }))), T, N, I, H);
    expect(diff(e.f32(hs, T * N * H).slice(), e.f32(f, T * N * H).slice()).mean).toBeGreaterThan(0.01);
    e.reset(mark);
  });

  it('host scratch mirror and extents match the wasm', () => {
    for (const [T, N, I, H] of [...SHAPES, [128, 64, 32, 64]]) expect(q8GruScratchBytes(T, N, I, H)).toBe(K8.qs8_gru_scratch_bytes(T, N, I, H));
    const op = opByName('qs8_gru');
    const lens = Object.fromEntries(op.args.filter((a) => a.kind === 'ptr').map((a) => [a.name, (a as { len: (d: Record<string, number>) => number }).len({ T: 3, N: 2, I: 5, H: 4 })]));
    expect(lens).toMatchObject({ hs: 24, x: 30, h0: 8, b_ih: 12, b_hh: 12, wp_ih: K8.qs8_pack_w_bytes(12, 5), wp_hh: K8.qs8_pack_w_bytes(12, 4), scratch: K8.qs8_gru_scratch_bytes(3, 2, 5, 4) });
    expect(op.validate!({ T: 0, N: 1, I: 1, H: 1 })).toMatch(/T must be at least 1/);
  });
});
