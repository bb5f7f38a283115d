// firstNonFinite: the native-speed finiteness check model loading and training data go through.
import { describe, it, expect } from 'vitest';
import { firstNonFinite } from '../../src/runtime/finite.js';
import { Sequential, layers } from '../../src/index.js';

describe('firstNonFinite', () => {
  it('finds the first NaN, +Infinity or -Infinity in float arrays, plain arrays and array-likes', () => {
    for (const bad of [NaN, Infinity, -Infinity]) for (const at of [0, 5, 999]) {
      const f32 = new Float32Array(1000).fill(1.5); f32[at] = bad;
      const mid = new Float32Array(5000).fill(-7); mid[at * 5] = bad;   // (4,096 to 2^18 floats: the includes() path)
      expect(firstNonFinite(mid)).toBe(at * 5);
      const f64 = new Float64Array(1000).fill(-2); f64[at] = bad; f64[999 - at === at ? 0 : 999 - at] = bad;
      const arr = Array.from({ length: 1000 }, () => 0.25); arr[at] = bad;
      expect(firstNonFinite(f32)).toBe(at);
      expect(firstNonFinite(f64)).toBe(Math.min(at, 999 - at === at ? 0 : 999 - at));
      expect(firstNonFinite(arr)).toBe(at);
      expect(firstNonFinite({ length: 1000, ...arr })).toBe(at);
    }
  });

  it('scans large float32 arrays by their bits: every NaN payload and both infinities, at any position, in views too', () => {
    const n = (1 << 18) + 7, f32 = new Float32Array(n + 3), u = new Uint32Array(f32.buffer);
    for (let i = 0; i < f32.length; i++) f32[i] = ((i * 7919) % 2001 - 1000) * 1e-3 * (i % 3 ? 1e30 : 1e-30);
    const view = f32.subarray(1, n + 1);   // (not at the buffer's start: the scan reads the view's own bits)
    expect(firstNonFinite(view)).toBe(-1);
    f32[0] = NaN; f32[n + 2] = Infinity;   // outside the view
    expect(firstNonFinite(view)).toBe(-1);
    for (const at of [0, 1, 2, 3, 4, n - 5, n - 4, n - 1]) for (const bits of [0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff]) {
      const old = u[at + 1];
      u[at + 1] = bits;
      expect(firstNonFinite(view)).toBe(at);
      u[at + 1] = old;
    }
    u[1 + 100] = 0x7f7fffff; u[1 + 101] = 0xff7fffff;   // ±FLT_MAX: finite
    expect(firstNonFinite(view)).toBe(-1);
  });

  it('accepts finite data, the float extremes and integer arrays; flags non-numbers in plain arrays', () => {
    expect(firstNonFinite(Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0))).toBe(-1);
    expect(firstNonFinite(Float64Array.of(Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324))).toBe(-1);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
    expect(firstNonFinite(Int8Array.of(-128, 127))).toBe(-1);
    expect(firstNonFinite(Int32Array.of(2 ** 31 - 1))).toBe(-1);
    expect(firstNonFinite([1, 2, '3' as unknown as number])).toBe(2);
  });

  it('is what setWeights uses: a NaN or Infinity anywhere in a parameter is refused with its index', () => {
    const m = new Sequential({ inputShape: [3] }).add(layers.dense({ units: 2 }));
    const w = new Float32Array(6); w[4] = -Infinity;
    expect(() => m.setWeights({ 'dense_1.weight': w })).toThrow(/parameter "dense_1.weight" has a non-finite value at 4/);
    w[4] = 0; w[1] = NaN;
    expect(() => m.setWeights({ 'dense_1.weight': w })).toThrow(/non-finite value at 1/);
    w[1] = 3;
    m.setWeights({ 'dense_1.weight': w });
    expect(Array.from(m.getWeights().get('dense_1.weight')!)).toEqual(Array.from(w));
  });
});
