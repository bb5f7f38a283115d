// One AdamW training step of the imported torch BERT-tiny (opset 14) against torch's own step on
// the same weights and batch (tests/fixtures/torch/encoders/bert_adamw.json, written by
// gen_encoders.py): cross-entropy on the logits of 4 sequences of 16 tokens (3 padded), AdamW(lr 1e-3,
// betas (0.9, 0.999), eps 1e-6, weight decay 0.01). Each torch parameter is found among the Axon
// model's by its values (same (out, in) layouts), then compared after the step at sampled positions.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../../src/import/onnx.js';
import { Tensor } from '../../src/runtime/tensor.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { encoderFixture } from './encoder_kit.js';

interface Ref {
  hp: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  input_ids: number[]; attention_mask: number[]; token_type_ids: number[]; dims: [number, number]; labels: number[]; loss: number; logits: number[];
  params: Record<string, { shape: number[]; idx: number[]; before: number[]; after: number[] }>;
}
const ref = JSON.parse(readFileSync(new URL('../fixtures/torch/encoders/bert_adamw.json', import.meta.url), 'utf8')) as Ref;

let e: Engine;
beforeAll(async () => { e = await engine(); });

describe('ONNX import: a training step of the imported BERT-tiny against torch (AdamW)', () => {
  it('loss, logits and every parameter after one AdamW step match torch (1e-5)', async () => {
    const { model, outputs } = await importOnnx(encoderFixture('bert_op14'), { engine: e });
    const logits = outputs.find((o) => o.onnx === 'logits')!.ref, [N, T] = ref.dims;
    const ids = (v: number[]) => new Tensor(Int32Array.from(v), [N, T], 'i32');
    const x = { input_ids: ids(ref.input_ids), attention_mask: ids(ref.attention_mask), token_type_ids: ids(ref.token_type_ids) };
    const before = model.getWeights();
    // which Axon parameter each torch parameter is: the one of the same size holding its values
    const match = Object.fromEntries(Object.entries(ref.params).map(([name, p]) => {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const hits = [...before].filter(([, w]) => w.length === n && p.idx.every((i, j) => w[i] === Math.fround(p.before[j])));
      expect(hits.map(([k]) => k), `torch parameter ${name}`).toHaveLength(1);
      return [name, hits[0][0]];
    }));
    expect(new Set(Object.values(match)).size).toBe(before.size);   // every Axon parameter is a torch one, once

    const y0 = (await model.predict(x)) as Record<string, Tensor>;
    let worstLogit = 0;
    ref.logits.forEach((v, i) => { worstLogit = Math.max(worstLogit, Math.abs(y0[logits].data[i] - v)); });
    expect(worstLogit).toBeLessThan(1e-5);

    const { lr, betas, eps, weight_decay } = ref.hp;
    model.compile({ optimizer: { type: 'adamw', lr, beta1: betas[0], beta2: betas[1], eps, weightDecay: weight_decay }, loss: { [logits]: 'sparseCategoricalCrossentropy' }, fromLogits: true });
    const { loss } = await model.trainStep(x, { [logits]: new Tensor(Int32Array.from(ref.labels), [N], 'i32') });
    expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5);
    const after = model.getWeights();
    let worst = 0, where = '';
    for (const [name, p] of Object.entries(ref.params)) {
      const w = after.get(match[name])!;
      p.idx.forEach((i, j) => { const d = Math.abs(w[i] - p.after[j]); if (d > worst) { worst = d; where = `${name}[${i}]`; } });
    }
    console.log(`BERT AdamW step: loss ${loss} (torch ${ref.loss}), max |logit diff| ${worstLogit.toExponential(1)}, max |weight diff| ${worst.toExponential(1)} at ${where}`);
    expect(worst, where).toBeLessThan(1e-5);
  });
});
