// data kernels: row gathers (32-bit and u8 -> f32), the seeded PRNG (mirrored by src/runtime/rng.ts)
// and inverted dropout.
import { describe, it, expect } from 'vitest';
import { engine, randn, SIZES } from '../helpers.js';
import { Rng } from '../../src/runtime/rng.js';
import { call, run, twins, out, inp, idx, bytes, state, EXACT, close, expectMatch } from './kit.js';

const e = await engine();
const f = Math.fround;
const x = (n: number, seed = 1) => randn(n, seed);

/** Row indices into xrows rows, with every kind of out-of-range index mixed in. */
function indices(rows: number, xrows: number, seed = 3): Int32Array {
  const r = new Rng(seed), bad = [-1, xrows, xrows + 7, -2147483648, 2147483647];
  return Int32Array.from({ length: rows }, (_, i) => (i % 3 === 2 ? bad[i % bad.length] : r.int(xrows)));
}
const u8s = (n: number, seed = 5) => { const r = new Rng(seed); return Uint8Array.from({ length: n }, () => r.int(256)); };

// rows, cols, xrows: cols below, at and above one vector, ragged
const GATHER: [number, number, number][] = [[1, 1, 1], [3, 3, 2], [4, 4, 5], [5, 7, 3], [6, 8, 9], [7, 16, 4], [9, 33, 10], [2, 100, 3], [3, 257, 2]];

describe('data: __simd matches __ref and stays inside its buffers', () => {
  it.each(GATHER)('x32_gather_rows %i x %i from %i rows', (rows, cols, xrows) =>
    twins(e, 'x32_gather_rows', [out(x(rows * cols, 9)), inp(x(xrows * cols)), idx(indices(rows, xrows)), rows, cols, xrows], EXACT));
  it.each(GATHER)('u8_gather_rows_f32 %i x %i from %i rows', (rows, cols, xrows) =>
    twins(e, 'u8_gather_rows_f32', [out(x(rows * cols, 9)), bytes(u8s(xrows * cols)), idx(indices(rows, xrows)), rows, cols, xrows, 1 / 255, -0.5], EXACT));
  it.each(GATHER)('f32_scatter_add_rows %i x %i into %i rows', (rows, cols, xrows) =>
    twins(e, 'f32_scatter_add_rows', [out(x(xrows * cols, 9)), inp(x(rows * cols)), idx(indices(rows, xrows)), rows, cols, xrows], EXACT));
  it('f32_dropout_bwd', () => {
    for (const n of SIZES) twins(e, 'f32_dropout_bwd', [out(x(n, 3)), inp(x(n, 2)), inp(x(n).map((v) => (v > 0 ? 2 : 0))), n], EXACT, `n=${n}`);
  });
});

describe('data: gathers', () => {
  it.each(['ref', 'simd'])('f32_scatter_add_rows__%s: dw[idx[r]] += dy[r] in row order, out-of-range ids skipped', (isa) => {
    const [rows, cols, xrows] = [7, 6, 4], dy = x(rows * cols, 4), dw0 = x(xrows * cols, 8), ix = [3, -1, 0, 3, 4, 3, 1];
    const dw = call(e, `f32_scatter_add_rows__${isa}`, [out(dw0), inp(dy), idx(ix), rows, cols, xrows])[0];
    const want = Array.from(dw0);
    ix.forEach((j, r) => { if (j >= 0 && j < xrows) for (let c = 0; c < cols; c++) want[j * cols + c] = f(want[j * cols + c] + dy[r * cols + c]); });
    expectMatch(dw, want, EXACT, isa);
  });
  it.each(['ref', 'simd'])('x32_gather_rows__%s copies rows by index, zeros for out-of-range indices', (isa) => {
    const [rows, cols, xrows] = [7, 5, 4], src = x(xrows * cols), ix = [3, -1, 0, 4, 3, 2147483647, 1];
    const y = call(e, `x32_gather_rows__${isa}`, [out(x(rows * cols, 2)), inp(src), idx(ix), rows, cols, xrows])[0];
    const want = ix.flatMap((j) => (j >= 0 && j < xrows ? Array.from(src.subarray(j * cols, j * cols + cols)) : Array(cols).fill(0)));
    expectMatch(y, want, EXACT, isa);
  });
  it.each(['ref', 'simd'])('x32_gather_rows__%s moves raw 32-bit words (i32 labels)', (isa) => {
    const labels = new Float32Array(Int32Array.from([7, -3, 2147483647, -2147483648]).buffer);
    const y = call(e, `x32_gather_rows__${isa}`, [out(4), inp(labels), idx([3, 0, 2, 1]), 4, 1, 4])[0];
    expect(Array.from(new Int32Array(y.buffer))).toEqual([-2147483648, 7, 2147483647, -3]);
  });
  it.each(['ref', 'simd'])('u8_gather_rows_f32__%s: y = x[idx] * scale + shift, each step rounded to f32', (isa) => {
    const cols = 256 + 3, xrows = 2, src = Uint8Array.from({ length: xrows * cols }, (_, i) => i % 256);
    const ix = [1, 0, -1, 2, 1];
    for (const [scale, shift] of [[1 / 255, 0], [1 / 127.5, -1], [0.00392156862, -0.1307], [1, 0]]) {
      const y = call(e, `u8_gather_rows_f32__${isa}`, [out(ix.length * cols), bytes(src), idx(ix), ix.length, cols, xrows, scale, shift])[0];
      const want = ix.flatMap((j) => Array.from({ length: cols }, (_, c) => (j >= 0 && j < xrows ? f(f(src[j * cols + c] * f(scale)) + f(shift)) : 0)));
      expectMatch(y, want, EXACT, `scale ${scale} shift ${shift}`);
    }
  });
});

describe('data: PRNG is bit-identical to src/runtime/rng.ts', () => {
  const SEEDS = [0, 1, 42, 0x9e3779b9, 0xffffffff, 123456789];
  const seeded = (seed: number) => run(e, 'rng_seed', [state(new Uint32Array(4)), seed | 0]).outs[0] as Uint32Array;

  it.each(SEEDS)('rng_seed(%i) gives the host state', (seed) => {
    expect(Array.from(seeded(seed))).toEqual(Array.from(new Rng(seed).s));
  });

  it.each(SEEDS)('rng_next draws the host sequence (seed %i)', (seed) => {
    const host = new Rng(seed), p = e.put(seeded(seed));
    for (let i = 0; i < 2000; i++) {
      const want = host.nextU32(), got = e.kernels.rng_next(p) >>> 0;
      if (got !== want) expect.fail(`draw ${i}: wasm ${got}, host ${want}`);
    }
    expect(Array.from(new Uint32Array(e.memory.buffer, p, 4))).toEqual(Array.from(host.s));
    e.reset(p);
  });

  it.each(SIZES)('rng_fill_uniform__ref: lo + (hi - lo) u in f32, host draws (n = %i)', (n) => {
    for (const [lo, hi] of [[0, 1], [-0.5, 0.5], [-3, 7.25]]) {
      const host = new Rng(99);
      const [y, s] = run(e, 'rng_fill_uniform__ref', [out(n), state(new Rng(99).s), n, lo, hi]).outs;
      expectMatch(y, Array.from({ length: n }, () => f(f(lo) + f(f(f(hi) - f(lo)) * host.uniform()))), EXACT, `[${lo}, ${hi})`);
      expect(Array.from(s), 'state advanced by n draws').toEqual(Array.from(host.s));
      (y as Float32Array).forEach((v) => { expect(v).toBeGreaterThanOrEqual(lo); expect(v).toBeLessThan(hi); });
    }
  });

  it('rng_fill_uniform__ref continues the stream across calls', () => {
    const [a, s1] = run(e, 'rng_fill_uniform__ref', [out(7), state(new Rng(5).s), 7, 0, 1]).outs;
    const [b] = run(e, 'rng_fill_uniform__ref', [out(6), state(s1), 6, 0, 1]).outs;
    const [all] = run(e, 'rng_fill_uniform__ref', [out(13), state(new Rng(5).s), 13, 0, 1]).outs;
    expectMatch([...a, ...b], all, EXACT, 'split stream');
  });

  it('rng_fill_normal__ref: Box-Muller pairs of host draws, mean and std', () => {
    const n = 20001, host = new Rng(17), want: number[] = [];
    for (let i = 0; i < n; i += 2) {
      const u1 = ((host.nextU32() >>> 8) + 1) * 2 ** -24, u2 = (host.nextU32() >>> 8) * 2 ** -24, r = Math.sqrt(-2 * Math.log(u1));
      want.push(f(0.5 + f(2 * f(r * Math.cos(2 * Math.PI * u2)))), f(0.5 + f(2 * f(r * Math.sin(2 * Math.PI * u2)))));
    }
    const [y] = run(e, 'rng_fill_normal__ref', [out(n), state(new Rng(17).s), n, 0.5, 2]).outs as Float32Array[];
    expectMatch(y, want.slice(0, n), close(1e-6, 1e-6), 'normal'); // AS and V8 cos/log may differ in the last bit
    const mean = y.reduce((s, v) => s + v, 0) / n, sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
  });
});

describe('data: inverted dropout', () => {
  const dropout = (xs: Float32Array, seed: number, p: number) =>
    run(e, 'f32_dropout_fwd__ref', [out(xs.length), out(xs.length), inp(xs), state(new Rng(seed).s), xs.length, p]).outs as Float32Array[];

  it.each([0.1, 0.25, 0.5, 0.9])('p = %f: mask is 0 or 1/(1-p), keep rate 1-p, y = x * mask', (p) => {
    const n = 40000, xs = x(n), [y, mask] = dropout(xs, 11, p), keep = f(1 / (1 - f(p)));
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (mask[i] !== 0 && mask[i] !== keep) expect.fail(`mask[${i}] = ${mask[i]}, want 0 or ${keep}`);
      if (mask[i] !== 0) kept++;
    }
    // keep count is binomial(n, 1-p): 6 standard deviations is a loose, never-flaky bound
    expect(Math.abs(kept / n - (1 - p))).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
    expectMatch(y, xs.map((v, i) => v * mask[i]), EXACT, 'y');
  });

  it('the mask is the host draw sequence: keep where uniform() >= p', () => {
    const n = 257, p = 0.3, host = new Rng(8), [, mask] = dropout(x(n), 8, p), keep = f(1 / (1 - f(p)));
    expectMatch(mask, Array.from({ length: n }, () => (host.uniform() >= f(p) ? keep : 0)), EXACT, 'mask');
  });

  it('p = 0 keeps everything with mask 1', () => {
    const xs = x(33), [y, mask] = dropout(xs, 1, 0);
    expectMatch(mask, new Float32Array(33).fill(1), EXACT, 'mask');
    expectMatch(y, xs, EXACT, 'y');
  });

  it.each(SIZES)('forward stays inside its buffers (n = %i)', (n) => { dropout(x(n), 2, 0.5); });

  it.each(['ref', 'simd'])('f32_dropout_bwd__%s accumulates dy * mask into dx', (isa) => {
    const n = 11, dx0 = x(n, 4), dy = x(n, 5), mask = x(n, 6).map((v) => (v > 0 ? 2 : 0));
    const [dx] = call(e, `f32_dropout_bwd__${isa}`, [out(dx0), inp(dy), inp(mask), n]);
    expectMatch(dx, dx0.map((v, i) => v + dy[i] * mask[i]), EXACT, isa);
  });
});
