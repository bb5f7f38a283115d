// Seeded splits: sizes, disjoint cover of all rows, x/y kept together, same seed → same split.
import { describe, it, expect } from 'vitest';
import { splitData, shuffleData, permutation, takeRows, dirichletSplit } from '../../src/data/split.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { expectBad } from './expect-bad.js';

const N = 103;
const x = Tensor.from(Array.from({ length: N * 2 }, (_, i) => i), [N, 2], 'f32'); // row r = [2r, 2r+1]
const y = Tensor.from(Array.from({ length: N }, (_, i) => i), [N], 'i32');

describe('splitData', () => {
  it('sizes round, train takes the rest, rows stay paired and cover everything once', () => {
    const s = splitData(x, y, { validation: 0.1, test: 0.2, seed: 7 });
    expect([s.train.x.shape[0], s.validation.x.shape[0], s.test.x.shape[0]]).toEqual([72, 10, 21]);
    const seen = [s.train, s.validation, s.test].flatMap((p) => {
      for (let i = 0; i < p.y!.size; i++) expect(p.x.data[2 * i]).toBe(2 * p.y!.data[i]);
      return p.y!.toArray();
    });
    expect(seen.sort((a, b) => a - b)).toEqual(y.toArray());
  });
  it('same seed → same split; other seed → other split; shuffle: false keeps order', () => {
    const a = splitData(x, y, { seed: 3 }), b = splitData(x, y, { seed: 3 }), c = splitData(x, y, { seed: 4 });
    expect(a.test.y!.toArray()).toEqual(b.test.y!.toArray());
    expect(a.test.y!.toArray()).not.toEqual(c.test.y!.toArray());
    expect(splitData(x, y, { shuffle: false, validation: 0, test: 0.03 }).test.y!.toArray()).toEqual([100, 101, 102]);
  });
  it('keeps dtype and trailing shape, works without y', () => {
    const img = Tensor.zeros([10, 4, 4, 3], 'u8');
    const s = splitData(img, undefined, { validation: 0.2, test: 0 });
    expect([s.train.x.shape, s.train.x.dtype, s.validation.x.shape, s.test.x.shape, s.train.y]).toEqual([[8, 4, 4, 3], 'u8', [2, 4, 4, 3], [0, 4, 4, 3], undefined]);
  });
  it.each([
    [() => splitData(x, Tensor.zeros([5]), { name: 'digits.npy' }), /^digits\.npy: x has 103 samples but y has 5/],
    [() => splitData(x, y, { validation: 1.2, name: 'digits.npy' }), /^digits\.npy: split fraction validation=1\.2/],
    [() => splitData(x.slice(0, 2), undefined, { validation: 0.5, test: 0.5, name: 'tiny.csv' }), /^tiny\.csv: 2 samples leave no training rows/],
  ])('bad input %#', (f, msg) => expectBad(f, 'BAD_DATA', msg));
});

describe('shuffle helpers', () => {
  it('permutation is a seeded permutation', () => {
    const p = permutation(50, 1);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(permutation(50, 1))).toEqual(Array.from(p));
  });
  it('shuffleData moves x and y together; takeRows gathers', () => {
    const s = shuffleData(x, y, 9);
    for (let i = 0; i < N; i++) expect(s.x.data[2 * i + 1]).toBe(2 * s.y!.data[i] + 1);
    expect(takeRows(x, [2, 0]).toArray()).toEqual([4, 5, 0, 1]);
  });
});

describe('dirichletSplit (non-IID client splits)', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => i % 10);
  /** mean over clients of the largest class share: 0.1 for an even split, toward 1 when each client sees one class */
  const skew = (parts: number[][]) => parts.reduce((s, p) => { const c = new Array(10).fill(0); for (const i of p) c[labels[i]]++; return s + Math.max(...c) / p.length; }, 0) / parts.length;
  it('deals every row to exactly one client, the same for a seed, more skewed as alpha falls', () => {
    const a = dirichletSplit(labels, 20, 0.5, 1);
    expect(a.flat().sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
    expect(dirichletSplit(labels, 20, 0.5, 1)).toEqual(a);
    expect(dirichletSplit(labels, 20, 0.5, 2)).not.toEqual(a);
    const s01 = skew(dirichletSplit(labels, 20, 0.1, 1)), s05 = skew(a), s100 = skew(dirichletSplit(labels, 20, 100, 1));
    expect(s01).toBeGreaterThan(s05);
    expect(s05).toBeGreaterThan(s100);
    expect(s100).toBeLessThan(0.2);
    expect(s01).toBeGreaterThan(0.5);
  });
  it('refuses a bad client count or alpha', () => {
    expect(() => dirichletSplit(labels, 0, 0.5, 1)).toThrow(/clients must be a positive integer/);
    expect(() => dirichletSplit(labels, 4, 0, 1)).toThrow(/alpha must be a positive number/);
  });
});
