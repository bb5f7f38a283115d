// augment kernels: __simd vs __ref (bit-exact, guards around every buffer), known answers from
// host mirrors of the draws (src/runtime/rng.ts), determinism per seed, and draw statistics.
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { Rng } from '../../src/runtime/rng.js';
import { call, run, twins, out, inp, state, EXACT, close, expectMatch } from './kit.js';

const e = await engine();
const f = Math.fround;
const x = (n: number, seed = 1) => randn(n, seed);
const st = (seed: number) => state(new Rng(seed).s);

// N, H, W, C: one pixel, single rows/columns, widths below/at/above a vector, ragged, multi-channel
const IMAGES: [number, number, number, number][] = [[1, 1, 1, 1], [2, 1, 5, 1], [3, 4, 4, 1], [2, 5, 7, 1], [2, 8, 9, 1], [3, 6, 5, 2], [2, 5, 6, 3], [2, 7, 5, 4], [1, 4, 6, 5], [2, 3, 4, 8], [2, 28, 28, 1]];
const img = ([N, H, W, C]: number[]) => N * H * W * C;

describe('augment: __simd matches __ref bit for bit and stays inside its buffers', () => {
  it.each(IMAGES)('f32_random_flip_fwd %i x %i x %i x %i', (N, H, W, C) => {
    for (const [fh, fv] of [[1, 0], [0, 1], [1, 1], [0, 0]]) twins(e, 'f32_random_flip_fwd', [out(img([N, H, W, C])), inp(x(img([N, H, W, C]))), st(3), N, H, W, C, fh, fv], EXACT, `flip ${fh}${fv}`);
  });
  it.each(IMAGES)('f32_random_translate_fwd %i x %i x %i x %i', (N, H, W, C) => {
    for (const [ky, kx] of [[0, 0], [1, 2], [3, 3], [H + 2, W + 2]]) twins(e, 'f32_random_translate_fwd', [out(x(img([N, H, W, C]), 9)), inp(x(img([N, H, W, C]))), st(4), N, H, W, C, ky, kx], EXACT, `k ${ky},${kx}`);
  });
  it.each(IMAGES)('f32_random_rotate_fwd %i x %i x %i x %i', (N, H, W, C) => {
    for (const a of [0, 0.2, 1.5, Math.PI]) twins(e, 'f32_random_rotate_fwd', [out(img([N, H, W, C])), inp(x(img([N, H, W, C]))), st(5), N, H, W, C, a], EXACT, `angle ${a}`);
  });
  it.each(IMAGES)('f32_brightness_contrast_fwd %i x %i x %i x %i', (N, H, W, C) => {
    for (const [b, k, lo, hi] of [[0.2, 0.3, -3e38, 3e38], [0.5, 0.9, -0.5, 0.7], [0, 0, -3e38, 3e38]])
      twins(e, 'f32_brightness_contrast_fwd', [out(img([N, H, W, C])), out(N * C), inp(x(img([N, H, W, C]))), st(6), N, H, W, C, b, k, lo, hi], EXACT, `b ${b} k ${k}`);
  });
  it.each([[1, 1, 1], [2, 5, 1], [3, 7, 2], [2, 4, 4], [2, 3, 9], [4, 33, 3]])('f32_seq_scale fwd and bwd %i x %i x %i', (N, T, F) => {
    twins(e, 'f32_seq_scale_fwd', [out(N * T * F), out(N * F), inp(x(N * T * F)), st(7), N, T, F, 0.2], EXACT);
    twins(e, 'f32_seq_scale_bwd', [out(x(N * T * F, 2)), inp(x(N * T * F, 3)), inp(x(N * F, 4)), N, T, F], EXACT);
  });
  it.each([1, 2, 3, 8, 33, 100])('f32_gaussian_noise_fwd__ref stays inside its buffers (n = %i)', (n) => {
    call(e, 'f32_gaussian_noise_fwd__ref', [out(n), inp(x(n)), st(8), n, 0.1]);
  });
});

/** Host mirror of drawShift: integer in [-k, k] from one u32 draw. */
const shift = (r: Rng, k: number) => Math.floor((r.nextU32() * (2 * k + 1)) / 2 ** 32) - k;
const isas = ['ref', 'simd'];

describe('augment: known answers from the host draw sequence', () => {
  it.each(isas)('flip__%s: horizontal then vertical draw per sample, flip when u < 1/2', (isa) => {
    const [N, H, W, C] = [9, 3, 5, 2], xs = x(N * H * W * C), host = new Rng(21), want = new Float32Array(xs.length);
    for (let n = 0; n < N; n++) {
      const fh = host.uniform() < 0.5, fv = host.uniform() < 0.5;
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++)
        want[((n * H + h) * W + w) * C + c] = xs[((n * H + (fv ? H - 1 - h : h)) * W + (fh ? W - 1 - w : w)) * C + c];
    }
    const [y, s] = run(e, `f32_random_flip_fwd__${isa}`, [out(xs.length), inp(xs), st(21), N, H, W, C, 1, 1]).outs;
    expectMatch(y, want, EXACT, 'y');
    expect(Array.from(s)).toEqual(Array.from(host.s));
  });

  it.each(isas)('translate__%s: y[h, w] = x[h - dy, w - dx], zeros shifted in', (isa) => {
    const [N, H, W, C, ky, kx] = [12, 4, 6, 3, 2, 3], xs = x(N * H * W * C), host = new Rng(22), want = new Float32Array(xs.length);
    for (let n = 0; n < N; n++) {
      const dy = shift(host, ky), dx = shift(host, kx);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
        const sh = h - dy, sw = w - dx;
        want[((n * H + h) * W + w) * C + c] = sh >= 0 && sh < H && sw >= 0 && sw < W ? xs[((n * H + sh) * W + sw) * C + c] : 0;
      }
    }
    const [y] = call(e, `f32_random_translate_fwd__${isa}`, [out(xs.length), inp(xs), st(22), N, H, W, C, ky, kx]);
    expectMatch(y, want, EXACT, 'y');
  });

  it.each(isas)('rotate__%s: bilinear about the centre by (2u - 1) * maxAngle, zeros outside', (isa) => {
    const [N, H, W, C, A] = [5, 6, 7, 2, 0.6], xs = x(N * H * W * C), host = new Rng(23), want = new Float32Array(xs.length);
    const px = (n: number, h: number, w: number, c: number) => (h >= 0 && h < H && w >= 0 && w < W ? xs[((n * H + h) * W + w) * C + c] : 0);
    for (let n = 0; n < N; n++) {
      const a = f(f(2 * host.uniform() - 1) * f(A)), ca = Math.cos(a), sa = Math.sin(a);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
        const dh = h - (H - 1) / 2, dw = w - (W - 1) / 2;
        const sy = ca * dh - sa * dw + (H - 1) / 2, sx = sa * dh + ca * dw + (W - 1) / 2;
        const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
        want[((n * H + h) * W + w) * C + c] = (1 - fy) * ((1 - fx) * px(n, y0, x0, c) + fx * px(n, y0, x0 + 1, c)) + fy * ((1 - fx) * px(n, y0 + 1, x0, c) + fx * px(n, y0 + 1, x0 + 1, c));
      }
    }
    const [y] = call(e, `f32_random_rotate_fwd__${isa}`, [out(xs.length), inp(xs), st(23), N, H, W, C, A]);
    expectMatch(y, want, close(1e-4, 1e-5), 'y'); // f32 vs f64 coordinates
  });

  it.each(isas)('rotate__%s: maxAngle 0 is the identity; pi turns a square image upside down', (isa) => {
    const [N, H, W] = [3, 5, 5], xs = x(N * H * W);
    expectMatch(call(e, `f32_random_rotate_fwd__${isa}`, [out(xs.length), inp(xs), st(1), N, H, W, 1, 0])[0], xs, EXACT, 'identity');
    // angles near ±pi: the result is close to the 180° rotation only when |a| is close to pi; check the draw instead
    const host = new Rng(2), a = f(f(2 * host.uniform() - 1) * f(Math.PI));
    const y = call(e, `f32_random_rotate_fwd__${isa}`, [out(H * W), inp(xs.subarray(0, H * W)), st(2), 1, H, W, 1, Math.PI])[0];
    if (Math.abs(Math.abs(a) - Math.PI) < 1e-3) expectMatch(y, xs.subarray(0, H * W).slice().reverse(), close(1e-2, 1e-2), '180°');
    else expect(y.some((v, i) => v !== xs[i])).toBe(true);
  });

  it.each(isas)('brightness_contrast__%s: (x - m) k + m + b per sample, m the channel mean, clipped', (isa) => {
    const [N, H, W, C, B, K, lo, hi] = [6, 3, 4, 3, 0.4, 0.5, -1, 1.2], xs = x(N * H * W * C), host = new Rng(24), want = new Float32Array(xs.length);
    for (let n = 0; n < N; n++) {
      const b = (2 * host.uniform() - 1) * B, k = 1 + (2 * host.uniform() - 1) * K;
      for (let c = 0; c < C; c++) {
        let m = 0;
        for (let i = 0; i < H * W; i++) m += xs[(n * H * W + i) * C + c];
        m /= H * W;
        for (let i = 0; i < H * W; i++) { const o = (n * H * W + i) * C + c; want[o] = Math.min(hi, Math.max(lo, (xs[o] - m) * k + m + b)); }
      }
    }
    const [y] = call(e, `f32_brightness_contrast_fwd__${isa}`, [out(xs.length), out(N * C), inp(xs), st(24), N, H, W, C, B, K, lo, hi]);
    expectMatch(y, want, close(1e-5, 1e-6), 'y');
  });

  it('gaussian noise = x + std * the rng_fill_normal stream', () => {
    const n = 101, xs = x(n), std = 0.3;
    const [z] = call(e, 'rng_fill_normal__ref', [out(n), st(25), n, 0, 1]);
    const [y] = call(e, 'f32_gaussian_noise_fwd__ref', [out(n), inp(xs), st(25), n, std]);
    expectMatch(y, xs.map((v, i) => f(v + f(f(std) * z[i]))), EXACT, 'y');
  });

  it.each(isas)('seq_scale__%s: s = 1 + sigma z per (sample, feature), y = x s over time, dx += dy s', (isa) => {
    const [N, T, F, sigma] = [3, 5, 3, 0.25], xs = x(N * T * F);
    const [z] = call(e, 'rng_fill_normal__ref', [out(N * F), st(26), N * F, 0, 1]);
    const [y, s] = call(e, `f32_seq_scale_fwd__${isa}`, [out(N * T * F), out(N * F), inp(xs), st(26), N, T, F, sigma]);
    expectMatch(s, z.map((v) => f(1 + f(f(sigma) * v))), EXACT, 's');
    const si = (i: number) => s[Math.floor(i / (T * F)) * F + (i % F)];
    expectMatch(y, xs.map((v, i) => f(v * si(i))), EXACT, 'y');
    const dx0 = x(xs.length, 8), dy = x(xs.length, 9);
    const [dx] = call(e, `f32_seq_scale_bwd__${isa}`, [out(dx0), inp(dy), inp(s), N, T, F]);
    expectMatch(dx, dx0.map((v, i) => f(v + f(dy[i] * si(i)))), EXACT, 'dx');
  });
});

describe('augment: determinism and draw statistics', () => {
  const flip = (seed: number, N: number, W = 4) => call(e, 'f32_random_flip_fwd__simd', [out(N * W), inp(Float32Array.from({ length: N * W }, (_, i) => i % W)), st(seed), N, 1, W, 1, 1, 0])[0];

  it('one seed reproduces every kernel; another seed differs', () => {
    const N = 64, xs = x(N * 8 * 8);
    const all = (seed: number) => [
      flip(seed, N),
      call(e, 'f32_random_translate_fwd__simd', [out(xs.length), inp(xs), st(seed), N, 8, 8, 1, 2, 2])[0],
      call(e, 'f32_random_rotate_fwd__simd', [out(xs.length), inp(xs), st(seed), N, 8, 8, 1, 0.3])[0],
      call(e, 'f32_gaussian_noise_fwd__ref', [out(xs.length), inp(xs), st(seed), xs.length, 0.1])[0],
      call(e, 'f32_brightness_contrast_fwd__simd', [out(xs.length), out(N), inp(xs), st(seed), N, 8, 8, 1, 0.2, 0.2, -3e38, 3e38])[0],
    ];
    const a = all(7), b = all(7), c = all(8);
    a.forEach((v, k) => { expectMatch(b[k], v, EXACT, `kernel ${k} same seed`); expect(c[k].some((u, i) => u !== v[i]), `kernel ${k} other seed`).toBe(true); });
  });

  it('flip rate is 1/2 (binomial, 6 sigma) and each flip is all-or-nothing per sample', () => {
    const N = 20000, W = 4, y = flip(9, N, W);
    let flipped = 0;
    for (let n = 0; n < N; n++) {
      const row = Array.from(y.subarray(n * W, n * W + W));
      if (row.join() === '3,2,1,0') flipped++;
      else expect(row.join()).toBe('0,1,2,3');
    }
    expect(Math.abs(flipped / N - 0.5)).toBeLessThan(6 * Math.sqrt(0.25 / N));
  });

  it('translation shifts are uniform over [-k, k]', () => {
    const N = 14000, k = 3, W = 2 * k + 1, xs = Float32Array.from({ length: N * W }, (_, i) => (i % W === k ? 1 : 0));
    const [y] = call(e, 'f32_random_translate_fwd__simd', [out(xs.length), inp(xs), st(10), N, 1, W, 1, 0, k]);
    const counts = new Array(W).fill(0);
    for (let n = 0; n < N; n++) counts[y.subarray(n * W, n * W + W).indexOf(1)]++;
    for (const c of counts) expect(Math.abs(c / N - 1 / W)).toBeLessThan(6 * Math.sqrt((1 / W) * (1 - 1 / W) / N));
  });

  it('noise has the asked standard deviation', () => {
    const n = 40000, std = 0.25, [y] = call(e, 'f32_gaussian_noise_fwd__ref', [out(n), inp(new Float32Array(n)), st(11), n, std]);
    const mean = y.reduce((s, v) => s + v, 0) / n, sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - std)).toBeLessThan(0.01);
  });
});
