// `axon tune` on the digits MLP with tiny budgets: outputs (results.json, a runnable best.json,
// report.svg), median-rule pruning through the per-epoch callback, metric direction, config errors
// naming the file and the key, and the built CLI's --help.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tune, applyValues } from '../../targets/node/cli/tune.js';
import { train, buildModel } from '../../targets/node/cli/train.js';
import { AxonError } from '../../src/errors.js';

const root = resolve(__dirname, '../..');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'axon-tune-')); });

/** Writes a tuning config (digits MLP, absolute data paths) with `search` merged in; returns its path. */
function config(name: string, search: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const base = JSON.parse(readFileSync(join(root, 'models/tune/digits.json'), 'utf8'));
  base.data.x = join(root, 'models/digits/digits-x.npy');
  base.data.y = join(root, 'models/digits/digits-y.npy');
  delete base.output;
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...base, ...extra, search }));
  return path;
}
const quiet = { progress: false, epochs: 2 };

describe('axon tune', () => {
  it('runs a small random search and writes results.json, a runnable best.json and report.svg', async () => {
    const out = join(dir, 'random');
    const r = await tune(config('random', { method: 'random', trials: 4, metric: 'val_accuracy', seed: 3,
      space: { 'compile.optimizer.lr': { logUniform: [0.001, 0.03] }, 'model.layers.0.units': { intRange: [16, 64] }, 'fit.batchSize': { choice: [32, 64] } } }), { ...quiet, out });
    expect(r.trials.length).toBe(4);
    expect(r.direction).toBe('max');
    expect(r.best!.value).toBeGreaterThan(0.8);
    expect(r.best!.value).toBe(Math.max(...r.trials.filter((t) => t.state === 'complete').map((t) => t.value)));
    for (const t of r.trials) expect(t.curve.length).toBe(t.steps);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.trials.map((t: { config: unknown }) => t.config)).toEqual(r.trials.map((t) => t.config));
    expect(readFileSync(join(out, 'report.svg'), 'utf8')).toMatch(/^<svg[\s\S]*best so far[\s\S]*<\/svg>\n$/);
    const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8'));
    expect(best.search).toBeUndefined();
    expect(best.model.layers[0].units).toBe(r.best!.config['model.layers.0.units']);
    expect(best.compile.optimizer.lr).toBe(r.best!.config['compile.optimizer.lr']);
    const rep = await train(join(out, 'best.json'), { epochs: 1, progress: false });
    expect(existsSync(join(out, 'best', 'model.axon'))).toBe(true);
    expect((rep.test as { accuracy: number }).accuracy).toBeGreaterThan(0.5);
  });

  it('axon train: an --out that cannot be created is an AxonError naming it', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    await expect(train(config('plain', {}), { epochs: 1, progress: false, out: join(dir, 'a-file', 'out') }))
      .rejects.toThrowError(/a-file\/out: cannot create the output directory \(ENOTDIR\); choose another --out/);
  });

  it('axon train: a graph config that writes "input" for "inputs" is told so', () => {
    const cfg = { model: { layers: [{ type: 'dense', name: 'a', units: 4 }, { type: 'dense', name: 'b', units: 4 }, { type: 'add', input: ['a', 'b'] }] } };
    expect(() => buildModel(cfg as never, [3], 1)).toThrowError(/model.layers\[2\] \(add\): unknown key "input"; the layers a layer reads go in "inputs"/);
  });

  it('grid search prunes hopeless trials by the median rule on the per-epoch validation loss', async () => {
    const r = await tune(config('grid', { method: 'grid', metric: 'val_loss', pruning: { minTrials: 2 },
      space: { 'compile.optimizer.lr': { choice: [0.01, 0.005, 1e-7, 1e-6] } } }), { ...quiet, epochs: 3, out: join(dir, 'grid') });
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'pruned', 'pruned']);
    expect(r.trials.slice(2).map((t) => t.steps)).toEqual([1, 1]);
    expect(r.best!.config['compile.optimizer.lr']).not.toBeLessThan(0.005);
    const off = await tune(config('grid', { method: 'grid', pruning: { minTrials: 2 }, space: { 'compile.optimizer.lr': { choice: [0.01, 0.005, 1e-7] } } }),
      { ...quiet, epochs: 2, pruning: false, out: join(dir, 'grid-off') });
    expect(off.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
  });

  it('applies dotted paths into lists and objects (string optimizers become objects)', () => {
    const cfg = { data: { x: 'a', y: 'b' }, model: { layers: [{ type: 'dense', units: 4 }] }, compile: { optimizer: 'adam', loss: 'mse' }, fit: {} };
    const t = applyValues(cfg as never, { 'model.layers.0.units': 9, 'compile.optimizer.lr': 0.1, 'fit.batchSize': 8 });
    expect(t.model.layers[0].units).toBe(9);
    expect(t.compile.optimizer).toEqual({ type: 'adam', lr: 0.1 });
    expect(t.fit.batchSize).toBe(8);
    expect(cfg.model.layers[0].units).toBe(4);
  });

  it.each([
    ['empty', { space: {} }, /empty\.json: search\.space: the search space is empty/],
    ['nopath', { space: { 'model.layers.7.units': { intRange: [1, 4] } } }, /nopath\.json: search\.space key "model\.layers\.7\.units" does not name a place/],
    ['data', { space: { 'data.scale': { uniform: [0, 1] } } }, /data\.json: search\.space key "data\.scale": only model\.\*, compile\.\* and fit\.\*/],
    ['metric', { metric: 'val_mae', space: { 'fit.batchSize': { choice: [8] } } }, /metric\.json: search\.metric "val_mae" is not logged: add "mae" to compile\.metrics/],
    ['method', { method: 'anneal', space: { 'fit.batchSize': { choice: [8] } } }, /method\.json: search\.method "anneal"/],
    ['kind', { space: { 'fit.batchSize': { normal: [8, 1] } } }, /kind\.json: search\.space: parameter "fit\.batchSize" should look like/],
  ])('rejects a bad search section (%s) with a typed error naming the file', async (name, search, msg) => {
    const err = await tune(config(name, search), quiet).catch((e) => e);
    expect(err).toBeInstanceOf(AxonError);
    expect(err.message).toMatch(msg);
  });

  it('without a search section, says what to add', async () => {
    const path = join(dir, 'plain.json');
    writeFileSync(path, readFileSync(join(root, 'models/digits/config.json')));
    await expect(tune(path, quiet)).rejects.toThrowError(/plain\.json: a tuning config needs a "search" section/);
  });

  it('`node dist/cli.js tune --help` documents the command with an example', () => {
    const text = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'tune', '--help'], { encoding: 'utf8' });
    expect(text).toMatch(/Usage: axon tune \[options\] <config>/);
    expect(text).toMatch(/--trials <n>/);
    expect(text).toMatch(/"compile\.optimizer\.lr": \{ "logUniform"/);
    expect(text).toMatch(/axon tune models\/tune\/digits\.json/);
  });
});
