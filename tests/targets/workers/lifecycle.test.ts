// The fine-tuning lifecycle on the Workers target, in real workerd: the template Worker serving a
// CNN ([8, 8, 1] images) and an LSTM (sequences of open length) takes their declared input shapes
// (JSON nested arrays, binary with x-shape), fine-tunes with the optimizer and schedule of the
// model file's compile settings (Adam with an exponential schedule, momentum SGD with a step
// schedule), and predicts with the tuned weights: losses and predictions equal the Node target
// doing the same, bit for bit. A model with nothing trainable answers 400 NOTHING_TO_TRAIN.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { loadEngine, modelFromBytes, modelToBytes, Model, Sequential, layers, Tensor, Rng, parseNpy, freeze } from '../../../targets/node/index.js';

type Json = Record<string, any>;
const X = parseNpy(readFileSync('models/digits/digits-x.npy'), 'digits-x'), Y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'digits-y');

function cnn(): Sequential {
  const m = new Sequential({ inputShape: [8, 8, 1], seed: 5, name: 'digits-cnn' });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })).add(layers.flatten()).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.01, schedule: { type: 'exponential', gamma: 0.9, per: 'step' } }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
function lstm(): Model {
  const m = new Model({ inputs: [{ name: 'seq', shape: [null, 4], maxShape: [8, 4] }], seed: 9, name: 'seq-lstm' });
  m.add(layers.lstm({ units: 6, name: 'rnn' }), { inputs: ['seq'] }).add(layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
  m.compile({ optimizer: { type: 'momentum', lr: 0.1, schedule: { type: 'step', stepSize: 2, gamma: 0.5, per: 'epoch' } }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
/** rows [from, to) of digits as nested [n, 8, 8, 1] images in [0, 1] */
const images = (from: number, to: number) => Array.from({ length: to - from }, (_, r) => Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => [X.data[(from + r) * 64 + i * 8 + j] / 16])));
const digitLabels = (from: number, to: number) => Array.from(Y.data.subarray(from, to));
function sequences(n: number, T: number, seed: number): { seq: number[][][]; y: number[] } {
  const r = new Rng(seed);
  return { seq: Array.from({ length: n }, () => Array.from({ length: T }, () => Array.from({ length: 4 }, () => Math.fround(r.normal())))), y: Array.from({ length: n }, () => r.int(3)) };
}
const tensor = (a: number[][][] | number[][][][], per: number[]) => new Tensor(Float32Array.from((a as number[][][]).flat(3) as number[]), [a.length, ...per]);

async function post(url: string, body: object | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  const raw = body instanceof Uint8Array;
  const res = await fetch(url, { method: 'POST', body: raw ? (body as BodyInit) : JSON.stringify(body), headers: { 'content-type': raw ? 'application/octet-stream' : 'application/json', ...headers } });
  return { status: res.status, json: await res.json() as Json };
}

describe('Workers lifecycle: any declared input shape, the compile settings\' optimizer (workerd)', () => {
  let dir: string;
  const workers: Record<string, { url: string; close: () => Promise<void> }> = {};
  const files: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-life-'));
    files.cnn = modelToBytes(cnn());
    files.lstm = modelToBytes(lstm());
    files.frozen = modelToBytes(freeze(cnn()));
    for (const [k, b] of Object.entries(files)) {
      writeFileSync(join(dir, `${k}.axon`), b);
      await buildWorkers({ outdir: join(dir, k), model: join(dir, `${k}.axon`), minify: false });
      workers[k] = await startWorker({ dir: join(dir, k), build: 'simd' });
    }
  }, 120_000);
  afterAll(async () => {
    for (const w of Object.values(workers)) await w.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('CNN: nested JSON and binary x-shape predict = Node; fine-tunes with Adam + schedule = Node; tuned predictions = Node', async () => {
    const url = workers.cnn.url, node = modelFromBytes(files.cnn, 'cnn.axon', await loadEngine({ build: 'simd' })).model;
    const img = images(0, 6), xt = tensor(img, [8, 8, 1]);
    const want = (await node.predict(xt)).data;
    const a = await post(`${url}/predict`, { inputs: img });
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    expect(Float32Array.from((a.json.outputs as number[][]).flat())).toEqual(want);
    const b = await post(`${url}/predict`, new Uint8Array(xt.data.buffer), { 'x-shape': '6,8,8,1' });
    expect(Float32Array.from((b.json.outputs as number[][]).flat())).toEqual(want);

    const train = images(100, 164), y = digitLabels(100, 164), xs = tensor(train, [8, 8, 1]), ys = new Tensor(Int32Array.from(y), [64]);
    const r1 = await post(`${url}/finetune`, { inputs: train, labels: y, steps: 4 });
    expect(r1.status, JSON.stringify(r1.json)).toBe(200);
    expect(r1.json).toMatchObject({ optimizer: 'adam', steps: 4, version: 1 });
    const r2 = await post(`${url}/finetune`, new Uint8Array(xs.data.buffer), { 'x-shape': '64,8,8,1', 'x-labels': y.join(','), 'x-steps': '3' });
    expect(r2.status, JSON.stringify(r2.json)).toBe(200);
    expect(r2.json).toMatchObject({ steps: 3, totalSteps: 7, version: 2 });
    const losses: number[] = [];
    for (const k of [4, 3]) { await node.fit(xs, ys, { epochs: k, batchSize: 64, shuffle: false }); losses.push((await node.evaluate(xs, ys, { batchSize: 64 })).loss); }
    expect([r1.json.lossAfter, r2.json.lossAfter]).toEqual(losses);
    expect(r2.json.lossAfter).toBeLessThan(r1.json.lossBefore);
    const tuned = await post(`${url}/predict?model=tuned`, { inputs: img });
    expect(Float32Array.from((tuned.json.outputs as number[][]).flat())).toEqual((await node.predict(xt)).data);
  });

  it('LSTM (open sequence length): rows as a list, fine-tunes with momentum + step schedule = Node at two lengths', async () => {
    const url = workers.lstm.url, node = modelFromBytes(files.lstm, 'lstm.axon', await loadEngine({ build: 'simd' })).model;
    const after: number[] = [], mine: number[] = [];
    for (const [T, steps, seed] of [[5, 3, 1], [7, 2, 2]]) {
      const q = sequences(16, T, seed), xt = tensor(q.seq, [T, 4]), yt = new Tensor(Int32Array.from(q.y), [16]);
      const r = await post(`${url}/finetune`, { inputs: q.seq, labels: q.y, steps });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.optimizer).toBe('momentum');
      mine.push(r.json.lossAfter);
      await node.fit(xt, yt, { epochs: steps, batchSize: 16, shuffle: false });
      after.push((await node.evaluate(xt, yt, { batchSize: 16 })).loss);
    }
    expect(mine).toEqual(after);
    const q = sequences(3, 6, 3), tuned = await post(`${url}/predict?model=tuned`, { inputs: q.seq });
    expect(tuned.status, JSON.stringify(tuned.json)).toBe(200);
    expect(Float32Array.from((Object.values(tuned.json.outputs)[0] as number[][]).flat())).toEqual((await node.predict(tensor(q.seq, [6, 4]))).data);
  });

  it('a model with nothing trainable: 400 NOTHING_TO_TRAIN, nothing saved', async () => {
    const r = await post(`${workers.frozen.url}/finetune`, { inputs: images(0, 4), labels: digitLabels(0, 4), steps: 2 });
    expect([r.status, r.json.code]).toEqual([400, 'NOTHING_TO_TRAIN']);
    expect(r.json.error).toMatch(/no trainable parameters/);
    const again = await post(`${workers.frozen.url}/finetune`, { inputs: images(0, 4), labels: digitLabels(0, 4), steps: 2 });
    expect(again.json.code).toBe('NOTHING_TO_TRAIN');
  });
});
