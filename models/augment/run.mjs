// Does augmentation reduce overfitting? A small CNN on a reduced Fashion-MNIST training set,
// trained with and without augmentation layers (random horizontal flip + random translation),
// same seed, same initial weights, same batches and epochs; reports train and test accuracy and
// the train-test gap. Data: /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist),
// parsed as readDataset does (gunzip + IDX).
//   npm run build && node models/augment/run.mjs [--train 2000] [--test 10000] [--epochs 30] [--seeds 1,2,3] [--shift 2]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Sequential, layers as L, Tensor, parseIdx, gunzipIfNeeded, loadEngine } from '../../dist/node.js';

const { values: a } = parseArgs({ options: {
  train: { type: 'string', default: '2000' }, test: { type: 'string', default: '10000' }, epochs: { type: 'string', default: '30' },
  seeds: { type: 'string', default: '1' }, shift: { type: 'string', default: '2' }, dir: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  json: { type: 'boolean', default: false },
} });
const nTrain = +a.train, nTest = +a.test, epochs = +a.epochs, seeds = a.seeds.split(',').map(Number), shift = +a.shift;

async function load(images, labels, n) {
  const x = parseIdx(await gunzipIfNeeded(await readFile(`${a.dir}/${images}`), images), images);
  const y = parseIdx(await gunzipIfNeeded(await readFile(`${a.dir}/${labels}`), labels), labels);
  const m = Math.min(n, x.shape[0]), xs = new Float32Array(m * 784);
  for (let i = 0; i < xs.length; i++) xs[i] = x.data[i] / 255;
  return [new Tensor(xs, [m, 28, 28, 1]), new Tensor(Int32Array.from(y.data.subarray(0, m)), [m])];
}

function cnn(seed, augment, engine) {
  const m = new Sequential({ inputShape: [28, 28, 1], seed, engine, name: augment ? 'cnn+aug' : 'cnn' });
  if (augment) m.add(L.randomFlip({ mode: 'horizontal' })).add(L.randomTranslation({ maxShift: shift }));
  m.add(L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' })).add(L.maxPool2d({ poolSize: 2 }))
    .add(L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' })).add(L.maxPool2d({ poolSize: 2 }))
    .add(L.flatten()).add(L.dense({ units: 64, activation: 'relu' })).add(L.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.001 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const engine = await loadEngine();
const [xTrain, yTrain] = await load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', nTrain);
const [xTest, yTest] = await load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', nTest);
console.error(`Fashion-MNIST: ${xTrain.shape[0]} training images (the first ones), ${xTest.shape[0]} test images; ${epochs} epochs, batch 32, Adam 1e-3; engine ${engine.build}`);

const rows = [];
for (const seed of seeds) for (const augment of [false, true]) {
  const m = cnn(seed, augment, engine), t0 = performance.now();
  const h = await m.fit(xTrain, yTrain, { epochs, batchSize: 32 });
  const secs = (performance.now() - t0) / 1000;
  const tr = await m.evaluate(xTrain, yTrain, { batchSize: 256 }), te = await m.evaluate(xTest, yTest, { batchSize: 256 });
  const row = { seed, augment, trainAcc: tr.accuracy, testAcc: te.accuracy, gap: tr.accuracy - te.accuracy, trainLoss: tr.loss, testLoss: te.loss,
    lastEpochLoss: h.epochs[h.epochs.length - 1].loss, seconds: +secs.toFixed(1) };
  rows.push(row);
  console.error(`seed ${seed} ${augment ? 'flip+translate' : 'no augmentation'}: train acc ${(row.trainAcc * 100).toFixed(2)}%, test acc ${(row.testAcc * 100).toFixed(2)}%, gap ${(row.gap * 100).toFixed(2)} pts, test loss ${row.testLoss.toFixed(4)} (${row.seconds} s)`);
}

const pct = (v) => (v * 100).toFixed(2);
const mean = (aug, k) => rows.filter((r) => r.augment === aug).reduce((s, r) => s + r[k], 0) / seeds.length;
console.log(`| augmentation | train acc | test acc | train−test gap | test loss | seeds |\n|---|---|---|---|---|---|`);
for (const aug of [false, true]) {
  console.log(`| ${aug ? `flip + translate ±${shift} px` : 'none'} | ${pct(mean(aug, 'trainAcc'))}% | ${pct(mean(aug, 'testAcc'))}% | ${pct(mean(aug, 'gap'))} pts | ${mean(aug, 'testLoss').toFixed(4)} | ${seeds.join(', ')} |`);
}
if (a.json) console.log(JSON.stringify(rows, null, 2));
