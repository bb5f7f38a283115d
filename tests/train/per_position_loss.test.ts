// Cross-entropy scored at every position of a sequence output ([steps, classes], labels [n, steps]):
// the loss is the mean over samples and positions of -log p(label) (torch's cross_entropy on the
// flattened rows), from a softmax head (fused) or logits; accuracy averages positions; gradients
// match central differences; wrong label shapes and ids are refused. The causal LM's 'trainAll'
// wiring trains on every position of stream windows, and its weights generate through the KV cache.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, layers, Tensor, AxonError } from '../../src/index.js';
import { causalLm, copyLmWeights } from '../../src/text/lm.js';
import { CharVocab, charStreamWindows, trainCharLm, charLmLoss } from '../../src/text/char_lm.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { checkGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const T = 5, V = 7, N = 6;
const ids = new Tensor(Int32Array.from({ length: N * T }, (_, i) => (i * 5 + 3) % 11), [N, T], 'i32');
const y = new Tensor(Int32Array.from({ length: N * T }, (_, i) => (i * 3 + 1) % V), [N, T], 'i32');

function seqModel(softmax: boolean): Model {
  const m = new Model({ inputs: [{ name: 'ids', shape: [T], dtype: 'i32' }], seed: 4, engine: e });
  m.add(layers.embedding({ inputDim: 11, outputDim: 8, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.dense({ units: 6, activation: 'tanh', name: 'mid' }));
  return m.add(layers.dense({ units: V, ...(softmax ? { activation: 'softmax' as const } : {}), name: 'head' }));
}
const softmaxRows = (z: Float32Array) => {
  const p = new Float64Array(z.length);
  for (let r = 0; r < z.length / V; r++) {
    const row = z.subarray(r * V, (r + 1) * V), mx = Math.max(...row);
    const ex = Array.from(row, (v) => Math.exp(v - mx)), s = ex.reduce((a, b) => a + b, 0);
    ex.forEach((v, c) => { p[r * V + c] = v / s; });
  }
  return p;
};

describe('cross-entropy at every position', () => {
  for (const softmax of [true, false]) {
    it(`${softmax ? 'softmax head (fused)' : 'logits (fromLogits)'}: the loss is the mean over samples and positions; accuracy averages positions`, async () => {
      const m = seqModel(softmax);
      m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], fromLogits: !softmax });
      const out = (await m.predict(ids)) as Tensor;
      expect(out.shape).toEqual([N, T, V]);
      const p = softmax ? Float64Array.from(out.data) : softmaxRows(out.data as Float32Array);
      let loss = 0, hits = 0;
      for (let r = 0; r < N * T; r++) {
        loss -= Math.log(p[r * V + (y.data[r] as number)]);
        const row = Array.from(p.subarray(r * V, (r + 1) * V));
        hits += row.indexOf(Math.max(...row)) === y.data[r] ? 1 : 0;
      }
      const ev = await m.evaluate(ids, y, { batchSize: 4 });
      expect(ev.loss).toBeCloseTo(loss / (N * T), 5);
      expect(ev.accuracy).toBeCloseTo(hits / (N * T), 6);
      const { loss: gl } = await m.gradients(ids, y);
      expect(gl).toBeCloseTo(loss / (N * T), 5);
    });
  }

  it('gradients match central differences (embedding, hidden and head weights)', async () => {
    const m = seqModel(true);
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    await checkGradients(m, ids, y, ['tok.weight', 'mid.weight', 'mid.bias', 'head.weight', 'head.bias']);
  });

  it('refuses labels of the wrong shape or outside the classes, naming the position', async () => {
    const m = seqModel(true);
    m.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'sparseCategoricalCrossentropy' });
    const fail = async (yy: Tensor, msg: RegExp) => {
      let err: unknown;
      try { await m.fit(ids, yy, { epochs: 1 }); } catch (x) { err = x; }
      expect(err).toBeInstanceOf(AxonError);
      expect((err as AxonError).message).toMatch(msg);
    };
    await fail(new Tensor(Int32Array.from({ length: N }, () => 1), [N], 'i32'), /has 5 positions of 7 classes, so sparseCategoricalCrossentropy wants class ids \[n, 5\]/);
    const bad = Int32Array.from(y.data as Int32Array); bad[2 * T + 3] = V;
    await fail(new Tensor(bad, [N, T], 'i32'), /label 7 of sample 2, position 3 is not a class id in \[0, 7\)/);
  });
});

describe("the causal LM's 'trainAll' wiring", () => {
  it('stream windows: full windows, targets shifted by one, positions 0..W-1', () => {
    const v = CharVocab.of(['ab', 'ba c']);
    const { x, y: t } = charStreamWindows(['ab', 'ba c'], v, 3);   // stream \n a b \n b a ␠ c \n (9 ids) → 2 windows
    expect(x.ids.shape).toEqual([2, 3]);
    expect(v.decode(Array.from(x.ids.data as Int32Array))).toBe('\nab\nba');
    expect(v.decode(Array.from(t.data as Int32Array))).toBe('ab\nba ');
    expect(Array.from(x.positions.data)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(x.mask.data)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('trains on every position (the loss falls), and the weights move to the full and step wirings', async () => {
    const lines = ['turn on the light', 'turn off the light', 'set a timer', 'play some music', 'lock the door', 'turn up the volume'];
    const cfg = { maxLength: 8, dim: 16, heads: 2, ff: 32, layers: 1 };
    const r = await trainCharLm(lines, cfg, { epochs: 12, batchSize: 4, lr: 0.01, seed: 3, perPosition: true }, e);
    expect(r.losses[11], `losses ${r.losses.map((l) => l.toFixed(3))}`).toBeLessThan(r.losses[0] * 0.8);
    const all = copyLmWeights(r.model, causalLm(r.spec.config, 'trainAll', { engine: e }));
    expect(all.outputShapes).toEqual([[8, r.spec.config.vocab]]);
    const held = await charLmLoss(r.model, r.spec, lines, e);
    expect(held).toBeLessThan(Math.log(r.spec.config.vocab));
  });
});
