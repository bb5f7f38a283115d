// The general graph: several named, typed inputs, several outputs, open sequence lengths, recurrent
// state in and out, losses per output, gradients / trainStep for custom loops, and the errors for
// inputs that do not fit the declaration.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, Sequential, layers, Tensor, AxonError, modelToBytes, modelFromBytes } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { checkGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const T = (n: number, shape: number[], seed: number, scale = 1) => new Tensor(randn(n * shape.reduce((a, b) => a * b, 1), seed, scale), [n, ...shape]);
const ids = (n: number, L: number, V: number, seed: number) => new Tensor(Int32Array.from({ length: n * L }, (_, i) => (i * 7 + seed * 3) % V), [n, L], 'i32');
const bitsEqual = (a: Tensor, b: Tensor) => expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true);

/** a, b → dense each → add → head (softmax); outputs head and the a-branch's dense. */
function twoInTwoOut(seed = 3): Model {
  const m = new Model({ inputs: [{ name: 'a', shape: [5] }, { name: 'b', shape: [3] }], outputs: ['head', 'da'], seed, engine: e });
  m.add(layers.dense({ units: 4, activation: 'tanh', name: 'da' }), { inputs: ['a'] });
  m.add(layers.dense({ units: 4, activation: 'tanh', name: 'db' }), { inputs: ['b'] });
  m.add(layers.add({ name: 'sum' }), { inputs: ['da', 'db'] });
  return m.add(layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
}

/** f64 reference of twoInTwoOut from its weights. */
function reference(m: Model, a: Tensor, b: Tensor): { head: number[][]; da: number[][] } {
  const w = m.getWeights();
  const dense = (x: ArrayLike<number>, name: string) => {
    const W = w.get(`${name}.weight`)!, B = w.get(`${name}.bias`)!, out = B.length, inn = W.length / out;
    return Array.from({ length: out }, (_, o) => { let s = B[o]; for (let i = 0; i < inn; i++) s += W[o * inn + i] * x[i]; return s; });
  };
  const head: number[][] = [], da: number[][] = [];
  for (let r = 0; r < a.shape[0]; r++) {
    const ha = dense(a.data.subarray(r * 5, r * 5 + 5), 'da').map(Math.tanh), hb = dense(b.data.subarray(r * 3, r * 3 + 3), 'db').map(Math.tanh);
    const z = dense(ha.map((v, i) => v + hb[i]), 'head'), mx = Math.max(...z), ex = z.map((v) => Math.exp(v - mx)), s = ex.reduce((p, q) => p + q, 0);
    head.push(ex.map((v) => v / s)); da.push(ha);
  }
  return { head, da };
}
const rows = (t: Tensor) => Array.from({ length: t.shape[0] }, (_, r) => Array.from(t.data.subarray(r * (t.size / t.shape[0]), (r + 1) * (t.size / t.shape[0]))));
const near = (got: number[][], want: number[][], tol: number) => got.forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThan(tol)));

/** seq [T, 4] open (max 12) and h0 [6] → LSTM(6, returnState) → dense on the last output; outputs head and h_n. */
function seqModel(open = true, steps = 7, seed = 5): Model {
  const m = new Model({ inputs: [{ name: 'seq', shape: [open ? null : steps, 4], ...(open ? { maxShape: [12, 4] } : {}) }, { name: 'h0', shape: [6] }], outputs: ['head', 'rnn:1'], seed, engine: e });
  m.add(layers.lstm({ units: 6, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
  return m.add(layers.dense({ units: 2, name: 'head' }), { inputs: ['rnn'] });
}

describe('several inputs and outputs', () => {
  it('predict answers in the form it was asked: a map by output name, a list in output order; matches an f64 reference', async () => {
    const m = twoInTwoOut(), a = T(7, [5], 1), b = T(7, [3], 2);
    const byName = await m.predict({ a, b }), list = await m.predict([a, b]);
    expect(Object.keys(byName)).toEqual(['head', 'da']);
    expect(list.map((t) => t.shape)).toEqual([[7, 3], [7, 4]]);
    bitsEqual(list[0], byName.head); bitsEqual(list[1], byName.da);
    const ref = reference(m, a, b);
    near(rows(byName.head), ref.head, 1e-6); near(rows(byName.da), ref.da, 1e-6);
  });

  it('predict does not split the call into batches unless asked, and a split gives the same rows', async () => {
    const m = twoInTwoOut(), a = T(70, [5], 3), b = T(70, [3], 4);
    const whole = await m.predict({ a, b });
    expect((await m.session(1, { use: 'predict' })).spec.maxBatch).toBeGreaterThanOrEqual(70);
    const split = await m.predict({ a, b }, { batchSize: 16 });
    bitsEqual(split.head, whole.head);
  });

  it('a loss per output with weights: the gradient is the weighted sum of the single-loss gradients', async () => {
    const a = T(6, [5], 5), b = T(6, [3], 6), yHead = new Tensor(Int32Array.from([0, 1, 2, 0, 1, 2]), [6]), yDa = T(6, [4], 7, 0.5);
    const grads = async (loss: Record<string, string>, lossWeights?: Record<string, number>) => {
      const m = twoInTwoOut().compile({ optimizer: 'sgd', loss, lossWeights });
      const y = Object.fromEntries(Object.keys(loss).map((k) => [k, k === 'head' ? yHead : yDa]));
      return m.gradients({ a, b }, y);
    };
    const both = await grads({ head: 'sparseCategoricalCrossentropy', da: 'mse' }, { head: 0.7, da: 2 });
    const g1 = await grads({ head: 'sparseCategoricalCrossentropy' }), g2 = await grads({ da: 'mse' });
    expect(both.loss).toBeCloseTo(0.7 * g1.loss + 2 * g2.loss, 5);
    for (const [k, g] of both.grads) {
      const want = g.data.map((_, i) => 0.7 * (g1.grads.get(k)?.data[i] ?? 0) + 2 * (g2.grads.get(k)?.data[i] ?? 0));
      g.data.forEach((v, i) => expect(Math.abs(v - want[i]), `${k}[${i}]`).toBeLessThan(1e-6 + 1e-5 * Math.abs(want[i])));
    }
  });

  it('fit with two losses reports the total and each output\'s loss and metrics (Keras names)', async () => {
    const m = twoInTwoOut().compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: { head: 'sparseCategoricalCrossentropy', da: 'mse' }, lossWeights: { da: 0.5 }, metrics: { head: ['accuracy'], da: ['mae'] } });
    const a = T(32, [5], 8), b = T(32, [3], 9), y = { head: new Tensor(Int32Array.from({ length: 32 }, (_, i) => i % 3), [32]), da: T(32, [4], 10, 0.3) };
    const h = await m.fit({ a, b }, y, { epochs: 3, batchSize: 8 });
    const last = h.epochs[2];
    expect(Object.keys(last)).toEqual(expect.arrayContaining(['loss', 'head_loss', 'head_accuracy', 'da_loss', 'da_mae']));
    expect(last.loss).toBeCloseTo(last.head_loss + 0.5 * last.da_loss, 5);
    expect(h.epochs[2].loss).toBeLessThan(h.epochs[0].loss);
    const r = await m.evaluate({ a, b }, y);
    expect(r.loss).toBeCloseTo((r.head_loss as number) + 0.5 * (r.da_loss as number), 5);
  });

  it('whole-model gradients through a graph with two inputs and two losses match central differences', async () => {
    const m = twoInTwoOut().compile({ optimizer: 'sgd', loss: { head: 'sparseCategoricalCrossentropy', da: 'mse' }, lossWeights: { da: 0.5 } });
    await checkGradients(m, { a: T(4, [5], 11), b: T(4, [3], 12) }, { head: new Tensor(Int32Array.from([2, 0, 1, 1]), [4]), da: T(4, [4], 13, 0.5) },
      ['da.weight', 'da.bias', 'db.weight', 'head.weight', 'head.bias']);
  });

  it('trainStep is one step of fit (same weights, bit for bit)', async () => {
    const a = T(8, [5], 14), b = T(8, [3], 15), y = { head: new Tensor(Int32Array.from({ length: 8 }, (_, i) => i % 3), [8]) };
    const opts = { optimizer: { type: 'adam' as const, lr: 0.01 }, loss: { head: 'sparseCategoricalCrossentropy' } };
    const m1 = twoInTwoOut().compile(opts), m2 = twoInTwoOut().compile(opts);
    for (let k = 0; k < 3; k++) await m1.trainStep({ a, b }, y);
    await m2.fit({ a, b }, y, { epochs: 3, batchSize: 8, shuffle: false });
    for (const [k, v] of m1.getWeights()) expect(Buffer.from(v.buffer).equals(Buffer.from(m2.getWeights().get(k)!.buffer)), k).toBe(true);
  });

  it('model files keep the inputs and outputs', async () => {
    const m = twoInTwoOut(), a = T(3, [5], 16), b = T(3, [3], 17);
    const back = modelFromBytes(modelToBytes(m), 'm.axon', e).model;
    expect(back.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(back.outputNames).toEqual(['head', 'da']);
    const [x, y] = [await m.predict({ a, b }), await back.predict({ a, b })];
    bitsEqual(x.head, y.head); bitsEqual(x.da, y.da);
  });
});

describe('open sequence lengths and recurrent state', () => {
  it('one model, three lengths: each bit-identical to a model declared at that fixed length; plans are cached per shape', async () => {
    const dyn = seqModel();
    const w = dyn.getWeights();
    for (const L of [5, 12, 7, 5]) {
      const seq = T(3, [L, 4], 20 + L), h0 = T(3, [6], 21, 0.5);
      const fixed = seqModel(false, L);
      fixed.setWeights(w);
      const [got, want] = [await dyn.predict({ seq, h0 }), await fixed.predict({ seq, h0 })];
      expect(got.head.shape).toEqual([3, 2]);
      bitsEqual(got.head, want.head); bitsEqual(got['rnn:1'], want['rnn:1']);
    }
    const s = await dyn.session(3, { use: 'predict', shapes: [[7, 4], [6]] });
    expect(s.capacityShapes()).toEqual([[12, 4], [6]]);   // the declared maximum: every length fits one layout
    expect(s.knownShapes.length).toBeGreaterThanOrEqual(3);
  });

  it('the plan cache is bounded: 70 lengths through one session, the oldest plans dropped and their arena blocks reused; results unchanged', async () => {
    const m = new Model({ inputs: [{ name: 'seq', shape: [null, 2], maxShape: [80, 2] }], seed: 3, engine: e }).add(layers.simpleRnn({ units: 3 }));
    const first = await m.predict(T(2, [1, 2], 50));
    const s = await m.session(2, { use: 'predict' });
    const mark = s.engine.mark();
    for (let L = 2; L <= 70; L++) await m.predict(T(2, [L, 2], 50 + L));
    expect(await m.session(2, { use: 'predict' })).toBe(s);   // (one layout holds every length up to the maximum)
    expect(s.planCount).toBeLessThanOrEqual(65);
    const grown = s.engine.mark() - mark;
    for (let L = 2; L <= 70; L++) await m.predict(T(2, [L, 2], 50 + L));
    expect(s.engine.mark() - mark).toBeLessThanOrEqual(grown);   // the second round reuses dropped plans' blocks
    bitsEqual(await m.predict(T(2, [1, 2], 50)), first);
  });

  it('trains at several lengths in turn; weights carry across the shapes', async () => {
    const m = seqModel().compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: { head: 'mse' } });
    const losses: number[] = [];
    for (let k = 0; k < 6; k++) {
      const L = [4, 9, 12][k % 3], seq = T(8, [L, 4], 30 + L), h0 = T(8, [6], 31, 0.3);
      losses.push((await m.fit({ seq, h0 }, { head: T(8, [2], 32, 0.5) }, { epochs: 3, batchSize: 4 })).epochs[2].loss);
    }
    expect(losses[5]).toBeLessThan(losses[2]);
  });

  it('gradients flow through h0 from a layer, and from h_n / c_n used by losses (central differences)', async () => {
    const m = new Model({ inputs: [{ name: 'seq', shape: [4, 3] }, { name: 'ctx', shape: [2] }], outputs: ['head', 'rnn:1', 'rnn:2'], seed: 9, engine: e });
    m.add(layers.dense({ units: 5, activation: 'tanh', name: 'init_h' }), { inputs: ['ctx'] });
    m.add(layers.dense({ units: 5, name: 'init_c' }), { inputs: ['ctx'] });
    m.add(layers.lstm({ units: 5, returnState: true, returnSequences: true, name: 'rnn' }), { inputs: ['seq', 'init_h', 'init_c'] });
    m.add(layers.flatten({ name: 'flat' }), { inputs: ['rnn'] });
    m.add(layers.dense({ units: 2, name: 'head' }));
    m.compile({ optimizer: 'sgd', loss: { head: 'mse', 'rnn:1': 'mse', 'rnn:2': 'mse' }, lossWeights: { 'rnn:1': 0.5, 'rnn:2': 0.3 } });
    const x = { seq: T(3, [4, 3], 40), ctx: T(3, [2], 41) }, y = { head: T(3, [2], 42, 0.3), 'rnn:1': T(3, [5], 43, 0.3), 'rnn:2': T(3, [5], 44, 0.3) };
    await checkGradients(m, x, y, ['init_h.weight', 'init_h.bias', 'init_c.weight', 'rnn.weight_ih', 'rnn.weight_hh', 'rnn.bias_hh', 'head.weight']);
  });

  it.each(['gru', 'simpleRnn'] as const)('%s with h0 from a layer and h_n as an output: gradients match central differences', async (cell) => {
    const m = new Model({ inputs: [{ name: 'seq', shape: [5, 3] }, { name: 'ctx', shape: [2] }], outputs: ['rnn:1'], seed: 10, engine: e });
    m.add(layers.dense({ units: 4, activation: 'tanh', name: 'init_h' }), { inputs: ['ctx'] });
    m.add(layers[cell]({ units: 4, returnState: true, name: 'rnn' }), { inputs: ['seq', 'init_h'] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, { seq: T(3, [5, 3], 45), ctx: T(3, [2], 46) }, T(3, [4], 47, 0.3), ['init_h.weight', 'init_h.bias', 'rnn.weight_ih', 'rnn.weight_hh']);
  });
});

describe('i32 inputs: ids through an embedding', () => {
  const textModel = (pad = true) => {
    const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [16] }], seed: 4, engine: e });
    m.add(layers.embedding({ inputDim: 20, outputDim: 6, paddingIdx: pad ? 0 : undefined, name: 'emb' }));
    m.add(layers.gru({ units: 5, name: 'rnn' }));
    return m.add(layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  };

  it('the padding row starts at zero and gets no gradient; the embedding gradient matches central differences', async () => {
    const m = textModel().compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    expect(Array.from(m.getWeights().get('emb.weight')!.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    const x = new Tensor(Int32Array.from([0, 3, 5, 19, 3, 0, 7, 8, 9, 1, 2, 0]), [3, 4], 'i32'), y = new Tensor(Int32Array.from([0, 2, 1]), [3]);
    const { grads } = await m.gradients(x, y);
    expect(Array.from(grads.get('emb.weight')!.data.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(grads.get('emb.weight')!.data.subarray(3 * 6, 4 * 6).some((v) => v !== 0)).toBe(true);
    // (the padding row changes the output but, as in PyTorch, gets no gradient: check without one)
    await checkGradients(textModel(false).compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' }), x, y, ['emb.weight', 'rnn.weight_ih']);
  });

  it('trains on ids of two lengths; a file round trip keeps the declaration', async () => {
    const m = textModel().compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    // the class is the most frequent of ids 1, 2, 3
    for (const L of [6, 11]) {
      const x = ids(60, L, 4, L), y = new Tensor(Int32Array.from({ length: 60 }, (_, r) => (r * 7 + L * 3) % 3), [60]);
      await m.fit(x, y, { epochs: 2, batchSize: 10 });
    }
    const back = modelFromBytes(modelToBytes(m), 'text.axon', e).model;
    expect(back.inputs[0]).toMatchObject({ name: 'ids', dtype: 'i32', shape: [null], max: [16], range: [0, 19] });
    const x = ids(4, 9, 20, 1);
    bitsEqual(await back.predict(x), await m.predict(x));
  });
});

describe('inputs that do not fit the declaration: AxonError naming the input and what was expected', () => {
  const bad = async (p: Promise<unknown>, code: string, re: RegExp) => {
    const err = await p.then(() => undefined, (x) => x);
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe(code);
    expect((err as Error).message).toMatch(re);
  };
  it('missing, extra, wrong dtype, id out of range, length beyond the maximum, wrong fixed dimension', async () => {
    const m = twoInTwoOut(), a = T(2, [5], 1), b = T(2, [3], 2);
    await bad(m.predict({ a }), 'BAD_ARGUMENT', /input "b" is missing \(the model's inputs: a, b\)/);
    await bad(m.predict({ a, b, c: b }), 'BAD_ARGUMENT', /no model input named "c"/);
    await bad(m.predict(a), 'BAD_ARGUMENT', /the model has 2 inputs \(a, b\)/);
    await bad(m.predict({ a, b: new Tensor(new Int32Array(6), [2, 3], 'i32') }), 'BAD_DTYPE', /input "b" is f32 but the tensor is i32/);
    await bad(m.predict({ a, b: T(2, [4], 3) }), 'BAD_SHAPE', /input "b" has shape \[2,4\] but the model expects \[n, 3\]/);
    await bad(m.predict({ a, b: T(3, [3], 3) }), 'BAD_ARGUMENT|BAD_SHAPE'.split('|')[1], /different sample counts/);
    const s = seqModel();
    await bad(s.predict({ seq: T(1, [13, 4], 4), h0: T(1, [6], 5) }), 'BAD_SHAPE', /input "seq": dimension 1 has length 13, beyond the declared maximum 12/);
    const t = new Model({ inputs: [{ name: 'ids', shape: [4], dtype: 'i32' }], engine: e }).add(layers.embedding({ inputDim: 10, outputDim: 2 }));
    await bad(t.predict(new Tensor(Int32Array.from([1, 2, 10, 3]), [1, 4], 'i32')), 'BAD_DATA', /input "ids": value 10 at sample 0 is outside the input's range \[0, 9\]/);
    await bad(t.predict(new Tensor(new Float32Array(4), [1, 4])), 'BAD_DTYPE', /input "ids" is i32 \(ids or a mask\) but the tensor is f32/);
  });
  it('non-finite values: the predict plan checks each f32 input in wasm first; the error names the input and the sample, past the first batch and at an open length too; nothing is lost', async () => {
    const m = twoInTwoOut(), a = T(8, [5], 1), b = T(8, [3], 2), want = await m.predict({ a, b }) as Record<string, Tensor>;
    const with1 = (t: Tensor, i: number, v: number) => { const d = t.data.slice() as Float32Array; d[i] = v; return new Tensor(d, t.shape); };
    await bad(m.predict({ a: with1(a, 5 * 6 + 2, NaN), b }), 'NOT_FINITE', /input "a" has a non-finite value at sample 6/);
    await bad(m.predict({ a, b: with1(b, 3 * 7, -Infinity) }, { batchSize: 3 }), 'NOT_FINITE', /input "b" has a non-finite value at sample 7/);   // (third batch)
    await bad(m.predict({ a: with1(a, 0, Infinity), b: with1(b, 1, NaN) }), 'NOT_FINITE', /input "a" has a non-finite value at sample 0/);
    const s = seqModel();
    await bad(s.predict({ seq: with1(T(2, [9, 4], 4), 9 * 4 + 35, NaN), h0: T(2, [6], 5) }), 'NOT_FINITE', /input "seq" has a non-finite value at sample 1/);
    // the plan's own check, for callers that run plans themselves: NOT_FINITE naming the input, before any layer ran
    const sess = await m.session(8), plan = sess.plan('predict', 8);
    expect(plan.plan.instrs.slice(0, 2).map((i) => [i.op.name, i.label])).toEqual([['check_finite', 'model input 0'], ['check_finite', 'model input 1']]);
    sess.bound.f32(sess.xs[0]).set(a.data); sess.bound.f32(sess.xs[1]).set(b.data);   // (the last call left its Infinity in input a's buffer)
    sess.bound.run(plan);
    sess.bound.f32(sess.xs[1])[4] = NaN;
    expect(() => sess.bound.run(plan)).toThrowError(/^model input 1: non-finite values/);
    const again = await m.predict({ a, b }) as Record<string, Tensor>;   // (weights and session unharmed)
    bitsEqual(again.head, want.head); bitsEqual(again.da, want.da);
  });
  it('wiring errors: an i32 input into a float layer, a parameter that would depend on an open axis, an unknown output', async () => {
    expect(() => new Model({ inputs: [{ name: 'ids', shape: [4], dtype: 'i32' }], engine: e }).add(layers.dense({ units: 2 }))).toThrowError(/input "ids" is i32.*read it with an embedding/);
    const m = new Model({ inputs: [{ name: 'x', shape: [null] }], engine: e }).add(layers.dense({ units: 2, name: 'd' }));
    await expect(m.predict(T(1, [5], 1))).rejects.toThrowError(/d: parameter weight has shape \[2,16\] but would need \[2,5\].*cannot be open/);
    expect(() => new Model({ inputShape: [3], outputs: ['nope'], engine: e }).add(layers.dense({ units: 2 })).unitGraph()).toThrowError(/output "nope" is not a layer/);
    expect(() => new Sequential({ inputs: [{ name: 'x', shape: [3] }], engine: e }).add(layers.lstm({ units: 2 }))).toThrowError(/lstm expects inputs of shape \[steps, features\]/);
  });
});

describe('layer normalization in a model', () => {
  it.each([true, false])('over tokens × features, affine %s: gradients match central differences, also into the layer before', async (affine) => {
    const m = new Model({ inputs: [{ name: 'x', shape: [3, 6] }], seed: 12, engine: e });
    m.add(layers.dense({ units: 6, name: 'pre' }), { inputs: ['x'] });
    m.add(layers.layerNormalization({ affine, name: 'ln' }));
    m.add(layers.flatten()).add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, T(4, [3, 6], 60), T(4, [2], 61, 0.5), ['pre.weight', 'pre.bias', 'out.weight', ...(affine ? ['ln.weight', 'ln.bias'] : [])]);
  });
});

describe('multi-head attention in a model', () => {
  it.each([false, true])('cross %s, with a padding mask: gradients into the projections and the layers before (central differences)', async (cross) => {
    const inputs = [{ name: 'x', shape: [4, 5] }, ...(cross ? [{ name: 'mem', shape: [3, 5] }] : []), { name: 'keep', shape: [cross ? 3 : 4], dtype: 'i32' as const }];
    const m = new Model({ inputs, seed: 13, engine: e });
    m.add(layers.dense({ units: 6, activation: 'tanh', name: 'pre' }), { inputs: ['x'] });
    if (cross) m.add(layers.dense({ units: 6, name: 'memp' }), { inputs: ['mem'] });
    m.add(layers.multiHeadAttention({ numHeads: 2, cross, mask: true, name: 'mha' }), { inputs: ['pre', ...(cross ? ['memp'] : []), 'keep'] });
    m.add(layers.flatten()).add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const Tk = cross ? 3 : 4, keep = new Tensor(Int32Array.from({ length: 3 * Tk }, (_, i) => (i % Tk === Tk - 1 && i < Tk ? 0 : 1)), [3, Tk], 'i32');
    const x: Record<string, Tensor> = { x: T(3, [4, 5], 70), keep, ...(cross ? { mem: T(3, [3, 5], 71) } : {}) };
    await checkGradients(m, x, T(3, [2], 72, 0.5), ['pre.weight', ...(cross ? ['memp.weight'] : []), 'mha.q_weight', 'mha.k_weight', 'mha.v_weight', 'mha.o_weight', 'mha.q_bias']);
  });
  it('a mask of the wrong length is refused, naming the layer', () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [4, 6] }, { name: 'keep', shape: [3], dtype: 'i32' }], engine: e });
    expect(() => m.add(layers.multiHeadAttention({ numHeads: 2, mask: true, name: 'mha' }), { inputs: ['x', 'keep'] })).toThrowError(/mha: the mask must be \[4\] per sample/);
  });
});
