// Bayesian optimization on synthetic objectives with known optima: it must reach the best score of a
// grid search in at most a third of the grid's trials, averaged over seeds (figures in BENCHMARKS.md,
// "Hyperparameter search (synthetic)"). Plus determinism, pruning and failures inside the GP loop.
import { describe, it, expect } from 'vitest';
import { bayesSearch } from '../../src/tune/bayes.js';
import { gridSearch, randomSearch } from '../../src/tune/search.js';
import { uniform, logUniform, intRange, choice, Config } from '../../src/tune/space.js';
import { expectBadAsync } from '../data/expect-bad.js';

/** Branin-Hoo on [-5, 10] x [0, 15]: global minimum 0.397887 at three points. */
const BRANIN = { x1: uniform(-5, 10), x2: uniform(0, 15) };
const branin = ({ x1, x2 }: Config<typeof BRANIN>) =>
  (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;

/** A shifted quadratic on the mixed space: minimum 0 at lr 2e-3, 32, 96 units, 0.15, adam. */
const MIXED = { lr: logUniform(1e-4, 1e-1), batchSize: choice([16, 32, 64]), units: intRange(16, 256), dropout: uniform(0, 0.5), optimizer: choice(['adam', 'sgd']) };
const mixed = (c: Config<typeof MIXED>) => (Math.log10(c.lr) + 2.7) ** 2 + ((c.units - 96) / 64) ** 2 + ((c.dropout - 0.15) / 0.2) ** 2
  + (c.optimizer === 'adam' ? 0 : 0.3) + { 16: 0.1, 32: 0, 64: 0.05 }[c.batchSize];

/** Trials each seed needs to reach `target` (capped at `cap`). */
async function trialsToReach(search: typeof bayesSearch, space: object, f: (c: never) => number, target: number, cap: number, seeds: number) {
  const n: number[] = [];
  for (let seed = 0; seed < seeds; seed++) n.push((await search(space as never, f, { seed, trials: cap, target })).trials.length);
  return { n, mean: n.reduce((a, b) => a + b, 0) / seeds };
}

describe('bayesSearch vs grid search (synthetic, known optimum)', { timeout: 120_000 }, () => {
  it('Branin: reaches the 10x10 grid best in <= 1/3 of its 100 trials, averaged over 10 seeds', async () => {
    const grid = await gridSearch(BRANIN, branin, { points: 10 });
    expect(grid.trials.length).toBe(100);
    const bo = await trialsToReach(bayesSearch, BRANIN, branin as never, grid.best!.value, 100, 10);
    const rnd = await trialsToReach(randomSearch, BRANIN, branin as never, grid.best!.value, 1000, 10);
    console.log(`Branin: grid best ${grid.best!.value.toFixed(4)} in 100; bayes ${bo.mean} [${bo.n}]; random ${rnd.mean} [${rnd.n}]`);
    expect(bo.mean).toBeLessThanOrEqual(100 / 3);
    expect(bo.mean).toBeLessThan(rnd.mean);
  });
  it('Branin: within 1% of the global optimum in under 40 trials on average', async () => {
    const bo = await trialsToReach(bayesSearch, BRANIN, branin as never, 0.397887 * 1.01, 100, 10);
    console.log(`Branin 1%: bayes ${bo.mean} [${bo.n}]`);
    expect(bo.mean).toBeLessThan(40);
  });
  it('mixed space (log, int, two choices): reaches the 750-point grid best in <= 250 trials, averaged over 5 seeds', async () => {
    const grid = await gridSearch(MIXED, mixed, { points: 5 });
    expect(grid.trials.length).toBe(750);
    const bo = await trialsToReach(bayesSearch, MIXED, mixed as never, grid.best!.value, 250, 5);
    console.log(`mixed: grid best ${grid.best!.value.toFixed(4)} in 750; bayes ${bo.mean} [${bo.n}]`);
    expect(bo.mean).toBeLessThanOrEqual(750 / 3);
    expect(Math.max(...bo.n)).toBeLessThan(250);
  });
});

describe('bayesSearch behaviour', { timeout: 60_000 }, () => {
  it('is deterministic for a seed and never repeats a config', async () => {
    const a = await bayesSearch(MIXED, mixed, { seed: 3, trials: 15 }), b = await bayesSearch(MIXED, mixed, { seed: 3, trials: 15 });
    expect(a.trials.map((t) => t.config)).toEqual(b.trials.map((t) => t.config));
    expect(new Set(a.trials.map((t) => JSON.stringify(t.config))).size).toBe(15);
  });
  it('small discrete space: explores it without repeats, then stops proposing duplicates', async () => {
    const r = await bayesSearch({ n: intRange(1, 3), k: choice(['a', 'b']) }, ({ n, k }) => n + (k === 'a' ? 1 : 0), { trials: 6, initialTrials: 2 });
    expect(new Set(r.trials.map((t) => JSON.stringify(t.config))).size).toBe(6);
    expect(r.best!.config).toEqual({ n: 1, k: 'b' });
  });
  it('works with failures and pruned trials in the history, direction max, and the RBF kernel', async () => {
    const r = await bayesSearch(BRANIN, (c, { report }) => {
      if (c.x1 > 8) return NaN;
      report(1, -branin(c) - 5); report(2, -branin(c));
      return -branin(c);
    }, { trials: 25, direction: 'max', kernel: 'rbf', seed: 1, pruning: { minTrials: 3 } });
    expect(r.trials.length).toBe(25);
    expect(r.best!.value).toBeGreaterThan(-2);
    expect(r.trials.some((t) => t.state === 'pruned')).toBe(true);
  });
  it.each([
    [{}, {}, /^tune\.json: the search space is empty/],
    [BRANIN, { initialTrials: 0 }, /initialTrials 0 must be a positive integer/],
    [BRANIN, { kernel: 'linear' }, /kernel "linear"/],
  ])('bad input %#', (space, opts, msg) => expectBadAsync(() => bayesSearch(space, () => 0, { name: 'tune.json', ...opts } as never), 'BAD_CONFIG', msg));
});
