// The IMU application end to end on a small subset of its synthetic data (the full runs are the
// commands in models/imu/README.md): `axon train models/imu/config.json` (Conv1D + GRU) learns
// activities of unseen users; few-shot head fine-tuning raises the atypical user's accuracy, and
// runs the same on the WASI program (both hosts, bit for bit with Node) and in the template Worker
// (workerd); the int8 model (static PTQ: Conv1D, the GRU's weights, the head) keeps the accuracy, is
// smaller and runs on the WASI program bit for bit with Node; a convolutional autoencoder's
// reconstruction error separates falls from normal motion.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { train } from '../../targets/node/cli/train.js';
import { buildWorkers } from '../../targets/workers/build.mjs';
import { startWorker } from '../../targets/workers/miniflare.mjs';
import { Tensor, encodeNpy, modelFromBytes, modelToBytes, imuDataset, imuUser, takeRows, freeze, Normalizer, Sequential, layers as L,
  reconstructionErrors, IMU_FALL, setDefaultEngineLoader, type Model } from '../../src/index.js';
import { compileBundle, weightsFromBin, parseBundle } from '../../src/wasi/bundle.js';
import { quantizeModel } from '../../src/quant/index.js';
import { concatWeights } from '../targets/conformance/cases.js';
import { onBothHosts, bytesOf, expectSameBits } from '../targets/wasi/hosts.js';
import { engine } from '../helpers.js';

setDefaultEngineLoader(() => engine());
const root = resolve(__dirname, '../..'), SEED = 16, SECONDS = 20, W = 14;   // 20 s → 14 windows per activity
const users = (ids: number[], atypical = false) => ids.map((id) => imuUser(id, SEED, atypical));
let dir: string, modelBytes: Uint8Array, norm: Normalizer;

/** The trained model, backbone frozen, compiled for the fine-tuning (SGD, as the Worker's). */
function headModel(): Model {
  const m = modelFromBytes(modelBytes).model;
  freeze(m, 'gru');
  m.compile({ optimizer: { type: 'sgd', lr: 0.2 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
/** The atypical user's first 3 windows per activity (few-shot set) and windows 4.. (evaluation). */
function user30() {
  const d = imuDataset(users([30], true), { seconds: SECONDS, seed: SEED }), shot: number[] = [], ev: number[] = [];
  d.y.forEach((_, i) => { if (i % W < 3) shot.push(i); else if (i % W > 3) ev.push(i); });
  const part = (idx: number[]) => ({ x: takeRows(d.x, idx), y: new Tensor(Int32Array.from(idx, (i) => d.y[i]), [idx.length]) });
  return { shot: part(shot), ev: part(ev) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'axon-imu-'));
  const tr = imuDataset(users([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), { seconds: SECONDS, seed: SEED }), te = imuDataset(users([24, 25, 26]), { seconds: SECONDS, seed: SEED });
  for (const [name, d] of [['train', tr], ['test', te]] as const) {
    writeFileSync(join(dir, `${name}-x.npy`), encodeNpy(d.x));
    writeFileSync(join(dir, `${name}-y.npy`), encodeNpy(new Tensor(Uint8Array.from(d.y), [d.y.length])));
  }
  const cfg = JSON.parse(readFileSync(join(root, 'models/imu/config.json'), 'utf8'));
  Object.assign(cfg.data, { x: 'train-x.npy', y: 'train-y.npy', testX: 'test-x.npy', testY: 'test-y.npy' });
  writeFileSync(join(dir, 'imu.json'), JSON.stringify(cfg));
}, 60_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('IMU activity recognition (small subset)', () => {
  it('axon train models/imu/config.json: Conv1D + GRU, tested on unseen users well above chance (1/6)', async () => {
    const r = await train(join(dir, 'imu.json'), { out: join(dir, 'out'), progress: false, epochs: 15 }) as { test: { accuracy: number } };
    expect(r.test.accuracy).toBeGreaterThan(0.5);
    modelBytes = new Uint8Array(readFileSync(join(dir, 'out/model.axon')));
    const { model, graph } = modelFromBytes(modelBytes);
    expect(model.layers.map((l) => l.type)).toEqual(['conv1d', 'conv1d', 'gru', 'dense']);
    norm = Normalizer.fromJSON(graph.extra!.normalizer, 'model.axon');
  }, 120_000);

  it('int8 (static PTQ): Conv1D int8, GRU int8 weights, head int8; accuracy within 3 points of f32, file under half; WASI (both hosts) = Node bit for bit', async () => {
    const te = imuDataset(users([24, 25, 26]), { seconds: SECONDS, seed: SEED }), tr = imuDataset(users([0, 1, 2]), { seconds: SECONDS, seed: SEED });
    const x = norm.apply(te.x), y = new Tensor(Int32Array.from(te.y), [te.y.length]), f32 = modelFromBytes(modelBytes).model;
    const q = await quantizeModel(f32, norm.apply(tr.x));
    expect(q.layers.map((l) => l.type)).toEqual(['quantize', 'qconv1d', 'qconv1d', 'dequantize', 'qgruDynamic', 'quantize', 'qdense', 'activation']);
    const [af, aq] = [(await f32.evaluate(x, y)).accuracy as number, (await q.evaluate(x, y)).accuracy as number];
    expect(Math.abs(aq - af), `f32 ${af}, int8 ${aq}`).toBeLessThanOrEqual(0.03);
    const bytes = modelToBytes(q);
    expect(bytes.length * 2).toBeLessThan(modelBytes.length);
    const rows = x.slice(0, 5), bundle = await compileBundle(modelFromBytes(bytes).model, { batch: 1 });
    const node = new Float32Array(5 * 6);
    for (let r = 0; r < 5; r++) node.set((await q.predict(rows.slice(r, r + 1))).data, r * 6);
    for (const r of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': bundle, 'x.bin': bytesOf(rows.data) })) {
      expect(r.code, `${r.host}: ${r.stderr}`).toBe(0);
      expectSameBits(r.files.get('out.bin'), node, `${r.host} vs Model.predict (batch 1)`);
    }
  }, 60_000);

  it('personalization: the head fine-tuned on 3 windows per activity lifts the atypical user; WASI (both hosts) = Node bit for bit', async () => {
    const d = user30(), m = headModel();
    const before = (await m.evaluate(norm.apply(d.ev.x), d.ev.y)).accuracy as number;
    await m.fit(norm.apply(d.shot.x), d.shot.y, { epochs: 60, batchSize: 18, shuffle: false });
    const after = (await m.evaluate(norm.apply(d.ev.x), d.ev.y)).accuracy as number;
    expect(after).toBeGreaterThan(before + 0.15);
    const frozen = concatWeights(headModel()), tuned = concatWeights(m);
    const withParams = m.layers.flatMap((l) => l.params.map(() => l.name)), changed = new Set<string>();
    let at = 0;
    for (const l of m.layers) for (const p of l.params) { const n = p.shape.reduce((a, b) => a * b, 1); if (tuned.subarray(at, at + n).some((v, i) => v !== frozen[at + i])) changed.add(l.name); at += n; }
    expect([...changed]).toEqual(['head']);                  // only the head moved
    expect(withParams).toContain('gru');                       // (the frozen layers have parameters to keep)
    const bundle = await compileBundle(headModel(), { batch: 18, epochs: 60, samples: 18, shuffle: false });
    const runs = await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', '60', '@w.bin'], { 'm.axb': bundle, 'x.bin': bytesOf(norm.apply(d.shot.x).data), 'y.bin': bytesOf(d.shot.y.data) });
    for (const r of runs) {
      expect(r.code, `${r.host}: ${r.stderr}`).toBe(0);
      expectSameBits(r.files.get('w.bin'), tuned, `${r.host} vs Model.fit`);
    }
    const back = headModel();
    back.setWeights(weightsFromBin(parseBundle(bundle), runs[0].files.get('w.bin')!));
    expect((await back.evaluate(norm.apply(d.ev.x), d.ev.y)).accuracy).toBe(after);
  }, 120_000);

  it('personalization in the template Worker (workerd): POST /finetune then /predict?model=tuned gives Node\'s accuracy', async () => {
    const d = user30(), m = headModel();
    await m.fit(norm.apply(d.shot.x), d.shot.y, { epochs: 60, batchSize: 18, shuffle: false });
    const want = (await m.evaluate(norm.apply(d.ev.x), d.ev.y)).accuracy as number;
    writeFileSync(join(dir, 'head.axon'), modelToBytes(headModel(), { extra: modelFromBytes(modelBytes).graph.extra }));
    await buildWorkers({ outdir: join(dir, 'worker'), model: join(dir, 'head.axon') });
    const w = await startWorker({ dir: join(dir, 'worker'), build: 'simd', finetuneLr: 0.2 });
    try {
      const post = (path: string, body: BodyInit, type: string, extra: Record<string, string> = {}) => fetch(w.url + path, { method: 'POST', body, headers: { 'content-type': type, ...extra } }).then(async (r) => ({ status: r.status, json: await r.json() as Record<string, any> }));
      const inputs = Array.from({ length: 18 }, (_, r) => Array.from(d.shot.x.data.subarray(r * 768, (r + 1) * 768)));
      for (let k = 0; k < 2; k++) {
        const r = await post('/finetune', JSON.stringify({ inputs, labels: Array.from(d.shot.y.data), steps: 30 }), 'application/json');
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        expect(r.json.totalSteps).toBe(30 * (k + 1));
      }
      const p = await post('/predict?model=tuned', bytesOf(d.ev.x.data), 'application/octet-stream', { 'x-shape': `${d.ev.y.size},128,6` });
      expect(p.status, JSON.stringify(p.json)).toBe(200);
      const acc = (p.json.predictions as number[]).filter((v, i) => v === d.ev.y.data[i]).length / d.ev.y.size;
      expect(acc).toBeCloseTo(want, 6);
    } finally { await w.close(); }
  }, 180_000);
});

describe('IMU anomaly detection (small subset)', () => {
  it('a convolutional autoencoder trained on normal windows reconstructs falls far worse than normal motion', async () => {
    const tr = imuDataset(users([0, 1, 2, 3, 4, 5]), { seconds: SECONDS, seed: SEED }), te = imuDataset(users([24, 25]), { seconds: SECONDS, falls: 3, seed: SEED + 1 });
    const n = Normalizer.fit(tr.x, { per: 'channel' });
    const up = (filters: number) => L.conv2dTranspose({ filters, kernelSize: [1, 4], strides: [1, 2], padding: 'same', activation: filters === 6 ? undefined : 'relu' });
    const ae = new Sequential({ inputShape: [128, 6], seed: 7 })
      .add(L.conv1d({ filters: 16, kernelSize: 7, strides: 2, padding: 'same', activation: 'relu' })).add(L.conv1d({ filters: 8, kernelSize: 5, strides: 4, padding: 'same' }))
      .add(L.reshape({ targetShape: [1, 16, 8] })).add(up(16)).add(up(16)).add(up(6)).add(L.reshape({ targetShape: [128, 6] }));
    ae.compile({ optimizer: { type: 'adam', lr: 0.002 }, loss: 'mse' });
    await ae.fit(n.apply(tr.x), n.apply(tr.x), { epochs: 15, batchSize: 32 });
    const e = await reconstructionErrors(ae, n.apply(te.x));
    const med = (keep: (y: number) => boolean) => { const s = [...e].filter((_, i) => keep(te.y[i])).sort((a, b) => a - b); return s[s.length >> 1]; };
    expect(te.y.filter((v) => v === IMU_FALL).length).toBeGreaterThan(3);
    expect(med((y) => y === IMU_FALL)).toBeGreaterThan(3 * med((y) => y < IMU_FALL));
  }, 120_000);
});
