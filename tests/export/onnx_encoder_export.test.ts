// ONNX export of transformer encoders (src/export/onnx_seq.ts) run in onnxruntime-node against
// Axon's own predictions (1e-4): the BERT-tiny imported from torch (three int64 inputs with an open
// sequence axis, two outputs) at opsets 13 (LayerNorm decomposed) and 17 (LayerNormalization), and an
// encoder built in Axon (sinusoidal positions, pre-norm block with padding mask, GELU); both read
// back by the importer.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Model, layers, Tensor } from '../../src/index.js';
import { addEncoderBlock } from '../../src/model/blocks.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { importOnnx } from '../../src/import/onnx.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { maxDiff } from '../import/kit.js';
import { encoderFixture, ortAll, paddingMask, type Feeds } from '../import/encoder_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('encoder export max |onnxruntime - axon|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

/** Axon's int32 tensors as the int64 feeds of the exported graph. */
const feedsOf = (x: Record<string, Tensor>): Feeds => Object.fromEntries(Object.entries(x).map(([k, t]) => [k, { data: t.dtype === 'i32' ? BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)) : t.data as Float32Array, dims: [...t.shape] }]));
const ids = (N: number, T: number, hi: number, seed: number) => new Tensor(Int32Array.from(randn(N * T, seed), (v) => Math.floor(Math.abs(v) * 1e4) % hi), [N, T], 'i32');
const mask = (N: number, T: number) => new Tensor(Int32Array.from(paddingMask(N, T).data as BigInt64Array, Number), [N, T], 'i32');

/** predict vs onnxruntime on the export, per output (by position), within 1e-4; then the importer reads the export back (1e-5). */
async function check(label: string, m: Model, x: Record<string, Tensor>, opset: number): Promise<void> {
  const bytes = await exportOnnx(m, { opset });
  const want = await m.predict(x), list = (want instanceof Tensor ? [want] : Array.isArray(want) ? want : m.outputNames.map((k) => (want as Record<string, Tensor>)[k]));
  const got = await ortAll(bytes, feedsOf(x)), names = Object.keys(got);
  expect(names).toHaveLength(list.length);
  let worst = 0;
  names.forEach((k, i) => { expect(got[k].dims, `${label} ${k}`).toEqual([...list[i].shape]); worst = Math.max(worst, maxDiff(got[k].data, list[i].data)); });
  ERR[label] = worst;
  expect(worst, label).toBeLessThanOrEqual(1e-4);
  const imp = await importOnnx(bytes, { engine: e });
  const back = await imp.run(feedsOf(x));
  names.forEach((k) => expect(maxDiff(back[k].data, got[k].data), `${label} ${k} re-imported`).toBeLessThanOrEqual(1e-5));
}

describe('ONNX export of transformer encoders vs onnxruntime-node (1e-4)', () => {
  for (const opset of [13, 17]) it(`the imported torch BERT-tiny at opset ${opset}: 3 int64 inputs, logits and hidden states, lengths 8 and 32 with padding`, async () => {
    const { model } = await importOnnx(encoderFixture('bert_op14'), { engine: e });
    for (const T of [8, 32]) await check(`bert op${opset} T=${T}`, model, { input_ids: ids(3, T, 1000, T), attention_mask: mask(3, T), token_type_ids: ids(3, T, 2, T + 1) }, opset);
  });

  it('an Axon encoder: embedding, sinusoidal positions, a pre-norm GELU block with a padding mask, first-token head', async () => {
    const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [64] }, { name: 'mask', shape: [null], dtype: 'i32', maxShape: [64] }], seed: 5, engine: e });
    m.add(layers.embedding({ inputDim: 50, outputDim: 16, name: 'emb' }), { inputs: ['ids'] });
    m.add(layers.positionEmbedding({ maxLength: 64, kind: 'sinusoidal', name: 'pos' }), { inputs: ['emb'] });
    const h = addEncoderBlock(m, { input: 'pos', mask: 'mask', heads: 4, ff: 32, activation: 'gelu', preNorm: true, name: 'block' });
    m.add(layers.layerNormalization({ name: 'final' }), { inputs: [h] });
    m.add(layers.slice({ indices: [[0], null], name: 'cls' }), { inputs: ['final'] });
    m.add(layers.flatten({ name: 'flat' }), { inputs: ['cls'] });
    m.add(layers.dense({ units: 3, name: 'head' }), { inputs: ['flat'] });
    m.setOutputs(['head', 'final']);
    const w = m.getWeights();
    let s = 40;
    for (const [k, v] of w) w.set(k, randn(v.length, ++s, 0.3));
    m.setWeights(w);
    for (const opset of [13, 17]) await check(`axon encoder op${opset}`, m, { ids: ids(2, 12, 50, opset), mask: mask(2, 12) }, opset);
  });
});
