// The trial loop: grid and random search, budgets (trials, seconds, target), direction, failed and
// pruned trials (median stopping rule), the results table, and bad options.
import { describe, it, expect } from 'vitest';
import { gridSearch, randomSearch, TrialPruned } from '../../src/tune/search.js';
import { medianShouldStop } from '../../src/tune/median.js';
import { uniform, logUniform, intRange, choice } from '../../src/tune/space.js';
import { AxonError } from '../../src/errors.js';
import { expectBadAsync } from '../data/expect-bad.js';

const quad = { x: uniform(-1, 1), k: choice(['a', 'b']) };
const fq = (c: { x: number; k: 'a' | 'b' }) => (c.x - 0.5) ** 2 + (c.k === 'b' ? 0 : 1);

describe('gridSearch', () => {
  it('visits every grid point once and finds the best', async () => {
    const r = await gridSearch(quad, fq, { points: 5 });
    expect(r.trials.length).toBe(10);
    expect(r.best!.config).toEqual({ x: 0.5, k: 'b' });
    expect(r.best!.value).toBe(0);
    expect(r.sorted.map((t) => t.value)).toEqual(r.trials.map((t) => t.value).sort((a, b) => a - b));
  });
  it('direction max, trial budget (in grid order when asked)', async () => {
    const r = await gridSearch(quad, fq, { points: 5, direction: 'max', trials: 4, order: 'grid' });
    expect([r.trials.length, r.order]).toEqual([4, 'grid']);
    expect(r.best!.config).toEqual({ x: -1, k: 'a' });
    expect(r.sorted[0].value).toBeGreaterThanOrEqual(r.sorted[3].value);
  });
  it('a budget shorter than the grid walks it in a space-filling order, centre first; a full grid keeps grid order', async () => {
    const cut = await gridSearch(quad, fq, { points: 5, trials: 4 });
    expect(cut.order).toBe('spaceFilling');
    expect(cut.trials[0].config.x).toBe(0);
    expect(new Set(cut.trials.map((t) => t.config.k))).toEqual(new Set(['a', 'b']));
    expect((await gridSearch(quad, fq, { points: 5 })).order).toBe('grid');
    expect((await gridSearch(quad, fq, { points: 5, seconds: 60 })).order).toBe('spaceFilling');
    await expectBadAsync(() => gridSearch(quad, fq, { order: 'corner' as 'grid' }), 'BAD_CONFIG', /grid order "corner"/);
  });
  it("6 dimensions, 4 trials (the issue's case): the space-filling order lands near an interior optimum, grid order stays in a corner", async () => {
    const six = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, uniform(0, 1)]));
    const f = (c: Record<string, number>) => Object.values(c).reduce((s, v) => s + (v - 0.6) ** 2, 0);
    const filled = await gridSearch(six, f, { points: 5, trials: 4 }), corner = await gridSearch(six, f, { points: 5, trials: 4, order: 'grid' });
    expect(filled.best!.value).toBeLessThan(0.1);
    expect(corner.best!.value).toBeGreaterThan(1.5);
    for (const k of Object.keys(six)) expect(new Set(filled.trials.map((t) => t.config[k])).size, k).toBeGreaterThan(1);
  });
});

describe('randomSearch', () => {
  it('is seeded: same seed, same trials; another seed, others', async () => {
    const a = await randomSearch(quad, fq, { seed: 4, trials: 8 }), b = await randomSearch(quad, fq, { seed: 4, trials: 8 });
    const c = await randomSearch(quad, fq, { seed: 5, trials: 8 });
    expect(a.trials.map((t) => t.config)).toEqual(b.trials.map((t) => t.config));
    expect(a.trials.map((t) => t.config)).not.toEqual(c.trials.map((t) => t.config));
  });
  it('defaults to 20 trials; stops at the target; stops on the seconds budget', async () => {
    expect((await randomSearch(quad, fq)).trials.length).toBe(20);
    const hit = await randomSearch(quad, fq, { trials: 1000, target: 0.05 });
    expect(hit.trials.length).toBeLessThan(1000);
    expect(hit.trials.at(-1)!.value).toBeLessThanOrEqual(0.05);
    const t0 = performance.now();
    const timed = await randomSearch(quad, async (c) => { await new Promise((r) => setTimeout(r, 20)); return fq(c); }, { seconds: 0.2 });
    expect(performance.now() - t0).toBeLessThan(3000); // 0.2 s + one trial, with slack for a loaded machine
    expect(timed.trials.length).toBeGreaterThanOrEqual(1);
    expect(timed.trials.length).toBeLessThanOrEqual(11);
  });
  it('non-finite results and NOT_FINITE errors mark trials failed; other errors propagate', async () => {
    const r = await randomSearch(quad, (c, { trial }) => {
      if (trial === 1) return NaN;
      if (trial === 2) throw new AxonError('NOT_FINITE', 'loss became NaN at step 3');
      return fq(c);
    }, { trials: 5 });
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'failed', 'failed', 'complete', 'complete']);
    expect(r.sorted.slice(-2).map((t) => t.state)).toEqual(['failed', 'failed']);
    await expect(randomSearch(quad, () => { throw new Error('bug in objective'); })).rejects.toThrow('bug in objective');
  });
  it('no completed trial → best is undefined', async () => {
    expect((await randomSearch(quad, () => Infinity, { trials: 3 })).best).toBeUndefined();
  });
});

describe('early stopping (median rule)', () => {
  it('the rule: worse than the median of completed running averages, after warm-up and enough trials', () => {
    const done = [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [5, 5, 5]].map((v) => v.map((value, i) => ({ step: i + 1, value })));
    const at = (vals: number[]) => vals.map((value, i) => ({ step: i + 1, value }));
    expect(medianShouldStop(at([3.5, 3.2]), done)).toBe(true);
    expect(medianShouldStop(at([3.5, 2.9]), done)).toBe(false);
    expect(medianShouldStop(at([9]), done, { warmupSteps: 2 })).toBe(false);
    expect(medianShouldStop(at([9]), done.slice(0, 4))).toBe(false);
    expect(medianShouldStop(at([9]), done.slice(0, 4), { minTrials: 4 })).toBe(true);
  });
  it('prunes trials whose curves lag, keeps good ones, and records the best reported value', async () => {
    // curve value(step) = q + 1/step, q from the config: bad configs stay above the median
    const space = { q: uniform(0, 1) };
    const seen: number[] = [];
    const r = await randomSearch(space, async ({ q }, { report }) => {
      let steps = 0;
      for (let s = 1; s <= 10; s++) { report(s, q + 1 / s); steps = s; }
      seen.push(steps);
      return q + 0.1;
    }, { trials: 30, seed: 2 });
    const pruned = r.trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(5);
    expect(seen.length).toBe(30 - pruned.length);
    for (const t of pruned) expect(t.value).toBeCloseTo(t.config.q + 1 / t.steps, 6);
    const completedMedian = r.trials.filter((t) => t.state === 'complete').map((t) => t.config.q).sort()[7];
    expect(Math.min(...pruned.map((t) => t.config.q))).toBeGreaterThan(completedMedian * 0.5);
    expect(r.best!.state).toBe('complete');
    const off = await randomSearch(space, async ({ q }, { report }) => { for (let s = 1; s <= 10; s++) report(s, q + 1 / s); return q; }, { trials: 30, seed: 2, pruning: false });
    expect(off.trials.every((t) => t.state === 'complete')).toBe(true);
  });
  it('direction max prunes the low curves', async () => {
    const r = await randomSearch({ q: uniform(0, 1) }, ({ q }, { report }) => { for (let s = 1; s <= 5; s++) report(s, q * s); return q * 5; },
      { trials: 30, seed: 1, direction: 'max', pruning: { minTrials: 3 } });
    const pruned = r.trials.filter((t) => t.state === 'pruned').map((t) => t.config.q);
    expect(pruned.length).toBeGreaterThan(3);
    expect(Math.max(...pruned)).toBeLessThan(r.best!.config.q);
  });
  it('TrialPruned carries the step', () => expect(new TrialPruned(3).message).toMatch(/step 3/));
});

describe('results table', () => {
  it('is sorted best first with one column per parameter', async () => {
    const r = await gridSearch({ lr: logUniform(1e-3, 1e-1), units: intRange(8, 32), opt: choice(['adam', 'sgd']) },
      (c) => Math.abs(Math.log10(c.lr) + 2) + (c.opt === 'adam' ? 0 : 1) + c.units / 100, { points: 3 });
    const lines = r.table().split('\n');
    expect(lines[0]).toMatch(/^rank\s+trial\s+value\s+state\s+steps\s+secs\s+lr\s+units\s+opt$/);
    expect(lines[1]).toMatch(/^1\s+\d+\s+0\.08\s+complete\s+0\s+\d\.\d\d\s+0\.01\s+8\s+adam$/);
    expect(lines.length).toBe(19);
    expect(r.table(3).split('\n').length).toBe(4);
  });
});

describe('bad input', () => {
  it.each([
    [() => gridSearch({}, () => 0, { name: 'tune.json' }), /^tune\.json: the search space is empty/],
    [() => randomSearch({}, () => 0), /^search space: the search space is empty/],
    [() => randomSearch(quad, fq, { trials: 0, name: 'tune.json' }), /^tune\.json: trials budget 0 must be a positive integer/],
    [() => randomSearch(quad, fq, { seconds: -1 }), /seconds budget -1 must be positive/],
    [() => randomSearch(quad, fq, { direction: 'up' as never }), /direction "up"/],
    [() => gridSearch(quad, fq, { points: 0 }), /grid points per dimension 0/],
    [() => randomSearch(quad, 'f' as never), /the objective must be a function/],
  ])('%# → BAD_CONFIG', async (f, msg) => expectBadAsync(async () => f(), 'BAD_CONFIG', msg));
});
