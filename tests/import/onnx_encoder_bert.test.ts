// ONNX import of a BERT-shaped classifier exported by torch.onnx.export (torch 1.13, opsets 13, 14
// and 17; tests/fixtures/torch/gen_encoders.py): word + position + token-type embeddings, embedding
// LayerNorm, 2 encoder layers (hidden 128, 2 heads, intermediate 512, GELU erf), tanh pooler on the
// first token, 3 classes; int64 input_ids / attention_mask / token_type_ids with open batch and
// sequence axes. Against onnxruntime-node (1e-4) at lengths 8, 32 and 128 with padded rows; bad ids,
// masks and lengths refused naming the input; the imported model fine-tunes and saves / loads as .axon.
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx, OnnxImport } from '../../src/import/onnx.js';
import { modelFromBytes, modelToBytes } from '../../src/model/serialize.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { AxonError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { MAX_ERR, reportMaxErr } from './kit.js';
import { LENGTHS, OPSETS, compareOutputs, encoderFixture, feeds, paddingMask, type Feeds } from './encoder_kit.js';

let e: Engine;
const imports = new Map<number, { bytes: Uint8Array; imp: OnnxImport }>();
beforeAll(async () => {
  e = await engine();
  for (const op of OPSETS) { const bytes = encoderFixture(`bert_op${op}`); imports.set(op, { bytes, imp: await importOnnx(bytes, { engine: e, file: `bert_op${op}.onnx` }) }); }
});
reportMaxErr('BERT');

const V = 1000, batch = (seed: number, N: number, T: number): Feeds => {
  const f = feeds(seed);
  return { input_ids: f.ids([N, T], V), attention_mask: paddingMask(N, T), token_type_ids: f.ids([N, T], 2) };
};
const i32 = (dims: number[], v: (i: number) => number) => new Tensor(Int32Array.from({ length: dims[0] * dims[1] }, (_, i) => v(i)), dims, 'i32');
const axonBatch = (N: number, T: number, o: { ids?: (i: number) => number; mask?: number } = {}) => ({
  input_ids: i32([N, T], o.ids ?? ((i) => (i * 37) % V)), attention_mask: i32([N, o.mask ?? T], (i) => (i % (o.mask ?? T) < 3 ? 1 : (i >> 3) & 1)), token_type_ids: i32([N, T], (i) => i & 1),
});
const refusal = async (p: Promise<unknown>): Promise<AxonError> => { try { await p; } catch (err) { return err as AxonError; } throw new Error('expected an AxonError'); };

describe('ONNX import: a torch BERT-tiny classifier vs onnxruntime-node (1e-4)', () => {
  for (const op of OPSETS) {
    it(`opset ${op}: the layers; logits and last hidden state of 3 sequences (2 padded) at lengths ${LENGTHS.join(', ')}`, async () => {
      const { bytes, imp } = imports.get(op)!;
      const types = imp.model.layers.map((l) => l.type);
      expect(types.filter((t) => t === 'multiHeadAttention')).toHaveLength(2);
      expect(types.filter((t) => t === 'layerNormalization')).toHaveLength(5);
      expect(types.slice(0, 5)).toEqual(['embedding', 'embedding', 'add', 'positionEmbedding', 'layerNormalization']);
      expect(imp.model.inputs.map((i) => [i.name, i.dtype, i.shape, i.max, i.range])).toEqual([
        ['input_ids', 'i32', [null], [128], [0, V - 1]], ['attention_mask', 'i32', [null], [128], [0, 1]], ['token_type_ids', 'i32', [null], [128], [0, 1]]]);
      let worst = 0;
      for (const T of LENGTHS) worst = Math.max(worst, await compareOutputs(`bert op${op} T=${T}`, bytes, imp, batch(op * 10 + T, 3, T)));
      MAX_ERR[`bert op${op}`] = worst;
    });
  }

  it('refuses ids out of the vocabulary, a mask of another length or with other values than 0 / 1, and sequences longer than the 128 positions, naming the input', async () => {
    const { model } = imports.get(14)!.imp;
    const cases: Array<[string, ReturnType<typeof axonBatch>, RegExp]> = [
      ['id 1000', axonBatch(2, 8, { ids: (i) => (i === 5 ? V : i) }), /input "input_ids".*1000.*\[0, 999\]/],
      ['mask of length 9 for 8 tokens', axonBatch(2, 8, { mask: 9 }), /\[9\] \(input "attention_mask"\).*mask must be \[8\]/],
      ['129 tokens', axonBatch(1, 129), /input "input_ids".*129.*128/],
    ];
    const badMask = axonBatch(2, 8);
    (badMask.attention_mask.data as Int32Array)[3] = 2;
    cases.push(['mask value 2', badMask, /input "attention_mask".*value 2/]);
    for (const [what, x, want] of cases) {
      const err = await refusal(model.predict(x));
      expect(err, what).toBeInstanceOf(AxonError);
      expect(err.message, what).toMatch(want);
    }
  });

  it('fine-tunes: five AdamW steps on 16 sequences lower the cross-entropy of the logits', async () => {
    const { model, outputs } = (await importOnnx(imports.get(13)!.bytes, { engine: e })) as OnnxImport;
    const logits = outputs.find((o) => o.onnx === 'logits')!.ref;
    model.compile({ optimizer: { type: 'adamw', lr: 1e-3 }, loss: { [logits]: 'sparseCategoricalCrossentropy' }, fromLogits: true });
    const x = axonBatch(16, 12, { ids: (i) => (i * 7919 + 13) % V });
    const y = { [logits]: new Tensor(Int32Array.from({ length: 16 }, (_, n) => ((x.input_ids.data as Int32Array)[n * 12 + 1] % 3)), [16], 'i32') };
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) losses.push((await model.trainStep(x, y)).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4], `losses ${losses.map((l) => l.toFixed(4))}`).toBeLessThan(losses[0] * 0.9);
  });

  it('saves and loads as .axon: the loaded model gives the same bits', async () => {
    const { model } = imports.get(17)!.imp;
    const x = axonBatch(3, 20);
    const want = (await model.predict(x)) as Record<string, Tensor>;
    const { model: again } = modelFromBytes(modelToBytes(model), 'bert', e);
    const got = (await again.predict(x)) as Record<string, Tensor>;
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const k of Object.keys(want)) expect(Buffer.from(got[k].data.buffer).equals(Buffer.from(want[k].data.buffer)), k).toBe(true);
  });
});
