// Graph models: layers wired by name (fan-out, residual Add, Concatenate, the model input read twice).
// Forward against a JS reference from the weights; whole-model gradient checks (fan-out gradients
// add up); file round trip; the errors a wrong wiring gets.
import { describe, it, expect } from 'vitest';
import { Model, Sequential, MODEL_INPUT, layers, Tensor, modelToBytes, modelFromBytes, readAxonModelFile, encodeAxonModelFile, type ModelGraph, AxonError, replaceHead, freeze } from '../../src/index.js';
import { engine, randn, randInt, expectClose } from '../helpers.js';
import { checkModelGradients } from './model-gradcheck.js';

const e = await engine();

/** dense a → dense b; add(a, b); concatenate(input, a, add); dense out: a is read three times, the input twice */
function residualMlp(seed = 7): Model {
  const m = new Model({ inputShape: [5], seed, engine: e });
  m.add(layers.dense({ units: 6, activation: 'tanh', name: 'a' }));
  m.add(layers.dense({ units: 6, activation: 'tanh', name: 'b' }));
  m.add(layers.add({ name: 'res' }), { inputs: ['a', 'b'] });
  m.add(layers.concatenate({ name: 'cat' }), { inputs: [MODEL_INPUT, 'a', 'res'] });
  m.add(layers.dense({ units: 3, name: 'out' }));
  m.add(layers.activation('softmax'));
  return m;
}

const dense = (x: Float64Array, B: number, w: Float32Array, b: Float32Array, N: number, act?: (v: number) => number) => {
  const K = x.length / B, y = new Float64Array(B * N);
  for (let r = 0; r < B; r++) for (let n = 0; n < N; n++) {
    let s = b[n];
    for (let k = 0; k < K; k++) s += x[r * K + k] * w[n * K + k];
    y[r * N + n] = act ? act(s) : s;
  }
  return y;
};
const concatRows = (B: number, ...parts: Float64Array[]) => {
  const out: number[] = [];
  for (let r = 0; r < B; r++) for (const p of parts) { const w = p.length / B; for (let k = 0; k < w; k++) out.push(p[r * w + k]); }
  return Float64Array.from(out);
};

describe('graph model: forward', () => {
  it('matches a JS reference of the wiring', async () => {
    const m = residualMlp(), B = 4, x = randn(B * 5, 3), w = m.getWeights();
    const X = Float64Array.from(x);
    const a = dense(X, B, w.get('a.weight')!, w.get('a.bias')!, 6, Math.tanh);
    const b = dense(a, B, w.get('b.weight')!, w.get('b.bias')!, 6, Math.tanh);
    const res = a.map((v, i) => v + b[i]);
    const logits = dense(concatRows(B, X, a, res), B, w.get('out.weight')!, w.get('out.bias')!, 3);
    const want = new Float64Array(B * 3);
    for (let r = 0; r < B; r++) {
      const row = logits.subarray(r * 3, r * 3 + 3), mx = Math.max(...row), ex = Array.from(row, (v) => Math.exp(v - mx)), s = ex.reduce((p, q) => p + q, 0);
      ex.forEach((v, k) => { want[r * 3 + k] = v / s; });
    }
    const y = await m.predict(Tensor.from(x, [B, 5]));
    expect(y.shape).toEqual([B, 3]);
    expectClose(y.data, want, 1e-5, 1e-6, 'graph forward');
  });

  it('concatenates conv feature maps on channels and on rows (NHWC)', async () => {
    for (const axis of [-1, 0]) {
      const m = new Model({ inputShape: [4, 3, 2], seed: 3, engine: e });
      m.add(layers.conv2d({ filters: 3, kernelSize: 1, name: 'p', useBias: false }));
      m.add(layers.conv2d({ filters: 3, kernelSize: 1, name: 'q', useBias: false }), { inputs: [MODEL_INPUT] });
      m.add(layers.concatenate({ axis, name: 'cat' }), { inputs: ['p', 'q'] });
      expect(m.outputShape).toEqual(axis === -1 ? [4, 3, 6] : [8, 3, 3]);
      const B = 2, x = randn(B * 24, 5), w = m.getWeights(), y = (await m.predict(Tensor.from(x, [B, 4, 3, 2]))).data;
      // 1x1 conv: per pixel, out[o] = sum_c x[c] * W[c, o] (HWIO)
      const conv = (W: Float32Array) => { const o = new Float64Array(B * 12 * 3); for (let px = 0; px < B * 12; px++) for (let f = 0; f < 3; f++) o[px * 3 + f] = x[px * 2] * W[f] + x[px * 2 + 1] * W[3 + f]; return o; };
      const P = conv(w.get('p.weight')!), Q = conv(w.get('q.weight')!);
      const want = axis === -1 ? concatRows(B * 12, P, Q) : concatRows(B, P, Q);
      expectClose(y, want, 1e-5, 1e-6, `axis ${axis}`);
    }
  });
});

describe('graph model: gradients', () => {
  it('fan-out, residual add and concatenation: every parameter against central differences', async () => {
    const m = residualMlp(11), B = 3;
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    const x = Tensor.from(randn(B * 5, 2), [B, 5]), y = Tensor.from(randInt(B, 3, 4), [B], 'i32');
    await checkModelGradients(m, x, y, B, ['a.weight', 'a.bias', 'b.weight', 'b.bias', 'out.weight', 'out.bias']);
  });

  it('conv residual block with batch norm, and a frozen stem whose branch still passes gradients', async () => {
    const m = new Model({ inputShape: [5, 5, 2], seed: 5, engine: e });
    m.add(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'stem' }));
    m.add(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c1' }));
    m.add(layers.batchNormalization({ name: 'bn' }));
    m.add(layers.add({ name: 'res' }), { inputs: ['stem', 'bn'] });
    m.add(layers.activation({ activation: 'tanh', name: 'act' }));
    m.add(layers.flatten());
    m.add(layers.dense({ units: 2, name: 'out' }));
    freeze(m, 'stem');
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'mse' });
    const B = 2, x = Tensor.from(randn(B * 50, 8), [B, 5, 5, 2]), y = Tensor.from(randn(B * 2, 9), [B, 2]);
    await checkModelGradients(m, x, y, B, ['c1.weight', 'c1.bias', 'bn.weight', 'bn.bias', 'out.weight']);
    const s = await m.session(B);
    expect(s.layout.byName('grad:stem.weight'), 'frozen stem has no gradient').toBeUndefined();
  });

  it('squeeze-and-excitation: a per-channel gate multiplies the map (both inputs get gradients); equal-shape and per-sample products', async () => {
    const m = new Model({ inputShape: [4, 4, 3], seed: 8, engine: e });
    m.add(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'c' }));
    m.add(layers.globalAveragePooling2d({ name: 'gap' }));
    m.add(layers.dense({ units: 3, activation: 'sigmoid', name: 'fc' }));
    m.add(layers.multiply({ name: 'se' }), { inputs: ['c', 'fc'] });
    m.add(layers.dense({ units: 1, activation: 'sigmoid', name: 'scalar' }), { inputs: ['gap'] });
    m.add(layers.multiply({ name: 'glu' }), { inputs: ['se', 'se'] });
    m.add(layers.multiply({ name: 'scaled' }), { inputs: ['scalar', 'glu'] });
    m.add(layers.flatten());
    m.add(layers.dense({ units: 2, name: 'out' }));
    const B = 2, x = randn(B * 48, 13), w = m.getWeights();
    // forward reference of the gate path: se = c * fc(gap(c)), glu = se², scaled = sigmoid(dense(gap)) * glu
    const y = await m.predict(Tensor.from(x, [B, 4, 4, 3]));
    expect(y.shape).toEqual([B, 2]);
    const conv = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' });
    const ref = new Model({ inputShape: [4, 4, 3], engine: e }).add(conv);
    ref.setWeights({ 'conv2d_1.weight': w.get('c.weight')!, 'conv2d_1.bias': w.get('c.bias')! });
    const C = (await ref.predict(Tensor.from(x, [B, 4, 4, 3]))).data;
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const want = new Float64Array(B * 2);
    for (let b = 0; b < B; b++) {
      const gap = [0, 1, 2].map((k) => { let s = 0; for (let p = 0; p < 16; p++) s += C[(b * 16 + p) * 3 + k]; return s / 16; });
      const fc = [0, 1, 2].map((o) => sig(w.get('fc.bias')![o] + gap.reduce((s, v, k) => s + v * w.get('fc.weight')![o * 3 + k], 0)));
      const sc = sig(w.get('scalar.bias')![0] + gap.reduce((s, v, k) => s + v * w.get('scalar.weight')![k], 0));
      for (let o = 0; o < 2; o++) {
        let s = w.get('out.bias')![o];
        for (let i = 0; i < 48; i++) { const se = C[b * 48 + i] * fc[i % 3]; s += sc * se * se * w.get('out.weight')![o * 48 + i]; }
        want[b * 2 + o] = s;
      }
    }
    expectClose(y.data, want, 1e-4, 1e-5, 'gated forward');
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'mse' });
    await checkModelGradients(m, Tensor.from(x, [B, 4, 4, 3]), Tensor.from(randn(B * 2, 14), [B, 2]), B, ['c.weight', 'c.bias', 'fc.weight', 'fc.bias', 'scalar.weight', 'out.weight']);
  });

  it('trains: the loss falls on a task that needs both branches', async () => {
    const m = residualMlp(2), n = 64, x = randn(n * 5, 12), y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = (x[i * 5] > 0 ? 1 : 0) + (x[i * 5 + 1] * x[i * 5 + 2] > 0 ? 1 : 0);
    m.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(Tensor.from(x, [n, 5]), Tensor.from(y, [n], 'i32'), { epochs: 40, batchSize: 16 });
    expect(h.epochs[39].loss).toBeLessThan(h.epochs[0].loss * 0.6);
  });
});

describe('graph model: inference memory', () => {
  it('an inference session shares activation buffers by liveness and predicts bit-identically', async () => {
    const make = () => {
      const m = new Model({ inputShape: [6, 6, 2], seed: 21, engine: e });
      m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' }));
      for (let k = 0; k < 3; k++) {
        m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', name: `c${k}` }));
        m.add(layers.zeroPadding2d({ padding: 1, name: `p${k}` })).add(layers.maxPool2d({ poolSize: 3, strides: 1, name: `q${k}` }));
        m.add(layers.add({ name: `r${k}` }), { inputs: [k ? `r${k - 1}` : 'a', `q${k}`] });
      }
      m.add(layers.flatten()).add(layers.dense({ units: 3 }));
      return m;
    };
    const x = Tensor.from(randn(5 * 72, 31), [5, 6, 6, 2]);
    const shared = make(), kept = make();
    const y = await shared.predict(x), s = await shared.session(5);
    expect(s.sharesActivations).toBe(true);
    const ks = await kept.session(5, { keepActivations: true });
    expect(ks.sharesActivations).toBe(false);
    expect(Array.from(y.data)).toEqual(Array.from((await kept.predict(x)).data));
    const acts = (t: typeof s) => t.layout.buffers.filter((b) => b.name.startsWith('act:')).length;
    expect(acts(s)).toBeLessThan(acts(ks) / 2);
    // a unit never writes into a buffer it reads: each unit's output differs from its inputs' buffers
    s.spec.units.forEach((u, i) => { if (!u.aliasesInput) for (const j of s.inputs[i]) if (j >= 0) expect(s.outputs[i], `${u.name}`).not.toBe(s.outputs[j]); });
    // compiling for training gives every unit its own buffer again
    shared.compile({ optimizer: 'sgd', loss: 'mse' });
    expect((await shared.session(5)).sharesActivations).toBe(false);
  });
});

describe('graph model: files, transfer, summary', () => {
  it('round-trips through the model file with its wiring', async () => {
    const m = residualMlp(), x = Tensor.from(randn(2 * 5, 6), [2, 5]);
    const bytes = modelToBytes(m), { model, graph } = modelFromBytes(bytes, 'graph.axon', e);
    expect(graph.kind).toBe('graph');
    expect(graph.layers.find((l) => l.name === 'cat')!.inputs).toEqual([MODEL_INPUT, 'a', 'res']);
    expect(model).toBeInstanceOf(Model);
    expect(model).not.toBeInstanceOf(Sequential);
    expect(Array.from((await model.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
    // a chain still saves as a Sequential file
    const s = new Sequential({ inputShape: [3], engine: e }).add(layers.dense({ units: 2 }));
    expect(modelFromBytes(modelToBytes(s), 's', e).graph.kind).toBe('sequential');
  });

  it('replaceHead keeps the wiring of the kept layers', async () => {
    const m = residualMlp(), h = replaceHead(m, [layers.dense({ units: 2, name: 'head' })], { keep: 'cat' });
    expect(h.inputsOf('cat')).toEqual([MODEL_INPUT, 'a', 'res']);
    expect(h.inputsOf('head')).toEqual(['cat']);
    expect(h.getWeights().get('b.weight')).toEqual(m.getWeights().get('b.weight'));
    expect((await h.predict(Tensor.from(randn(5, 1), [1, 5]))).shape).toEqual([1, 2]);
    expect(m.summary()).toMatch(/Reads/);
  });

  it('refuses wrong wiring with errors that say what to do', async () => {
    const m = new Model({ inputShape: [4], engine: e });
    m.add(layers.dense({ units: 3, name: 'a' }));
    expect(() => m.add(layers.dense({ units: 3 }), { inputs: ['nope'] })).toThrowError(/input "nope" is not a layer of this model yet/);
    expect(() => m.add(layers.dense({ units: 3 }), { inputs: ['a', MODEL_INPUT] })).toThrowError(/reads one input, got 2.*merge layer/);
    expect(() => m.add(layers.add(), { inputs: ['a', MODEL_INPUT] })).toThrowError(/one shape/);
    expect(() => m.add(layers.concatenate({ axis: 1 }), { inputs: ['a', MODEL_INPUT] })).toThrowError(/axis 1 is out of range/);
    expect(() => m.add(layers.multiply(), { inputs: ['a', MODEL_INPUT] })).toThrowError(/multiply needs equal shapes, or a gate/);
    expect(() => m.add(layers.dense({ units: 1, name: MODEL_INPUT }))).toThrowError(/names the model input/);
    m.add(layers.dense({ units: 3, name: 'b' }), { inputs: [MODEL_INPUT] });
    await expect(m.predict(Tensor.from(randn(4), [1, 4]))).rejects.toThrowError(/a feeds no other layer/);
    const s = new Sequential({ inputShape: [4], engine: e }).add(layers.dense({ units: 3, name: 'a' }));
    expect(() => s.add(layers.dense({ units: 2 }), { inputs: [MODEL_INPUT] })).toThrowError(/Sequential model is a chain/);
  });

  /** residualMlp's file with its wiring edited by hand (`edit` changes the graph JSON). */
  const edited = (edit: (layers: ModelGraph['layers']) => void, compile = false): Uint8Array => {
    const m = residualMlp();
    if (compile) m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const f = readAxonModelFile(modelToBytes(m), 'good.axon');
    const graph = f.graph as unknown as ModelGraph;
    edit(graph.layers);
    return encodeAxonModelFile({ graph, tensors: Object.fromEntries(f.tensors) as never });
  };
  const badFile = (bytes: Uint8Array, message: RegExp) => {
    try { modelFromBytes(bytes, 'broken.axon', e); expect.fail('loaded'); } catch (err) {
      expect(err).toBeInstanceOf(AxonError);
      expect((err as AxonError).code).toBe('BAD_MODEL_FILE');
      expect((err as Error).message).toMatch(message);
    }
  };

  it('a graph file whose layer has no inputs list is a BAD_MODEL_FILE', () => {
    badFile(edited((ls) => { ls.find((l) => l.name === 'res')!.inputs = []; }), /broken.axon: layer "res" of a graph model needs "inputs": a non-empty list .*, got \[\]/);
    badFile(edited((ls) => { (ls.find((l) => l.name === 'res')! as { inputs: unknown }).inputs = 'a'; }), /broken.axon: layer "res" .* got "a"/);
  });

  it('a hand-edited graph file with a typo or a dead branch fails on load, naming the file (compiled or not)', () => {
    badFile(edited((ls) => { ls.find((l) => l.name === 'res')!.inputs = ['a', 'bb']; }), /broken.axon: the graph does not describe a valid model: res: input "bb" is not a layer/);
    for (const compile of [false, true])   // cat no longer reads res: res feeds nothing
      badFile(edited((ls) => { ls.find((l) => l.name === 'cat')!.inputs = [MODEL_INPUT, 'a', 'b']; }, compile), /broken.axon: the graph does not describe a valid model: .*res feeds no other layer/);
  });
});
