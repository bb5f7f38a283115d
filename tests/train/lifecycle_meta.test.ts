// Fine-tuning lifecycle, correctness: a model with nothing trainable (all frozen, all int8) is
// refused with NOTHING_TO_TRAIN by fit, trainStep and the WASI bundle compiler; every model
// transformation (quantize, replaceHead, freeze, import) keeps the model's metadata (graph.extra:
// normalizer, labels) and compile settings, so a saved int8 backbone + f32 head still normalizes
// raw rows the way the model was trained to expect.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Sequential, layers, Tensor, AxonError, modelToBytes, modelFromBytes, parseNpy, Normalizer, setDefaultEngineLoader } from '../../src/index.js';
import { freeze, replaceHead } from '../../src/model/transfer.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { quantizeDynamic } from '../../src/quant/dynamic.js';
import { importOnnx } from '../../src/import/onnx.js';
import { compileBundle } from '../../src/wasi/bundle.js';
import { engine } from '../helpers.js';

setDefaultEngineLoader(() => engine());

const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(new URL(`../../models/digits/${f}`, import.meta.url))), f);
const raw = npy('digits-x.npy'), yt = npy('digits-y.npy'), n = raw.shape[0];
const X = new Tensor(Float32Array.from(raw.data), [n, 64]), Y = new Tensor(Int32Array.from(yt.data), [n]);
const LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const COMPILE = { optimizer: { type: 'adam' as const, lr: 0.003 }, loss: 'sparseCategoricalCrossentropy' as const, metrics: ['accuracy' as const] };

async function expectNothingToTrain(p: Promise<unknown>): Promise<void> {
  const e = await p.then(() => undefined, (err) => err);
  expect(e).toBeInstanceOf(AxonError);
  expect((e as AxonError).code).toBe('NOTHING_TO_TRAIN');
  expect((e as AxonError).message).toMatch(/no trainable parameters/);
}

/** The digits MLP trained on standardized rows, its normalizer and labels in `extra` (as `axon train` saves it). */
let base: Uint8Array, norm: Normalizer;
beforeAll(async () => {
  norm = Normalizer.fit(X);
  const m = new Sequential({ inputShape: [64], seed: 3, name: 'digits' });
  m.add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile(COMPILE);
  await m.fit(norm.apply(X), Y, { epochs: 4, batchSize: 32 });
  base = modelToBytes(m, { extra: { normalizer: norm.toJSON(), labels: LABELS } });
});
const load = () => modelFromBytes(base, 'digits.axon').model;

describe('NOTHING_TO_TRAIN', () => {
  it('fit and trainStep refuse an all-frozen model', async () => {
    const m = freeze(load());
    await expectNothingToTrain(m.fit(X, Y, { epochs: 1 }));
    await expectNothingToTrain(m.trainStep(X, Y));
  });
  it('fit refuses a fully int8 model (static and dynamic quantization)', async () => {
    const m = load(), cal = norm.apply(X).slice(0, 200);
    const q = await quantizeModel(m, cal);
    expect(q.compileOptions).toEqual(COMPILE);   // compiled like the original ...
    await expectNothingToTrain(q.fit(cal, Y.slice(0, 200), { epochs: 1 }));   // ... but nothing in it can learn
    await expectNothingToTrain(quantizeDynamic(m).fit(cal, Y.slice(0, 200), { epochs: 1 }));
  });
  it('a fine-tuning WASI bundle of a frozen model is refused at compile time', async () => {
    await expectNothingToTrain(compileBundle(freeze(load()), { batch: 8, epochs: 1, samples: 16 }));
    await compileBundle(freeze(load()), { batch: 8 });   // (an inference bundle is fine)
  });
  it('a frozen backbone with a trainable head trains', async () => {
    const m = freeze(load(), 1);
    const h = await m.fit(norm.apply(X).slice(0, 64), Y.slice(0, 64), { epochs: 1 });
    expect(h.epochs).toHaveLength(1);
  });
});

describe('every transformation keeps the metadata and compile settings', () => {
  const extraOf = (bytes: Uint8Array) => modelFromBytes(bytes).graph.extra;
  it('load → save round trip and freeze', () => {
    const m = load();
    expect(m.extra).toEqual({ normalizer: norm.toJSON(), labels: LABELS });
    expect(extraOf(modelToBytes(freeze(m, 0)))).toEqual(m.extra);
    expect(modelFromBytes(modelToBytes(m)).graph.compile).toEqual(COMPILE);
  });
  it('int8 backbone + new f32 head, saved with modelToBytes: raw rows through the saved normalizer classify as before', async () => {
    const m = load(), xn = norm.apply(X);
    const q = await quantizeModel(m, xn.slice(0, 300), { layers: 2 });
    expect(q.extra).toEqual(m.extra);
    const t = replaceHead(q, [layers.dense({ units: 10, activation: 'softmax' })], { keep: -1 });
    expect(t.extra).toEqual(m.extra);
    expect(t.compileOptions).toEqual(COMPILE);   // compiled with the original's settings
    await t.fit(xn, Y, { epochs: 3, batchSize: 32 });
    const saved = modelFromBytes(modelToBytes(t));
    const extra = saved.graph.extra as { normalizer: unknown; labels: string[] };
    expect(extra.labels).toEqual(LABELS);
    const again = Normalizer.fromJSON(extra.normalizer, 'saved normalizer');
    const acc = (await saved.model.evaluate(again.apply(X), Y)).accuracy as number;
    const rawAcc = (await saved.model.evaluate(X, Y)).accuracy as number;   // what a host that lost the normalizer sees
    expect(acc).toBeGreaterThan(0.9);
    expect(acc).toBeGreaterThan(rawAcc);
  });
  it('an imported model carries its provenance into the model file', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/torch_lenet.onnx', import.meta.url)));
    const { model } = await importOnnx(bytes, { file: 'lenet.onnx' });
    const from = (extraOf(modelToBytes(model)) as { importedFrom: { format: string; file: string; paramSources: Record<string, string> } }).importedFrom;
    expect(from.format).toBe('onnx');
    expect(from.file).toBe('lenet.onnx');
    expect(Object.keys(from.paramSources).length).toBeGreaterThan(0);
    const head = replaceHead(model, [layers.dense({ units: 3, activation: 'softmax' })]);
    expect((extraOf(modelToBytes(head)) as { importedFrom: unknown }).importedFrom).toEqual(from);
  });
});
