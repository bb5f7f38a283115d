#!/usr/bin/env node
// Transfer learning on Fashion-MNIST (Debian dataset-fashion-mnist): pretrain a small CNN on
// classes 0–4 and save it; then learn classes 5–9 from 50 training images per class (250 in all)
//   (a) frozen:    the pretrained conv backbone frozen, a new Dense head trained,
//   (b) fine-tune: the same, then the whole network at a lower learning rate,
//   (c) scratch:   the same architecture from random weights, same 250 images, same schedule,
// and report accuracy on the 5,000 test images of classes 5–9, over several draws of the 250.
//   npm run build && node models/transfer/run.mjs [--pretrain-per-class 1000] [--epochs 4] [--draws 3] [--shots 50] [--ft-epochs 40]
// Writes out/transfer/pretrained.axon and models/transfer/results.json.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Sequential, layers, Tensor, Rng, parseIdx, gunzipIfNeeded, modelToBytes, modelFromBytes, freeze, unfreeze, replaceHead } from '../../dist/node.js';

const arg = (k, d) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
const PER_CLASS = arg('pretrain-per-class', 1000), PRE_EPOCHS = arg('epochs', 4), DRAWS = arg('draws', 3), SHOTS = arg('shots', 50), FT_EPOCHS = arg('ft-epochs', 40);
const DIR = '/usr/share/datasets/fashion-mnist/';
const HERE = new URL('./', import.meta.url), OUT = new URL('../../out/transfer/', import.meta.url);

/** An IDX file as readDataset (targets/node/data.ts) reads it: gunzip, then parseIdx. */
async function readIdx(name) { const p = DIR + name; return parseIdx(await gunzipIfNeeded(readFileSync(p), p), p); }
const [trX, trY, teX, teY] = await Promise.all(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(readIdx));

/** Images (scaled to [0, 1], NHWC) and labels − base of the chosen indices. */
function take(X, Y, idx, base) {
  const x = new Float32Array(idx.length * 784), y = new Int32Array(idx.length);
  idx.forEach((j, k) => { for (let p = 0; p < 784; p++) x[k * 784 + p] = X.data[j * 784 + p] / 255; y[k] = Y.data[j] - base; });
  return [new Tensor(x, [idx.length, 28, 28, 1]), new Tensor(y, [idx.length])];
}
const byClass = (Y, c) => Array.from(Y.data).flatMap((v, j) => (v === c ? [j] : []));
/** n indices per class of `classes`, drawn with a seeded shuffle. */
function draw(Y, classes, n, seed) {
  const rng = new Rng(seed);
  return classes.flatMap((c) => { const ix = byClass(Y, c); for (let i = ix.length - 1; i > 0; i--) { const j = rng.int(i + 1); [ix[i], ix[j]] = [ix[j], ix[i]]; } return ix.slice(0, n); });
}
const A = [0, 1, 2, 3, 4], B = [5, 6, 7, 8, 9];
const all = (Y, classes) => classes.flatMap((c) => byClass(Y, c));

const backbone = () => [layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }), layers.maxPool2d({ poolSize: 2 }),
  layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }), layers.maxPool2d({ poolSize: 2 }), layers.flatten()];
const head = () => [layers.dense({ units: 64, activation: 'relu' }), layers.dense({ units: 5, activation: 'softmax' })];
const compile = (m, lr) => m.compile({ optimizer: { type: 'adam', lr }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const secs = (t) => ((performance.now() - t) / 1000).toFixed(1);

// ---- pretrain on classes 0–4 ----
let t = performance.now();
const pre = new Sequential({ inputShape: [28, 28, 1], seed: 1, name: 'fashion-0to4' });
for (const l of [...backbone(), ...head()]) pre.add(l);
compile(pre, 1e-3);
const [px, py] = take(trX, trY, draw(trY, A, PER_CLASS, 7), 0);
await pre.fit(px, py, { epochs: PRE_EPOCHS, batchSize: 64 });
const [tAx, tAy] = take(teX, teY, all(teY, A), 0);
const preAcc = (await pre.evaluate(tAx, tAy)).accuracy;
mkdirSync(OUT, { recursive: true });
const bytes = modelToBytes(pre);
writeFileSync(new URL('pretrained.axon', OUT), bytes);
const preSecs = secs(t);
console.log(`pretrained on ${px.shape[0]} images of classes 0-4, ${PRE_EPOCHS} epochs: test accuracy (0-4) ${preAcc.toFixed(4)}, ${preSecs} s, ${bytes.length} bytes`);

// ---- classes 5–9 from 250 images ----
const [tBx, tBy] = take(teX, teY, all(teY, B), 5);
const rows = { frozen: [], finetune: [], scratch: [] };
for (let d = 0; d < DRAWS; d++) {
  const [x, y] = take(trX, trY, draw(trY, B, SHOTS, 100 + d), 5);
  const fitOpts = { epochs: FT_EPOCHS, batchSize: 25, seed: 10 + d };
  // (a) frozen backbone, new head
  t = performance.now();
  const { model: loaded } = modelFromBytes(readFileSync(new URL('pretrained.axon', OUT)));
  const m = replaceHead(loaded, head(), { keep: 'flatten_1' });
  freeze(m, 'flatten_1');
  compile(m, 1e-3);
  await m.fit(x, y, fitOpts);
  rows.frozen.push({ acc: (await m.evaluate(tBx, tBy)).accuracy, s: secs(t) });
  // (b) then the whole network, 10 more epochs at a tenth of the learning rate
  t = performance.now();
  unfreeze(m);
  compile(m, 1e-4);
  await m.fit(x, y, { ...fitOpts, epochs: 10 });
  rows.finetune.push({ acc: (await m.evaluate(tBx, tBy)).accuracy, s: secs(t) });
  // (c) from scratch, same architecture and budget as (a) + (b)
  t = performance.now();
  const s = new Sequential({ inputShape: [28, 28, 1], seed: 200 + d });
  for (const l of [...backbone(), ...head()]) s.add(l);
  compile(s, 1e-3);
  await s.fit(x, y, { ...fitOpts, epochs: FT_EPOCHS + 10 });
  rows.scratch.push({ acc: (await s.evaluate(tBx, tBy)).accuracy, s: secs(t) });
  console.log(`draw ${d}: frozen ${rows.frozen[d].acc.toFixed(4)}  +fine-tune ${rows.finetune[d].acc.toFixed(4)}  scratch ${rows.scratch[d].acc.toFixed(4)}`);
}
const stat = (r) => { const a = r.map((q) => q.acc), mean = a.reduce((p, q) => p + q, 0) / a.length; return { mean, min: Math.min(...a), max: Math.max(...a), secs: r.map((q) => Number(q.s)) }; };
const result = {
  date: new Date().toISOString().slice(0, 10), node: process.version,
  pretrain: { classes: A, images: px.shape[0], epochs: PRE_EPOCHS, testAccuracy: preAcc, seconds: Number(preSecs), fileBytes: bytes.length },
  fewShot: { classes: B, imagesPerClass: SHOTS, draws: DRAWS, epochs: FT_EPOCHS, testImages: tBx.shape[0] },
  frozen: stat(rows.frozen), finetune: stat(rows.finetune), scratch: stat(rows.scratch),
};
writeFileSync(new URL('results.json', HERE), JSON.stringify(result, null, 1) + '\n');
const f = (s) => `${(100 * s.mean).toFixed(1)} % (${(100 * s.min).toFixed(1)}–${(100 * s.max).toFixed(1)})`;
console.log(`\n| classes 5–9, 250 training images | test accuracy, mean (min–max) over ${DRAWS} draws |\n|---|---|\n| frozen pretrained backbone + new head | ${f(result.frozen)} |\n| + whole network fine-tuned | ${f(result.finetune)} |\n| same architecture from scratch | ${f(result.scratch)} |`);
