// A WASI device trains on its own data: one bundle (axon compile --device --device-normalize),
// compiled once, fine-tunes under both WASI hosts on raw data files of three row counts (two not
// a multiple of the batch) with epochs, learning rate, a step schedule, a validation split and early
// stopping given as arguments, the normalizer applied on the device — bit-identical to the Node
// target running Model.fit with the same options (EarlyStopping restoring the best weights). Then the
// lifecycle closes: infer --weights with the learned weights = the Node model's predictions, and
// mergeBundleWeights / `axon merge` turn them back into a model file that keeps its normalizer.
// Checkpoints: a run cut after epoch k and resumed ends with the weights of an uninterrupted run.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, Model as GraphModel, layers, Tensor, encodeNpy, modelToBytes, modelFromBytes, parseNpy, Normalizer, EarlyStopping, setDefaultEngineLoader, mergeBundleWeights, compileBundle, parseBundle, type Model } from '../../../src/index.js';
import { freeze } from '../../../src/model/transfer.js';
import { merge } from '../../../targets/node/cli/merge.js';
import { compile } from '../../../targets/node/cli/compile.js';
import { runNodeWasi } from '../../../targets/wasi/run.js';
import { engine, randn } from '../../helpers.js';
import { concatWeights } from '../conformance/cases.js';
import { onBothHosts, bytesOf, expectSameBits, f32Of, wasiModule } from './hosts.js';

setDefaultEngineLoader(() => engine());

const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(new URL(`../../../models/digits/${f}`, import.meta.url))), f);
const RAW = Float32Array.from(npy('digits-x.npy').data), Y = Int32Array.from(npy('digits-y.npy').data), N = Y.length;
const OPTIMIZER = { type: 'adam' as const, lr: 0.005, schedule: { type: 'step' as const, stepSize: 2, gamma: 0.5 } };
const ARGS = ['--epochs', '6', '--lr', '0.005', '--schedule', 'step,2,0.5', '--val', '0.2', '--patience', '2'];

let modelBytes: Uint8Array, bundle: Uint8Array, norm: Normalizer;
beforeAll(async () => {
  norm = Normalizer.fit(new Tensor(RAW, [N, 64]));
  const m = new Sequential({ inputShape: [64], seed: 11, name: 'digits-device' });
  m.add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dropout({ rate: 0.1 })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.002 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await m.fit(norm.apply(new Tensor(RAW.slice(1000 * 64), [N - 1000, 64])), new Tensor(Y.slice(1000), [N - 1000]), { epochs: 1, batchSize: 32 });
  modelBytes = modelToBytes(m, { extra: { normalizer: norm.toJSON() } });
  bundle = await compileBundle(modelFromBytes(modelBytes).model, { batch: 32, device: true, normalize: true });
});

/** The Node target doing the same: the model file, compiled with the run's optimizer, fit with the same options. */
async function nodeRun(rows: number, epochs: number, o: { val?: number; patience?: number } = {}): Promise<Model> {
  const m = modelFromBytes(modelBytes).model;
  m.compile({ ...m.compileOptions!, optimizer: OPTIMIZER });
  const x = norm.apply(new Tensor(RAW.slice(0, rows * 64), [rows, 64])), y = new Tensor(Y.slice(0, rows), [rows]);
  await m.fit(x, y, { epochs, batchSize: 32, ...(o.val ? { validationSplit: o.val } : {}), callbacks: o.patience !== undefined ? [new EarlyStopping({ patience: o.patience, restoreBestWeights: true })] : [] });
  return m;
}
const files = (rows: number) => ({ 'd.axb': bundle, 'x.bin': bytesOf(RAW.slice(0, rows * 64)), 'y.bin': bytesOf(Y.slice(0, rows)) });

describe('WASI on-device training (one bundle, raw rows, arguments chosen on the device)', () => {
  it('the bundle: train and eval plans for every batch 1..32, the TRAIN section, no schedule table', () => {
    const b = parseBundle(bundle);
    for (let k = 1; k <= 32; k++) for (const mode of [1, 2]) expect(b.plans.some((p) => p.mode === mode && p.batch === k), `mode ${mode} batch ${k}`).toBe(true);
    expect(b.hp!.steps).toBe(1);
    expect(b.meta).toMatchObject({ device: true, normalize: true });
  });

  for (const rows of [200, 256, 333]) {
    it(`${rows} rows (${rows - Math.floor(rows * 0.2)} to train, ${Math.floor(rows * 0.2)} to validate): both hosts = Model.fit with the same schedule, split and early stopping, bit for bit`, async () => {
      const want = await nodeRun(rows, 6, { val: 0.2, patience: 2 });
      const runs = await onBothHosts(['finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', ...ARGS], files(rows));
      for (const r of runs) {
        expect(r.code, `${r.host}: ${r.stderr}`).toBe(0);
        expectSameBits(r.files.get('w.bin'), concatWeights(want), `${r.host} vs Model.fit`);
        const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('epoch '));
        expect(lines.length).toBeGreaterThan(0);
        for (const l of lines) expect(l).toMatch(/^epoch \d+\/6 loss [\d.e-]+ val_loss [\d.e-]+ lr [\d.e-]+$/);
      }
      expect(runs[0].stdout).toBe(runs[1].stdout);
      // infer with the learned weights on raw rows (the device normalizes) = the Node model on normalized rows
      const test = RAW.slice(1500 * 64, 1600 * 64);
      const inf = await onBothHosts(['infer', '@d.axb', '@t.bin', '@out.bin', '--weights', '@w.bin'], { 'd.axb': bundle, 't.bin': bytesOf(test), 'w.bin': runs[0].files.get('w.bin')! });
      const pred = (await want.predict(norm.apply(new Tensor(test, [100, 64])), { batchSize: 32 })).data;   // (in the bundle's chunks of 32, as the device runs them)
      for (const r of inf) { expect(r.code, r.stderr).toBe(0); expectSameBits(r.files.get('out.bin'), pred, `${r.host} infer --weights`); }
      // back into a model file: the device's weights, the normalizer and compile settings kept
      const merged = modelFromBytes(mergeBundleWeights(modelBytes, bundle, runs[0].files.get('w.bin')!));
      expect(merged.graph.extra).toEqual({ normalizer: norm.toJSON() });
      expectSameBits((await merged.model.predict(norm.apply(new Tensor(test, [100, 64])), { batchSize: 32 })).data, pred, 'merged model file');
    });
  }

  it('early stopping stops and keeps the best epoch: the progress lines say so', async () => {
    const args = ['finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '30', '--lr', '0.05', '--val', '0.3', '--patience', '1', '--checkpoint', '@ck.bin'];
    const [r] = await onBothHosts(args, files(200));
    expect(r.code, r.stderr).toBe(0);
    const m = modelFromBytes(modelBytes).model;
    m.compile({ ...m.compileOptions!, optimizer: { type: 'adam', lr: 0.05 } });
    const es = new EarlyStopping({ patience: 1, restoreBestWeights: true });
    const h = await m.fit(norm.apply(new Tensor(RAW.slice(0, 200 * 64), [200, 64])), new Tensor(Y.slice(0, 200), [200]), { epochs: 30, batchSize: 32, validationSplit: 0.3, callbacks: [es] });
    expect(es.stoppedEpoch).toBeGreaterThan(0);
    expect(r.stdout).toContain(`early stop after epoch ${es.stoppedEpoch + 1}`);
    expect(r.stdout).toContain(`at epoch ${es.bestEpoch + 1}`);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('epoch '))).toHaveLength(h.epochs.length);
    expectSameBits(r.files.get('w.bin'), concatWeights(m), 'best weights kept');
    // resuming a run that stopped early trains no further: it writes the same best weights
    const again = await onBothHosts([...args, '--resume'], { ...files(200), 'ck.bin': r.files.get('ck.bin')! });
    for (const a of again) {
      expect(a.stdout, a.stderr).toContain(`stopped early after epoch ${es.stoppedEpoch + 1}; writing its best weights`);
      expect(a.stdout).not.toMatch(/^epoch /m);
      expectSameBits(a.files.get('w.bin'), concatWeights(m), `${a.host}: resumed after the early stop`);
    }
  });

  it('checkpoints: cut after epoch 2, resumed to 5 = an uninterrupted 5-epoch run; a torn temp file is ignored, a corrupt checkpoint refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-ck-'));
    try {
      for (const [k, v] of Object.entries(files(333))) writeFileSync(join(dir, k), v);
      const wasi = async (...a: string[]) => runNodeWasi(a.map((s) => (s.startsWith('@') ? `/d/${s.slice(1)}` : s)), { preopens: { '/d': dir } }, await wasiModule());
      const common = ['--lr', '0.005', '--schedule', 'step,2,0.5', '--val', '0.2', '--checkpoint', '@ck.bin'];
      const cut = await wasi('finetune', '@d.axb', '@x.bin', '@y.bin', '@w2.bin', '--epochs', '2', ...common);
      expect(cut.code, cut.stderr).toBe(0);
      writeFileSync(join(dir, 'ck.bin.tmp'), new Uint8Array(100));   // what a power cut during the next write leaves
      const resumed = await wasi('finetune', '@d.axb', '@x.bin', '@y.bin', '@w5.bin', '--epochs', '5', ...common, '--resume');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/^resumed from \/d\/ck\.bin after epoch 2\n/);
      expect(resumed.stdout.split('\n').filter((l) => l.startsWith('epoch ')).map((l) => l.split(' ')[1])).toEqual(['3/5', '4/5', '5/5']);
      expectSameBits(new Uint8Array(readFileSync(join(dir, 'w5.bin'))), concatWeights(await nodeRun(333, 5, { val: 0.2 })), 'resumed run vs uninterrupted Model.fit');
      const ck = new Uint8Array(readFileSync(join(dir, 'ck.bin')));
      ck[ck.length - 3] ^= 1;
      writeFileSync(join(dir, 'ck.bin'), ck);
      const bad = await wasi('finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '5', ...common, '--resume');
      expect([bad.code, bad.stderr]).toEqual([65, expect.stringMatching(/checkpoint \/d\/ck\.bin: checksum mismatch/)]);
      const other = await wasi('finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '5', '--val', '0.3', '--checkpoint', '@w2.bin', '--resume');
      expect([other.code, other.stderr]).toEqual([65, expect.stringMatching(/not a checkpoint of this bundle and data/)]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('a CNN with augmentation layers (flip, translation: drawn in wasm inside the train plans) trains on the device = Model.fit', async () => {
    const m = new Sequential({ inputShape: [8, 8, 1], seed: 4, name: 'digits-cnn-aug' });
    m.add(layers.randomFlip({ mode: 'horizontal' })).add(layers.randomTranslation({ maxShift: 1 }))
      .add(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })).add(layers.flatten()).add(layers.dense({ units: 10, activation: 'softmax' }));
    m.compile({ optimizer: { type: 'momentum', lr: 0.05, schedule: { type: 'exponential', gamma: 0.8, per: 'step' } }, loss: 'sparseCategoricalCrossentropy' });
    const inorm = Normalizer.fit(new Tensor(RAW, [N, 8, 8, 1]));
    const bytes = modelToBytes(m, { extra: { normalizer: inorm.toJSON() } }), rows = 150;
    const cnn = await compileBundle(modelFromBytes(bytes).model, { batch: 16, device: true, normalize: true });
    const runs = await onBothHosts(['finetune', '@c.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '3', '--val', '0.1'], { 'c.axb': cnn, 'x.bin': bytesOf(RAW.slice(0, rows * 64)), 'y.bin': bytesOf(Y.slice(0, rows)) });
    const want = modelFromBytes(bytes).model;
    await want.fit(inorm.apply(new Tensor(RAW.slice(0, rows * 64), [rows, 8, 8, 1])), new Tensor(Y.slice(0, rows), [rows]), { epochs: 3, batchSize: 16, validationSplit: 0.1 });
    const before = concatWeights(modelFromBytes(bytes).model), after = concatWeights(want);
    expect(after).not.toEqual(before);
    for (const r of runs) { expect(r.code, r.stderr).toBe(0); expectSameBits(r.files.get('w.bin'), after, `${r.host} vs Model.fit (augmented)`); }
  });

  it('several inputs (an LSTM over an open-length sequence at its train shape, with an initial state): one file per input = Model.fit', async () => {
    const m = new GraphModel({ inputs: [{ name: 'seq', shape: [null, 3], maxShape: [6, 3] }, { name: 'h0', shape: [4] }], seed: 8, name: 'seq-device' });
    m.add(layers.lstm({ units: 4, name: 'rnn' }), { inputs: ['seq', 'h0'] }).add(layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
    m.compile({ optimizer: { type: 'rmsprop', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    const bytes = modelToBytes(m), rows = 29, T = 5;
    const b = await compileBundle(modelFromBytes(bytes).model, { batch: 8, device: true, shapes: [[[T, 3], [4]]] });
    const seq = randn(rows * T * 3, 3), h0 = randn(rows * 4, 4), y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 3);
    const runs = await onBothHosts(['finetune', '@s.axb', '@seq.bin', '@h0.bin', '@y.bin', '@w.bin', '--epochs', '3', '--val', '0.2', '--schedule', 'exponential,0.7'], { 's.axb': b, 'seq.bin': bytesOf(seq), 'h0.bin': bytesOf(h0), 'y.bin': bytesOf(y) });
    const want = modelFromBytes(bytes).model;
    want.compile({ ...want.compileOptions!, optimizer: { type: 'rmsprop', lr: 0.01, schedule: { type: 'exponential', gamma: 0.7 } } });
    await want.fit({ seq: new Tensor(seq, [rows, T, 3]), h0: new Tensor(h0, [rows, 4]) }, new Tensor(y, [rows]), { epochs: 3, batchSize: 8, validationSplit: 0.2 });
    for (const r of runs) { expect(r.code, r.stderr).toBe(0); expectSameBits(r.files.get('w.bin'), concatWeights(want), `${r.host} vs Model.fit (two inputs)`); }
  });

  it('axon compile --device --device-normalize writes this bundle and raw x.bin; axon merge writes the tuned model file atomically', async () => {
    const [r] = await onBothHosts(['finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '1'], files(100));
    const dir = mkdtempSync(join(tmpdir(), 'axon-merge-'));
    try {
      writeFileSync(join(dir, 'x.npy'), encodeNpy(new Tensor(RAW.slice(0, 100 * 64), [100, 64])));
      writeFileSync(join(dir, 'y.npy'), encodeNpy(new Tensor(Y.slice(0, 100), [100])));
      writeFileSync(join(dir, 'm.axon'), modelBytes);
      await compile(join(dir, 'm.axon'), { batch: 32, out: join(dir, 'cli.axb'), device: true, deviceNormalize: true, data: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), binOut: join(dir, 'dev') });
      expect(Buffer.from(readFileSync(join(dir, 'cli.axb'))).equals(Buffer.from(bundle))).toBe(true);
      expectSameBits(new Uint8Array(readFileSync(join(dir, 'dev/x.bin'))), RAW.slice(0, 100 * 64), 'x.bin left raw (the device normalizes)');
      await expect(compile(join(dir, 'm.axon'), { batch: 32, out: join(dir, 'bad.axb'), device: true, epochs: 2, samples: 10 })).rejects.toMatchObject({ code: 'BAD_CONFIG' });
      writeFileSync(join(dir, 'm.axon'), modelBytes); writeFileSync(join(dir, 'd.axb'), bundle); writeFileSync(join(dir, 'w.bin'), r.files.get('w.bin')!);
      await merge(join(dir, 'm.axon'), join(dir, 'd.axb'), join(dir, 'w.bin'), { out: join(dir, 'tuned.axon') });
      const w = modelFromBytes(new Uint8Array(readFileSync(join(dir, 'tuned.axon')))).model;
      expectSameBits(concatWeights(w), f32Of(r.files.get('w.bin')!), 'merged weights');
      await expect(merge(join(dir, 'm.axon'), join(dir, 'd.axb'), join(dir, 'm.axon'), { out: join(dir, 'x.axon') })).rejects.toMatchObject({ code: 'BAD_DATA' });
      writeFileSync(join(dir, 'frozen.axon'), modelToBytes(freeze(modelFromBytes(modelBytes).model)));
      await expect(compile(join(dir, 'frozen.axon'), { batch: 8, out: join(dir, 'f.axb'), device: true })).rejects.toMatchObject({ code: 'NOTHING_TO_TRAIN' });
      const cli = new URL('../../../dist/cli.js', import.meta.url);
      if (existsSync(cli)) {   // the built command (npm test builds first)
        const ok = spawnSync(process.execPath, [cli.pathname, 'merge', join(dir, 'm.axon'), join(dir, 'd.axb'), join(dir, 'w.bin'), '--out', join(dir, 'cli.axon')], { encoding: 'utf8' });
        expect(ok.status, ok.stderr).toBe(0);
        expect(Buffer.compare(readFileSync(join(dir, 'cli.axon')), readFileSync(join(dir, 'tuned.axon')))).toBe(0);
        const frozen = spawnSync(process.execPath, [cli.pathname, 'compile', join(dir, 'frozen.axon'), '--batch', '8', '--device', '--out', join(dir, 'f.axb')], { encoding: 'utf8' });
        expect([frozen.status, frozen.stderr]).toEqual([1, expect.stringMatching(/no trainable parameters/)]);
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('bad arguments and nothing to train: typed exits naming what to do', async () => {
    const f = files(64);
    const cases: Array<[string[], number, RegExp]> = [
      [['--lr', '0.1'], 64, /needs --epochs E/],
      [['--epochs', '2', '--schedule', 'cosine'], 64, /--schedule cosine: use constant, step/],
      [['--epochs', '2', '--patience', '2'], 64, /give a validation split too/],
      [['--epochs', '2', '--val', '1.5'], 64, /--val 1.5: expected a number in \[0(\.0)?, 0\.99\]/],
      [['--epochs', 'x'], 64, /--epochs x: expected an integer/],
      [['--epochs', '2', '--resume'], 64, /--resume continues from --checkpoint/],
      [['--epochs', '2', '--bogus', '1'], 64, /unknown option --bogus/],
    ];
    for (const [extra, code, msg] of cases) {
      const [r] = await onBothHosts(['finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', ...extra], f);
      expect([r.code, r.stderr], extra.join(' ')).toEqual([code, expect.stringMatching(msg)]);
    }
    const [short] = await onBothHosts(['finetune', '@d.axb', '@x.bin', '@y.bin', '@w.bin', '--epochs', '1'], { ...f, 'y.bin': f['y.bin'].subarray(4) });
    expect([short.code, short.stderr]).toEqual([65, expect.stringMatching(/63 rows, but .*x\.bin has 64/)]);
    // a bundle with no hyperparameter blocks (what the train plans of an untrainable model would carry; axon compile refuses to write one)
    await expect(compileBundle(freeze(modelFromBytes(modelBytes).model), { batch: 8, device: true })).rejects.toMatchObject({ code: 'NOTHING_TO_TRAIN' });
    const legacy = await onBothHosts(['finetune', '@d.axb', '@x.bin', '@y.bin', '1', '@w.bin'], { ...f, 'd.axb': stripHp(await compileBundle(modelFromBytes(modelBytes).model, { batch: 8, epochs: 1, samples: 64 })) });
    for (const r of legacy) expect([r.code, r.stderr]).toEqual([65, expect.stringMatching(/nothing to train \(NOTHING_TO_TRAIN\)/)]);
  });
});

/** The bundle with its HP section emptied (no hyperparameter blocks) and the checksum redone: what a bundle of an untrainable model would be. */
function stripHp(b: Uint8Array): Uint8Array {
  const out = b.slice(), dv = new DataView(out.buffer), S = dv.getUint32(12, true);
  for (let i = 0; i < S; i++) {
    const e = 96 + i * 16;
    if (dv.getUint32(e, true) !== 4) continue;
    const at = dv.getUint32(e + 4, true);
    dv.setUint32(at, 0, true); dv.setUint32(at + 4, 0, true); dv.setUint32(at + 8, 0, true);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < out.length; i++) { h ^= i >= 88 && i < 92 ? 0 : out[i]; h = Math.imul(h, 0x01000193); }
  dv.setUint32(88, h >>> 0, true);
  return out;
}
