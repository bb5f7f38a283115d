// Search spaces: validation (typed BAD_CONFIG naming the source and parameter), JSON form, seeded
// sampling within bounds, unit-cube encoding round trips, and grids.
import { describe, it, expect } from 'vitest';
import {
  uniform, logUniform, intRange, choice, validateSpace, spaceFromJSON, sampleConfig, encode, decode,
  encodedWidth, encodedGroups, gridAxes, gridSize, gridPoint, spaceFillingOrder, Space,
} from '../../src/tune/space.js';
import { Rng } from '../../src/runtime/rng.js';
import { expectBad } from '../data/expect-bad.js';

const SPACE = { lr: logUniform(1e-4, 1e-1), batchSize: choice([16, 32, 64]), units: intRange(16, 256), dropout: uniform(0, 0.5), optimizer: choice(['adam', 'sgd']) };

describe('validateSpace', () => {
  it('accepts the issue example', () => expect(() => validateSpace(SPACE)).not.toThrow());
  it.each([
    [{}, /^tune\.json: the search space is empty/],
    [[], /must be an object of parameters/],
    [null, /must be an object of parameters/],
    [{ lr: logUniform(0, 1) }, /parameter "lr": a log scale needs 0 < low, got 0/],
    [{ lr: uniform(1, 1) }, /parameter "lr": uniform needs low < high, got \(1, 1\)/],
    [{ lr: uniform(NaN, 1) }, /bounds must be finite/],
    [{ n: intRange(1.5, 4) }, /parameter "n": intRange needs integers low <= high/],
    [{ n: intRange(1, 64, { log: true }), m: intRange(0, 4, { log: true }) }, /parameter "m": a log scale needs 0 < low/],
    [{ opt: choice([]) }, /parameter "opt": choice needs at least one value/],
    [{ opt: choice(['a', 'a']) }, /values must be distinct/],
    [{ opt: choice([{}] as never) }, /finite numbers, strings or booleans/],
    [{ x: { kind: 'normal' } }, /parameter "x" has unknown kind "normal"/],
    [{ x: 3 }, /parameter "x" is not a parameter/],
  ])('%j is refused', (space, msg) => expectBad(() => validateSpace(space, 'tune.json'), 'BAD_CONFIG', msg));
});

describe('spaceFromJSON', () => {
  it('reads every kind', () => {
    const s = spaceFromJSON({ lr: { logUniform: [1e-4, 0.1] }, bs: { choice: [16, 32] }, u: { intRange: [16, 256] }, h: { intLogRange: [8, 512] }, d: { uniform: [0, 0.5] } });
    expect(s).toEqual({ lr: logUniform(1e-4, 0.1), bs: choice([16, 32]), u: intRange(16, 256), h: intRange(8, 512, { log: true }), d: uniform(0, 0.5) });
  });
  it.each([
    [{ lr: { gaussian: [0, 1] } }, /^tune\.json: parameter "lr" should look like/],
    [{ lr: { uniform: [1] } }, /parameter "lr" should look like/],
    [{ lr: { uniform: [2, 1] } }, /parameter "lr": uniform needs low < high/],
    [{}, /the search space is empty/],
    ['lr', /must be a JSON object/],
  ])('%j is refused', (json, msg) => expectBad(() => spaceFromJSON(json, 'tune.json'), 'BAD_CONFIG', msg));
});

describe('sampling and encoding', () => {
  it('samples stay in bounds, integers are integers, draws are seeded', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 500; i++) {
      const c = sampleConfig(SPACE, rng);
      expect(c.lr).toBeGreaterThanOrEqual(1e-4); expect(c.lr).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(c.units) && c.units >= 16 && c.units <= 256).toBe(true);
      expect([16, 32, 64]).toContain(c.batchSize);
    }
    expect(sampleConfig(SPACE, new Rng(9))).toEqual(sampleConfig(SPACE, new Rng(9)));
  });
  it('log-uniform is uniform in log space: about half the draws below the geometric midpoint', () => {
    const rng = new Rng(1);
    const below = Array.from({ length: 2000 }, () => sampleConfig({ lr: logUniform(1e-4, 1) }, rng).lr < 1e-2).filter(Boolean).length;
    expect(below / 2000).toBeGreaterThan(0.45); expect(below / 2000).toBeLessThan(0.55);
  });
  it('encode → decode is the identity on configs; widths and groups follow the one-hot blocks', () => {
    expect(encodedWidth(SPACE)).toBe(8);
    expect(encodedGroups(SPACE)).toEqual([0, 1, 1, 1, 2, 3, 4, 4]);
    const c = { lr: 1e-3, batchSize: 64, units: 100, dropout: 0.25, optimizer: 'sgd' } as const;
    const u = encode(SPACE, c);
    expect(u.map((v) => +v.toFixed(6))).toEqual([0.333333, 0, 0, 1, 0.35, 0.5, 0, 1]);
    const back = decode(SPACE, u);
    expect({ ...back, lr: +back.lr.toPrecision(12) }).toEqual(c);
    expect(decode(SPACE, [2, 0.2, 0.9, 0.1, -1, 0.5, 0.6, 0.4])).toMatchObject({ lr: 0.1, batchSize: 32, units: 16, optimizer: 'adam' });
  });
});

describe('grids', () => {
  it('points per numeric dim (log-spaced for log), every choice, unique integers', () => {
    const axes = gridAxes(SPACE, 4);
    expect(axes[0].map((v) => +(v as number).toPrecision(6))).toEqual([1e-4, 1e-3, 1e-2, 1e-1]);
    expect(axes[1]).toEqual([16, 32, 64]);
    expect(axes[2]).toEqual([16, 96, 176, 256]);
    expect(gridAxes({ n: intRange(0, 2) }, 10)).toEqual([[0, 1, 2]]);
    expect(gridAxes({ d: uniform(0, 1) }, 1)).toEqual([[0.5]]);
    expect(gridSize(SPACE, 4)).toBe(4 * 3 * 4 * 4 * 2);
  });
  it('gridPoint enumerates the product, last parameter fastest', () => {
    const s: Space = { a: choice([1, 2]), b: choice(['x', 'y', 'z']) };
    const axes = gridAxes(s, 3);
    expect(Array.from({ length: 6 }, (_, i) => gridPoint(s, axes, i))).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
  });
});

describe('spaceFillingOrder', () => {
  it('is a permutation of the grid indices, the centre first', () => {
    for (const lengths of [[5, 5, 5], [3, 2], [1], [7], [4, 4, 4, 4, 4, 4], [2, 1, 3]]) {
      const order = [...spaceFillingOrder(lengths)], size = lengths.reduce((a, b) => a * b, 1);
      expect(order.length).toBe(size);
      expect(new Set(order).size).toBe(size);
      expect(Math.min(...order)).toBe(0);
      expect(Math.max(...order)).toBe(size - 1);
      const centre = lengths.reduce((i, l) => i * l + Math.floor(l / 2), 0);
      expect(order[0]).toBe(centre);
    }
  });
  it("its first 2·L points spread over every axis (≥ 3 of 4 values, none more than L times); grid order's do not", () => {
    const L = 4, d = 6, lengths = Array(d).fill(L);
    const spread = (order: number[]) => Array.from({ length: d }, (_, axis) => {
      const counts = new Array(L).fill(0);
      for (const idx of order) counts[Math.floor(idx / L ** (d - 1 - axis)) % L]++;
      return counts.filter(Boolean).length >= 3 && Math.max(...counts) <= L;
    });
    expect(spread([...spaceFillingOrder(lengths)].slice(0, 2 * L))).toEqual(Array(d).fill(true));
    expect(spread(Array.from({ length: 2 * L }, (_, i) => i)).filter(Boolean).length).toBe(1);   // only the fastest axis moves
  });
});
