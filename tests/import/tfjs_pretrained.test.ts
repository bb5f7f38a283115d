// A real pretrained model from npm: nsfwjs 4.4.0 ships MobileNetV2 (Keras 2.2.4 functional model,
// 162 layers with residual Adds, uint8-quantized weights) as UMD modules. Axon's import and
// @tensorflow/tfjs 4.22 on the CPU backend load the same JSON and bytes and run the same images
// (pixels / 255, as nsfwjs does): class probabilities and the pooled features within 1e-4. Then a
// frozen-backbone fine-tune of a new head on it.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { importTfjsLayers, TfjsModelJson } from '../../src/import/tfjs.js';
import { Tensor, layers, Model } from '../../src/index.js';
import { replaceHead, freeze, frozenLayers } from '../../src/model/transfer.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randInt } from '../helpers.js';
import { maxDiff } from './kit.js';

let e: Engine, json: TfjsModelJson, shard: Uint8Array;
beforeAll(async () => {
  e = await engine();
  await tf.setBackend('cpu');
  const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');   // the package's own loaders (no network)
  json = (await m.modelJson()).default;
  shard = new Uint8Array(Buffer.from((await m.weightBundles[0]()).default as string, 'base64'));
});

const S = 224, PX = S * S * 3;
/** B deterministic 224×224 RGB images (smooth patterns plus pixel noise), 8-bit pixels / 255. */
function images(B: number, seed: number): Float32Array {
  const x = new Float32Array(B * PX), noise = randInt(B * PX, 48, seed);
  for (let b = 0; b < B; b++) for (let h = 0; h < S; h++) for (let w = 0; w < S; w++) for (let c = 0; c < 3; c++) {
    const i = ((b * S + h) * S + w) * 3 + c, v = 128 + 90 * Math.sin(h * 0.03 * (b + 1) + c * 2) * Math.cos(w * 0.05 / (b + 1) - c);
    x[i] = Math.min(255, Math.max(0, Math.round(v) + noise[i] - 24)) / 255;
  }
  return x;
}

describe('pretrained nsfwjs MobileNetV2 (npm) vs @tensorflow/tfjs CPU backend', () => {
  it('imports as a graph and matches class probabilities and pooled features within 1e-4', async () => {
    const { model, paramSources } = await importTfjsLayers(json, { engine: e, loadShard: () => shard, file: 'nsfwjs/mobilenet_v2' });
    expect(model).toBeInstanceOf(Model);
    expect(model.isChain).toBe(false);
    expect(model.layers.filter((l) => l.type === 'add')).toHaveLength(10);
    expect(model.inputsOf('block_2_add')).toEqual(['block_1_project_BN', 'block_2_project_BN']);
    expect(model.outputShape).toEqual([5]);
    expect(paramSources['Conv1.weight']).toBe('Conv1/kernel');

    const ref = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: json.weightsManifest!.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[], weightData: shard.slice().buffer }));
    const both = tf.model({ inputs: ref.inputs, outputs: [ref.getLayer('flatten_1').output as tf.SymbolicTensor, ref.outputs[0]] });
    const B = 2, x = images(B, 5);
    const [featRef, probRef] = (both.predict(tf.tensor(x, [B, S, S, 3])) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array);
    const xt = new Tensor(x, [B, S, S, 3]);
    const prob = (await model.predict(xt)).data, feat = (await replaceHead(model, [], { keep: 'flatten_1' }).predict(xt)).data;
    expect(prob.length).toBe(B * 5);
    expect(feat.length).toBe(B * 1280);
    expect(maxDiff(probRef.subarray(0, 5), probRef.subarray(5)), 'the two images differ').toBeGreaterThan(1e-3);
    const dp = maxDiff(prob, probRef), df = maxDiff(feat, featRef);
    console.log(`nsfwjs MobileNetV2: max |axon - tfjs cpu| probabilities ${dp.toExponential(1)}, pooled features ${df.toExponential(1)} (features up to ${Math.max(...featRef).toFixed(2)})`);
    expect(dp).toBeLessThanOrEqual(1e-4);
    expect(df).toBeLessThanOrEqual(1e-4);
  }, 240_000);

  it('fine-tunes a new head on the frozen pretrained backbone', async () => {
    const { model: base } = await importTfjsLayers(json, { engine: e, loadShard: () => shard });
    const m = replaceHead(base, [layers.dense({ units: 2, activation: 'softmax', name: 'head' })], { keep: 'flatten_1' });
    freeze(m, 'flatten_1');
    expect(frozenLayers(m)).toHaveLength(m.layers.length - 1);
    m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    const B = 4, x = new Tensor(images(B, 9), [B, S, S, 3]), y = new Tensor(Int32Array.from([0, 1, 1, 0]), [B], 'i32');
    const w0 = m.getWeights(), h = await m.fit(x, y, { epochs: 6, batchSize: B }), w1 = m.getWeights();
    expect(h.epochs[5].loss).toBeLessThan(h.epochs[0].loss);
    for (const k of ['Conv1.weight', 'bn_Conv1.running_mean', 'block_16_project.weight']) expect(maxDiff(w1.get(k)!, w0.get(k)!), `${k} frozen`).toBe(0);
    expect(maxDiff(w1.get('head.weight')!, w0.get('head.weight')!), 'head trained').toBeGreaterThan(0);
  }, 240_000);
});
