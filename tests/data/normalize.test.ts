// Normalizers: statistics per feature / channel / global against hand-computed values, fitted on
// train only, JSON round trip, and refusals.
import { describe, it, expect } from 'vitest';
import { Normalizer, fitNormalizer } from '../../src/data/normalize.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { expectBad } from './expect-bad.js';

const close = (a: ArrayLike<number>, b: number[]) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));

describe('Normalizer', () => {
  const x = Tensor.from([1, 10, 3, 10, 5, 10], [3, 2]); // feature 0: 1,3,5; feature 1 constant
  it('standardize per feature (population std; constant feature → 0)', () => {
    const n = fitNormalizer(x);
    close(n.apply(x).data, [-1.2247449, 0, 0, 0, 1.2247449, 0]);
    close(n.inverse(n.apply(x)).data, x.toArray());
  });
  it('min-max per feature to [0, 1], applied to unseen data with the train statistics', () => {
    const n = fitNormalizer(x, { method: 'minmax' });
    close(n.apply(x).data, [0, 0, 0.5, 0, 1, 0]);
    close(n.apply(Tensor.from([7, 11], [1, 2])).data, [1.5, 1]);
  });
  it('per channel on NHWC images: statistics over N, H, W for each C', () => {
    const img = Tensor.from(Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => (i % 3) * 100 + i), [2, 2, 2, 3], 'u8');
    const n = fitNormalizer(img, { per: 'channel' });
    expect(n.shape).toEqual([3]);
    const out = n.apply(img);
    for (let c = 0; c < 3; c++) {
      const v = Array.from(out.data).filter((_, i) => i % 3 === c);
      expect(v.reduce((a, b) => a + b) / v.length).toBeCloseTo(0, 5);
      expect(v.reduce((a, b) => a + b * b, 0) / v.length).toBeCloseTo(1, 5);
    }
  });
  it('global: one pair for the whole tensor', () => {
    const n = fitNormalizer(x, { method: 'minmax', per: 'global' });
    close(n.apply(x).data, [0, 1, 2 / 9, 1, 4 / 9, 1]);
  });
  it('JSON round trip gives the same transform', () => {
    const n = fitNormalizer(x);
    const m = Normalizer.fromJSON(JSON.parse(JSON.stringify(n)));
    expect(m.apply(x).toArray()).toEqual(n.apply(x).toArray());
    expect(m.toJSON()).toEqual(n.toJSON());
  });
  it.each([
    [() => fitNormalizer(Tensor.zeros([0, 3]), { name: 'train.npy' }), /^train\.npy: cannot fit a normalizer per feature on a tensor of shape \[0,3\]/],
    [() => fitNormalizer(Tensor.from([1, NaN], [2, 1]), { name: 'train.npy' }), /^train\.npy: feature 0 has non-finite values/],
    [() => fitNormalizer(x).apply(Tensor.zeros([2, 3]), 'test.npy'), /^test\.npy: shape \[2,3\] does not end with \[2\]/],
    [() => Normalizer.fromJSON({ type: 'normalizer', method: 'standardize', per: 'feature', shape: [2], shift: [0], div: [1, 1] }, 'model.axon'), /^model\.axon: normalizer shape \[2\] needs 2 shift/],
    [() => Normalizer.fromJSON({ type: 'normalizer', method: 'zscore', per: 'feature', shape: [], shift: [0], div: [1] }, 'model.axon'), /method "zscore" is unknown/],
    [() => Normalizer.fromJSON(null, 'model.axon'), /^model\.axon: not a normalizer/],
  ])('bad input %#', (f, msg) => expectBad(f, 'BAD_DATA', msg));
});
