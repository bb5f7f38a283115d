// Sliding windows over a (T, C) stream and the label of each window.
import { describe, it, expect } from 'vitest';
import { slidingWindows, windowLabels } from '../../src/data/window.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { expectBad } from './expect-bad.js';

const T = 23, C = 3;
const stream = Tensor.from(Array.from({ length: T * C }, (_, i) => i), [T, C], 'f32'); // sample t, channel c = 3t + c

describe('slidingWindows', () => {
  it('window w holds samples w·step … w·step + size − 1, all channels; N = floor((T − size) / step) + 1', () => {
    for (const [size, step] of [[8, 4], [8, 3], [5, 5], [23, 1], [1, 7]]) {
      const w = slidingWindows(stream, { size, step });
      expect(w.shape).toEqual([Math.floor((T - size) / step) + 1, size, C]);
      for (let n = 0; n < w.shape[0]; n++) for (let i = 0; i < size; i++) for (let c = 0; c < C; c++)
        expect(w.data[(n * size + i) * C + c]).toBe(3 * (n * step + i) + c);
    }
  });
  it('default step is half the window (50 % overlap); a flat array takes its channel count; too short → 0 windows', () => {
    expect(slidingWindows(stream, { size: 8 }).shape).toEqual([4, 8, 3]);
    expect(slidingWindows(stream.data as Float32Array, { size: 6, step: 6 }, 3).shape).toEqual([3, 6, 3]);
    expect(slidingWindows(stream, { size: 24 }).shape).toEqual([0, 24, 3]);
  });
  it('refuses bad sizes, steps, dtypes and ragged streams', () => {
    expectBad(() => slidingWindows(stream, { size: 0 }), 'BAD_ARGUMENT', /window size/);
    expectBad(() => slidingWindows(stream, { size: 4, step: 1.5 }), 'BAD_ARGUMENT', /window step/);
    expectBad(() => slidingWindows(Tensor.zeros([4, 2], 'i32'), { size: 2 }), 'BAD_DTYPE', /f32/);
    expectBad(() => slidingWindows(new Float32Array(7), { size: 2 }, 3), 'BAD_SHAPE', /7 values/);
  });
});

describe('windowLabels', () => {
  const labels = [0, 0, 0, 1, 1, 1, 1, 2, 0, 0, 0, 0];
  it('majority (ties to the smaller id), center, max (any event present)', () => {
    expect(Array.from(windowLabels(labels, { size: 4, step: 2 }))).toEqual([0, 1, 1, 0, 0]);
    expect(Array.from(windowLabels([1, 1, 0, 0], { size: 4 }))).toEqual([0]);
    expect(Array.from(windowLabels(labels, { size: 4, step: 2 }, 'center'))).toEqual([0, 1, 1, 0, 0]);
    expect(Array.from(windowLabels(labels, { size: 4, step: 2 }, 'max'))).toEqual([1, 1, 2, 2, 0]);
  });
  it('agrees with slidingWindows on the count', () => {
    expect(windowLabels(new Int32Array(T), { size: 8, step: 3 }).length).toBe(slidingWindows(stream, { size: 8, step: 3 }).shape[0]);
  });
  it('refuses an unknown rule', () => {
    expectBad(() => windowLabels(labels, { size: 4 }, 'mode' as 'max'), 'BAD_ARGUMENT', /rule "mode"/);
  });
});
