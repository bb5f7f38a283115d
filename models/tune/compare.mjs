// Bayesian optimization vs grid search on a small real training task: the digits MLP
// (models/digits, 64 → dense(units, relu) → dropout(rate) → dense(10, softmax), Adam, full-batch)
// tuned over learning rate × units × dropout. Score = the best validation loss over the trial's
// epochs (lower is better). A config's score is deterministic, and configs share their random
// draws (common random numbers): every width's weights are the first `units` rows/columns of one
// seeded 256-wide uniform draw, scaled to that width's Glorot limit, and full-batch steps remove
// shuffling noise. NOTE: with per-width seeded init and mini-batches, neighbouring configs differ by
// ±0.02 in val loss (more than most hyperparameter effects near the optimum), so "reach the best grid
// score" measured luck: the best grid point was an outlier no search reproduced within 64 trials.
// The grid runs once; Bayes and random search then run per seed with target = the best grid
// score, and we count the trials each needed to reach it (censored at the grid size).
//   npm run build && node models/tune/compare.mjs [--seeds 0,1,2,3,4] [--epochs 8] [--points 4] [--no-random]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Sequential, layers as L, Tensor, Rng, parseNpy, splitData, Normalizer, gridSearch, bayesSearch, randomSearch, logUniform, intRange, uniform, loadEngine } from '../../dist/node.js';

const { values: a } = parseArgs({ options: {
  seeds: { type: 'string', default: '0,1,2,3,4' }, epochs: { type: 'string', default: '60' }, points: { type: 'string', default: '4' },
  'no-random': { type: 'boolean', default: false },
} });
const seeds = a.seeds.split(',').map(Number), epochs = +a.epochs;
const points = +a.points;

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const x0 = parseNpy(new Uint8Array(await readFile(here('../digits/digits-x.npy'))), 'digits-x.npy');
const y0 = parseNpy(new Uint8Array(await readFile(here('../digits/digits-y.npy'))), 'digits-y.npy');
const x = new Tensor(Float32Array.from(x0.data, (v) => v / 16), x0.shape);
const split = splitData(x, y0, { validation: 0.2, test: 0.2, seed: 42 });
const norm = Normalizer.fit(split.train.x, { method: 'standardize', per: 'feature' });
const [xt, yt, xv, yv] = [norm.apply(split.train.x), split.train.y, norm.apply(split.validation.x), split.validation.y];
const engine = await loadEngine();

const MAXU = 256, rng = new Rng(1000);
const U1 = Float32Array.from({ length: MAXU * 64 }, () => rng.uniform() * 2 - 1), U2 = Float32Array.from({ length: 10 * MAXU }, () => rng.uniform() * 2 - 1);
/** Glorot-uniform weights for width u, sliced from the shared draws (dense weights are (out, in)). */
function initial(u) {
  const l1 = Math.sqrt(6 / (64 + u)), l2 = Math.sqrt(6 / (u + 10)), w2 = new Float32Array(10 * u);
  for (let o = 0; o < 10; o++) for (let j = 0; j < u; j++) w2[o * u + j] = U2[o * MAXU + j] * l2;
  return { 'dense_1.weight': U1.subarray(0, u * 64).map((v) => v * l1), 'dense_1.bias': new Float32Array(u), 'dense_2.weight': w2, 'dense_2.bias': new Float32Array(10) };
}

let runs = 0;
async function score(c) {
  runs++;
  const m = new Sequential({ inputShape: [64], seed: 42, engine });
  m.add(L.dense({ units: c.units, activation: 'relu' })).add(L.dropout({ rate: c.dropout })).add(L.dense({ units: 10, activation: 'softmax' }));
  m.setWeights(initial(c.units));
  m.compile({ optimizer: { type: 'adam', lr: c.lr }, loss: 'sparseCategoricalCrossentropy' });
  const h = await m.fit(xt, yt, { epochs, batchSize: xt.shape[0], validationData: [xv, yv] });
  return Math.min(...h.epochs.map((e) => e.val_loss));
}

const space = { lr: logUniform(1e-4, 1e-1), units: intRange(16, MAXU), dropout: uniform(0, 0.5) };
const t0 = performance.now();
const g = await gridSearch(space, score, { points, pruning: false });
const n = g.trials.length, best = g.best.value, bestCfg = g.best.config, gridSecs = (performance.now() - t0) / 1000;
console.error(`grid: ${n} trials (${points} points per parameter), best val_loss ${best.toFixed(4)} at ${JSON.stringify(bestCfg)} (${gridSecs.toFixed(0)} s)`);

async function until(search, seed) {
  const r = await search(space, score, { seed, trials: n, target: best, pruning: false });
  const k = r.trials.findIndex((t) => t.state === 'complete' && t.value <= best);
  return { trials: k < 0 ? n : k + 1, reached: k >= 0, bestValue: r.best?.value };
}
const out = { grid: { trials: n, best, config: bestCfg, seconds: +gridSecs.toFixed(1) }, bayes: [], random: [] };
for (const seed of seeds) {
  const b = await until(bayesSearch, seed);
  out.bayes.push(b);
  const r = a['no-random'] ? undefined : await until(randomSearch, seed);
  if (r) out.random.push(r);
  console.error(`seed ${seed}: bayes ${b.trials}${b.reached ? '' : '+ (not reached)'} trials${r ? `, random ${r.trials}${r.reached ? '' : '+ (not reached)'}` : ''}`);
}
const mean = (v) => v.reduce((s, t) => s + t.trials, 0) / v.length;
console.log(`| search | trials to reach the best grid val_loss ${best.toFixed(4)} (mean, per seed) | fraction of the grid |\n|---|---|---|`);
console.log(`| grid (${points} points per parameter) | ${n} | 1 |`);
console.log(`| bayes | **${mean(out.bayes).toFixed(1)}** [${out.bayes.map((t) => t.trials + (t.reached ? '' : '+')).join(',')}] | ${(mean(out.bayes) / n).toFixed(2)} |`);
if (out.random.length) console.log(`| random | ${mean(out.random).toFixed(1)} [${out.random.map((t) => t.trials + (t.reached ? '' : '+')).join(',')}] | ${(mean(out.random) / n).toFixed(2)} |`);
console.error(`${runs} training runs of ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
